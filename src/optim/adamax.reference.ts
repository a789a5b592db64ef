// Pure-TS reference of adamax_f32 (same signature, Float32Arrays for pointers). See src/optim/adamax.ts.
import { inputGrad, lerp, subScaledDiv } from "../core/reference-ops.js";

const f = Math.fround;

export function adamax_f32(param: Float32Array, expAvg: Float32Array, expInf: Float32Array, grad: Float32Array,
    n: number, clr: number, beta1Comp: number, beta2: number, eps: number, weightDecay: number, gradScale: number,
    flags: number): void {
  const g = inputGrad(grad, param, n, weightDecay, gradScale, flags);
  lerp(expAvg, g, n, beta1Comp);
  // u = max(beta2 * u, |g| + eps), NaN if either is NaN (torch.maximum; the kernel's maxp).
  const b2 = f(beta2), e = f(eps);
  for (let i = 0; i < n; i++) {
    const a = f(expInf[i]! * b2), b = f(Math.abs(g[i]!) + e);
    expInf[i] = a !== a ? a : b < a ? a : b;
  }
  subScaledDiv(param, clr, expAvg, expInf, n);
}
