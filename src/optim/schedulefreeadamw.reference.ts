// Pure-TS reference of schedulefreeadamw_f32 (same signature, Float32Arrays for pointers). See
// src/optim/schedulefreeadamw.ts.
import { DECOUPLED, INIT_BUFFER } from "../abi/index.js";
import { inputGrad, optaxMoment2 } from "../core/reference-ops.js";

const f = Math.fround;

export function schedulefreeadamw_f32(param: Float32Array, z: Float32Array, expAvgSq: Float32Array, grad: Float32Array,
    n: number, beta1: number, beta1Comp: number, rBeta1: number, ck: number, ckComp: number, lr: number, beta2: number,
    beta2Comp: number, rBc2: number, eps: number, weightDecay: number, gradScale: number, flags: number): void {
  const g = inputGrad(grad, param, n, weightDecay, gradScale, flags);
  if (flags & INIT_BUFFER) z.set(param.subarray(0, n)); // z starts as a copy of y
  optaxMoment2(expAvgSq, g, n, beta2, beta2Comp);
  const b1 = f(beta1), b1c = f(beta1Comp), rb1 = f(rBeta1), c = f(ck), cc = f(ckComp), l = f(lr), r2 = f(rBc2);
  const e = f(eps), wd = f(weightDecay), decay = (flags & DECOUPLED) !== 0;
  for (let i = 0; i < n; i++) {
    const y = param[i]!, z0 = z[i]!;
    // base step: u = g / (√(v/bc2) + ε) (+ λy);  z ← z − γ·u
    let u = f(g[i]! / f(f(Math.sqrt(f(expAvgSq[i]! * r2))) + e));
    if (decay) u = f(u + f(wd * y));
    const z1 = f(z0 - f(l * u));
    z[i] = z1;
    // x_prev = (y − (1 − β1)·z)/β1;  x = (1 − c)·x_prev + c·z';  y' = β1·x + (1 − β1)·z';  θ = y + (y' − y)
    const x = f(f(cc * f(f(y - f(b1c * z0)) * rb1)) + f(c * z1));
    const y1 = f(f(b1 * x) + f(b1c * z1));
    param[i] = y + f(y1 - y);
  }
}
