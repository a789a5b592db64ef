// Schedule-Free SGD step (Optax `contrib.schedule_free_sgd`); equations in src/optim/schedulefreesgd.ts.
import { CLIP, DECOUPLED, GRAD_SCALE, INIT_BUFFER, ld, st, add, sub, mul, gradInFlags } from "../lib/common";
import { NONE } from "../lib/elementwise";

export class ScheduleFreeSgd {
  /** Fast path: plain Schedule-Free SGD after its first step. */
  @inline fast(i: i32): i32 { return i == 0 ? 0 : NONE; }
  @inline at<T, S>(o: usize, param: usize, grad: usize, z: usize, _b: usize, _c: usize, _d: usize, beta1: T,
      beta1Comp: T, rBeta1: T, ck: T, ckComp: T, lr: T, weightDecay: T, gradScale: T, _s8: T, _s9: T, _s10: T, _s11: T,
      _s12: T, _s13: T, f: i32, sr: bool, mix: u32): void {
    const y = ld<T>(param, o);
    let u = gradInFlags<T>(ld<T>(grad, o), y, gradScale, weightDecay, f, GRAD_SCALE | CLIP);
    const z0 = (f & INIT_BUFFER) != 0 ? y : ld<T>(z, o);
    // The base optimizer (decoupled decay at y, then SGD): z ← z − γ·(g + λy).
    if ((f & DECOUPLED) != 0) u = add<T>(u, mul<T>(weightDecay, y));
    const z1 = sub<T>(z0, mul<T>(lr, u));
    st<T>(z, o, z1);
    const x = add<T>(mul<T>(ckComp, mul<T>(sub<T>(y, mul<T>(beta1Comp, z0)), rBeta1)), mul<T>(ck, z1));
    const y1 = add<T>(mul<T>(beta1, x), mul<T>(beta1Comp, z1));
    st<T>(param, o, add<T>(y, sub<T>(y1, y)));
  }
}
