// Rprop step (PyTorch `_single_tensor_rprop`, NaN as its CPU kernel); equations in src/optim/rprop.ts.
import {
  CLIP, GRAD_SCALE, MAXIMIZE, ld, st, splat, sub, mul, neg, clampp, selectGt, selectLt, gradInFlags,
} from "../lib/common";
import { NONE, SIGNED, UNSIGNED } from "../lib/elementwise";

/**
 * torch.sign as PyTorch's CPU kernel computes it, (x > 0) - (x < 0): 1, -1, or +0 for ±0 and NaN. (The shared
 * `sign` of lib/common keeps NaN and the sign of zero; Rprop must not, to step as PyTorch does.)
 */
// @ts-ignore: decorator
@inline function torchSign<T>(x: T): T {
  const zero = splat<T>(0), one = splat<T>(1);
  return selectGt<T>(x, zero, one, selectLt<T>(x, zero, neg<T>(one), zero));
}

export class Rprop {
  /** Fast path: plain Rprop. */
  @inline fast(i: i32): i32 { return i == 0 ? 0 : NONE; }
  @inline state(k: i32): i32 { return k == 0 ? SIGNED : UNSIGNED; }
  @inline at<T, S>(o: usize, param: usize, grad: usize, prev: usize, stepSize: usize, _c: usize, _d: usize, etaminus: T,
      etaplus: T, stepSizeMin: T, stepSizeMax: T, gradScale: T, _s5: T, _s6: T, _s7: T, _s8: T, _s9: T, _s10: T,
      _s11: T, _s12: T, _s13: T, f: i32, sr: bool, mix: u32): void {
    const zero = splat<T>(0);
    const g = gradInFlags<T>(ld<T>(grad, o), zero, gradScale, zero, f, GRAD_SCALE | CLIP | MAXIMIZE);
    const s = mul<T>(g, ld<T>(prev, o));
    // Factor: etaplus where g·prev > 0, etaminus where < 0, else 1 (±0 and NaN: PyTorch's sign is 0 there).
    const k = selectGt<T>(s, zero, etaplus, selectLt<T>(s, zero, etaminus, splat<T>(1)));
    // clamp_(min, max), a NaN step size staying NaN (the bounds never are).
    const ss = clampp<T>(mul<T>(ld<T>(stepSize, o), k), stepSizeMin, stepSizeMax);
    st<T>(stepSize, o, ss);
    const gNew = selectLt<T>(s, zero, zero, g); // no step (and no memory) where the sign flipped
    st<T>(param, o, sub<T>(ld<T>(param, o), mul<T>(torchSign<T>(gNew), ss)));
    st<T>(prev, o, gNew);
  }
}
