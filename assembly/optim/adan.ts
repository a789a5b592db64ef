// Adan step (Optax `adan`), in Optax's order of operations; equations in src/optim/adan.ts.
import {
  CLIP, DECOUPLED, GRAD_SCALE, INIT_BUFFER, ld, st, splat, add, sub, mul, div, sqrt, gradInFlags, optaxMoment, optaxMoment2,
} from "../lib/common";
import { NONE, SIGNED, UNSIGNED } from "../lib/elementwise";

export class Adan {
  /** Fast path: plain Adan after its first step. */
  @inline fast(i: i32): i32 { return i == 0 ? 0 : NONE; }
  @inline state(k: i32): i32 { return k == 2 ? UNSIGNED : SIGNED; }
  @inline at<T, S>(o: usize, param: usize, grad: usize, expAvg: usize, expAvgDiff: usize, expAvgSq: usize,
      prevGrad: usize, beta1: T, beta1Comp: T, beta2: T, beta2Comp: T, beta3: T, beta3Comp: T, rBc1: T, rBc2: T,
      rBc3: T, eps: T, epsRoot: T, lr: T, weightDecay: T, gradScale: T, f: i32, sr: bool, mix: u32): void {
    const p = ld<T>(param, o);
    const g = gradInFlags<T>(ld<T>(grad, o), p, gradScale, weightDecay, f, GRAD_SCALE | CLIP);
    const d = (f & INIT_BUFFER) != 0 ? splat<T>(0) : sub<T>(g, ld<T>(prevGrad, o));
    const m = optaxMoment<T>(ld<T>(expAvg, o), g, beta1, beta1Comp);
    const v = optaxMoment<T>(ld<T>(expAvgDiff, o), d, beta2, beta2Comp);
    const s = optaxMoment2<T>(ld<T>(expAvgSq, o), add<T>(g, mul<T>(beta2Comp, d)), beta3, beta3Comp);
    st<T>(expAvg, o, m);
    st<T>(expAvgDiff, o, v);
    st<T>(expAvgSq, o, s);
    st<T>(prevGrad, o, g);
    let u = add<T>(mul<T>(m, rBc1), mul<T>(beta2Comp, mul<T>(v, rBc2)));
    u = div<T>(u, add<T>(sqrt<T>(add<T>(mul<T>(s, rBc3), epsRoot)), eps));
    if ((f & DECOUPLED) != 0) u = add<T>(u, mul<T>(weightDecay, p));
    st<T>(param, o, sub<T>(p, mul<T>(lr, u)));
  }
}
