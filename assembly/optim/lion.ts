// Lion step (Optax `lion`: scale_by_lion, add_decayed_weights, scale_by_learning_rate); equations in
// src/optim/lion.ts.
// Preconditions: param, expAvg, grad each point at n f32s; any byte alignment; buffers do not overlap.
// Scalars: lr, beta1, beta1Comp = 1-beta1, beta2, beta2Comp = 1-beta2, weightDecay, gradScale.
import {
  MAXIMIZE, DECOUPLED, GRAD_SCALE, ld, st, splat, add, sub, mul, sign, gradInClip, clipArmed, optaxMoment, end1, end4, end16,
} from "../lib/common";
import { BLOCK, F32_FLAGS, stateIn, stateOut } from "../lib/lowp";

export function lion_f32(param: usize, expAvg: usize, grad: usize, n: i32,
    lr: f32, beta1: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, weightDecay: f32, gradScale: f32, flags: i32): void {
  // Specialised loops for plain Lion and for Lion with a gradient scale (clipping, GradScaler, accumulation) when
  // no value clip is armed; every other combination takes the general loop.
  const clip = (flags & GRAD_SCALE) != 0 && clipArmed(); // read once per call: the step plan arms it around its calls
  if (flags == 0) lionLoop(param, expAvg, grad, n, lr, beta1, beta1Comp, beta2, beta2Comp, weightDecay, gradScale, false, false, false, false);
  else if (flags == GRAD_SCALE && !clip) {
    lionLoop(param, expAvg, grad, n, lr, beta1, beta1Comp, beta2, beta2Comp, weightDecay, gradScale, true, false, false, false);
  } else {
    lionLoop(param, expAvg, grad, n, lr, beta1, beta1Comp, beta2, beta2Comp, weightDecay, gradScale,
      (flags & GRAD_SCALE) != 0, clip, (flags & MAXIMIZE) != 0, (flags & DECOUPLED) != 0);
  }
}

// @ts-ignore: decorator
@inline function lionLoop(param: usize, expAvg: usize, grad: usize, n: i32, lr: f32, beta1: f32, beta1Comp: f32,
    beta2: f32, beta2Comp: f32, weightDecay: f32, gradScale: f32, scaled: bool, clip: bool, maximize: bool, decay: bool): void {
  let o: usize = 0;
  if (ASC_FEATURE_SIMD) {
    o = lionSpan<v128>(param, expAvg, grad, o, end16(n), end4(n), lr, beta1, beta1Comp, beta2, beta2Comp, weightDecay,
      gradScale, scaled, clip, maximize, decay);
  }
  lionSpan<f32>(param, expAvg, grad, o, o, end1(n), lr, beta1, beta1Comp, beta2, beta2Comp, weightDecay, gradScale,
    scaled, clip, maximize, decay);
}

/** Steps bytes [o, end): four lanes of T at a time up to `end16`, unrolled four times, then one at a time. */
// @ts-ignore: decorator
@inline function lionSpan<T>(param: usize, expAvg: usize, grad: usize, o: usize, end16: usize, end: usize, lr: f32,
    beta1: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, weightDecay: f32, gradScale: f32,
    scaled: bool, clip: bool, maximize: bool, decay: bool): usize {
  const l = splat<T>(lr), b1 = splat<T>(beta1), b1c = splat<T>(beta1Comp), b2 = splat<T>(beta2);
  const b2c = splat<T>(beta2Comp), wd = splat<T>(weightDecay), gs = splat<T>(gradScale);
  const w: usize = sizeof<T>();
  for (; o < end16; o += 4 * w) {
    lionAt<T>(param, expAvg, grad, o, l, b1, b1c, b2, b2c, wd, gs, scaled, clip, maximize, decay);
    lionAt<T>(param, expAvg, grad, o + w, l, b1, b1c, b2, b2c, wd, gs, scaled, clip, maximize, decay);
    lionAt<T>(param, expAvg, grad, o + 2 * w, l, b1, b1c, b2, b2c, wd, gs, scaled, clip, maximize, decay);
    lionAt<T>(param, expAvg, grad, o + 3 * w, l, b1, b1c, b2, b2c, wd, gs, scaled, clip, maximize, decay);
  }
  for (; o < end; o += w) lionAt<T>(param, expAvg, grad, o, l, b1, b1c, b2, b2c, wd, gs, scaled, clip, maximize, decay);
  return o;
}

/** The Lion rule for the lanes at byte offset o, in Optax's order of operations. */
// @ts-ignore: decorator
@inline function lionAt<T>(param: usize, expAvg: usize, grad: usize, o: usize, lr: T, beta1: T, beta1Comp: T,
    beta2: T, beta2Comp: T, weightDecay: T, gradScale: T, scaled: bool, clip: bool, maximize: bool, decay: bool): void {
  const p = ld<T>(param, o);
  const g = gradInClip<T>(ld<T>(grad, o), p, gradScale, weightDecay, scaled, clip, maximize, false);
  const m = ld<T>(expAvg, o);
  let u = sign<T>(optaxMoment<T>(m, g, beta1, beta1Comp));
  st<T>(expAvg, o, optaxMoment<T>(m, g, beta2, beta2Comp));
  if (decay) u = add<T>(u, mul<T>(weightDecay, p));
  st<T>(param, o, sub<T>(p, mul<T>(lr, u)));
}

// Low-precision state (assembly/lib/lowp.ts): the same rule, on f32 blocks decoded from bf16 / int8 state.
export function lion_bf16(param: usize, expAvg: usize, grad: usize, n: i32,
    lr: f32, beta1: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, weightDecay: f32, gradScale: f32, flags: i32): void {
  lionLowp<u16>(param, expAvg, grad, n, lr, beta1, beta1Comp, beta2, beta2Comp, weightDecay, gradScale, flags);
}
export function lion_i8(param: usize, expAvg: usize, grad: usize, n: i32,
    lr: f32, beta1: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, weightDecay: f32, gradScale: f32, flags: i32): void {
  lionLowp<u8>(param, expAvg, grad, n, lr, beta1, beta1Comp, beta2, beta2Comp, weightDecay, gradScale, flags);
}

// @ts-ignore: decorator
@inline function lionLowp<D>(param: usize, expAvg: usize, grad: usize, n: i32,
    lr: f32, beta1: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, weightDecay: f32, gradScale: f32, flags: i32): void {
  for (let b = 0; b < n; b += BLOCK) {
    const len = min(BLOCK, n - b);
    const m = stateIn<D>(expAvg, b, 0, len, true);
    lion_f32(param + (<usize>b << 2), m, grad + (<usize>b << 2), len, lr, beta1, beta1Comp, beta2, beta2Comp, weightDecay, gradScale, flags & F32_FLAGS);
    stateOut<D>(expAvg, b, 0, len, true, flags);
  }
}
