// Adadelta step (PyTorch `_single_tensor_adadelta`; with TFJS, tfjs's order); equations in src/optim/adadelta.ts.
import { TFJS, ld, st, add, sub, mul, div, sqrt, gradInFlags, ema2, tfjsEma2 } from "../lib/common";
import { NONE, UNSIGNED } from "../lib/elementwise";

export class Adadelta {
  /** Fast paths: plain Adadelta, tfjs's. */
  @inline fast(i: i32): i32 { return i == 0 ? 0 : i == 1 ? TFJS : NONE; }
  @inline state(k: i32): i32 { return UNSIGNED; }
  @inline at<T, S>(o: usize, param: usize, grad: usize, squareAvg: usize, accDelta: usize, _c: usize, _d: usize, lr: T,
      rho: T, rhoComp: T, eps: T, weightDecay: T, gradScale: T, _s6: T, _s7: T, _s8: T, _s9: T, _s10: T, _s11: T,
      _s12: T, _s13: T, f: i32, sr: bool, mix: u32): void {
    const p = ld<T>(param, o);
    const g = gradInFlags<T>(ld<T>(grad, o), p, gradScale, weightDecay, f);
    if ((f & TFJS) != 0) {
      // tfjs-core adadelta_optimizer.ts: updates = sqrt(u + eps) / sqrt(v + eps) * g with v and u as they were
      // before this step (tfjs assigns the new accumulated gradient only after computing the update).
      const v0 = ld<T>(squareAvg, o), u0 = ld<T>(accDelta, o);
      const upd = mul<T>(div<T>(sqrt<T>(add<T>(u0, eps)), sqrt<T>(add<T>(v0, eps))), g);
      st<T>(squareAvg, o, tfjsEma2<T>(v0, g, rho, rhoComp));
      st<T>(accDelta, o, tfjsEma2<T>(u0, upd, rho, rhoComp));
      st<T>(param, o, sub<T>(p, mul<T>(lr, upd)));
      return;
    }
    const v = ema2<T>(ld<T>(squareAvg, o), g, rho, rhoComp);
    st<T>(squareAvg, o, v);
    // PyTorch: delta = sqrt(u + eps) / sqrt(v + eps) * g, with the updated v. One square root of the quotient
    // here instead of two (within an f32 rounding, far inside the conformance tolerance).
    const u = ld<T>(accDelta, o);
    const delta = mul<T>(sqrt<T>(div<T>(add<T>(u, eps), add<T>(v, eps))), g);
    st<T>(accDelta, o, ema2<T>(u, delta, rho, rhoComp));
    st<T>(param, o, sub<T>(p, mul<T>(lr, delta)));
  }
}
