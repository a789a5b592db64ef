// Schedule-Free AdamW step (Optax `contrib.schedule_free_adamw`); equations in src/optim/schedulefreeadamw.ts.
import { CLIP, DECOUPLED, GRAD_SCALE, INIT_BUFFER, ld, st, add, sub, mul, div, sqrt, gradInFlags, optaxMoment2 } from "../lib/common";
import { NONE } from "../lib/elementwise";

export class ScheduleFreeAdamW {
  /** Fast path: plain Schedule-Free AdamW after its first step. */
  @inline fast(i: i32): i32 { return i == 0 ? 0 : NONE; }
  @inline at<T, S>(o: usize, param: usize, grad: usize, z: usize, expAvgSq: usize, _c: usize, _d: usize, beta1: T,
      beta1Comp: T, rBeta1: T, ck: T, ckComp: T, lr: T, beta2: T, beta2Comp: T, rBc2: T, eps: T, weightDecay: T,
      gradScale: T, _s12: T, _s13: T, f: i32, sr: bool, mix: u32): void {
    const y = ld<T>(param, o);
    const g = gradInFlags<T>(ld<T>(grad, o), y, gradScale, weightDecay, f, GRAD_SCALE | CLIP);
    const z0 = (f & INIT_BUFFER) != 0 ? y : ld<T>(z, o);
    const v = optaxMoment2<T>(ld<T>(expAvgSq, o), g, beta2, beta2Comp);
    st<T>(expAvgSq, o, v);
    // The base optimizer (RMS scaling with bias correction, decoupled decay at y, lr): z ← z − γ·u.
    let u = div<T>(g, add<T>(sqrt<T>(mul<T>(v, rBc2)), eps));
    if ((f & DECOUPLED) != 0) u = add<T>(u, mul<T>(weightDecay, y));
    const z1 = sub<T>(z0, mul<T>(lr, u));
    st<T>(z, o, z1);
    // x from y and the old z, averaged towards the new z; the new y interpolates x and z; θ ← y + (y' − y).
    const x = add<T>(mul<T>(ckComp, mul<T>(sub<T>(y, mul<T>(beta1Comp, z0)), rBeta1)), mul<T>(ck, z1));
    const y1 = add<T>(mul<T>(beta1, x), mul<T>(beta1Comp, z1));
    st<T>(param, o, add<T>(y, sub<T>(y1, y)));
  }
}
