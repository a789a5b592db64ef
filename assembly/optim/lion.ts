// Lion step (Optax `lion`), in Optax's order of operations; equations in src/optim/lion.ts.
import { CLIP, DECOUPLED, GRAD_SCALE, MAXIMIZE, ld, st, add, sub, mul, sign, gradInFlags, optaxMoment } from "../lib/common";
import { SIGNED } from "../lib/elementwise";

export class Lion {
  @inline state(k: i32): i32 { return SIGNED; }
  @inline at<T, S>(o: usize, param: usize, grad: usize, expAvg: usize, _b: usize, _c: usize, _d: usize, lr: T, beta1: T,
      beta1Comp: T, beta2: T, beta2Comp: T, weightDecay: T, gradScale: T, _s7: T, _s8: T, _s9: T, _s10: T, _s11: T,
      _s12: T, _s13: T, f: i32, sr: bool, mix: u32): void {
    const p = ld<T>(param, o);
    const g = gradInFlags<T>(ld<T>(grad, o), p, gradScale, weightDecay, f, GRAD_SCALE | CLIP | MAXIMIZE);
    const m = ld<T>(expAvg, o);
    let u = sign<T>(optaxMoment<T>(m, g, beta1, beta1Comp));
    st<T>(expAvg, o, optaxMoment<T>(m, g, beta2, beta2Comp));
    if ((f & DECOUPLED) != 0) u = add<T>(u, mul<T>(weightDecay, p));
    st<T>(param, o, sub<T>(p, mul<T>(lr, u)));
  }
}
