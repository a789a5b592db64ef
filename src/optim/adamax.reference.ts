// Pure-TS reference of adamax_f32 (same signature, Float32Arrays for pointers). See src/optim/adamax.ts.
import { inputGrad, lerp, subScaledDiv } from "../core/reference-ops.js";

const f = Math.fround;

export function adamax_f32(param: Float32Array, expAvg: Float32Array, expInf: Float32Array, grad: Float32Array,
    n: number, clr: number, beta1Comp: number, beta2: number, eps: number, weightDecay: number, gradScale: number,
    flags: number): void {
  const g = inputGrad(grad, param, n, weightDecay, gradScale, flags);
  lerp(expAvg, g, n, beta1Comp);
  // u = max(beta2 * u, |g| + eps), NaN-propagating (torch.maximum, Wasm f32.max).
  const b2 = f(beta2), e = f(eps);
  for (let i = 0; i < n; i++) expInf[i] = Math.max(f(expInf[i]! * b2), f(Math.abs(g[i]!) + e));
  subScaledDiv(param, clr, expAvg, expInf, n);
}
