// Pure-TS reference of adagrad_f32 (same signature, Float32Arrays for pointers). See src/adagrad.ts.
import { inputGrad, sqrtDenom, subScaledDiv } from "../core/reference-ops.js";

export function adagrad_f32(param: Float32Array, sum: Float32Array, grad: Float32Array, n: number,
    clr: number, eps: number, weightDecay: number, gradScale: number, flags: number): void {
  const g = inputGrad(grad, param, n, weightDecay, gradScale, flags);
  for (let i = 0; i < n; i++) sum[i] = sum[i]! + Math.fround(g[i]! * g[i]!);
  subScaledDiv(param, clr, g, sqrtDenom(sum, n, 1, eps), n);
}
