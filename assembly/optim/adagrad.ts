// Adagrad step (PyTorch `_single_tensor_adagrad`; with TFJS, tfjs's order); equations in src/optim/adagrad.ts.
import { TFJS, ld, st, add, sub, mul, div, sqrt, gradInFlags, subScaledDiv } from "../lib/common";
import { NONE, UNSIGNED } from "../lib/elementwise";

export class Adagrad {
  /** Fast paths: plain Adagrad, tfjs's. */
  @inline fast(i: i32): i32 { return i == 0 ? 0 : i == 1 ? TFJS : NONE; }
  @inline state(k: i32): i32 { return UNSIGNED; }
  @inline at<T, S>(o: usize, param: usize, grad: usize, sum: usize, _b: usize, _c: usize, _d: usize, clr: T, eps: T,
      weightDecay: T, gradScale: T, _s4: T, _s5: T, _s6: T, _s7: T, _s8: T, _s9: T, _s10: T, _s11: T, _s12: T, _s13: T,
      f: i32, sr: bool, mix: u32): void {
    const p = ld<T>(param, o);
    const g = gradInFlags<T>(ld<T>(grad, o), p, gradScale, weightDecay, f);
    const s = add<T>(ld<T>(sum, o), mul<T>(g, g));
    st<T>(sum, o, s);
    if ((f & TFJS) != 0) st<T>(param, o, sub<T>(p, mul<T>(div<T>(g, sqrt<T>(add<T>(s, eps))), clr)));
    else st<T>(param, o, subScaledDiv<T>(p, clr, g, add<T>(sqrt<T>(s), eps)));
  }
}
