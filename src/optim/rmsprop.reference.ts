// Pure-TS reference of rmsprop_f32 (same signature, Float32Arrays for pointers). See src/rmsprop.ts.
import { CENTERED, MOMENTUM } from "../core/abi.js";
import { ema2, inputGrad, lerp, momentum as accumulate, scratch, sqrtDenom, subScaled, subScaledDiv } from "../core/reference-ops.js";

const f = Math.fround;

export function rmsprop_f32(param: Float32Array, squareAvg: Float32Array, momentumBuffer: Float32Array,
    gradAvg: Float32Array, grad: Float32Array, n: number, lr: number, alpha: number, alphaComp: number,
    eps: number, weightDecay: number, momentum: number, gradScale: number, flags: number): void {
  const g = inputGrad(grad, param, n, weightDecay, gradScale, flags);
  ema2(squareAvg, g, n, alpha, alphaComp);
  let avg: Float32Array;
  if (flags & CENTERED) {
    lerp(gradAvg, g, n, alphaComp);
    avg = scratch(1, n);
    const e = f(eps);
    for (let i = 0; i < n; i++) avg[i] = f(Math.sqrt(f(squareAvg[i]! - f(gradAvg[i]! * gradAvg[i]!)))) + e;
  } else {
    avg = sqrtDenom(squareAvg, n, 1, eps);
  }
  if (flags & MOMENTUM) {
    for (let i = 0; i < n; i++) avg[i] = g[i]! / avg[i]!; // avg now holds g / avg
    accumulate(momentumBuffer, avg, n, momentum, 1);
    subScaled(param, lr, momentumBuffer, n);
  } else {
    subScaledDiv(param, lr, g, avg, n);
  }
}
