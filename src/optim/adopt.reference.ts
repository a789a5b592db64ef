// Pure-TS reference of adopt_f32 (same signature, Float32Arrays for pointers). See src/optim/adopt.ts.
import { NESTEROV } from "../abi/index.js";
import { clampp, inputGrad, maxp, optaxMoment, optaxMoment2, scratch, subScaled } from "../core/reference-ops.js";

const f = Math.fround;

export function adopt_f32(param: Float32Array, expAvg: Float32Array, expAvgSq: Float32Array, grad: Float32Array,
    n: number, lr: number, beta1: number, beta1Comp: number, beta2: number, beta2Comp: number, eps: number,
    clip: number, gradScale: number, flags: number): void {
  const g = inputGrad(grad, param, n, 0, gradScale, flags), u = scratch(1, n), e = f(eps), c = f(clip);
  for (let i = 0; i < n; i++) u[i] = clampp(f(g[i]! / maxp(f(Math.sqrt(expAvgSq[i]!)), e)), -c, c);
  optaxMoment2(expAvgSq, g, n, beta2, beta2Comp);
  optaxMoment(expAvg, u, n, beta1, beta1Comp);
  // Nesterov: u ← β1·m + (1 − β1)·u, the kernel's (1 − β1)·u + β1·m (f32 addition commutes).
  if (flags & NESTEROV) optaxMoment(u, expAvg, n, beta1Comp, beta1);
  subScaled(param, lr, flags & NESTEROV ? u : expAvg, n);
}
