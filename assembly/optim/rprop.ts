// Rprop step (PyTorch `_single_tensor_rprop`); equations in src/optim/rprop.ts.
// Preconditions: param, prev, stepSize, grad each point at n f32s; any byte alignment; buffers do not overlap.
// Scalars: etaminus, etaplus, stepSizeMin, stepSizeMax, gradScale. NaN behaviour is PyTorch's (CPU): its sign()
// is 0 for NaN, so a NaN product g·prev keeps the step size (factor 1) and a NaN gradient moves nothing; the NaN
// is kept in prev, and the next step's product is NaN again (factor 1).
import {
  MAXIMIZE, GRAD_SCALE, ld, st, splat, sub, mul, neg, clampp, selectGt, selectLt, gradInClip, clipArmed, end1, end4, end16,
} from "../lib/common";
import { BLOCK, F32_FLAGS, stateIn, stateOut } from "../lib/lowp";

/**
 * torch.sign as PyTorch's CPU kernel computes it, (x > 0) - (x < 0): 1, -1, or +0 for ±0 and NaN. (The shared
 * `sign` of lib/common keeps NaN and the sign of zero; Rprop must not, to step as PyTorch does.)
 */
// @ts-ignore: decorator
@inline function torchSign<T>(x: T): T {
  const zero = splat<T>(0), one = splat<T>(1);
  return selectGt<T>(x, zero, one, selectLt<T>(x, zero, neg<T>(one), zero));
}

export function rprop_f32(param: usize, prev: usize, stepSize: usize, grad: usize, n: i32,
    etaminus: f32, etaplus: f32, stepSizeMin: f32, stepSizeMax: f32, gradScale: f32, flags: i32): void {
  const clip = (flags & GRAD_SCALE) != 0 && clipArmed(); // read once per call (see adam_f32)
  if (flags == 0) rpropLoop(param, prev, stepSize, grad, n, etaminus, etaplus, stepSizeMin, stepSizeMax, gradScale, false, false);
  else {
    rpropLoop(param, prev, stepSize, grad, n, etaminus, etaplus, stepSizeMin, stepSizeMax, gradScale,
      (flags & GRAD_SCALE) != 0, (flags & MAXIMIZE) != 0, clip);
  }
}

// @ts-ignore: decorator
@inline function rpropLoop(param: usize, prev: usize, stepSize: usize, grad: usize, n: i32, etaminus: f32,
    etaplus: f32, stepSizeMin: f32, stepSizeMax: f32, gradScale: f32, scaled: bool, maximize: bool, clip: bool = false): void {
  let o: usize = 0;
  if (ASC_FEATURE_SIMD) {
    o = rpropSpan<v128>(param, prev, stepSize, grad, o, end16(n), end4(n), etaminus, etaplus, stepSizeMin,
      stepSizeMax, gradScale, scaled, maximize, clip);
  }
  rpropSpan<f32>(param, prev, stepSize, grad, o, o, end1(n), etaminus, etaplus, stepSizeMin, stepSizeMax, gradScale,
    scaled, maximize, clip);
}

/** Steps bytes [o, end): four lanes of T at a time up to `end16`, unrolled four times, then one at a time. */
// @ts-ignore: decorator
@inline function rpropSpan<T>(param: usize, prev: usize, stepSize: usize, grad: usize, o: usize, end16: usize,
    end: usize, etaminus: f32, etaplus: f32, stepSizeMin: f32, stepSizeMax: f32, gradScale: f32, scaled: bool,
    maximize: bool, clip: bool = false): usize {
  const em = splat<T>(etaminus), ep = splat<T>(etaplus), lo = splat<T>(stepSizeMin), hi = splat<T>(stepSizeMax);
  const gs = splat<T>(gradScale);
  const w: usize = sizeof<T>();
  for (; o < end16; o += 4 * w) {
    rpropAt<T>(param, prev, stepSize, grad, o, em, ep, lo, hi, gs, scaled, maximize, clip);
    rpropAt<T>(param, prev, stepSize, grad, o + w, em, ep, lo, hi, gs, scaled, maximize, clip);
    rpropAt<T>(param, prev, stepSize, grad, o + 2 * w, em, ep, lo, hi, gs, scaled, maximize, clip);
    rpropAt<T>(param, prev, stepSize, grad, o + 3 * w, em, ep, lo, hi, gs, scaled, maximize, clip);
  }
  for (; o < end; o += w) rpropAt<T>(param, prev, stepSize, grad, o, em, ep, lo, hi, gs, scaled, maximize, clip);
  return o;
}

/** The Rprop rule for the lanes at byte offset o. */
// @ts-ignore: decorator
@inline function rpropAt<T>(param: usize, prev: usize, stepSize: usize, grad: usize, o: usize, etaminus: T,
    etaplus: T, stepSizeMin: T, stepSizeMax: T, gradScale: T, scaled: bool, maximize: bool, clip: bool = false): void {
  const zero = splat<T>(0);
  const g = gradInClip<T>(ld<T>(grad, o), zero, gradScale, zero, scaled, clip, maximize, false);
  const s = mul<T>(g, ld<T>(prev, o));
  // Factor: etaplus where g·prev > 0, etaminus where < 0, else 1 (±0 and NaN: PyTorch's sign is 0 there).
  const f = selectGt<T>(s, zero, etaplus, selectLt<T>(s, zero, etaminus, splat<T>(1)));
  // clamp_(min, max), a NaN step size staying NaN (the bounds never are).
  const ss = clampp<T>(mul<T>(ld<T>(stepSize, o), f), stepSizeMin, stepSizeMax);
  st<T>(stepSize, o, ss);
  const gNew = selectLt<T>(s, zero, zero, g); // no step (and no memory) where the sign flipped
  st<T>(param, o, sub<T>(ld<T>(param, o), mul<T>(torchSign<T>(gNew), ss)));
  st<T>(prev, o, gNew);
}

// Low-precision state (assembly/lib/lowp.ts): the same rule, on f32 blocks decoded from bf16 / int8 state.
export function rprop_bf16(param: usize, prev: usize, stepSize: usize, grad: usize, n: i32, etaminus: f32, etaplus: f32,
    stepSizeMin: f32, stepSizeMax: f32, gradScale: f32, flags: i32): void {
  rpropLowp<u16>(param, prev, stepSize, grad, n, etaminus, etaplus, stepSizeMin, stepSizeMax, gradScale, flags);
}
export function rprop_i8(param: usize, prev: usize, stepSize: usize, grad: usize, n: i32, etaminus: f32, etaplus: f32,
    stepSizeMin: f32, stepSizeMax: f32, gradScale: f32, flags: i32): void {
  rpropLowp<u8>(param, prev, stepSize, grad, n, etaminus, etaplus, stepSizeMin, stepSizeMax, gradScale, flags);
}

// @ts-ignore: decorator
@inline function rpropLowp<D>(param: usize, prev: usize, stepSize: usize, grad: usize, n: i32, etaminus: f32,
    etaplus: f32, stepSizeMin: f32, stepSizeMax: f32, gradScale: f32, flags: i32): void {
  for (let b = 0; b < n; b += BLOCK) {
    const len = min(BLOCK, n - b);
    const pv = stateIn<D>(prev, b, 0, len, true), s = stateIn<D>(stepSize, b, 1, len, false);
    rprop_f32(param + (<usize>b << 2), pv, s, grad + (<usize>b << 2), len, etaminus, etaplus, stepSizeMin, stepSizeMax,
      gradScale, flags & F32_FLAGS);
    stateOut<D>(prev, b, 0, len, true, flags);
    stateOut<D>(stepSize, b, 1, len, false, flags);
  }
}
