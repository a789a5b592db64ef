// Adafactor step for one tensor (PyTorch `_single_tensor_adafactor`); equations in src/optim/adafactor.ts.
// Preconditions: param and grad point at n f32s. Factored (rows > 0: params of >= 2 dims): the tensor is
// batch = n / (rows·cols) row-major rows×cols matrices (its last two dims); rowVar points at batch·rows f32s,
// colVar at batch·cols f32s, variance is unused. Unfactored (rows = 0): variance points at n f32s, rowVar and
// colVar are unused. scratch holds, in f32s: U [n] | column sums [cols]; its contents are not state. Any
// alignment; no two buffers overlap.
// Scalars (src/optim/adafactor.ts launch): rows, cols, weight = t^beta2Decay (torch's one_minus_beta2_t), rho =
// min(lr, 1/√t), eps1, eps1Sq = eps1², eps2, d, decay = 1 − lr·weightDecay (flag DECOUPLED), gradScale. rho,
// eps2 and d are f64: torch computes α and the clipping denominator with Python floats.
// Sums: ‖θ‖² and ‖U‖² in the blocked order of assembly/lib/common.ts (sumSqBlocked: f32 blocks, f64 totals); a row's Σg² and Σ_i R_i in f32 over
// four partials (element j into partial j mod 4, then (p0 + p1) + (p2 + p3)); a column's Σg² in f32, row after row.
import {
  MAXIMIZE, DECOUPLED, GRAD_SCALE, ld, st, splat, add, mul, div, sqrt, maxv, gradIn, CLIP, torchLerp, sumSqBlocked, end1, end4,
} from "../lib/common";

export function adafactor_f32(param: usize, rowVar: usize, colVar: usize, variance: usize, scratch: usize, grad: usize,
    n: i32, rows: i32, cols: i32, weight: f32, rho: f64, eps1: f32, eps1Sq: f32, eps2: f64, d: f64, decay: f32,
    gradScale: f32, flags: i32): void {
  const clip = (flags & CLIP) != 0;
  if (n <= 0) return;
  const scaled = (flags & GRAD_SCALE) != 0, maximize = (flags & MAXIMIZE) != 0;
  const u = scratch;
  // α = max(eps2, RMS(θ))·ρ, from θ before weight decay (Python's max: eps2 unless RMS(θ) > eps2).
  const rmsP = Math.sqrt(sumSqBlocked(param, n)) / Math.sqrt(<f64>n);
  const alpha = (rmsP > eps2 ? rmsP : eps2) * rho;
  const wComp: f32 = 1 - weight, small = Mathf.abs(weight) < 0.5;
  if (rows == 0) {
    let o: usize = 0;
    if (ASC_FEATURE_SIMD) o = vectorSpan<v128>(variance, u, grad, o, end4(n), weight, wComp, small, eps1Sq, gradScale, scaled, maximize, clip);
    vectorSpan<f32>(variance, u, grad, o, end1(n), weight, wComp, small, eps1Sq, gradScale, scaled, maximize, clip);
  } else {
    const mat = <usize>rows * <usize>cols, batch = <usize>n / mat, colSum = u + (<usize>n << 2);
    for (let b: usize = 0; b < batch; b++) {
      factored(rowVar + ((b * <usize>rows) << 2), colVar + ((b * <usize>cols) << 2), colSum, u + ((b * mat) << 2),
        grad + ((b * mat) << 2), rows, cols, weight, wComp, small, eps1, eps1Sq, gradScale, scaled, maximize, clip);
    }
  }
  // Update clipping: θ += U·(−α / max(1, RMS(U)/d)) (Python's max: 1 unless the ratio is > 1).
  const ratio = Math.sqrt(sumSqBlocked(u, n)) / (Math.sqrt(<f64>n) * d);
  const s = <f32>(-alpha / (ratio > 1.0 ? ratio : 1.0));
  const decayed = (flags & DECOUPLED) != 0;
  let o: usize = 0;
  if (ASC_FEATURE_SIMD) o = applySpan<v128>(param, u, o, end4(n), s, decay, decayed);
  applySpan<f32>(param, u, o, end1(n), s, decay, decayed);
}

/** The gradient as the step sees it: scaled by gradScale, negated for maximize. */
// @ts-ignore: decorator
@inline function gradAt<T>(grad: usize, o: usize, gs: T, scaled: bool, maximize: bool, clip: bool = false): T {
  const g = ld<T>(grad, o);
  return gradIn<T>(g, g, gs, gs, scaled, clip, maximize, false);
}

/** U = g·(1/√max(V̂, eps1²)): torch's var_estimate.clamp_(min=eps1²).rsqrt_().mul_(grad). */
// @ts-ignore: decorator
@inline function scaledGrad<T>(g: T, vHat: T, eps1Sq: T): T {
  return mul<T>(div<T>(splat<T>(1), sqrt<T>(maxv<T>(vHat, eps1Sq))), g);
}

/** Unfactored (< 2 dims): V = lerp(V, g², w); U from V. */
// @ts-ignore: decorator
@inline function vectorSpan<T>(variance: usize, u: usize, grad: usize, o: usize, end: usize, w: f32, wComp: f32,
    small: bool, eps1Sq: f32, gs: f32, scaled: bool, maximize: bool, clip: bool = false): usize {
  const wv = splat<T>(w), wc = splat<T>(wComp), e = splat<T>(eps1Sq), gsv = splat<T>(gs);
  for (; o < end; o += sizeof<T>()) {
    const g = gradAt<T>(grad, o, gsv, scaled, maximize, clip);
    const v = torchLerp<T>(ld<T>(variance, o), mul<T>(g, g), wv, wc, small);
    st<T>(variance, o, v);
    st<T>(u, o, scaledGrad<T>(g, v, e));
  }
  return o;
}

/** One rows×cols matrix: row and column means of g², their EMAs, then U into u. */
// @ts-ignore: decorator
@inline function factored(rowVar: usize, colVar: usize, colSum: usize, u: usize, grad: usize, rows: i32, cols: i32,
    w: f32, wComp: f32, small: bool, eps1: f32, eps1Sq: f32, gs: f32, scaled: bool, maximize: bool, clip: bool = false): void {
  const rowBytes = <usize>cols << 2, fr = <f32>rows, fc = <f32>cols;
  memory.fill(colSum, 0, rowBytes);
  for (let i: usize = 0; i < <usize>rows; i++) {
    const r = rowVar + (i << 2);
    const mean = sum4(grad + i * rowBytes, colSum, cols, gs, scaled, maximize, true, clip) / fc;
    store<f32>(r, torchLerp<f32>(load<f32>(r), mean, w, wComp, small));
  }
  let o: usize = 0;
  if (ASC_FEATURE_SIMD) o = colSpan<v128>(colVar, colSum, o, end4(cols), fr, w, wComp, small);
  colSpan<f32>(colVar, colSum, o, end1(cols), fr, w, wComp, small);
  // torch: var_estimate = (R @ C) / max(mean(R), eps1) (a NaN mean stays NaN, as clamp_).
  const dR = maxv<f32>(sum4(rowVar, 0, rows, gs, false, false, false, clip) / fr, eps1);
  for (let i: usize = 0; i < <usize>rows; i++) {
    const rv = load<f32>(rowVar + (i << 2)), gRow = grad + i * rowBytes, uRow = u + i * rowBytes;
    o = 0;
    if (ASC_FEATURE_SIMD) o = rowSpan<v128>(gRow, colVar, uRow, o, end4(cols), rv, dR, eps1Sq, gs, scaled, maximize, clip);
    rowSpan<f32>(gRow, colVar, uRow, o, end1(cols), rv, dR, eps1Sq, gs, scaled, maximize, clip);
  }
}

/**
 * Σ of n f32s over four f32 partials (element j into partial j mod 4; the result (p0 + p1) + (p2 + p3)): of x
 * itself, or (`squares`) of g² for the gradient row at x, each g² also added to colSum[j].
 */
// @ts-ignore: decorator
@inline function sum4(x: usize, colSum: usize, n: i32, gs: f32, scaled: bool, maximize: bool, squares: bool, clip: bool = false): f32 {
  let p0: f32 = 0, p1: f32 = 0, p2: f32 = 0, p3: f32 = 0;
  let o: usize = 0;
  const e4 = end4(n), e = end1(n);
  if (ASC_FEATURE_SIMD) {
    const gsv = f32x4.splat(gs);
    let acc = f32x4.splat(0);
    for (; o < e4; o += 16) acc = f32x4.add(acc, termAt<v128>(x, colSum, o, gsv, scaled, maximize, squares, clip));
    p0 = f32x4.extract_lane(acc, 0); p1 = f32x4.extract_lane(acc, 1); p2 = f32x4.extract_lane(acc, 2); p3 = f32x4.extract_lane(acc, 3);
  } else {
    for (; o < e4; o += 16) {
      p0 += termAt<f32>(x, colSum, o, gs, scaled, maximize, squares, clip);
      p1 += termAt<f32>(x, colSum, o + 4, gs, scaled, maximize, squares, clip);
      p2 += termAt<f32>(x, colSum, o + 8, gs, scaled, maximize, squares, clip);
      p3 += termAt<f32>(x, colSum, o + 12, gs, scaled, maximize, squares, clip);
    }
  }
  if (o < e) { p0 += termAt<f32>(x, colSum, o, gs, scaled, maximize, squares, clip); o += 4; }
  if (o < e) { p1 += termAt<f32>(x, colSum, o, gs, scaled, maximize, squares, clip); o += 4; }
  if (o < e) p2 += termAt<f32>(x, colSum, o, gs, scaled, maximize, squares, clip);
  return (p0 + p1) + (p2 + p3);
}

// @ts-ignore: decorator
@inline function termAt<T>(x: usize, colSum: usize, o: usize, gs: T, scaled: bool, maximize: bool, squares: bool, clip: bool = false): T {
  if (!squares) return ld<T>(x, o);
  const g = gradAt<T>(x, o, gs, scaled, maximize, clip);
  const q = mul<T>(g, g);
  st<T>(colSum, o, add<T>(ld<T>(colSum, o), q));
  return q;
}

/** C = lerp(C, Σ_i g² / rows, w). */
// @ts-ignore: decorator
@inline function colSpan<T>(colVar: usize, colSum: usize, o: usize, end: usize, rows: f32, w: f32, wComp: f32, small: bool): usize {
  const r = splat<T>(rows), wv = splat<T>(w), wc = splat<T>(wComp);
  for (; o < end; o += sizeof<T>()) st<T>(colVar, o, torchLerp<T>(ld<T>(colVar, o), div<T>(ld<T>(colSum, o), r), wv, wc, small));
  return o;
}

/** One row of U: V̂ = (R_i·C_j) / dR. */
// @ts-ignore: decorator
@inline function rowSpan<T>(gRow: usize, colVar: usize, uRow: usize, o: usize, end: usize, rv: f32, dR: f32, eps1Sq: f32,
    gs: f32, scaled: bool, maximize: bool, clip: bool = false): usize {
  const r = splat<T>(rv), dv = splat<T>(dR), e = splat<T>(eps1Sq), gsv = splat<T>(gs);
  for (; o < end; o += sizeof<T>()) {
    const vHat = div<T>(mul<T>(r, ld<T>(colVar, o)), dv);
    st<T>(uRow, o, scaledGrad<T>(gradAt<T>(gRow, o, gsv, scaled, maximize, clip), vHat, e));
  }
  return o;
}

/** θ = θ·decay (when decayed) + U·s. */
// @ts-ignore: decorator
@inline function applySpan<T>(param: usize, u: usize, o: usize, end: usize, s: f32, decay: f32, decayed: bool): usize {
  const sv = splat<T>(s), dv = splat<T>(decay);
  for (; o < end; o += sizeof<T>()) {
    let p = ld<T>(param, o);
    if (decayed) p = mul<T>(p, dv);
    st<T>(param, o, add<T>(p, mul<T>(ld<T>(u, o), sv)));
  }
  return o;
}
