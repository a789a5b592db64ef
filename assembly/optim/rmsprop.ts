// RMSprop step (PyTorch `_single_tensor_rmsprop`; with TFJS, tfjs's order); equations in src/optim/rmsprop.ts.
import {
  MOMENTUM, CENTERED, TFJS, ld, st, add, sub, mul, div, sqrt, gradInFlags, lerp, ema2, subScaledDiv, tfjsMoment, tfjsEma2,
} from "../lib/common";
import { NONE, SIGNED, UNSIGNED } from "../lib/elementwise";

export class Rmsprop {
  /** Fast paths: plain RMSprop, centered with momentum, tfjs's. */
  @inline fast(i: i32): i32 { return i == 0 ? 0 : i == 1 ? MOMENTUM | CENTERED : i == 2 ? TFJS : NONE; }
  @inline state(k: i32): i32 { return k == 0 ? UNSIGNED : k == 1 ? SIGNED | MOMENTUM : SIGNED | CENTERED; }
  @inline at<T, S>(o: usize, param: usize, grad: usize, squareAvg: usize, momentumBuffer: usize, gradAvg: usize,
      _d: usize, lr: T, alpha: T, alphaComp: T, eps: T, weightDecay: T, momentum: T, gradScale: T, _s7: T, _s8: T,
      _s9: T, _s10: T, _s11: T, _s12: T, _s13: T, f: i32, sr: bool, mix: u32): void {
    const hasMomentum = (f & MOMENTUM) != 0, centered = (f & CENTERED) != 0;
    const p = ld<T>(param, o);
    const g = gradInFlags<T>(ld<T>(grad, o), p, gradScale, weightDecay, f);
    if ((f & TFJS) != 0) {
      const ms = tfjsEma2<T>(ld<T>(squareAvg, o), g, alpha, alphaComp);
      st<T>(squareAvg, o, ms);
      let dn: T;
      if (centered) {
        const mg = tfjsMoment<T>(ld<T>(gradAvg, o), g, alpha, alphaComp);
        st<T>(gradAvg, o, mg);
        dn = sqrt<T>(sub<T>(ms, add<T>(mul<T>(mg, mg), eps))); // tfjs subtracts eps with the squared mean
      } else {
        dn = sqrt<T>(add<T>(ms, eps));
      }
      const x = div<T>(mul<T>(g, lr), dn);
      if (hasMomentum) {
        const b = add<T>(mul<T>(ld<T>(momentumBuffer, o), momentum), x);
        st<T>(momentumBuffer, o, b);
        st<T>(param, o, sub<T>(p, b));
      } else {
        st<T>(param, o, sub<T>(p, x));
      }
      return;
    }
    const v = ema2<T>(ld<T>(squareAvg, o), g, alpha, alphaComp);
    st<T>(squareAvg, o, v);
    let avg: T;
    if (centered) {
      const ga = lerp<T>(ld<T>(gradAvg, o), g, alphaComp);
      st<T>(gradAvg, o, ga);
      avg = add<T>(sqrt<T>(sub<T>(v, mul<T>(ga, ga))), eps);
    } else {
      avg = add<T>(sqrt<T>(v), eps);
    }
    if (hasMomentum) {
      const b = add<T>(mul<T>(ld<T>(momentumBuffer, o), momentum), div<T>(g, avg));
      st<T>(momentumBuffer, o, b);
      st<T>(param, o, sub<T>(p, mul<T>(lr, b)));
    } else {
      st<T>(param, o, subScaledDiv<T>(p, lr, g, avg));
    }
  }
}
