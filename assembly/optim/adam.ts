// Adam / AdamW step (PyTorch `_single_tensor_adam`; with TFJS, tfjs's order); equations in src/optim/adam.ts.
import {
  DECOUPLED, AMSGRAD, GRAD_SCALE, TFJS,
  ld, st, add, sub, mul, div, sqrt, maxv, gradInFlags, lerp, ema2, subScaledDiv, tfjsMoment, tfjsEma2,
} from "../lib/common";
import { F32_STATE, NONE, SIGNED, UNSIGNED } from "../lib/elementwise";
import { lds, sts } from "../lib/lowp";

export class Adam {
  /**
   * Fast paths: plain Adam and default AdamW, each also with a gradient scale (clipping, GradScaler, accumulation);
   * tfjs's Adam with f32 state (with bf16 it takes the general loop: binary size).
   */
  @inline fast(i: i32): i32 {
    return i == 0 ? 0 : i == 1 ? DECOUPLED : i == 2 ? GRAD_SCALE : i == 3 ? GRAD_SCALE | DECOUPLED : i == 4 ? TFJS | F32_STATE : NONE;
  }
  @inline state(k: i32): i32 { return k == 0 ? SIGNED : k == 1 ? UNSIGNED : UNSIGNED | AMSGRAD; }
  @inline at<T, S>(o: usize, param: usize, grad: usize, expAvg: usize, expAvgSq: usize, maxExpAvgSq: usize, _d: usize,
      stepSize: T, beta1Comp: T, beta2: T, beta2Comp: T, rBc2Sqrt: T, eps: T, weightDecay: T, decay: T, beta1: T,
      bc1: T, bc2: T, gradScale: T, _s12: T, _s13: T, f: i32, sr: bool, mix: u32): void {
    const tfjs = (f & TFJS) != 0;
    let p = ld<T>(param, o);
    const g = gradInFlags<T>(ld<T>(grad, o), p, gradScale, weightDecay, f);
    if ((f & DECOUPLED) != 0) p = mul<T>(p, decay);
    // v before m (independent, the same bits): V8 compiles the loop ~3 % faster at 64K in this order.
    let v = tfjs ? tfjsEma2<T>(lds<T, S>(expAvgSq, o), g, beta2, beta2Comp) : ema2<T>(lds<T, S>(expAvgSq, o), g, beta2, beta2Comp);
    const m = tfjs ? tfjsMoment<T>(lds<T, S>(expAvg, o), g, beta1, beta1Comp) : lerp<T>(lds<T, S>(expAvg, o), g, beta1Comp);
    sts<T, S>(expAvg, o, m, sr, mix);
    sts<T, S>(expAvgSq, o, v, sr, mix);
    if ((f & AMSGRAD) != 0) {
      v = maxv<T>(lds<T, S>(maxExpAvgSq, o), v);
      sts<T, S>(maxExpAvgSq, o, v, sr, mix);
    }
    if (tfjs) {
      // tfjs: p + (m/bc1) / (sqrt(v/bc2) + eps) * -lr; adding the product of -lr is subtracting that of lr.
      st<T>(param, o, sub<T>(p, mul<T>(div<T>(div<T>(m, bc1), add<T>(sqrt<T>(div<T>(v, bc2)), eps)), stepSize)));
    } else {
      st<T>(param, o, subScaledDiv<T>(p, stepSize, m, add<T>(mul<T>(sqrt<T>(v), rBc2Sqrt), eps)));
    }
  }
}

