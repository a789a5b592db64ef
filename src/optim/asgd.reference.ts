// Pure-TS reference of asgd_f32 (same signature, Float32Arrays for pointers). See src/optim/asgd.ts.
import { inputGrad, scale, subScaled } from "../core/reference-ops.js";

const f = Math.fround;

export function asgd_f32(param: Float32Array, ax: Float32Array, grad: Float32Array, n: number, eta: number,
    decay: number, mu: number, weightDecay: number, gradScale: number, flags: number): void {
  const g = inputGrad(grad, param, n, weightDecay, gradScale, flags);
  scale(param, n, decay);
  subScaled(param, eta, g, n);
  // Averaging: PyTorch copies the param while mu is exactly 1, and moves ax towards it after that.
  const m = f(mu);
  if (m === 1) ax.set(param.subarray(0, n));
  else for (let i = 0; i < n; i++) ax[i] = ax[i]! + f(f(param[i]! - ax[i]!) * m);
}
