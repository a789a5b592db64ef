// NAdam step (PyTorch `_single_tensor_nadam`); equations in src/optim/nadam.ts.
// Preconditions: param, expAvg, expAvgSq, grad each point at n f32s; any byte alignment; buffers do not overlap.
// Scalars (computed once per step in TS, f64): gradCoef = lr(1-mu_t)/(1-prod_t), avgCoef =
// lr*mu_{t+1}/(1-prod_t*mu_{t+1}), beta1Comp = 1-beta1, beta2, beta2Comp = 1-beta2, rBc2 = 1/(1-beta2^t), eps,
// weightDecay, decay = 1-lr*weightDecay, gradScale.
import {
  MAXIMIZE, WEIGHT_DECAY, DECOUPLED, GRAD_SCALE,
  ld, st, splat, add, sub, mul, div, sqrt, gradInClip, clipArmed, lerp, ema2, end1, end4, end16,
} from "../lib/common";
import { BLOCK, F32_FLAGS, stateIn, stateOut } from "../lib/lowp";

export function nadam_f32(param: usize, expAvg: usize, expAvgSq: usize, grad: usize, n: i32,
    gradCoef: f32, avgCoef: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, rBc2: f32, eps: f32,
    weightDecay: f32, decay: f32, gradScale: f32, flags: i32): void {
  const clip = (flags & GRAD_SCALE) != 0 && clipArmed(); // read once per call (see adam_f32)
  if (flags == 0) {
    nadamLoop(param, expAvg, expAvgSq, grad, n, gradCoef, avgCoef, beta1Comp, beta2, beta2Comp, rBc2, eps,
      weightDecay, decay, gradScale, false, false, false, false);
  } else {
    nadamLoop(param, expAvg, expAvgSq, grad, n, gradCoef, avgCoef, beta1Comp, beta2, beta2Comp, rBc2, eps,
      weightDecay, decay, gradScale, (flags & GRAD_SCALE) != 0, (flags & MAXIMIZE) != 0,
      (flags & WEIGHT_DECAY) != 0, (flags & DECOUPLED) != 0, clip);
  }
}

// @ts-ignore: decorator
@inline function nadamLoop(param: usize, expAvg: usize, expAvgSq: usize, grad: usize, n: i32,
    gradCoef: f32, avgCoef: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, rBc2: f32, eps: f32,
    weightDecay: f32, decay: f32, gradScale: f32, scaled: bool, maximize: bool, l2: bool, decoupled: bool, clip: bool = false): void {
  let o: usize = 0;
  if (ASC_FEATURE_SIMD) {
    o = nadamSpan<v128>(param, expAvg, expAvgSq, grad, o, end16(n), end4(n), gradCoef, avgCoef, beta1Comp, beta2,
      beta2Comp, rBc2, eps, weightDecay, decay, gradScale, scaled, maximize, l2, decoupled, clip);
  }
  nadamSpan<f32>(param, expAvg, expAvgSq, grad, o, o, end1(n), gradCoef, avgCoef, beta1Comp, beta2,
    beta2Comp, rBc2, eps, weightDecay, decay, gradScale, scaled, maximize, l2, decoupled, clip);
}

/** Steps bytes [o, end): four lanes of T at a time up to `end16`, unrolled four times, then one at a time. */
// @ts-ignore: decorator
@inline function nadamSpan<T>(param: usize, expAvg: usize, expAvgSq: usize, grad: usize, o: usize, end16: usize,
    end: usize, gradCoef: f32, avgCoef: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, rBc2: f32, eps: f32,
    weightDecay: f32, decay: f32, gradScale: f32, scaled: bool, maximize: bool, l2: bool, decoupled: bool, clip: bool = false): usize {
  const cg = splat<T>(gradCoef), cm = splat<T>(avgCoef), b1c = splat<T>(beta1Comp), b2 = splat<T>(beta2);
  const b2c = splat<T>(beta2Comp), bc = splat<T>(rBc2), e = splat<T>(eps), wd = splat<T>(weightDecay);
  const dec = splat<T>(decay), gs = splat<T>(gradScale);
  const w: usize = sizeof<T>();
  for (; o < end16; o += 4 * w) {
    nadamAt<T>(param, expAvg, expAvgSq, grad, o, cg, cm, b1c, b2, b2c, bc, e, wd, dec, gs, scaled, maximize, l2, decoupled, clip);
    nadamAt<T>(param, expAvg, expAvgSq, grad, o + w, cg, cm, b1c, b2, b2c, bc, e, wd, dec, gs, scaled, maximize, l2, decoupled, clip);
    nadamAt<T>(param, expAvg, expAvgSq, grad, o + 2 * w, cg, cm, b1c, b2, b2c, bc, e, wd, dec, gs, scaled, maximize, l2, decoupled, clip);
    nadamAt<T>(param, expAvg, expAvgSq, grad, o + 3 * w, cg, cm, b1c, b2, b2c, bc, e, wd, dec, gs, scaled, maximize, l2, decoupled, clip);
  }
  for (; o < end; o += w) {
    nadamAt<T>(param, expAvg, expAvgSq, grad, o, cg, cm, b1c, b2, b2c, bc, e, wd, dec, gs, scaled, maximize, l2, decoupled, clip);
  }
  return o;
}

/** The NAdam rule for the lanes at byte offset o. */
// @ts-ignore: decorator
@inline function nadamAt<T>(param: usize, expAvg: usize, expAvgSq: usize, grad: usize, o: usize, gradCoef: T,
    avgCoef: T, beta1Comp: T, beta2: T, beta2Comp: T, rBc2: T, eps: T, weightDecay: T, decay: T, gradScale: T,
    scaled: bool, maximize: bool, l2: bool, decoupled: bool, clip: bool = false): void {
  let p = ld<T>(param, o);
  const g = gradInClip<T>(ld<T>(grad, o), p, gradScale, weightDecay, scaled, clip, maximize, l2);
  if (decoupled) p = mul<T>(p, decay);
  const m = lerp<T>(ld<T>(expAvg, o), g, beta1Comp);
  const v = ema2<T>(ld<T>(expAvgSq, o), g, beta2, beta2Comp);
  st<T>(expAvg, o, m);
  st<T>(expAvgSq, o, v);
  // PyTorch: denom = sqrt(v / bc2) + eps, then two addcdiv_ calls, the g term first. Here v * (1/bc2) and one
  // reciprocal of denom for both terms: one division per element instead of three (within an f32 rounding of
  // each, far inside the conformance tolerance), and the two terms still subtracted one after the other.
  const r = div<T>(splat<T>(1), add<T>(sqrt<T>(mul<T>(v, rBc2)), eps));
  st<T>(param, o, sub<T>(sub<T>(p, mul<T>(mul<T>(gradCoef, g), r)), mul<T>(mul<T>(avgCoef, m), r)));
}

// Low-precision state (assembly/lib/lowp.ts): the same rule, on f32 blocks decoded from bf16 / int8 state.
export function nadam_bf16(param: usize, expAvg: usize, expAvgSq: usize, grad: usize, n: i32, gradCoef: f32,
    avgCoef: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, rBc2: f32, eps: f32, weightDecay: f32, decay: f32,
    gradScale: f32, flags: i32): void {
  nadamLowp<u16>(param, expAvg, expAvgSq, grad, n, gradCoef, avgCoef, beta1Comp, beta2, beta2Comp, rBc2, eps,
    weightDecay, decay, gradScale, flags);
}
export function nadam_i8(param: usize, expAvg: usize, expAvgSq: usize, grad: usize, n: i32, gradCoef: f32,
    avgCoef: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, rBc2: f32, eps: f32, weightDecay: f32, decay: f32,
    gradScale: f32, flags: i32): void {
  nadamLowp<u8>(param, expAvg, expAvgSq, grad, n, gradCoef, avgCoef, beta1Comp, beta2, beta2Comp, rBc2, eps,
    weightDecay, decay, gradScale, flags);
}

// @ts-ignore: decorator
@inline function nadamLowp<D>(param: usize, expAvg: usize, expAvgSq: usize, grad: usize, n: i32, gradCoef: f32,
    avgCoef: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, rBc2: f32, eps: f32, weightDecay: f32, decay: f32,
    gradScale: f32, flags: i32): void {
  for (let b = 0; b < n; b += BLOCK) {
    const len = min(BLOCK, n - b);
    const m = stateIn<D>(expAvg, b, 0, len, true), v = stateIn<D>(expAvgSq, b, 1, len, false);
    nadam_f32(param + (<usize>b << 2), m, v, grad + (<usize>b << 2), len, gradCoef, avgCoef, beta1Comp, beta2,
      beta2Comp, rBc2, eps, weightDecay, decay, gradScale, flags & F32_FLAGS);
    stateOut<D>(expAvg, b, 0, len, true, flags);
    stateOut<D>(expAvgSq, b, 1, len, false, flags);
  }
}
