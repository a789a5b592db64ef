// Pure-TS reference of adabelief_f32 (same signature, Float32Arrays for pointers). See src/optim/adabelief.ts.
import { DECOUPLED } from "../abi/index.js";
import { inputGrad, optaxMoment, optaxMoment2, scratch, sqrtDenom, subScaledDiv } from "../core/reference-ops.js";

const f = Math.fround;

export function adabelief_f32(param: Float32Array, expAvg: Float32Array, expAvgVar: Float32Array, grad: Float32Array,
    n: number, stepSize: number, beta1: number, beta1Comp: number, beta2: number, beta2Comp: number, rBc2Sqrt: number,
    eps: number, epsRoot: number, lrWeightDecay: number, gradScale: number, flags: number): void {
  const g = inputGrad(grad, param, n, 0, gradScale, flags);
  optaxMoment(expAvg, g, n, beta1, beta1Comp);
  // The prediction error g - m (with the updated m), then its second moment, then + epsRoot (kept in the state).
  const e = scratch(1, n);
  for (let i = 0; i < n; i++) e[i] = g[i]! - expAvg[i]!;
  optaxMoment2(expAvgVar, e, n, beta2, beta2Comp);
  const er = f(epsRoot);
  for (let i = 0; i < n; i++) expAvgVar[i] = expAvgVar[i]! + er;
  const d = sqrtDenom(expAvgVar, n, rBc2Sqrt, eps);
  if (!(flags & DECOUPLED)) { subScaledDiv(param, stepSize, expAvg, d, n); return; }
  // Optax's add_decayed_weights before the lr: θ − (γ·m̂/d + γλ·θ), the update summed, then subtracted.
  const s = f(stepSize), lwd = f(lrWeightDecay);
  for (let i = 0; i < n; i++) param[i] = param[i]! - f(f(f(s * expAvg[i]!) / d[i]!) + f(lwd * param[i]!));
}
