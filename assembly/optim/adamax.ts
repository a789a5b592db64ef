// Adamax step (PyTorch `_single_tensor_adamax`; with TFJS, tfjs's order); equations in src/optim/adamax.ts.
import { TFJS, ld, st, add, sub, mul, div, absv, maxp, maxv, gradInFlags, lerp, subScaledDiv, tfjsMoment } from "../lib/common";
import { NONE, SIGNED, UNSIGNED } from "../lib/elementwise";

export class Adamax {
  /** Fast paths: plain Adamax, tfjs's. */
  @inline fast(i: i32): i32 { return i == 0 ? 0 : i == 1 ? TFJS : NONE; }
  @inline state(k: i32): i32 { return k == 0 ? SIGNED : UNSIGNED; }
  @inline at<T, S>(o: usize, param: usize, grad: usize, expAvg: usize, expInf: usize, _c: usize, _d: usize, clr: T,
      beta1Comp: T, beta2: T, eps: T, weightDecay: T, beta1: T, gradScale: T, _s7: T, _s8: T, _s9: T, _s10: T, _s11: T,
      _s12: T, _s13: T, f: i32, sr: bool, mix: u32): void {
    const p = ld<T>(param, o);
    const g = gradInFlags<T>(ld<T>(grad, o), p, gradScale, weightDecay, f);
    if ((f & TFJS) != 0) {
      // tfjs: maximum(u*beta2, |g|) (NaN-propagating like tf.maximum on cpu), eps added after the max.
      const mt = tfjsMoment<T>(ld<T>(expAvg, o), g, beta1, beta1Comp);
      const ut = maxv<T>(mul<T>(ld<T>(expInf, o), beta2), absv<T>(g));
      st<T>(expAvg, o, mt);
      st<T>(expInf, o, ut);
      st<T>(param, o, sub<T>(p, mul<T>(clr, div<T>(mt, add<T>(ut, eps)))));
      return;
    }
    const m = lerp<T>(ld<T>(expAvg, o), g, beta1Comp);
    // u = max(beta2 * u, |g| + eps): eps inside the max, NaN-propagating like torch.maximum. Neither side is ever
    // -0, so maxp is exact here; on x64 it is a few instructions where maxv is about eight.
    const u = maxp<T>(mul<T>(ld<T>(expInf, o), beta2), add<T>(absv<T>(g), eps));
    st<T>(expAvg, o, m);
    st<T>(expInf, o, u);
    st<T>(param, o, subScaledDiv<T>(p, clr, m, u));
  }
}
