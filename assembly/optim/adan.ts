// Adan step (Optax `adan`: scale_by_adan, add_decayed_weights, scale_by_learning_rate); equations in
// src/optim/adan.ts.
// Preconditions: param, expAvg, expAvgDiff, expAvgSq, prevGrad, grad each point at n f32s; any byte alignment;
// buffers do not overlap. INIT_BUFFER marks the first step (the gradient difference is zero, prevGrad unread).
// Scalars: betaK and betaKComp = 1-betaK (K = 1, 2, 3), rBcK = 1/(1-betaK^t), eps, epsRoot, lr, weightDecay,
// gradScale.
import {
  GRAD_SCALE, DECOUPLED, INIT_BUFFER, ld, st, splat, add, sub, mul, div, sqrt, gradInClip, clipArmed, optaxMoment, optaxMoment2,
  end1, end4, end16,
} from "../lib/common";
import { BLOCK, F32_FLAGS, stateIn, stateOut } from "../lib/lowp";

export function adan_f32(param: usize, expAvg: usize, expAvgDiff: usize, expAvgSq: usize, prevGrad: usize, grad: usize,
    n: i32, beta1: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, beta3: f32, beta3Comp: f32, rBc1: f32, rBc2: f32,
    rBc3: f32, eps: f32, epsRoot: f32, lr: f32, weightDecay: f32, gradScale: f32, flags: i32): void {
  const clip = (flags & GRAD_SCALE) != 0 && clipArmed(); // read once per call (see adam_f32)
  if (flags == 0) {
    adanLoop(param, expAvg, expAvgDiff, expAvgSq, prevGrad, grad, n, beta1, beta1Comp, beta2, beta2Comp, beta3,
      beta3Comp, rBc1, rBc2, rBc3, eps, epsRoot, lr, weightDecay, gradScale, false, false, false);
  } else {
    adanLoop(param, expAvg, expAvgDiff, expAvgSq, prevGrad, grad, n, beta1, beta1Comp, beta2, beta2Comp, beta3,
      beta3Comp, rBc1, rBc2, rBc3, eps, epsRoot, lr, weightDecay, gradScale, (flags & GRAD_SCALE) != 0,
      (flags & DECOUPLED) != 0, (flags & INIT_BUFFER) != 0, clip);
  }
}

// @ts-ignore: decorator
@inline function adanLoop(param: usize, expAvg: usize, expAvgDiff: usize, expAvgSq: usize, prevGrad: usize,
    grad: usize, n: i32, beta1: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, beta3: f32, beta3Comp: f32,
    rBc1: f32, rBc2: f32, rBc3: f32, eps: f32, epsRoot: f32, lr: f32, weightDecay: f32, gradScale: f32,
    scaled: bool, decay: bool, first: bool, clip: bool = false): void {
  let o: usize = 0;
  if (ASC_FEATURE_SIMD) {
    o = adanSpan<v128>(param, expAvg, expAvgDiff, expAvgSq, prevGrad, grad, o, end16(n), end4(n), beta1, beta1Comp,
      beta2, beta2Comp, beta3, beta3Comp, rBc1, rBc2, rBc3, eps, epsRoot, lr, weightDecay, gradScale, scaled, decay, first, clip);
  }
  adanSpan<f32>(param, expAvg, expAvgDiff, expAvgSq, prevGrad, grad, o, o, end1(n), beta1, beta1Comp, beta2, beta2Comp,
    beta3, beta3Comp, rBc1, rBc2, rBc3, eps, epsRoot, lr, weightDecay, gradScale, scaled, decay, first, clip);
}

/** Steps bytes [o, end): four lanes of T at a time up to `end16`, unrolled four times, then one at a time. */
// @ts-ignore: decorator
@inline function adanSpan<T>(param: usize, expAvg: usize, expAvgDiff: usize, expAvgSq: usize, prevGrad: usize,
    grad: usize, o: usize, end16: usize, end: usize, beta1: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32,
    beta3: f32, beta3Comp: f32, rBc1: f32, rBc2: f32, rBc3: f32, eps: f32, epsRoot: f32, lr: f32, weightDecay: f32,
    gradScale: f32, scaled: bool, decay: bool, first: bool, clip: bool = false): usize {
  const b1 = splat<T>(beta1), b1c = splat<T>(beta1Comp), b2 = splat<T>(beta2), b2c = splat<T>(beta2Comp);
  const b3 = splat<T>(beta3), b3c = splat<T>(beta3Comp), r1 = splat<T>(rBc1), r2 = splat<T>(rBc2), r3 = splat<T>(rBc3);
  const e = splat<T>(eps), er = splat<T>(epsRoot), l = splat<T>(lr), wd = splat<T>(weightDecay), gs = splat<T>(gradScale);
  const w: usize = sizeof<T>();
  for (; o < end16; o += 4 * w) {
    adanAt<T>(param, expAvg, expAvgDiff, expAvgSq, prevGrad, grad, o, b1, b1c, b2, b2c, b3, b3c, r1, r2, r3, e, er, l, wd, gs, scaled, decay, first, clip);
    adanAt<T>(param, expAvg, expAvgDiff, expAvgSq, prevGrad, grad, o + w, b1, b1c, b2, b2c, b3, b3c, r1, r2, r3, e, er, l, wd, gs, scaled, decay, first, clip);
    adanAt<T>(param, expAvg, expAvgDiff, expAvgSq, prevGrad, grad, o + 2 * w, b1, b1c, b2, b2c, b3, b3c, r1, r2, r3, e, er, l, wd, gs, scaled, decay, first, clip);
    adanAt<T>(param, expAvg, expAvgDiff, expAvgSq, prevGrad, grad, o + 3 * w, b1, b1c, b2, b2c, b3, b3c, r1, r2, r3, e, er, l, wd, gs, scaled, decay, first, clip);
  }
  for (; o < end; o += w) {
    adanAt<T>(param, expAvg, expAvgDiff, expAvgSq, prevGrad, grad, o, b1, b1c, b2, b2c, b3, b3c, r1, r2, r3, e, er, l, wd, gs, scaled, decay, first, clip);
  }
  return o;
}

/** The Adan rule for the lanes at byte offset o, in Optax's order of operations. */
// @ts-ignore: decorator
@inline function adanAt<T>(param: usize, expAvg: usize, expAvgDiff: usize, expAvgSq: usize, prevGrad: usize,
    grad: usize, o: usize, beta1: T, beta1Comp: T, beta2: T, beta2Comp: T, beta3: T, beta3Comp: T, rBc1: T, rBc2: T,
    rBc3: T, eps: T, epsRoot: T, lr: T, weightDecay: T, gradScale: T, scaled: bool, decay: bool, first: bool, clip: bool = false): void {
  const p = ld<T>(param, o);
  const g = gradInClip<T>(ld<T>(grad, o), p, gradScale, weightDecay, scaled, clip, false, false);
  const d = first ? splat<T>(0) : sub<T>(g, ld<T>(prevGrad, o));
  const m = optaxMoment<T>(ld<T>(expAvg, o), g, beta1, beta1Comp);
  const v = optaxMoment<T>(ld<T>(expAvgDiff, o), d, beta2, beta2Comp);
  const s = optaxMoment2<T>(ld<T>(expAvgSq, o), add<T>(g, mul<T>(beta2Comp, d)), beta3, beta3Comp);
  st<T>(expAvg, o, m);
  st<T>(expAvgDiff, o, v);
  st<T>(expAvgSq, o, s);
  st<T>(prevGrad, o, g);
  let u = add<T>(mul<T>(m, rBc1), mul<T>(beta2Comp, mul<T>(v, rBc2)));
  u = div<T>(u, add<T>(sqrt<T>(add<T>(mul<T>(s, rBc3), epsRoot)), eps));
  if (decay) u = add<T>(u, mul<T>(weightDecay, p));
  st<T>(param, o, sub<T>(p, mul<T>(lr, u)));
}

// Low-precision state (assembly/lib/lowp.ts): the same rule, on f32 blocks decoded from bf16 / int8 state.
export function adan_bf16(param: usize, expAvg: usize, expAvgDiff: usize, expAvgSq: usize, prevGrad: usize, grad: usize,
    n: i32, beta1: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, beta3: f32, beta3Comp: f32, rBc1: f32, rBc2: f32,
    rBc3: f32, eps: f32, epsRoot: f32, lr: f32, weightDecay: f32, gradScale: f32, flags: i32): void {
  adanLowp<u16>(param, expAvg, expAvgDiff, expAvgSq, prevGrad, grad, n, beta1, beta1Comp, beta2, beta2Comp, beta3,
    beta3Comp, rBc1, rBc2, rBc3, eps, epsRoot, lr, weightDecay, gradScale, flags);
}
export function adan_i8(param: usize, expAvg: usize, expAvgDiff: usize, expAvgSq: usize, prevGrad: usize, grad: usize,
    n: i32, beta1: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, beta3: f32, beta3Comp: f32, rBc1: f32, rBc2: f32,
    rBc3: f32, eps: f32, epsRoot: f32, lr: f32, weightDecay: f32, gradScale: f32, flags: i32): void {
  adanLowp<u8>(param, expAvg, expAvgDiff, expAvgSq, prevGrad, grad, n, beta1, beta1Comp, beta2, beta2Comp, beta3,
    beta3Comp, rBc1, rBc2, rBc3, eps, epsRoot, lr, weightDecay, gradScale, flags);
}

// @ts-ignore: decorator
@inline function adanLowp<D>(param: usize, expAvg: usize, expAvgDiff: usize, expAvgSq: usize, prevGrad: usize,
    grad: usize, n: i32, beta1: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, beta3: f32, beta3Comp: f32, rBc1: f32,
    rBc2: f32, rBc3: f32, eps: f32, epsRoot: f32, lr: f32, weightDecay: f32, gradScale: f32, flags: i32): void {
  for (let b = 0; b < n; b += BLOCK) {
    const len = min(BLOCK, n - b);
    const m = stateIn<D>(expAvg, b, 0, len, true), d = stateIn<D>(expAvgDiff, b, 1, len, true);
    const v = stateIn<D>(expAvgSq, b, 2, len, false), pg = stateIn<D>(prevGrad, b, 3, len, true);
    adan_f32(param + (<usize>b << 2), m, d, v, pg, grad + (<usize>b << 2), len, beta1, beta1Comp, beta2, beta2Comp,
      beta3, beta3Comp, rBc1, rBc2, rBc3, eps, epsRoot, lr, weightDecay, gradScale, flags & F32_FLAGS);
    stateOut<D>(expAvg, b, 0, len, true, flags);
    stateOut<D>(expAvgDiff, b, 1, len, true, flags);
    stateOut<D>(expAvgSq, b, 2, len, false, flags);
    stateOut<D>(prevGrad, b, 3, len, true, flags);
  }
}
