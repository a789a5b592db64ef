// NAdam step (PyTorch `_single_tensor_nadam`); equations in src/optim/nadam.ts.
// Preconditions: param, expAvg, expAvgSq, grad each point at n f32s; any byte alignment; buffers do not overlap.
// Scalars (computed once per step in TS, f64): gradCoef = lr(1-mu_t)/(1-prod_t), avgCoef =
// lr*mu_{t+1}/(1-prod_t*mu_{t+1}), beta1Comp = 1-beta1, beta2, beta2Comp = 1-beta2, rBc2 = 1/(1-beta2^t), eps,
// weightDecay, decay = 1-lr*weightDecay, gradScale.
import { DECOUPLED, ld, st, splat, add, sub, mul, div, sqrt, gradInFlags, lerp, ema2 } from "../lib/common";
import { NONE, SIGNED, UNSIGNED } from "../lib/elementwise";

/** The NAdam rule for the lanes at byte offset o (assembly/lib/elementwise.ts). */
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
