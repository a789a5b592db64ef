// Pure-TS reference of adopt_f32 (same signature, Float32Arrays for pointers). See src/optim/adopt.ts.
import { NESTEROV } from "../abi/index.js";
import { inputGrad, optaxMoment, optaxMoment2, scratch } from "../core/reference-ops.js";

const f = Math.fround;

export function adopt_f32(param: Float32Array, expAvg: Float32Array, expAvgSq: Float32Array, grad: Float32Array,
    n: number, lr: number, beta1: number, beta1Comp: number, beta2: number, beta2Comp: number, eps: number,
    clip: number, gradScale: number, flags: number): void {
  const g = inputGrad(grad, param, n, 0, gradScale, flags);
  // u = clip(g / max(√v, eps), ±clip) with v before this step's update (maxp, clampp: NaN stays NaN).
  const u = scratch(1, n), e = f(eps), hi = f(clip), lo = -hi;
  for (let i = 0; i < n; i++) {
    const s = f(Math.sqrt(expAvgSq[i]!)), x = f(g[i]! / (s !== s || e < s ? s : e)), y = x < lo ? lo : x;
    u[i] = hi < y ? hi : y;
  }
  optaxMoment2(expAvgSq, g, n, beta2, beta2Comp);
  optaxMoment(expAvg, u, n, beta1, beta1Comp);
  const l = f(lr);
  if (!(flags & NESTEROV)) {
    for (let i = 0; i < n; i++) param[i] = param[i]! - f(l * expAvg[i]!);
    return;
  }
  const b = f(beta1), bc = f(beta1Comp);
  for (let i = 0; i < n; i++) param[i] = param[i]! - f(l * f(f(bc * u[i]!) + f(b * expAvg[i]!)));
}
