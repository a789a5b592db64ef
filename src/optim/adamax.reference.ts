// Pure-TS reference of adamax_f32 (same signature, Float32Arrays for pointers). See src/optim/adamax.ts.
import { TFJS } from "../abi/index.js";
import { inputGrad, lerp, maxp, scratch, subScaled, subScaledDiv } from "../core/reference-ops.js";

const f = Math.fround;

export function adamax_f32(param: Float32Array, expAvg: Float32Array, expInf: Float32Array, grad: Float32Array,
    n: number, clr: number, beta1Comp: number, beta2: number, eps: number, weightDecay: number, beta1: number,
    gradScale: number, flags: number): void {
  const g = inputGrad(grad, param, n, weightDecay, gradScale, flags);
  if (flags & TFJS) {
    // tfjs: m*beta1 + g*(1-beta1); maximum(u*beta2, |g|) (NaN-propagating); p -= clr * (m / (u + eps)).
    const b1 = f(beta1), c1 = f(beta1Comp), b2 = f(beta2), e = f(eps), q = scratch(1, n);
    for (let i = 0; i < n; i++) expAvg[i] = f(expAvg[i]! * b1) + f(g[i]! * c1);
    for (let i = 0; i < n; i++) expInf[i] = Math.max(f(expInf[i]! * b2), Math.abs(g[i]!));
    for (let i = 0; i < n; i++) q[i] = expAvg[i]! / f(expInf[i]! + e);
    subScaled(param, clr, q, n);
    return;
  }
  lerp(expAvg, g, n, beta1Comp);
  // u = max(beta2 * u, |g| + eps) (torch.maximum).
  const b2 = f(beta2), e = f(eps);
  for (let i = 0; i < n; i++) expInf[i] = maxp(f(expInf[i]! * b2), f(Math.abs(g[i]!) + e));
  subScaledDiv(param, clr, expAvg, expInf, n);
}
