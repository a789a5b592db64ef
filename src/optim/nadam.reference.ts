// Pure-TS reference of nadam_f32 (same signature, Float32Arrays for pointers). See src/optim/nadam.ts.
import { DECOUPLED } from "../abi/index.js";
import { ema2, inputGrad, lerp, scale, scratch } from "../core/reference-ops.js";

const f = Math.fround;

export function nadam_f32(param: Float32Array, expAvg: Float32Array, expAvgSq: Float32Array, grad: Float32Array,
    n: number, gradCoef: number, avgCoef: number, beta1Comp: number, beta2: number, beta2Comp: number, rBc2: number,
    eps: number, weightDecay: number, decay: number, gradScale: number, flags: number): void {
  const g = inputGrad(grad, param, n, weightDecay, gradScale, flags);
  if (flags & DECOUPLED) scale(param, n, decay);
  lerp(expAvg, g, n, beta1Comp);
  ema2(expAvgSq, g, n, beta2, beta2Comp);
  // r = 1 / (sqrt(v * (1/bc2)) + eps): PyTorch's denom, as a reciprocal both terms multiply by.
  const r = scratch(1, n), rb = f(rBc2), e = f(eps);
  for (let i = 0; i < n; i++) r[i] = 1 / f(f(Math.sqrt(f(expAvgSq[i]! * rb))) + e);
  for (let i = 0; i < n; i++) param[i] = param[i]! - f(f(f(gradCoef) * g[i]!) * r[i]!);
  for (let i = 0; i < n; i++) param[i] = param[i]! - f(f(f(avgCoef) * expAvg[i]!) * r[i]!);
}
