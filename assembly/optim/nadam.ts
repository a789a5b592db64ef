// NAdam step (PyTorch `_single_tensor_nadam`); equations in src/optim/nadam.ts.
import { DECOUPLED, ld, st, splat, add, sub, mul, div, sqrt, gradInFlags, lerp, ema2 } from "../lib/common";
import { NONE, SIGNED, UNSIGNED } from "../lib/elementwise";

export class Nadam {
  /** Fast path: plain NAdam. */
  @inline fast(i: i32): i32 { return i == 0 ? 0 : NONE; }
  @inline state(k: i32): i32 { return k == 0 ? SIGNED : UNSIGNED; }
  @inline at<T, S>(o: usize, param: usize, grad: usize, expAvg: usize, expAvgSq: usize, _c: usize, _d: usize,
      gradCoef: T, avgCoef: T, beta1Comp: T, beta2: T, beta2Comp: T, rBc2: T, eps: T, weightDecay: T, decay: T,
      gradScale: T, _s10: T, _s11: T, _s12: T, _s13: T, f: i32, sr: bool, mix: u32): void {
    let p = ld<T>(param, o);
    const g = gradInFlags<T>(ld<T>(grad, o), p, gradScale, weightDecay, f);
    if ((f & DECOUPLED) != 0) p = mul<T>(p, decay);
    const m = lerp<T>(ld<T>(expAvg, o), g, beta1Comp);
    const v = ema2<T>(ld<T>(expAvgSq, o), g, beta2, beta2Comp);
    st<T>(expAvg, o, m);
    st<T>(expAvgSq, o, v);
    // PyTorch: denom = sqrt(v / bc2) + eps, then two addcdiv_ calls, the g term first. Here v * (1/bc2) and one
    // reciprocal of denom for both terms: one division per element instead of three (within an f32 rounding of
    // each, far inside the conformance tolerance), and the two terms still subtracted one after the other.
    const r = div<T>(splat<T>(1), add<T>(sqrt<T>(mul<T>(v, rBc2)), eps));
    st<T>(param, o, sub<T>(sub<T>(p, mul<T>(mul<T>(gradCoef, g), r)), mul<T>(mul<T>(avgCoef, m), r)));
  }
}
