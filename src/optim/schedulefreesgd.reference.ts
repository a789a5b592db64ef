// Pure-TS reference of schedulefreesgd_f32 (same signature, Float32Arrays for pointers). See
// src/optim/schedulefreesgd.ts.
import { DECOUPLED, INIT_BUFFER } from "../abi/index.js";
import { inputGrad } from "../core/reference-ops.js";

const f = Math.fround;

export function schedulefreesgd_f32(param: Float32Array, z: Float32Array, grad: Float32Array, n: number, beta1: number,
    beta1Comp: number, rBeta1: number, ck: number, ckComp: number, lr: number, weightDecay: number, gradScale: number,
    flags: number): void {
  const g = inputGrad(grad, param, n, weightDecay, gradScale, flags);
  if (flags & INIT_BUFFER) z.set(param.subarray(0, n)); // z starts as a copy of y
  const b1 = f(beta1), b1c = f(beta1Comp), rb1 = f(rBeta1), c = f(ck), cc = f(ckComp), l = f(lr), wd = f(weightDecay);
  const decay = (flags & DECOUPLED) !== 0;
  for (let i = 0; i < n; i++) {
    const y = param[i]!, z0 = z[i]!;
    const u = decay ? f(g[i]! + f(wd * y)) : g[i]!; // base step: z ← z − γ·(g + λy)
    const z1 = f(z0 - f(l * u));
    z[i] = z1;
    const x = f(f(cc * f(f(y - f(b1c * z0)) * rb1)) + f(c * z1));
    const y1 = f(f(b1 * x) + f(b1c * z1));
    param[i] = y + f(y1 - y);
  }
}
