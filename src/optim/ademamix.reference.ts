// Pure-TS reference of ademamix_f32 (same signature, Float32Arrays for pointers). See src/optim/ademamix.ts.
import { DECOUPLED } from "../abi/index.js";
import { inputGrad, optaxMoment, optaxMoment2 } from "../core/reference-ops.js";

const f = Math.fround;

export function ademamix_f32(param: Float32Array, expAvgFast: Float32Array, expAvgSlow: Float32Array,
    expAvgSq: Float32Array, grad: Float32Array, n: number, beta1: number, beta1Comp: number, beta2: number,
    beta2Comp: number, beta3: number, beta3Comp: number, rBc1: number, rBc2: number, alpha: number, eps: number,
    lr: number, weightDecay: number, gradScale: number, flags: number): void {
  const g = inputGrad(grad, param, n, weightDecay, gradScale, flags);
  optaxMoment(expAvgFast, g, n, beta1, beta1Comp);
  optaxMoment(expAvgSlow, g, n, beta3, beta3Comp);
  optaxMoment2(expAvgSq, g, n, beta2, beta2Comp);
  // u = (m̂1 + α·m2) / (√v̂ + ε) (+ λθ), θ ← θ − γ·u; the slow EMA m2 is not bias-corrected.
  const r1 = f(rBc1), r2 = f(rBc2), a = f(alpha), e = f(eps), l = f(lr), wd = f(weightDecay);
  const decay = (flags & DECOUPLED) !== 0;
  for (let i = 0; i < n; i++) {
    let u = f(f(f(expAvgFast[i]! * r1) + f(a * expAvgSlow[i]!)) / f(f(Math.sqrt(f(expAvgSq[i]! * r2))) + e));
    if (decay) u = f(u + f(wd * param[i]!));
    param[i] = param[i]! - f(l * u);
  }
}
