// Pure-TS reference of nadam_f32 (same signature, Float32Arrays for pointers). See src/optim/nadam.ts.
import { DECOUPLED } from "../core/abi.js";
import { ema2, inputGrad, lerp, scale, scratch, subScaledDiv } from "../core/reference-ops.js";

const f = Math.fround;

export function nadam_f32(param: Float32Array, expAvg: Float32Array, expAvgSq: Float32Array, grad: Float32Array,
    n: number, gradCoef: number, avgCoef: number, beta1Comp: number, beta2: number, beta2Comp: number, bc2: number,
    eps: number, weightDecay: number, decay: number, gradScale: number, flags: number): void {
  const g = inputGrad(grad, param, n, weightDecay, gradScale, flags);
  if (flags & DECOUPLED) scale(param, n, decay);
  lerp(expAvg, g, n, beta1Comp);
  ema2(expAvgSq, g, n, beta2, beta2Comp);
  // denom = sqrt(v / bc2) + eps
  const d = scratch(1, n), bc = f(bc2), e = f(eps);
  for (let i = 0; i < n; i++) d[i] = f(Math.sqrt(f(expAvgSq[i]! / bc))) + e;
  subScaledDiv(param, gradCoef, g, d, n);
  subScaledDiv(param, avgCoef, expAvg, d, n);
}
