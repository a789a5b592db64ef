// Pure-TS reference of yogi_f32 (same signature, Float32Arrays for pointers). See src/optim/yogi.ts.
import { inputGrad, optaxMoment, sqrtDenom, subScaledDiv } from "../core/reference-ops.js";

const f = Math.fround;

export function yogi_f32(param: Float32Array, expAvg: Float32Array, expAvgSq: Float32Array, grad: Float32Array,
    n: number, stepSize: number, beta1: number, beta1Comp: number, beta2Comp: number, rBc2Sqrt: number, eps: number,
    gradScale: number, flags: number): void {
  const g = inputGrad(grad, param, n, 0, gradScale, flags);
  optaxMoment(expAvg, g, n, beta1, beta1Comp);
  // v ← v − ((1 − β2)·sign(v − g²))·g²: additive, moves v towards g² by at most (1 − β2)·g².
  const c = f(beta2Comp);
  for (let i = 0; i < n; i++) {
    const v = expAvgSq[i]!, g2 = f(g[i]! * g[i]!), d = f(v - g2);
    const s = d > 0 ? 1 : d < 0 ? -1 : d;
    expAvgSq[i] = v - f(f(c * s) * g2);
  }
  subScaledDiv(param, stepSize, expAvg, sqrtDenom(expAvgSq, n, rBc2Sqrt, eps), n);
}
