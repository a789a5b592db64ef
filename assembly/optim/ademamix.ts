// AdEMAMix step (Optax `contrib.ademamix`: scale_by_ademamix, add_decayed_weights, scale_by_learning_rate);
// equations in src/optim/ademamix.ts.
// Preconditions: param, expAvgFast, expAvgSlow, expAvgSq, grad each point at n f32s; any byte alignment; buffers
// do not overlap.
// Scalars: betaK and betaKComp = 1-betaK (K = 1, 2, 3), rBc1 = 1/(1-beta1^t), rBc2 = 1/(1-beta2^t), alpha, eps,
// lr, weightDecay, gradScale.
import {
  GRAD_SCALE, DECOUPLED, ld, st, splat, add, sub, mul, div, sqrt, gradInClip, clipArmed, optaxMoment, optaxMoment2, end1, end4, end16,
} from "../lib/common";
import { BLOCK, F32_FLAGS, stateIn, stateOut } from "../lib/lowp";

export function ademamix_f32(param: usize, expAvgFast: usize, expAvgSlow: usize, expAvgSq: usize, grad: usize, n: i32,
    beta1: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, beta3: f32, beta3Comp: f32, rBc1: f32, rBc2: f32,
    alpha: f32, eps: f32, lr: f32, weightDecay: f32, gradScale: f32, flags: i32): void {
  const clip = (flags & GRAD_SCALE) != 0 && clipArmed(); // read once per call (see adam_f32)
  if (flags == 0) {
    ademamixLoop(param, expAvgFast, expAvgSlow, expAvgSq, grad, n, beta1, beta1Comp, beta2, beta2Comp, beta3,
      beta3Comp, rBc1, rBc2, alpha, eps, lr, weightDecay, gradScale, false, false);
  } else {
    ademamixLoop(param, expAvgFast, expAvgSlow, expAvgSq, grad, n, beta1, beta1Comp, beta2, beta2Comp, beta3,
      beta3Comp, rBc1, rBc2, alpha, eps, lr, weightDecay, gradScale, (flags & GRAD_SCALE) != 0, (flags & DECOUPLED) != 0, clip);
  }
}

// @ts-ignore: decorator
@inline function ademamixLoop(param: usize, expAvgFast: usize, expAvgSlow: usize, expAvgSq: usize, grad: usize,
    n: i32, beta1: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, beta3: f32, beta3Comp: f32, rBc1: f32, rBc2: f32,
    alpha: f32, eps: f32, lr: f32, weightDecay: f32, gradScale: f32, scaled: bool, decay: bool, clip: bool = false): void {
  let o: usize = 0;
  if (ASC_FEATURE_SIMD) {
    o = ademamixSpan<v128>(param, expAvgFast, expAvgSlow, expAvgSq, grad, o, end16(n), end4(n), beta1, beta1Comp,
      beta2, beta2Comp, beta3, beta3Comp, rBc1, rBc2, alpha, eps, lr, weightDecay, gradScale, scaled, decay, clip);
  }
  ademamixSpan<f32>(param, expAvgFast, expAvgSlow, expAvgSq, grad, o, o, end1(n), beta1, beta1Comp, beta2, beta2Comp,
    beta3, beta3Comp, rBc1, rBc2, alpha, eps, lr, weightDecay, gradScale, scaled, decay, clip);
}

/** Steps bytes [o, end): four lanes of T at a time up to `end16`, unrolled four times, then one at a time. */
// @ts-ignore: decorator
@inline function ademamixSpan<T>(param: usize, expAvgFast: usize, expAvgSlow: usize, expAvgSq: usize, grad: usize,
    o: usize, end16: usize, end: usize, beta1: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, beta3: f32,
    beta3Comp: f32, rBc1: f32, rBc2: f32, alpha: f32, eps: f32, lr: f32, weightDecay: f32, gradScale: f32,
    scaled: bool, decay: bool, clip: bool = false): usize {
  const b1 = splat<T>(beta1), b1c = splat<T>(beta1Comp), b2 = splat<T>(beta2), b2c = splat<T>(beta2Comp);
  const b3 = splat<T>(beta3), b3c = splat<T>(beta3Comp), r1 = splat<T>(rBc1), r2 = splat<T>(rBc2);
  const a = splat<T>(alpha), e = splat<T>(eps), l = splat<T>(lr), wd = splat<T>(weightDecay), gs = splat<T>(gradScale);
  const w: usize = sizeof<T>();
  for (; o < end16; o += 4 * w) {
    ademamixAt<T>(param, expAvgFast, expAvgSlow, expAvgSq, grad, o, b1, b1c, b2, b2c, b3, b3c, r1, r2, a, e, l, wd, gs, scaled, decay, clip);
    ademamixAt<T>(param, expAvgFast, expAvgSlow, expAvgSq, grad, o + w, b1, b1c, b2, b2c, b3, b3c, r1, r2, a, e, l, wd, gs, scaled, decay, clip);
    ademamixAt<T>(param, expAvgFast, expAvgSlow, expAvgSq, grad, o + 2 * w, b1, b1c, b2, b2c, b3, b3c, r1, r2, a, e, l, wd, gs, scaled, decay, clip);
    ademamixAt<T>(param, expAvgFast, expAvgSlow, expAvgSq, grad, o + 3 * w, b1, b1c, b2, b2c, b3, b3c, r1, r2, a, e, l, wd, gs, scaled, decay, clip);
  }
  for (; o < end; o += w) {
    ademamixAt<T>(param, expAvgFast, expAvgSlow, expAvgSq, grad, o, b1, b1c, b2, b2c, b3, b3c, r1, r2, a, e, l, wd, gs, scaled, decay, clip);
  }
  return o;
}

/** The AdEMAMix rule for the lanes at byte offset o, in Optax's order of operations. */
// @ts-ignore: decorator
@inline function ademamixAt<T>(param: usize, expAvgFast: usize, expAvgSlow: usize, expAvgSq: usize, grad: usize,
    o: usize, beta1: T, beta1Comp: T, beta2: T, beta2Comp: T, beta3: T, beta3Comp: T, rBc1: T, rBc2: T, alpha: T,
    eps: T, lr: T, weightDecay: T, gradScale: T, scaled: bool, decay: bool, clip: bool = false): void {
  const p = ld<T>(param, o);
  const g = gradInClip<T>(ld<T>(grad, o), p, gradScale, weightDecay, scaled, clip, false, false);
  const m1 = optaxMoment<T>(ld<T>(expAvgFast, o), g, beta1, beta1Comp);
  const m2 = optaxMoment<T>(ld<T>(expAvgSlow, o), g, beta3, beta3Comp);
  const v = optaxMoment2<T>(ld<T>(expAvgSq, o), g, beta2, beta2Comp);
  st<T>(expAvgFast, o, m1);
  st<T>(expAvgSlow, o, m2);
  st<T>(expAvgSq, o, v);
  let u = div<T>(add<T>(mul<T>(m1, rBc1), mul<T>(alpha, m2)), add<T>(sqrt<T>(mul<T>(v, rBc2)), eps));
  if (decay) u = add<T>(u, mul<T>(weightDecay, p));
  st<T>(param, o, sub<T>(p, mul<T>(lr, u)));
}

// Low-precision state (assembly/lib/lowp.ts): the same rule, on f32 blocks decoded from bf16 / int8 state.
export function ademamix_bf16(param: usize, expAvgFast: usize, expAvgSlow: usize, expAvgSq: usize, grad: usize, n: i32,
    beta1: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, beta3: f32, beta3Comp: f32, rBc1: f32, rBc2: f32,
    alpha: f32, eps: f32, lr: f32, weightDecay: f32, gradScale: f32, flags: i32): void {
  ademamixLowp<u16>(param, expAvgFast, expAvgSlow, expAvgSq, grad, n, beta1, beta1Comp, beta2, beta2Comp, beta3,
    beta3Comp, rBc1, rBc2, alpha, eps, lr, weightDecay, gradScale, flags);
}
export function ademamix_i8(param: usize, expAvgFast: usize, expAvgSlow: usize, expAvgSq: usize, grad: usize, n: i32,
    beta1: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, beta3: f32, beta3Comp: f32, rBc1: f32, rBc2: f32,
    alpha: f32, eps: f32, lr: f32, weightDecay: f32, gradScale: f32, flags: i32): void {
  ademamixLowp<u8>(param, expAvgFast, expAvgSlow, expAvgSq, grad, n, beta1, beta1Comp, beta2, beta2Comp, beta3,
    beta3Comp, rBc1, rBc2, alpha, eps, lr, weightDecay, gradScale, flags);
}

// @ts-ignore: decorator
@inline function ademamixLowp<D>(param: usize, expAvgFast: usize, expAvgSlow: usize, expAvgSq: usize, grad: usize,
    n: i32, beta1: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, beta3: f32, beta3Comp: f32, rBc1: f32, rBc2: f32,
    alpha: f32, eps: f32, lr: f32, weightDecay: f32, gradScale: f32, flags: i32): void {
  for (let b = 0; b < n; b += BLOCK) {
    const len = min(BLOCK, n - b);
    const m1 = stateIn<D>(expAvgFast, b, 0, len, true), m2 = stateIn<D>(expAvgSlow, b, 1, len, true);
    const v = stateIn<D>(expAvgSq, b, 2, len, false);
    ademamix_f32(param + (<usize>b << 2), m1, m2, v, grad + (<usize>b << 2), len, beta1, beta1Comp, beta2, beta2Comp,
      beta3, beta3Comp, rBc1, rBc2, alpha, eps, lr, weightDecay, gradScale, flags & F32_FLAGS);
    stateOut<D>(expAvgFast, b, 0, len, true, flags);
    stateOut<D>(expAvgSlow, b, 1, len, true, flags);
    stateOut<D>(expAvgSq, b, 2, len, false, flags);
  }
}
