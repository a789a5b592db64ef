// Pure-TS reference of adadelta_f32 (same signature, Float32Arrays for pointers). See src/optim/adadelta.ts.
import { ema2, inputGrad, scratch, subScaled } from "../core/reference-ops.js";

const f = Math.fround;

export function adadelta_f32(param: Float32Array, squareAvg: Float32Array, accDelta: Float32Array,
    grad: Float32Array, n: number, lr: number, rho: number, rhoComp: number, eps: number, weightDecay: number,
    gradScale: number, flags: number): void {
  const g = inputGrad(grad, param, n, weightDecay, gradScale, flags);
  ema2(squareAvg, g, n, rho, rhoComp);
  // delta = sqrt((u + eps) / (v + eps)) * g, with the updated v (PyTorch: sqrt(u + eps) / sqrt(v + eps) * g).
  const delta = scratch(1, n), e = f(eps);
  for (let i = 0; i < n; i++) delta[i] = Math.sqrt(f(f(accDelta[i]! + e) / f(squareAvg[i]! + e)));
  for (let i = 0; i < n; i++) delta[i] = delta[i]! * g[i]!;
  ema2(accDelta, delta, n, rho, rhoComp);
  subScaled(param, lr, delta, n);
}
