// Pure-TS reference of madgrad_f32 (same signature, Float32Arrays for pointers). See src/optim/madgrad.ts.
import { INIT_BUFFER } from "../abi/index.js";
import { cbrt, inputGrad } from "../core/reference-ops.js";

const f = Math.fround;

export function madgrad_f32(param: Float32Array, gradSumSq: Float32Array, s: Float32Array, x0: Float32Array,
    grad: Float32Array, n: number, lamb: number, eps: number, momentum: number, momentumComp: number,
    weightDecay: number, gradScale: number, flags: number): void {
  const g = inputGrad(grad, param, n, weightDecay, gradScale, flags), l = f(lamb), e = f(eps), c = f(momentum), cc = f(momentumComp);
  if (flags & INIT_BUFFER) x0.set(param.subarray(0, n));
  for (let i = 0; i < n; i++) {
    const p = param[i]!, v = (gradSumSq[i] = f(gradSumSq[i]! + f(l * f(g[i]! * g[i]!))));
    const si = (s[i] = f(s[i]! + f(l * g[i]!)));
    const z = f(x0[i]! - f(si / f(cbrt(v) + e)));
    param[i] = f(p + f(f(f(cc * z) + f(c * p)) - p));
  }
}
