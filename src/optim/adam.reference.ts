// Pure-TS reference of adam_f32 (same signature, Float32Arrays for pointers). See src/adam.ts.
import { AMSGRAD, DECOUPLED } from "../core/abi.js";
import { ema2, inputGrad, lerp, maximum, scale, sqrtDenom, subScaledDiv } from "../core/reference-ops.js";

export function adam_f32(param: Float32Array, expAvg: Float32Array, expAvgSq: Float32Array,
    maxExpAvgSq: Float32Array, grad: Float32Array, n: number, stepSize: number, beta1Comp: number, beta2: number,
    beta2Comp: number, rBc2Sqrt: number, eps: number, weightDecay: number, decay: number, gradScale: number, flags: number): void {
  const g = inputGrad(grad, param, n, weightDecay, gradScale, flags);
  if (flags & DECOUPLED) scale(param, n, decay);
  lerp(expAvg, g, n, beta1Comp);
  ema2(expAvgSq, g, n, beta2, beta2Comp);
  let v = expAvgSq;
  if (flags & AMSGRAD) {
    maximum(maxExpAvgSq, expAvgSq, n);
    v = maxExpAvgSq;
  }
  subScaledDiv(param, stepSize, expAvg, sqrtDenom(v, n, rBc2Sqrt, eps), n);
}
