// Pure-TS reference of lion_f32 (same signature, Float32Arrays for pointers). See src/optim/lion.ts.
import { DECOUPLED } from "../abi/index.js";
import { inputGrad, optaxMoment, scratch } from "../core/reference-ops.js";

const f = Math.fround;

export function lion_f32(param: Float32Array, expAvg: Float32Array, grad: Float32Array, n: number,
    lr: number, beta1: number, beta1Comp: number, beta2: number, beta2Comp: number, weightDecay: number,
    gradScale: number, flags: number): void {
  const g = inputGrad(grad, param, n, weightDecay, gradScale, flags);
  // u = sign((1 - beta1) g + beta1 m), from the moment before this step's update.
  const u = scratch(1, n);
  u.set(expAvg.subarray(0, n));
  optaxMoment(u, g, n, beta1, beta1Comp);
  for (let i = 0; i < n; i++) u[i] = u[i]! > 0 ? 1 : u[i]! < 0 ? -1 : u[i]!;
  optaxMoment(expAvg, g, n, beta2, beta2Comp);
  if (flags & DECOUPLED) {
    const wd = f(weightDecay);
    for (let i = 0; i < n; i++) u[i] = u[i]! + f(wd * param[i]!);
  }
  const l = f(lr);
  for (let i = 0; i < n; i++) param[i] = param[i]! - f(l * u[i]!);
}
