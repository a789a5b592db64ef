// Pure-TS reference of radam_f32 (same signature, Float32Arrays for pointers). See src/optim/radam.ts.
import { DECOUPLED, RECTIFY } from "../abi/index.js";
import { ema2, inputGrad, lerp, scale, sqrtDenom, subScaled, subScaledDiv } from "../core/reference-ops.js";

// RECTIFY (src/abi): the step is rectified (rho_t > 5); test/optim/radam.cases.ts runs both branches.

export function radam_f32(param: Float32Array, expAvg: Float32Array, expAvgSq: Float32Array, grad: Float32Array,
    n: number, stepSize: number, beta1Comp: number, beta2: number, beta2Comp: number, eps: number,
    weightDecay: number, decay: number, gradScale: number, flags: number): void {
  const g = inputGrad(grad, param, n, weightDecay, gradScale, flags);
  if (flags & DECOUPLED) scale(param, n, decay);
  lerp(expAvg, g, n, beta1Comp);
  ema2(expAvgSq, g, n, beta2, beta2Comp);
  if (flags & RECTIFY) subScaledDiv(param, stepSize, expAvg, sqrtDenom(expAvgSq, n, 1, eps), n);
  else subScaled(param, stepSize, expAvg, n);
}
