// ADOPT step (Optax `contrib.adopt`), in Optax's order of operations; equations in src/optim/adopt.ts.
import { CLIP, GRAD_SCALE, NESTEROV, ld, st, sub, mul, div, neg, sqrt, maxp, clampp, gradInFlags, optaxMoment, optaxMoment2 } from "../lib/common";
import { SIGNED, UNSIGNED } from "../lib/elementwise";

export class Adopt {
  @inline state(k: i32): i32 { return k == 0 ? SIGNED : UNSIGNED; }
  @inline at<T, S>(o: usize, param: usize, grad: usize, expAvg: usize, expAvgSq: usize, _c: usize, _d: usize, lr: T,
      beta1: T, beta1Comp: T, beta2: T, beta2Comp: T, eps: T, clip: T, gradScale: T, _s8: T, _s9: T, _s10: T, _s11: T,
      _s12: T, _s13: T, f: i32, sr: bool, mix: u32): void {
    const p = ld<T>(param, o);
    const g = gradInFlags<T>(ld<T>(grad, o), p, gradScale, gradScale, f, GRAD_SCALE | CLIP);
    const v = ld<T>(expAvgSq, o);
    // The normalised gradient uses the second moment before this step's update (ADOPT's decorrelation).
    const u = clampp<T>(div<T>(g, maxp<T>(sqrt<T>(v), eps)), neg<T>(clip), clip);
    st<T>(expAvgSq, o, optaxMoment2<T>(v, g, beta2, beta2Comp));
    let m = optaxMoment<T>(ld<T>(expAvg, o), u, beta1, beta1Comp);
    st<T>(expAvg, o, m);
    if ((f & NESTEROV) != 0) m = optaxMoment<T>(m, u, beta1, beta1Comp);
    st<T>(param, o, sub<T>(p, mul<T>(lr, m)));
  }
}
