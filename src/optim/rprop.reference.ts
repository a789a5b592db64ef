// Pure-TS reference of rprop_f32 (same signature, Float32Arrays for pointers). See src/optim/rprop.ts.
import { clampp, inputGrad } from "../core/reference-ops.js";

const f = Math.fround;

/** torch.sign as PyTorch's CPU kernel computes it, (x > 0) - (x < 0): +0 for ±0 and for NaN. */
function sign(x: number): number {
  return x > 0 ? 1 : x < 0 ? -1 : 0;
}

export function rprop_f32(param: Float32Array, prev: Float32Array, stepSize: Float32Array, grad: Float32Array,
    n: number, etaminus: number, etaplus: number, stepSizeMin: number, stepSizeMax: number, gradScale: number,
    flags: number): void {
  const g = inputGrad(grad, param, n, 0, gradScale, flags);
  const em = f(etaminus), ep = f(etaplus), lo = f(stepSizeMin), hi = f(stepSizeMax);
  for (let i = 0; i < n; i++) {
    const s = f(g[i]! * prev[i]!);
    // PyTorch: sign(g·prev) replaced by etaplus / etaminus / 1 (sign is 0 for ±0 and NaN), then clamp_.
    const factor = s > 0 ? ep : s < 0 ? em : 1;
    stepSize[i] = clampp(f(stepSize[i]! * factor), lo, hi);
    const gNew = s < 0 ? 0 : g[i]!;
    param[i] = param[i]! - f(sign(gNew) * stepSize[i]!);
    prev[i] = gNew;
  }
}
