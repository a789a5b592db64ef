// Adagrad step (PyTorch `_single_tensor_adagrad`); equations in src/optim/adagrad.ts.
// Preconditions: param, sum, grad each point at n f32s; any byte alignment; buffers do not overlap.
// Scalars: clr = lr / (1 + (step-1) * lrDecay), eps, weightDecay, gradScale. TFJS: eps inside the square root and
// the quotient g / sqrt(s + eps) multiplied by clr afterwards (tfjs's order).
import {
  MAXIMIZE, WEIGHT_DECAY, GRAD_SCALE, TFJS, ld, st, splat, add, sub, mul, div, sqrt, gradInClip, clipArmed, subScaledDiv, end1, end4, end16,
} from "../lib/common";
import { BLOCK, F32_FLAGS, stateIn, stateOut } from "../lib/lowp";

export function adagrad_f32(param: usize, sum: usize, grad: usize, n: i32,
    clr: f32, eps: f32, weightDecay: f32, gradScale: f32, flags: i32): void {
  const clip = (flags & GRAD_SCALE) != 0 && clipArmed(); // read once per call (see adam_f32)
  if (flags == 0) adagradLoop(param, sum, grad, n, clr, eps, weightDecay, gradScale, false, false, false, false);
  else if (flags == TFJS) adagradLoop(param, sum, grad, n, clr, eps, weightDecay, gradScale, false, false, false, true);
  else {
    adagradLoop(param, sum, grad, n, clr, eps, weightDecay, gradScale, (flags & GRAD_SCALE) != 0,
      (flags & MAXIMIZE) != 0, (flags & WEIGHT_DECAY) != 0, (flags & TFJS) != 0, clip);
  }
}

// @ts-ignore: decorator
@inline function adagradLoop(param: usize, sum: usize, grad: usize, n: i32, clr: f32, eps: f32, weightDecay: f32,
    gradScale: f32, scaled: bool, maximize: bool, l2: bool, tfjs: bool, clip: bool = false): void {
  let o: usize = 0;
  if (ASC_FEATURE_SIMD) {
    o = adagradSpan<v128>(param, sum, grad, o, end16(n), end4(n), clr, eps, weightDecay, gradScale, scaled, maximize, l2, tfjs, clip);
  }
  adagradSpan<f32>(param, sum, grad, o, o, end1(n), clr, eps, weightDecay, gradScale, scaled, maximize, l2, tfjs, clip);
}

/** Steps bytes [o, end): four lanes of T at a time up to `end16`, unrolled four times, then one at a time. */
// @ts-ignore: decorator
@inline function adagradSpan<T>(param: usize, sum: usize, grad: usize, o: usize, end16: usize, end: usize, clr: f32,
    eps: f32, weightDecay: f32, gradScale: f32, scaled: bool, maximize: bool, l2: bool, tfjs: bool, clip: bool = false): usize {
  const c = splat<T>(clr), e = splat<T>(eps), wd = splat<T>(weightDecay), gs = splat<T>(gradScale);
  const w: usize = sizeof<T>();
  for (; o < end16; o += 4 * w) {
    adagradAt<T>(param, sum, grad, o, c, e, wd, gs, scaled, maximize, l2, tfjs, clip);
    adagradAt<T>(param, sum, grad, o + w, c, e, wd, gs, scaled, maximize, l2, tfjs, clip);
    adagradAt<T>(param, sum, grad, o + 2 * w, c, e, wd, gs, scaled, maximize, l2, tfjs, clip);
    adagradAt<T>(param, sum, grad, o + 3 * w, c, e, wd, gs, scaled, maximize, l2, tfjs, clip);
  }
  for (; o < end; o += w) adagradAt<T>(param, sum, grad, o, c, e, wd, gs, scaled, maximize, l2, tfjs, clip);
  return o;
}

/** The Adagrad rule for the lanes at byte offset o. */
// @ts-ignore: decorator
@inline function adagradAt<T>(param: usize, sum: usize, grad: usize, o: usize, clr: T, eps: T, weightDecay: T,
    gradScale: T, scaled: bool, maximize: bool, l2: bool, tfjs: bool, clip: bool = false): void {
  const p = ld<T>(param, o);
  const g = gradInClip<T>(ld<T>(grad, o), p, gradScale, weightDecay, scaled, clip, maximize, l2);
  const s = add<T>(ld<T>(sum, o), mul<T>(g, g));
  st<T>(sum, o, s);
  if (tfjs) st<T>(param, o, sub<T>(p, mul<T>(div<T>(g, sqrt<T>(add<T>(s, eps))), clr)));
  else st<T>(param, o, subScaledDiv<T>(p, clr, g, add<T>(sqrt<T>(s), eps)));
}

// Low-precision state (assembly/lib/lowp.ts): the same rule, on f32 blocks decoded from bf16 / int8 state.
export function adagrad_bf16(param: usize, sum: usize, grad: usize, n: i32,
    clr: f32, eps: f32, weightDecay: f32, gradScale: f32, flags: i32): void {
  adagradLowp<u16>(param, sum, grad, n, clr, eps, weightDecay, gradScale, flags);
}
export function adagrad_i8(param: usize, sum: usize, grad: usize, n: i32,
    clr: f32, eps: f32, weightDecay: f32, gradScale: f32, flags: i32): void {
  adagradLowp<u8>(param, sum, grad, n, clr, eps, weightDecay, gradScale, flags);
}

// @ts-ignore: decorator
@inline function adagradLowp<D>(param: usize, sum: usize, grad: usize, n: i32,
    clr: f32, eps: f32, weightDecay: f32, gradScale: f32, flags: i32): void {
  for (let b = 0; b < n; b += BLOCK) {
    const len = min(BLOCK, n - b);
    const s = stateIn<D>(sum, b, 0, len, false);
    adagrad_f32(param + (<usize>b << 2), s, grad + (<usize>b << 2), len, clr, eps, weightDecay, gradScale, flags & F32_FLAGS);
    stateOut<D>(sum, b, 0, len, false, flags);
  }
}
