// Pure-TS reference of adan_f32 (same signature, Float32Arrays for pointers). See src/optim/adan.ts.
import { DECOUPLED, INIT_BUFFER } from "../abi/index.js";
import { inputGrad, optaxMoment, optaxMoment2, scratch } from "../core/reference-ops.js";

const f = Math.fround;

export function adan_f32(param: Float32Array, expAvg: Float32Array, expAvgDiff: Float32Array, expAvgSq: Float32Array,
    prevGrad: Float32Array, grad: Float32Array, n: number, beta1: number, beta1Comp: number, beta2: number,
    beta2Comp: number, beta3: number, beta3Comp: number, rBc1: number, rBc2: number, rBc3: number, eps: number,
    epsRoot: number, lr: number, weightDecay: number, gradScale: number, flags: number): void {
  const g = inputGrad(grad, param, n, weightDecay, gradScale, flags);
  // d = g − g_prev (zero on the first step), then the three moments; the third is of g + (1 − β2)·d.
  const d = scratch(1, n);
  if (flags & INIT_BUFFER) d.fill(0, 0, n);
  else for (let i = 0; i < n; i++) d[i] = g[i]! - prevGrad[i]!;
  optaxMoment(expAvg, g, n, beta1, beta1Comp);
  optaxMoment(expAvgDiff, d, n, beta2, beta2Comp);
  const b2c = f(beta2Comp);
  for (let i = 0; i < n; i++) d[i] = g[i]! + f(b2c * d[i]!);
  optaxMoment2(expAvgSq, d, n, beta3, beta3Comp);
  prevGrad.set(g.subarray(0, n));
  // u = (m̂ + (1 − β2)·v̂) / (√(n̂ + εroot) + ε) (+ λθ), θ ← θ − γ·u
  const r1 = f(rBc1), r2 = f(rBc2), r3 = f(rBc3), e = f(eps), er = f(epsRoot), l = f(lr), wd = f(weightDecay);
  const decay = (flags & DECOUPLED) !== 0;
  for (let i = 0; i < n; i++) {
    let u = f(f(expAvg[i]! * r1) + f(b2c * f(expAvgDiff[i]! * r2)));
    u = f(u / f(f(Math.sqrt(f(f(expAvgSq[i]! * r3) + er))) + e));
    if (decay) u = f(u + f(wd * param[i]!));
    param[i] = param[i]! - f(l * u);
  }
}
