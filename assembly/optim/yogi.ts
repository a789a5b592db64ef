// Yogi step (Optax `yogi`), in Optax's order of operations; equations in src/optim/yogi.ts.
import { CLIP, GRAD_SCALE, ld, st, add, sub, mul, sqrt, sign, gradInFlags, optaxMoment, subScaledDiv } from "../lib/common";
import { NONE, SIGNED, UNSIGNED } from "../lib/elementwise";

export class Yogi {
  /** Fast path: plain Yogi. */
  @inline fast(i: i32): i32 { return i == 0 ? 0 : NONE; }
  @inline state(k: i32): i32 { return k == 0 ? SIGNED : UNSIGNED; }
  @inline at<T, S>(o: usize, param: usize, grad: usize, expAvg: usize, expAvgSq: usize, _c: usize, _d: usize,
      stepSize: T, beta1: T, beta1Comp: T, beta2Comp: T, rBc2Sqrt: T, eps: T, gradScale: T, _s7: T, _s8: T, _s9: T,
      _s10: T, _s11: T, _s12: T, _s13: T, f: i32, sr: bool, mix: u32): void {
    const p = ld<T>(param, o);
    const g = gradInFlags<T>(ld<T>(grad, o), p, gradScale, gradScale, f, GRAD_SCALE | CLIP);
    const m = optaxMoment<T>(ld<T>(expAvg, o), g, beta1, beta1Comp);
    const v0 = ld<T>(expAvgSq, o), g2 = mul<T>(g, g);
    const v = sub<T>(v0, mul<T>(mul<T>(beta2Comp, sign<T>(sub<T>(v0, g2))), g2));
    st<T>(expAvg, o, m);
    st<T>(expAvgSq, o, v);
    st<T>(param, o, subScaledDiv<T>(p, stepSize, m, add<T>(mul<T>(sqrt<T>(v), rBc2Sqrt), eps)));
  }
}
