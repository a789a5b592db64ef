// Pure-TS reference of lamb_f32 (same signature, Float32Arrays for pointers). See src/optim/lamb.ts.
import { DECOUPLED, WEIGHT_DECAY } from "../abi/index.js";
import { inputGrad, optaxMoment, optaxMoment2, sumSqBlocked, trustRatio } from "../core/reference-ops.js";

const f = Math.fround;

export function lamb_f32(param: Float32Array, expAvg: Float32Array, expAvgSq: Float32Array, scratch: Float32Array,
    grad: Float32Array, n: number, lr: number, beta1: number, beta1Comp: number, beta2: number, beta2Comp: number,
    rBc1: number, rBc2: number, eps: number, epsRoot: number, weightDecay: number, gradScale: number, flags: number): void {
  // scale_by_adam: moments, then u = (m / bc1) / (sqrt(v / bc2 + epsRoot) + eps) into the scratch area
  const g = inputGrad(grad, param, n, 0, gradScale, flags & ~WEIGHT_DECAY);
  optaxMoment(expAvg, g, n, beta1, beta1Comp);
  optaxMoment2(expAvgSq, g, n, beta2, beta2Comp);
  const u = scratch, r1 = f(rBc1), r2 = f(rBc2), e = f(eps), er = f(epsRoot);
  for (let i = 0; i < n; i++) u[i] = f(expAvg[i]! * r1) / f(f(Math.sqrt(f(f(expAvgSq[i]! * r2) + er))) + e);
  // add_decayed_weights
  if (flags & DECOUPLED) {
    const wd = f(weightDecay);
    for (let i = 0; i < n; i++) u[i] = u[i]! + f(wd * param[i]!);
  }
  // scale_by_trust_ratio (norms of p before the step and of u, blocked order), scale_by_learning_rate, apply_updates
  // (the kernel multiplies once by f32(ratio · −lr), both rounded to f32 first, where Optax multiplies twice)
  const s = f(f(trustRatio(sumSqBlocked(param, n), sumSqBlocked(u, n), 1, 0)) * -f(lr));
  for (let i = 0; i < n; i++) param[i] = param[i]! + f(u[i]! * s);
}
