// SGD step with optional momentum / Nesterov (PyTorch `_single_tensor_sgd`); equations in src/optim/sgd.ts.
// Preconditions: param, grad (and momentumBuffer when MOMENTUM) each point at n f32s; any byte alignment;
// buffers do not overlap. momentumBuffer is not touched without MOMENTUM; with INIT_BUFFER it is written
// before being read (PyTorch's first step: buffer = g, dampening ignored).
// Scalars: lr, weightDecay, momentum, dampFactor = 1 - dampening, gradScale.
import {
  MAXIMIZE, WEIGHT_DECAY, MOMENTUM, NESTEROV, INIT_BUFFER, GRAD_SCALE,
  ld, st, splat, add, sub, mul, gradInClip, clipArmed, end1, end4, end16,
} from "../lib/common";
import { BLOCK, F32_FLAGS, stateIn, stateOut } from "../lib/lowp";

export function sgd_f32(param: usize, momentumBuffer: usize, grad: usize, n: i32,
    lr: f32, weightDecay: f32, momentum: f32, dampFactor: f32, gradScale: f32, flags: i32): void {
  // Specialised loops for momentum and Nesterov, each also with a gradient scale (clipping, GradScaler,
  // accumulation) when no value clip is armed; every other combination takes the general loop.
  const clip = (flags & GRAD_SCALE) != 0 && clipArmed(); // read once per call: the step plan arms it around its calls
  if (flags == MOMENTUM) {
    sgdLoop(param, momentumBuffer, grad, n, lr, weightDecay, momentum, dampFactor, gradScale, false, false, false, false, true, false, false);
  } else if (flags == (MOMENTUM | NESTEROV)) {
    sgdLoop(param, momentumBuffer, grad, n, lr, weightDecay, momentum, dampFactor, gradScale, false, false, false, false, true, true, false);
  } else if (flags == (MOMENTUM | GRAD_SCALE) && !clip) {
    sgdLoop(param, momentumBuffer, grad, n, lr, weightDecay, momentum, dampFactor, gradScale, true, false, false, false, true, false, false);
  } else if (flags == (MOMENTUM | NESTEROV | GRAD_SCALE) && !clip) {
    sgdLoop(param, momentumBuffer, grad, n, lr, weightDecay, momentum, dampFactor, gradScale, true, false, false, false, true, true, false);
  } else {
    sgdLoop(param, momentumBuffer, grad, n, lr, weightDecay, momentum, dampFactor, gradScale, (flags & GRAD_SCALE) != 0, clip,
      (flags & MAXIMIZE) != 0, (flags & WEIGHT_DECAY) != 0, (flags & MOMENTUM) != 0, (flags & NESTEROV) != 0,
      (flags & INIT_BUFFER) != 0);
  }
}

// @ts-ignore: decorator
@inline function sgdLoop(param: usize, buf: usize, grad: usize, n: i32, lr: f32, weightDecay: f32, momentum: f32,
    dampFactor: f32, gradScale: f32, scaled: bool, clip: bool, maximize: bool, l2: bool, hasMomentum: bool, nesterov: bool,
    init: bool): void {
  let o: usize = 0;
  if (ASC_FEATURE_SIMD) {
    o = sgdSpan<v128>(param, buf, grad, o, end16(n), end4(n), lr, weightDecay, momentum, dampFactor, gradScale,
      scaled, clip, maximize, l2, hasMomentum, nesterov, init);
  }
  sgdSpan<f32>(param, buf, grad, o, o, end1(n), lr, weightDecay, momentum, dampFactor, gradScale,
    scaled, clip, maximize, l2, hasMomentum, nesterov, init);
}

/** Steps bytes [o, end): four lanes of T at a time up to `end16`, unrolled four times, then one at a time. */
// @ts-ignore: decorator
@inline function sgdSpan<T>(param: usize, buf: usize, grad: usize, o: usize, end16: usize, end: usize, lr: f32,
    weightDecay: f32, momentum: f32, dampFactor: f32, gradScale: f32, scaled: bool, clip: bool, maximize: bool, l2: bool,
    hasMomentum: bool, nesterov: bool, init: bool): usize {
  const a = splat<T>(lr), wd = splat<T>(weightDecay), mu = splat<T>(momentum), df = splat<T>(dampFactor);
  const gs = splat<T>(gradScale);
  const w: usize = sizeof<T>();
  for (; o < end16; o += 4 * w) {
    sgdAt<T>(param, buf, grad, o, a, wd, mu, df, gs, scaled, clip, maximize, l2, hasMomentum, nesterov, init);
    sgdAt<T>(param, buf, grad, o + w, a, wd, mu, df, gs, scaled, clip, maximize, l2, hasMomentum, nesterov, init);
    sgdAt<T>(param, buf, grad, o + 2 * w, a, wd, mu, df, gs, scaled, clip, maximize, l2, hasMomentum, nesterov, init);
    sgdAt<T>(param, buf, grad, o + 3 * w, a, wd, mu, df, gs, scaled, clip, maximize, l2, hasMomentum, nesterov, init);
  }
  for (; o < end; o += w) sgdAt<T>(param, buf, grad, o, a, wd, mu, df, gs, scaled, clip, maximize, l2, hasMomentum, nesterov, init);
  return o;
}

/** The SGD rule for the lanes at byte offset o. */
// @ts-ignore: decorator
@inline function sgdAt<T>(param: usize, buf: usize, grad: usize, o: usize, lr: T, weightDecay: T, momentum: T,
    dampFactor: T, gradScale: T, scaled: bool, clip: bool, maximize: bool, l2: bool, hasMomentum: bool, nesterov: bool,
    init: bool): void {
  const p = ld<T>(param, o);
  let g = gradInClip<T>(ld<T>(grad, o), p, gradScale, weightDecay, scaled, clip, maximize, l2);
  if (hasMomentum) {
    const b = init ? g : add<T>(mul<T>(ld<T>(buf, o), momentum), mul<T>(dampFactor, g));
    st<T>(buf, o, b);
    g = nesterov ? add<T>(g, mul<T>(momentum, b)) : b;
  }
  st<T>(param, o, sub<T>(p, mul<T>(lr, g)));
}

// Low-precision state (assembly/lib/lowp.ts): the same rule, on f32 blocks decoded from bf16 / int8 state.
export function sgd_bf16(param: usize, momentumBuffer: usize, grad: usize, n: i32,
    lr: f32, weightDecay: f32, momentum: f32, dampFactor: f32, gradScale: f32, flags: i32): void {
  sgdLowp<u16>(param, momentumBuffer, grad, n, lr, weightDecay, momentum, dampFactor, gradScale, flags);
}
export function sgd_i8(param: usize, momentumBuffer: usize, grad: usize, n: i32,
    lr: f32, weightDecay: f32, momentum: f32, dampFactor: f32, gradScale: f32, flags: i32): void {
  sgdLowp<u8>(param, momentumBuffer, grad, n, lr, weightDecay, momentum, dampFactor, gradScale, flags);
}

// @ts-ignore: decorator
@inline function sgdLowp<D>(param: usize, momentumBuffer: usize, grad: usize, n: i32,
    lr: f32, weightDecay: f32, momentum: f32, dampFactor: f32, gradScale: f32, flags: i32): void {
  const buf = (flags & MOMENTUM) != 0 ? momentumBuffer : 0;
  for (let b = 0; b < n; b += BLOCK) {
    const len = min(BLOCK, n - b);
    const s = stateIn<D>(buf, b, 0, len, true);
    sgd_f32(param + (<usize>b << 2), s, grad + (<usize>b << 2), len, lr, weightDecay, momentum, dampFactor, gradScale, flags & F32_FLAGS);
    stateOut<D>(buf, b, 0, len, true, flags);
  }
}
