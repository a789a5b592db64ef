// AdEMAMix step (Optax `contrib.ademamix`), in Optax's order of operations; equations in src/optim/ademamix.ts.
import { CLIP, DECOUPLED, GRAD_SCALE, ld, st, add, sub, mul, div, sqrt, gradInFlags, optaxMoment, optaxMoment2 } from "../lib/common";
import { NONE, SIGNED, UNSIGNED } from "../lib/elementwise";

export class AdEMAMix {
  /** Fast path: plain AdEMAMix. */
  @inline fast(i: i32): i32 { return i == 0 ? 0 : NONE; }
  @inline state(k: i32): i32 { return k == 2 ? UNSIGNED : SIGNED; }
  @inline at<T, S>(o: usize, param: usize, grad: usize, expAvgFast: usize, expAvgSlow: usize, expAvgSq: usize,
      _d: usize, beta1: T, beta1Comp: T, beta2: T, beta2Comp: T, beta3: T, beta3Comp: T, rBc1: T, rBc2: T, alpha: T,
      eps: T, lr: T, weightDecay: T, gradScale: T, _s13: T, f: i32, sr: bool, mix: u32): void {
    const p = ld<T>(param, o);
    const g = gradInFlags<T>(ld<T>(grad, o), p, gradScale, weightDecay, f, GRAD_SCALE | CLIP);
    const m1 = optaxMoment<T>(ld<T>(expAvgFast, o), g, beta1, beta1Comp);
    const m2 = optaxMoment<T>(ld<T>(expAvgSlow, o), g, beta3, beta3Comp);
    const v = optaxMoment2<T>(ld<T>(expAvgSq, o), g, beta2, beta2Comp);
    st<T>(expAvgFast, o, m1);
    st<T>(expAvgSlow, o, m2);
    st<T>(expAvgSq, o, v);
    let u = div<T>(add<T>(mul<T>(m1, rBc1), mul<T>(alpha, m2)), add<T>(sqrt<T>(mul<T>(v, rBc2)), eps));
    if ((f & DECOUPLED) != 0) u = add<T>(u, mul<T>(weightDecay, p));
    st<T>(param, o, sub<T>(p, mul<T>(lr, u)));
  }
}
