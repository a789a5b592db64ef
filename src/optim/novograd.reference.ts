// Pure-TS reference of novograd_f32 (same signature, Float32Arrays for pointers). See src/optim/novograd.ts.
import { DECOUPLED, INIT_BUFFER } from "../abi/index.js";
import { inputGrad, sumSqBlocked } from "../core/reference-ops.js";

const f = Math.fround;

export function novograd_f32(param: Float32Array, expAvg: Float32Array, expAvgSq: Float32Array, _scratch: Float32Array,
    grad: Float32Array, n: number, lr: number, beta1: number, beta2: number, beta2Comp: number, eps: number,
    epsRoot: number, weightDecay: number, gradScale: number, flags: number): void {
  const g = inputGrad(grad, param, n, 0, gradScale, flags);
  const norm = f(Math.sqrt(f(sumSqBlocked(g, n)))), sq = f(norm * norm);
  expAvgSq[0] = flags & INIT_BUFFER ? sq : f(f(f(beta2Comp) * sq) + f(f(beta2) * expAvgSq[0]!));
  const d = f(f(Math.sqrt(f(expAvgSq[0]! + f(epsRoot)))) + f(eps)), b1 = f(beta1), wd = f(weightDecay), l = f(lr);
  for (let i = 0; i < n; i++) {
    let u = f(g[i]! / d);
    if (flags & DECOUPLED) u = f(u + f(wd * param[i]!));
    expAvg[i] = flags & INIT_BUFFER ? u : f(f(b1 * expAvg[i]!) + u);
    param[i] = param[i]! - f(l * expAvg[i]!);
  }
}
