// ADOPT step (Optax `contrib.adopt`: scale_by_adopt, scale_by_learning_rate); equations in src/optim/adopt.ts.
// Preconditions: param, expAvg, expAvgSq, grad each point at n f32s; any byte alignment; buffers do not overlap.
// Scalars: lr, beta1, beta1Comp, beta2, beta2Comp (step 1: 1, 0, 0, 1), eps, clip = step^0.25 (Infinity
// without clipping), gradScale.
import { CLIP, GRAD_SCALE, NESTEROV, ld, st, sub, mul, div, neg, sqrt, maxp, clampp, gradInFlags, optaxMoment, optaxMoment2 } from "../lib/common";
import { NONE, elementwise } from "../lib/elementwise";
import { SIGNED, UNSIGNED } from "../lib/lowp";

/** The ADOPT rule for the lanes at byte offset o (assembly/lib/elementwise.ts), in Optax's order of operations. */
export class Adopt {
  /** Fast paths: plain ADOPT, and with a gradient scale (clipping, GradScaler, accumulation). */
  // @ts-ignore: decorator
  @inline fast(i: i32): i32 { return i == 0 ? 0 : i == 1 ? GRAD_SCALE : NONE; }
  // @ts-ignore: decorator
  @inline state(k: i32): i32 { return k == 0 ? SIGNED : UNSIGNED; }
  // @ts-ignore: decorator
  @inline at<T, S>(o: usize, param: usize, grad: usize, expAvg: usize, expAvgSq: usize, c: usize, d: usize, lr: T,
      beta1: T, beta1Comp: T, beta2: T, beta2Comp: T, eps: T, clip: T, gradScale: T, s8: T, s9: T, s10: T, s11: T,
      s12: T, s13: T, f: i32, sr: bool, mix: u32): void {
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

export function adopt_f32(param: usize, expAvg: usize, expAvgSq: usize, grad: usize, n: i32, lr: f32, beta1: f32,
    beta1Comp: f32, beta2: f32, beta2Comp: f32, eps: f32, clip: f32, gradScale: f32, flags: i32): void {
  elementwise<Adopt, f32>(param, grad, n, flags, expAvg, expAvgSq, 0, 0, lr, beta1, beta1Comp, beta2, beta2Comp, eps, clip, gradScale);
}
