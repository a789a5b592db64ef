// AdaBelief step (Optax `adabelief`: scale_by_belief, add_decayed_weights, scale_by_learning_rate); equations in
// src/optim/adabelief.ts.
// Preconditions: param, expAvg, expAvgVar, grad each point at n f32s; any byte alignment; buffers do not overlap.
// Scalars: stepSize = lr/(1-beta1^t), beta1, beta1Comp = 1-beta1, beta2, beta2Comp = 1-beta2,
// rBc2Sqrt = 1/sqrt(1-beta2^t), eps, epsRoot, lrWeightDecay = lr*weightDecay (read under DECOUPLED), gradScale.
import {
  GRAD_SCALE, DECOUPLED, ld, st, splat, add, sub, mul, div, sqrt, gradInClip, clipArmed, optaxMoment, optaxMoment2, subScaledDiv, end1, end4, end16,
} from "../lib/common";
import { BLOCK, F32_FLAGS, stateIn, stateOut } from "../lib/lowp";

export function adabelief_f32(param: usize, expAvg: usize, expAvgVar: usize, grad: usize, n: i32,
    stepSize: f32, beta1: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, rBc2Sqrt: f32, eps: f32, epsRoot: f32,
    lrWeightDecay: f32, gradScale: f32, flags: i32): void {
  const clip = (flags & GRAD_SCALE) != 0 && clipArmed(); // read once per call (see adam_f32)
  if (flags == 0) {
    adabeliefLoop(param, expAvg, expAvgVar, grad, n, stepSize, beta1, beta1Comp, beta2, beta2Comp, rBc2Sqrt, eps,
      epsRoot, lrWeightDecay, gradScale, false, false);
  } else {
    adabeliefLoop(param, expAvg, expAvgVar, grad, n, stepSize, beta1, beta1Comp, beta2, beta2Comp, rBc2Sqrt, eps,
      epsRoot, lrWeightDecay, gradScale, (flags & GRAD_SCALE) != 0, (flags & DECOUPLED) != 0, clip);
  }
}

// @ts-ignore: decorator
@inline function adabeliefLoop(param: usize, expAvg: usize, expAvgVar: usize, grad: usize, n: i32, stepSize: f32,
    beta1: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, rBc2Sqrt: f32, eps: f32, epsRoot: f32, lrWeightDecay: f32,
    gradScale: f32, scaled: bool, decay: bool, clip: bool = false): void {
  let o: usize = 0;
  if (ASC_FEATURE_SIMD) {
    o = adabeliefSpan<v128>(param, expAvg, expAvgVar, grad, o, end16(n), end4(n), stepSize, beta1, beta1Comp, beta2,
      beta2Comp, rBc2Sqrt, eps, epsRoot, lrWeightDecay, gradScale, scaled, decay, clip);
  }
  adabeliefSpan<f32>(param, expAvg, expAvgVar, grad, o, o, end1(n), stepSize, beta1, beta1Comp, beta2, beta2Comp,
    rBc2Sqrt, eps, epsRoot, lrWeightDecay, gradScale, scaled, decay, clip);
}

/** Steps bytes [o, end): four lanes of T at a time up to `end16`, unrolled four times, then one at a time. */
// @ts-ignore: decorator
@inline function adabeliefSpan<T>(param: usize, expAvg: usize, expAvgVar: usize, grad: usize, o: usize, end16: usize,
    end: usize, stepSize: f32, beta1: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, rBc2Sqrt: f32, eps: f32,
    epsRoot: f32, lrWeightDecay: f32, gradScale: f32, scaled: bool, decay: bool, clip: bool = false): usize {
  const s = splat<T>(stepSize), b1 = splat<T>(beta1), b1c = splat<T>(beta1Comp), b2 = splat<T>(beta2);
  const b2c = splat<T>(beta2Comp), r = splat<T>(rBc2Sqrt), e = splat<T>(eps), er = splat<T>(epsRoot);
  const lwd = splat<T>(lrWeightDecay), gs = splat<T>(gradScale);
  const w: usize = sizeof<T>();
  for (; o < end16; o += 4 * w) {
    adabeliefAt<T>(param, expAvg, expAvgVar, grad, o, s, b1, b1c, b2, b2c, r, e, er, lwd, gs, scaled, decay, clip);
    adabeliefAt<T>(param, expAvg, expAvgVar, grad, o + w, s, b1, b1c, b2, b2c, r, e, er, lwd, gs, scaled, decay, clip);
    adabeliefAt<T>(param, expAvg, expAvgVar, grad, o + 2 * w, s, b1, b1c, b2, b2c, r, e, er, lwd, gs, scaled, decay, clip);
    adabeliefAt<T>(param, expAvg, expAvgVar, grad, o + 3 * w, s, b1, b1c, b2, b2c, r, e, er, lwd, gs, scaled, decay, clip);
  }
  for (; o < end; o += w) adabeliefAt<T>(param, expAvg, expAvgVar, grad, o, s, b1, b1c, b2, b2c, r, e, er, lwd, gs, scaled, decay, clip);
  return o;
}

/** The AdaBelief rule for the lanes at byte offset o, in Optax's order of operations. */
// @ts-ignore: decorator
@inline function adabeliefAt<T>(param: usize, expAvg: usize, expAvgVar: usize, grad: usize, o: usize, stepSize: T,
    beta1: T, beta1Comp: T, beta2: T, beta2Comp: T, rBc2Sqrt: T, eps: T, epsRoot: T, lrWeightDecay: T, gradScale: T,
    scaled: bool, decay: bool, clip: bool = false): void {
  const p = ld<T>(param, o);
  const g = gradInClip<T>(ld<T>(grad, o), p, gradScale, gradScale, scaled, clip, false, false);
  const m = optaxMoment<T>(ld<T>(expAvg, o), g, beta1, beta1Comp);
  const s = add<T>(optaxMoment2<T>(ld<T>(expAvgVar, o), sub<T>(g, m), beta2, beta2Comp), epsRoot);
  st<T>(expAvg, o, m);
  st<T>(expAvgVar, o, s);
  const d = add<T>(mul<T>(sqrt<T>(s), rBc2Sqrt), eps);
  if (!decay) st<T>(param, o, subScaledDiv<T>(p, stepSize, m, d));
  // Optax adds λθ to the belief update and scales the sum by γ: θ − (γ·m̂/d + γλ·θ), one update subtracted.
  else st<T>(param, o, sub<T>(p, add<T>(div<T>(mul<T>(stepSize, m), d), mul<T>(lrWeightDecay, p))));
}

// Low-precision state (assembly/lib/lowp.ts): the same rule, on f32 blocks decoded from bf16 / int8 state.
export function adabelief_bf16(param: usize, expAvg: usize, expAvgVar: usize, grad: usize, n: i32, stepSize: f32,
    beta1: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, rBc2Sqrt: f32, eps: f32, epsRoot: f32, lrWeightDecay: f32,
    gradScale: f32, flags: i32): void {
  adabeliefLowp<u16>(param, expAvg, expAvgVar, grad, n, stepSize, beta1, beta1Comp, beta2, beta2Comp, rBc2Sqrt, eps,
    epsRoot, lrWeightDecay, gradScale, flags);
}
export function adabelief_i8(param: usize, expAvg: usize, expAvgVar: usize, grad: usize, n: i32, stepSize: f32,
    beta1: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, rBc2Sqrt: f32, eps: f32, epsRoot: f32, lrWeightDecay: f32,
    gradScale: f32, flags: i32): void {
  adabeliefLowp<u8>(param, expAvg, expAvgVar, grad, n, stepSize, beta1, beta1Comp, beta2, beta2Comp, rBc2Sqrt, eps,
    epsRoot, lrWeightDecay, gradScale, flags);
}

// @ts-ignore: decorator
@inline function adabeliefLowp<D>(param: usize, expAvg: usize, expAvgVar: usize, grad: usize, n: i32, stepSize: f32,
    beta1: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, rBc2Sqrt: f32, eps: f32, epsRoot: f32, lrWeightDecay: f32,
    gradScale: f32, flags: i32): void {
  for (let b = 0; b < n; b += BLOCK) {
    const len = min(BLOCK, n - b);
    const m = stateIn<D>(expAvg, b, 0, len, true), s = stateIn<D>(expAvgVar, b, 1, len, false);
    adabelief_f32(param + (<usize>b << 2), m, s, grad + (<usize>b << 2), len, stepSize, beta1, beta1Comp, beta2,
      beta2Comp, rBc2Sqrt, eps, epsRoot, lrWeightDecay, gradScale, flags & F32_FLAGS);
    stateOut<D>(expAvg, b, 0, len, true, flags);
    stateOut<D>(expAvgVar, b, 1, len, false, flags);
  }
}
