// RAdam step (PyTorch `_single_tensor_radam`); equations in src/optim/radam.ts.
// Preconditions: param, expAvg, expAvgSq, grad each point at n f32s; any byte alignment; buffers do not overlap.
// Scalars (computed once per step in TS, f64): stepSize = lr*r_t*sqrt(bc2)/bc1 when RECTIFY is set (rho_t > 5),
// else lr/bc1; beta1Comp = 1-beta1, beta2, beta2Comp = 1-beta2, eps, weightDecay, decay = 1-lr*weightDecay,
// gradScale.
import {
  MAXIMIZE, WEIGHT_DECAY, DECOUPLED, GRAD_SCALE,
  ld, st, splat, add, sub, mul, sqrt, gradInClip, clipArmed, lerp, ema2, subScaledDiv, end1, end4, end16,
} from "../lib/common";
import { BLOCK, F32_FLAGS, stateIn, stateOut } from "../lib/lowp";

/**
 * Flag bit of this kernel only (mirrored in src/optim/radam.reference.ts): the step is rectified (rho_t > 5). In
 * bits 11..15, kept for a kernel's own flags: above the shared bits of assembly/lib/common.ts, below the
 * low-precision kernels' stochastic-rounding bits (assembly/lib/lowp.ts F32_FLAGS passes it on).
 */
const RECTIFY: i32 = 1 << 11;

export function radam_f32(param: usize, expAvg: usize, expAvgSq: usize, grad: usize, n: i32,
    stepSize: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, eps: f32, weightDecay: f32, decay: f32,
    gradScale: f32, flags: i32): void {
  const clip = (flags & GRAD_SCALE) != 0 && clipArmed(); // read once per call (see adam_f32)
  if (flags == RECTIFY) {
    radamLoop(param, expAvg, expAvgSq, grad, n, stepSize, beta1Comp, beta2, beta2Comp, eps, weightDecay, decay,
      gradScale, false, false, false, false, true);
  } else {
    radamLoop(param, expAvg, expAvgSq, grad, n, stepSize, beta1Comp, beta2, beta2Comp, eps, weightDecay, decay,
      gradScale, (flags & GRAD_SCALE) != 0, (flags & MAXIMIZE) != 0, (flags & WEIGHT_DECAY) != 0,
      (flags & DECOUPLED) != 0, (flags & RECTIFY) != 0, clip);
  }
}

// @ts-ignore: decorator
@inline function radamLoop(param: usize, expAvg: usize, expAvgSq: usize, grad: usize, n: i32, stepSize: f32,
    beta1Comp: f32, beta2: f32, beta2Comp: f32, eps: f32, weightDecay: f32, decay: f32, gradScale: f32,
    scaled: bool, maximize: bool, l2: bool, decoupled: bool, rectify: bool, clip: bool = false): void {
  let o: usize = 0;
  if (ASC_FEATURE_SIMD) {
    o = radamSpan<v128>(param, expAvg, expAvgSq, grad, o, end16(n), end4(n), stepSize, beta1Comp, beta2, beta2Comp,
      eps, weightDecay, decay, gradScale, scaled, maximize, l2, decoupled, rectify, clip);
  }
  radamSpan<f32>(param, expAvg, expAvgSq, grad, o, o, end1(n), stepSize, beta1Comp, beta2, beta2Comp,
    eps, weightDecay, decay, gradScale, scaled, maximize, l2, decoupled, rectify, clip);
}

/** Steps bytes [o, end): four lanes of T at a time up to `end16`, unrolled four times, then one at a time. */
// @ts-ignore: decorator
@inline function radamSpan<T>(param: usize, expAvg: usize, expAvgSq: usize, grad: usize, o: usize, end16: usize,
    end: usize, stepSize: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, eps: f32, weightDecay: f32, decay: f32,
    gradScale: f32, scaled: bool, maximize: bool, l2: bool, decoupled: bool, rectify: bool, clip: bool = false): usize {
  const s = splat<T>(stepSize), b1c = splat<T>(beta1Comp), b2 = splat<T>(beta2), b2c = splat<T>(beta2Comp);
  const e = splat<T>(eps), wd = splat<T>(weightDecay), dec = splat<T>(decay), gs = splat<T>(gradScale);
  const w: usize = sizeof<T>();
  for (; o < end16; o += 4 * w) {
    radamAt<T>(param, expAvg, expAvgSq, grad, o, s, b1c, b2, b2c, e, wd, dec, gs, scaled, maximize, l2, decoupled, rectify, clip);
    radamAt<T>(param, expAvg, expAvgSq, grad, o + w, s, b1c, b2, b2c, e, wd, dec, gs, scaled, maximize, l2, decoupled, rectify, clip);
    radamAt<T>(param, expAvg, expAvgSq, grad, o + 2 * w, s, b1c, b2, b2c, e, wd, dec, gs, scaled, maximize, l2, decoupled, rectify, clip);
    radamAt<T>(param, expAvg, expAvgSq, grad, o + 3 * w, s, b1c, b2, b2c, e, wd, dec, gs, scaled, maximize, l2, decoupled, rectify, clip);
  }
  for (; o < end; o += w) {
    radamAt<T>(param, expAvg, expAvgSq, grad, o, s, b1c, b2, b2c, e, wd, dec, gs, scaled, maximize, l2, decoupled, rectify, clip);
  }
  return o;
}

/** The RAdam rule for the lanes at byte offset o. */
// @ts-ignore: decorator
@inline function radamAt<T>(param: usize, expAvg: usize, expAvgSq: usize, grad: usize, o: usize, stepSize: T,
    beta1Comp: T, beta2: T, beta2Comp: T, eps: T, weightDecay: T, decay: T, gradScale: T,
    scaled: bool, maximize: bool, l2: bool, decoupled: bool, rectify: bool, clip: bool = false): void {
  let p = ld<T>(param, o);
  const g = gradInClip<T>(ld<T>(grad, o), p, gradScale, weightDecay, scaled, clip, maximize, l2);
  if (decoupled) p = mul<T>(p, decay);
  const m = lerp<T>(ld<T>(expAvg, o), g, beta1Comp);
  const v = ema2<T>(ld<T>(expAvgSq, o), g, beta2, beta2Comp);
  st<T>(expAvg, o, m);
  st<T>(expAvgSq, o, v);
  // Rectified: eps is added to the un-corrected sqrt(v) (PyTorch); otherwise an un-adapted momentum step.
  if (rectify) st<T>(param, o, subScaledDiv<T>(p, stepSize, m, add<T>(sqrt<T>(v), eps)));
  else st<T>(param, o, sub<T>(p, mul<T>(stepSize, m)));
}

// Low-precision state (assembly/lib/lowp.ts): the same rule, on f32 blocks decoded from bf16 / int8 state.
export function radam_bf16(param: usize, expAvg: usize, expAvgSq: usize, grad: usize, n: i32, stepSize: f32,
    beta1Comp: f32, beta2: f32, beta2Comp: f32, eps: f32, weightDecay: f32, decay: f32, gradScale: f32,
    flags: i32): void {
  radamLowp<u16>(param, expAvg, expAvgSq, grad, n, stepSize, beta1Comp, beta2, beta2Comp, eps, weightDecay, decay,
    gradScale, flags);
}
export function radam_i8(param: usize, expAvg: usize, expAvgSq: usize, grad: usize, n: i32, stepSize: f32,
    beta1Comp: f32, beta2: f32, beta2Comp: f32, eps: f32, weightDecay: f32, decay: f32, gradScale: f32,
    flags: i32): void {
  radamLowp<u8>(param, expAvg, expAvgSq, grad, n, stepSize, beta1Comp, beta2, beta2Comp, eps, weightDecay, decay,
    gradScale, flags);
}

// @ts-ignore: decorator
@inline function radamLowp<D>(param: usize, expAvg: usize, expAvgSq: usize, grad: usize, n: i32, stepSize: f32,
    beta1Comp: f32, beta2: f32, beta2Comp: f32, eps: f32, weightDecay: f32, decay: f32, gradScale: f32,
    flags: i32): void {
  for (let b = 0; b < n; b += BLOCK) {
    const len = min(BLOCK, n - b);
    const m = stateIn<D>(expAvg, b, 0, len, true), v = stateIn<D>(expAvgSq, b, 1, len, false);
    radam_f32(param + (<usize>b << 2), m, v, grad + (<usize>b << 2), len, stepSize, beta1Comp, beta2, beta2Comp, eps,
      weightDecay, decay, gradScale, flags & F32_FLAGS);
    stateOut<D>(expAvg, b, 0, len, true, flags);
    stateOut<D>(expAvgSq, b, 1, len, false, flags);
  }
}
