// Adagrad step (PyTorch `_single_tensor_adagrad`); equations in src/optim/adagrad.ts.
// Preconditions: param, sum, grad each point at n f32s; any byte alignment; buffers do not overlap.
// Scalars: clr = lr / (1 + (step-1) * lrDecay), eps, weightDecay, gradScale. TFJS: eps inside the square root and
// the quotient g / sqrt(s + eps) multiplied by clr afterwards (tfjs's order).
import { TFJS, ld, st, add, sub, mul, div, sqrt, gradInFlags, subScaledDiv } from "../lib/common";
import { NONE, elementwise } from "../lib/elementwise";
import { UNSIGNED } from "../lib/lowp";

/** The Adagrad rule for the lanes at byte offset o (assembly/lib/elementwise.ts). */
export class Adagrad {
  /** Fast paths: plain Adagrad, tfjs's. */
  // @ts-ignore: decorator
  @inline fast(i: i32): i32 { return i == 0 ? 0 : i == 1 ? TFJS : NONE; }
  // @ts-ignore: decorator
  @inline state(k: i32): i32 { return UNSIGNED; }
  // @ts-ignore: decorator
  @inline at<T, S>(o: usize, param: usize, grad: usize, sum: usize, b: usize, c: usize, d: usize, clr: T, eps: T,
      weightDecay: T, gradScale: T, s4: T, s5: T, s6: T, s7: T, s8: T, s9: T, s10: T, s11: T, s12: T, s13: T,
      f: i32, sr: bool, mix: u32): void {
    const p = ld<T>(param, o);
    const g = gradInFlags<T>(ld<T>(grad, o), p, gradScale, weightDecay, f);
    const s = add<T>(ld<T>(sum, o), mul<T>(g, g));
    st<T>(sum, o, s);
    if ((f & TFJS) != 0) st<T>(param, o, sub<T>(p, mul<T>(div<T>(g, sqrt<T>(add<T>(s, eps))), clr)));
    else st<T>(param, o, subScaledDiv<T>(p, clr, g, add<T>(sqrt<T>(s), eps)));
  }
}

export function adagrad_f32(param: usize, sum: usize, grad: usize, n: i32,
    clr: f32, eps: f32, weightDecay: f32, gradScale: f32, flags: i32): void {
  elementwise<Adagrad, f32>(param, grad, n, flags, sum, 0, 0, 0, clr, eps, weightDecay, gradScale);
}
