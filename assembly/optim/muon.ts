// Muon step for one 2-D param (PyTorch `_single_tensor_muon`, Newton–Schulz in f32); equations in src/optim/muon.ts.
// Preconditions: param, momentumBuffer, grad each point at n = rows·cols f32s (row-major), any byte alignment,
// no overlap; scratch at muonScratchFloats(rows, cols) f32s (src/optim/muon.ts), laid out as below, overlapping
// nothing. Scalars (src/optim/muon.ts launch): momentum, momentumComp = 1 − momentum, the NS coefficients
// nsA, nsB, nsC, eps, nsSteps, decay = 1 − lr·weightDecay, adjustedLr, gradScale.
//
// Scratch (m = min(rows, cols), q = max(rows, cols)): X [m·q] | Y [m·q] | G [m·m] | H [m·m] | gemm packing. X is
// the iterate, oriented m×q (the update, transposed when rows > cols, as torch does); Y holds B·X and the
// transposes; G = X·Xᵀ; H = G·G, then b·G + c·H. On return the packing area is all zeros again on every backend
// (the SIMD build writes its panels there), so that scratch contents are the same bits everywhere too.
import { NESTEROV, GRAD_SCALE, CLIP, ld, st, splat, add, sub, mul, div, torchLerp, gradIn, end1, end4 } from "../lib/common";
import { gemm_f32, gemmPackFloats, TRANS_B } from "../linalg/gemm";

export function muon_f32(param: usize, momentumBuffer: usize, scratch: usize, grad: usize, n: i32,
    rows: i32, cols: i32, momentum: f32, momentumComp: f32, nsA: f32, nsB: f32, nsC: f32, eps: f32, nsSteps: i32,
    decay: f32, adjustedLr: f32, gradScale: f32, flags: i32): void {
  const clip = (flags & CLIP) != 0;
  if (n <= 0) return;
  const tall = rows > cols;
  const m = tall ? cols : rows, q = tall ? rows : cols;
  const mq = <usize>m * <usize>q, mm = <usize>m * <usize>m;
  const x = scratch, y = x + (mq << 2), gram = y + (mq << 2), h = gram + (mm << 2), pack = h + (mm << 2);

  // 1. Momentum (torch: buf.lerp_(g, 1 − μ); u = nesterov ? g.lerp(buf, μ) : buf), u into X (or Y, then X = uᵀ).
  momentumPass(momentumBuffer, grad, tall ? y : x, n, momentumComp, momentum, gradScale, (flags & GRAD_SCALE) != 0,
    (flags & NESTEROV) != 0, clip);
  if (tall) transpose(x, y, rows, cols);

  // 2. X / max(‖X‖_F, eps): Σx² in f64, one term after another (exact squares; the reference's order).
  let s: f64 = 0;
  for (let o: usize = 0; o < (mq << 2); o += 4) {
    const v = <f64>load<f32>(x + o);
    s += v * v;
  }
  scalePass(x, <i32>mq, max<f32>(<f32>Math.sqrt(s), eps));

  // 3. NS iterations: G = X·Xᵀ; H = b·G + c·(G·G); X = a·X + H·X.
  for (let it = 0; it < nsSteps; it++) {
    gemm_f32(gram, x, x, pack, m, m, q, TRANS_B);
    gemm_f32(h, gram, gram, pack, m, m, m, 0);
    combinePass(h, gram, nsB, h, nsC, <i32>mm);
    gemm_f32(y, h, x, pack, m, q, m, 0);
    combinePass(x, x, nsA, y, 1, <i32>mq);
  }

  // 4. θ ← θ·(1 − γλ) − γ'·O, O = X (or Xᵀ, through Y).
  let o = x;
  if (tall) {
    transpose(y, x, m, q);
    o = y;
  }
  updatePass(param, o, n, decay, adjustedLr);
  memory.fill(pack, 0, <usize>packFloats(m, q) << 2);
}

/** The largest packing area the three products of one NS iteration need (m×m·q, m×m·m, m×q·m). */
export function packFloats(m: i32, q: i32): i32 {
  return max(gemmPackFloats(m, q), max(gemmPackFloats(m, m), gemmPackFloats(q, m)));
}

/** dst (c×r) = srcᵀ, src r×c. */
// @ts-ignore: decorator
@inline function transpose(dst: usize, src: usize, r: i32, c: i32): void {
  for (let i = 0; i < r; i++) {
    const row = src + ((<usize>i * <usize>c) << 2);
    for (let j = 0; j < c; j++) store<f32>(dst + ((<usize>j * <usize>r + <usize>i) << 2), load<f32>(row + (<usize>j << 2)));
  }
}

// @ts-ignore: decorator
@inline function momentumAt<T>(buf: usize, grad: usize, u: usize, o: usize, w: f32, mu: f32, gs: f32, scaled: bool,
    nesterov: bool, clip: bool = false): void {
  let g = ld<T>(grad, o);
  g = gradIn<T>(g, g, splat<T>(gs), g, scaled, clip, false, false); // the scale and the value clip; p and wd unused
  const b = torchLerp<T>(ld<T>(buf, o), g, splat<T>(w), splat<T>(1 - w), Mathf.abs(w) < 0.5);
  st<T>(buf, o, b);
  st<T>(u, o, nesterov ? torchLerp<T>(g, b, splat<T>(mu), splat<T>(1 - mu), Mathf.abs(mu) < 0.5) : b);
}

// @ts-ignore: decorator
@inline function momentumPass(buf: usize, grad: usize, u: usize, n: i32, w: f32, mu: f32, gs: f32, scaled: bool,
    nesterov: bool, clip: bool = false): void {
  let o: usize = 0;
  if (ASC_FEATURE_SIMD) for (; o < end4(n); o += 16) momentumAt<v128>(buf, grad, u, o, w, mu, gs, scaled, nesterov, clip);
  for (; o < end1(n); o += 4) momentumAt<f32>(buf, grad, u, o, w, mu, gs, scaled, nesterov, clip);
}

/** x = x / d. */
// @ts-ignore: decorator
@inline function scalePass(x: usize, n: i32, d: f32): void {
  let o: usize = 0;
  if (ASC_FEATURE_SIMD) for (; o < end4(n); o += 16) st<v128>(x, o, div<v128>(ld<v128>(x, o), splat<v128>(d)));
  for (; o < end1(n); o += 4) st<f32>(x, o, div<f32>(ld<f32>(x, o), d));
}

/** out = sx·x + sy·y, in that order (torch.addmm(C, ·, ·, beta=sx, alpha=sy) with y = the product; sy = 1 is exact). */
// @ts-ignore: decorator
@inline function combineAt<T>(out: usize, x: usize, sx: f32, y: usize, sy: f32, o: usize): void {
  st<T>(out, o, add<T>(mul<T>(splat<T>(sx), ld<T>(x, o)), mul<T>(splat<T>(sy), ld<T>(y, o))));
}

// @ts-ignore: decorator
@inline function combinePass(out: usize, x: usize, sx: f32, y: usize, sy: f32, n: i32): void {
  let o: usize = 0;
  if (ASC_FEATURE_SIMD) for (; o < end4(n); o += 16) combineAt<v128>(out, x, sx, y, sy, o);
  for (; o < end1(n); o += 4) combineAt<f32>(out, x, sx, y, sy, o);
}

/** p = p·decay − lr·u (torch: param.mul_(1 − lr·wd); param.add_(u, alpha=−adjusted_lr)). */
// @ts-ignore: decorator
@inline function updateAt<T>(p: usize, u: usize, o: usize, decay: f32, lr: f32): void {
  st<T>(p, o, sub<T>(mul<T>(ld<T>(p, o), splat<T>(decay)), mul<T>(splat<T>(lr), ld<T>(u, o))));
}

// @ts-ignore: decorator
@inline function updatePass(p: usize, u: usize, n: i32, decay: f32, lr: f32): void {
  let o: usize = 0;
  if (ASC_FEATURE_SIMD) for (; o < end4(n); o += 16) updateAt<v128>(p, u, o, decay, lr);
  for (; o < end1(n); o += 4) updateAt<f32>(p, u, o, decay, lr);
}
