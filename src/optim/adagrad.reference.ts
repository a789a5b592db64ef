// Pure-TS reference of adagrad_f32 (same signature, Float32Arrays for pointers). See src/adagrad.ts.
import { TFJS } from "../abi/index.js";
import { inputGrad, scratch, sqrtDenom, subScaled, subScaledDiv } from "../core/reference-ops.js";

const f = Math.fround;

export function adagrad_f32(param: Float32Array, sum: Float32Array, grad: Float32Array, n: number,
    clr: number, eps: number, weightDecay: number, gradScale: number, flags: number): void {
  const g = inputGrad(grad, param, n, weightDecay, gradScale, flags);
  for (let i = 0; i < n; i++) sum[i] = sum[i]! + Math.fround(g[i]! * g[i]!);
  if (flags & TFJS) {
    const q = scratch(1, n), e = f(eps);
    for (let i = 0; i < n; i++) q[i] = g[i]! / f(Math.sqrt(f(sum[i]! + e))); // g / sqrt(s + eps)
    subScaled(param, clr, q, n);
  } else {
    subScaledDiv(param, clr, g, sqrtDenom(sum, n, 1, eps), n);
  }
}
