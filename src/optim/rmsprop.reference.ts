// Pure-TS reference of rmsprop_f32 (same signature, Float32Arrays for pointers). See src/rmsprop.ts.
import { CENTERED, MOMENTUM, TFJS } from "../abi/index.js";
import { ema2, inputGrad, lerp, momentum as accumulate, scratch, sqrtDenom, subScaled, subScaledDiv } from "../core/reference-ops.js";

const f = Math.fround;

export function rmsprop_f32(param: Float32Array, squareAvg: Float32Array, momentumBuffer: Float32Array,
    gradAvg: Float32Array, grad: Float32Array, n: number, lr: number, alpha: number, alphaComp: number,
    eps: number, weightDecay: number, momentum: number, gradScale: number, flags: number): void {
  const g = inputGrad(grad, param, n, weightDecay, gradScale, flags);
  if (flags & TFJS) {
    tfjsRmsprop(param, squareAvg, momentumBuffer, gradAvg, g, n, lr, alpha, alphaComp, eps, momentum, flags);
    return;
  }
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

/** tfjs's rmsprop (tfjs-core rmsprop_optimizer.ts) in its order, one op per pass. */
function tfjsRmsprop(param: Float32Array, ms: Float32Array, mom: Float32Array, mg: Float32Array, g: Float32Array,
    n: number, lr: number, alpha: number, alphaComp: number, eps: number, momentum: number, flags: number): void {
  const a = f(alpha), c = f(alphaComp), e = f(eps), l = f(lr);
  for (let i = 0; i < n; i++) ms[i] = f(ms[i]! * a) + f(f(g[i]! * g[i]!) * c);
  const x = scratch(1, n);
  if (flags & CENTERED) {
    for (let i = 0; i < n; i++) mg[i] = f(mg[i]! * a) + f(g[i]! * c);
    for (let i = 0; i < n; i++) x[i] = f(Math.sqrt(f(ms[i]! - f(f(mg[i]! * mg[i]!) + e))));
  } else {
    for (let i = 0; i < n; i++) x[i] = f(Math.sqrt(f(ms[i]! + e)));
  }
  for (let i = 0; i < n; i++) x[i] = f(g[i]! * l) / x[i]!; // gradient contribution g*lr / denominator
  if (flags & MOMENTUM) {
    accumulate(mom, x, n, momentum, 1);
    for (let i = 0; i < n; i++) param[i] = param[i]! - mom[i]!;
  } else {
    for (let i = 0; i < n; i++) param[i] = param[i]! - x[i]!;
  }
}
