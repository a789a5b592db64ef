// ASGD step (PyTorch `_single_tensor_asgd`); equations in src/optim/asgd.ts.
// Preconditions: param, ax, grad each point at n f32s; any byte alignment; buffers do not overlap.
// Scalars (computed once per step in TS, f64): eta (this step's eta_{t-1}), decay = 1 - lambd*eta, mu (this
// step's mu_{t-1}; exactly 1 means ax is a copy of the param, as PyTorch), weightDecay, gradScale.
import {
  MAXIMIZE, WEIGHT_DECAY, GRAD_SCALE, ld, st, splat, add, sub, mul, gradInClip, clipArmed, end1, end4, end16,
} from "../lib/common";

export function asgd_f32(param: usize, ax: usize, grad: usize, n: i32,
    eta: f32, decay: f32, mu: f32, weightDecay: f32, gradScale: f32, flags: i32): void {
  const clip = (flags & GRAD_SCALE) != 0 && clipArmed(); // read once per call (see adam_f32)
  const copy = mu == 1;
  if (flags == 0) asgdLoop(param, ax, grad, n, eta, decay, mu, weightDecay, gradScale, false, false, false, copy);
  else {
    asgdLoop(param, ax, grad, n, eta, decay, mu, weightDecay, gradScale, (flags & GRAD_SCALE) != 0,
      (flags & MAXIMIZE) != 0, (flags & WEIGHT_DECAY) != 0, copy, clip);
  }
}

// @ts-ignore: decorator
@inline function asgdLoop(param: usize, ax: usize, grad: usize, n: i32, eta: f32, decay: f32, mu: f32,
    weightDecay: f32, gradScale: f32, scaled: bool, maximize: bool, l2: bool, copy: bool, clip: bool = false): void {
  let o: usize = 0;
  if (ASC_FEATURE_SIMD) {
    o = asgdSpan<v128>(param, ax, grad, o, end16(n), end4(n), eta, decay, mu, weightDecay, gradScale, scaled,
      maximize, l2, copy, clip);
  }
  asgdSpan<f32>(param, ax, grad, o, o, end1(n), eta, decay, mu, weightDecay, gradScale, scaled, maximize, l2, copy, clip);
}

/** Steps bytes [o, end): four lanes of T at a time up to `end16`, unrolled four times, then one at a time. */
// @ts-ignore: decorator
@inline function asgdSpan<T>(param: usize, ax: usize, grad: usize, o: usize, end16: usize, end: usize, eta: f32,
    decay: f32, mu: f32, weightDecay: f32, gradScale: f32, scaled: bool, maximize: bool, l2: bool, copy: bool, clip: bool = false): usize {
  const et = splat<T>(eta), dec = splat<T>(decay), m = splat<T>(mu), wd = splat<T>(weightDecay), gs = splat<T>(gradScale);
  const w: usize = sizeof<T>();
  for (; o < end16; o += 4 * w) {
    asgdAt<T>(param, ax, grad, o, et, dec, m, wd, gs, scaled, maximize, l2, copy, clip);
    asgdAt<T>(param, ax, grad, o + w, et, dec, m, wd, gs, scaled, maximize, l2, copy, clip);
    asgdAt<T>(param, ax, grad, o + 2 * w, et, dec, m, wd, gs, scaled, maximize, l2, copy, clip);
    asgdAt<T>(param, ax, grad, o + 3 * w, et, dec, m, wd, gs, scaled, maximize, l2, copy, clip);
  }
  for (; o < end; o += w) asgdAt<T>(param, ax, grad, o, et, dec, m, wd, gs, scaled, maximize, l2, copy, clip);
  return o;
}

/** The ASGD rule for the lanes at byte offset o. */
// @ts-ignore: decorator
@inline function asgdAt<T>(param: usize, ax: usize, grad: usize, o: usize, eta: T, decay: T, mu: T,
    weightDecay: T, gradScale: T, scaled: bool, maximize: bool, l2: bool, copy: bool, clip: bool = false): void {
  let p = ld<T>(param, o);
  const g = gradInClip<T>(ld<T>(grad, o), p, gradScale, weightDecay, scaled, clip, maximize, l2);
  p = sub<T>(mul<T>(p, decay), mul<T>(eta, g));
  st<T>(param, o, p);
  if (copy) st<T>(ax, o, p);
  else {
    const a = ld<T>(ax, o);
    st<T>(ax, o, add<T>(a, mul<T>(sub<T>(p, a), mu)));
  }
}
