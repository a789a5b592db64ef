// Lion step (Optax `lion`: scale_by_lion, add_decayed_weights, scale_by_learning_rate); equations in
// src/optim/lion.ts.
// Preconditions: param, expAvg, grad each point at n f32s; any byte alignment; buffers do not overlap.
// Scalars: lr, beta1, beta1Comp = 1-beta1, beta2, beta2Comp = 1-beta2, weightDecay, gradScale.
import { CLIP, DECOUPLED, GRAD_SCALE, MAXIMIZE, ld, st, add, sub, mul, sign, gradInFlags, optaxMoment } from "../lib/common";
import { NONE, elementwise } from "../lib/elementwise";
import { SIGNED } from "../lib/lowp";

/** The Lion rule for the lanes at byte offset o (assembly/lib/elementwise.ts), in Optax's order of operations. */
export class Lion {
  /** Fast paths: plain Lion, and with a gradient scale (clipping, GradScaler, accumulation). */
  // @ts-ignore: decorator
  @inline fast(i: i32): i32 { return i == 0 ? 0 : i == 1 ? GRAD_SCALE : NONE; }
  // @ts-ignore: decorator
  @inline state(k: i32): i32 { return SIGNED; }
  // @ts-ignore: decorator
  @inline at<T, S>(o: usize, param: usize, grad: usize, expAvg: usize, b: usize, c: usize, d: usize, lr: T, beta1: T,
      beta1Comp: T, beta2: T, beta2Comp: T, weightDecay: T, gradScale: T, s7: T, s8: T, s9: T, s10: T, s11: T, s12: T,
      s13: T, f: i32, sr: bool, mix: u32): void {
    const p = ld<T>(param, o);
    const g = gradInFlags<T>(ld<T>(grad, o), p, gradScale, weightDecay, f, GRAD_SCALE | CLIP | MAXIMIZE);
    const m = ld<T>(expAvg, o);
    let u = sign<T>(optaxMoment<T>(m, g, beta1, beta1Comp));
    st<T>(expAvg, o, optaxMoment<T>(m, g, beta2, beta2Comp));
    if ((f & DECOUPLED) != 0) u = add<T>(u, mul<T>(weightDecay, p));
    st<T>(param, o, sub<T>(p, mul<T>(lr, u)));
  }
}

export function lion_f32(param: usize, expAvg: usize, grad: usize, n: i32,
    lr: f32, beta1: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, weightDecay: f32, gradScale: f32, flags: i32): void {
  elementwise<Lion, f32>(param, grad, n, flags, expAvg, 0, 0, 0, lr, beta1, beta1Comp, beta2, beta2Comp, weightDecay, gradScale);
}
