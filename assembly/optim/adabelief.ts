// AdaBelief step (Optax `adabelief`), in Optax's order of operations; equations in src/optim/adabelief.ts.
import {
  CLIP, DECOUPLED, GRAD_SCALE, ld, st, add, sub, mul, div, sqrt, gradInFlags, optaxMoment, optaxMoment2, subScaledDiv,
} from "../lib/common";
import { NONE, SIGNED, UNSIGNED } from "../lib/elementwise";

export class AdaBelief {
  /** Fast path: plain AdaBelief. */
  @inline fast(i: i32): i32 { return i == 0 ? 0 : NONE; }
  @inline state(k: i32): i32 { return k == 0 ? SIGNED : UNSIGNED; }
  @inline at<T, S>(o: usize, param: usize, grad: usize, expAvg: usize, expAvgVar: usize, _c: usize, _d: usize,
      stepSize: T, beta1: T, beta1Comp: T, beta2: T, beta2Comp: T, rBc2Sqrt: T, eps: T, epsRoot: T, lrWeightDecay: T,
      gradScale: T, _s10: T, _s11: T, _s12: T, _s13: T, f: i32, sr: bool, mix: u32): void {
    const p = ld<T>(param, o);
    const g = gradInFlags<T>(ld<T>(grad, o), p, gradScale, gradScale, f, GRAD_SCALE | CLIP);
    const m = optaxMoment<T>(ld<T>(expAvg, o), g, beta1, beta1Comp);
    const s = add<T>(optaxMoment2<T>(ld<T>(expAvgVar, o), sub<T>(g, m), beta2, beta2Comp), epsRoot);
    st<T>(expAvg, o, m);
    st<T>(expAvgVar, o, s);
    const dn = add<T>(mul<T>(sqrt<T>(s), rBc2Sqrt), eps);
    if ((f & DECOUPLED) == 0) st<T>(param, o, subScaledDiv<T>(p, stepSize, m, dn));
    // Optax adds λθ to the belief update and scales the sum by γ: θ − (γ·m̂/d + γλ·θ), one update subtracted.
    else st<T>(param, o, sub<T>(p, add<T>(div<T>(mul<T>(stepSize, m), dn), mul<T>(lrWeightDecay, p))));
  }
}
