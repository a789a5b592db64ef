// RAdam step (PyTorch `_single_tensor_radam`); equations in src/optim/radam.ts.
import { DECOUPLED, ld, st, add, sub, mul, sqrt, gradInFlags, lerp, ema2, subScaledDiv } from "../lib/common";
import { NONE, SIGNED, UNSIGNED } from "../lib/elementwise";

/**
 * Flag bit of this kernel only (mirrored in src/optim/radam.reference.ts): the step is rectified (rho_t > 5). In
 * bits 11..15, kept for a kernel's own flags: above the shared bits of assembly/lib/common.ts, below the
 * low-precision kernels' stochastic-rounding bits (assembly/lib/lowp.ts F32_FLAGS passes it on).
 */
const RECTIFY: i32 = 1 << 11;

export class Radam {
  /** Fast path: a rectified step with no other flag. */
  @inline fast(i: i32): i32 { return i == 0 ? RECTIFY : NONE; }
  @inline state(k: i32): i32 { return k == 0 ? SIGNED : UNSIGNED; }
  @inline at<T, S>(o: usize, param: usize, grad: usize, expAvg: usize, expAvgSq: usize, _c: usize, _d: usize,
      stepSize: T, beta1Comp: T, beta2: T, beta2Comp: T, eps: T, weightDecay: T, decay: T, gradScale: T, _s8: T, _s9: T,
      _s10: T, _s11: T, _s12: T, _s13: T, f: i32, sr: bool, mix: u32): void {
    let p = ld<T>(param, o);
    const g = gradInFlags<T>(ld<T>(grad, o), p, gradScale, weightDecay, f);
    if ((f & DECOUPLED) != 0) p = mul<T>(p, decay);
    const m = lerp<T>(ld<T>(expAvg, o), g, beta1Comp);
    const v = ema2<T>(ld<T>(expAvgSq, o), g, beta2, beta2Comp);
    st<T>(expAvg, o, m);
    st<T>(expAvgSq, o, v);
    // Rectified: eps is added to the un-corrected sqrt(v) (PyTorch); otherwise an un-adapted momentum step.
    if ((f & RECTIFY) != 0) st<T>(param, o, subScaledDiv<T>(p, stepSize, m, add<T>(sqrt<T>(v), eps)));
    else st<T>(param, o, sub<T>(p, mul<T>(stepSize, m)));
  }
}
