// Pure-TS reference of prodigy_f32 (same signature, Float32Arrays for pointers). See src/optim/prodigy.ts.
import { START, UPDATE } from "../abi/index.js";
import { ema2, inputGrad, optaxMoment } from "../core/reference-ops.js";

const f = Math.fround;

export function prodigy_f32(param: Float32Array, expAvg: Float32Array, expAvgSq: Float32Array, gradSum: Float32Array,
    params0: Float32Array, terms: Float32Array, grad: Float32Array, n: number, estimLr: number, beta1: number,
    beta1Comp: number, beta2: number, beta2Comp: number, beta3: number, sumLr: number, estimLr0: number, dlr: number,
    decay: number, epsLr: number, gradScale: number, flags: number): void {
  const g = inputGrad(grad, param, n, 0, gradScale, flags), d = f(estimLr);
  if (!(flags & UPDATE)) {
    if (flags & START) params0.set(param.subarray(0, n));
    const b3 = f(beta3), sl = f(sumLr), d0 = f(estimLr0);
    for (let i = 0; i < n; i++) {
      terms[i] = f(g[i]! * f(params0[i]! - param[i]!));
      gradSum[i] = f(f(b3 * gradSum[i]!) + f(f(sl * f(d * g[i]!)) / d0));
    }
    return;
  }
  for (let i = 0; i < n; i++) g[i] = f(d * g[i]!);
  optaxMoment(expAvg, g, n, beta1, beta1Comp);
  ema2(expAvgSq, g, n, beta2, beta2Comp);
  const l = f(dlr), wd = f(decay), e = f(epsLr);
  for (let i = 0; i < n; i++) {
    const p = param[i]!, u = f(f(wd * p) - f(f(l * expAvg[i]!) / f(f(Math.sqrt(expAvgSq[i]!)) + e)));
    param[i] = f(p + u);
  }
}
