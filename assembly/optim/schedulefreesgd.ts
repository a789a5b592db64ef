// Schedule-Free SGD step (Optax `contrib.schedule_free_sgd`); equations in src/optim/schedulefreesgd.ts.
// Preconditions: param (the gradient point y), z, grad each point at n f32s; any byte alignment; buffers do not
// overlap. INIT_BUFFER marks the first step: z is not read (it starts as a copy of y, as in Optax).
// Scalars: beta1 (the momentum), beta1Comp = 1-beta1, rBeta1 = 1/beta1, ck (this step's averaging weight),
// ckComp = 1-ck, lr (the base optimizer's), weightDecay, gradScale.
import { CLIP, DECOUPLED, GRAD_SCALE, INIT_BUFFER, ld, st, add, sub, mul, gradInFlags } from "../lib/common";
import { NONE, elementwise } from "../lib/elementwise";

/** The Schedule-Free SGD rule for the lanes at byte offset o (assembly/lib/elementwise.ts), in Optax's order. */
class ScheduleFreeSgd {
  /** Fast path: plain Schedule-Free SGD after its first step. */
  // @ts-ignore: decorator
  @inline fast(i: i32): i32 { return i == 0 ? 0 : NONE; }
  // @ts-ignore: decorator
  @inline at<T, S>(o: usize, param: usize, grad: usize, z: usize, b: usize, c: usize, d: usize, beta1: T, beta1Comp: T,
      rBeta1: T, ck: T, ckComp: T, lr: T, weightDecay: T, gradScale: T, s8: T, s9: T, s10: T, s11: T, s12: T, s13: T,
      f: i32, sr: bool, mix: u32): void {
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

export function schedulefreesgd_f32(param: usize, z: usize, grad: usize, n: i32, beta1: f32, beta1Comp: f32,
    rBeta1: f32, ck: f32, ckComp: f32, lr: f32, weightDecay: f32, gradScale: f32, flags: i32): void {
  elementwise<ScheduleFreeSgd, f32>(param, grad, n, flags, z, 0, 0, 0, beta1, beta1Comp, rBeta1, ck, ckComp, lr,
    weightDecay, gradScale);
}
