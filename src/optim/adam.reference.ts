// Pure-TS reference of adam_f32 (same signature, Float32Arrays for pointers). See src/adam.ts.
import { AMSGRAD, DECOUPLED, TFJS } from "../abi/index.js";
import { ema2, inputGrad, lerp, maximum, scale, scratch, sqrtDenom, subScaledDiv } from "../core/reference-ops.js";

const f = Math.fround;

export function adam_f32(param: Float32Array, expAvg: Float32Array, expAvgSq: Float32Array,
    maxExpAvgSq: Float32Array, grad: Float32Array, n: number, stepSize: number, beta1Comp: number, beta2: number,
    beta2Comp: number, rBc2Sqrt: number, eps: number, weightDecay: number, decay: number, beta1: number, bc1: number,
    bc2: number, gradScale: number, flags: number): void {
  const g = inputGrad(grad, param, n, weightDecay, gradScale, flags);
  if (flags & DECOUPLED) scale(param, n, decay);
  if (flags & TFJS) {
    tfjsMoments(expAvg, expAvgSq, g, n, beta1, beta1Comp, beta2, beta2Comp);
  } else {
    lerp(expAvg, g, n, beta1Comp);
    ema2(expAvgSq, g, n, beta2, beta2Comp);
  }
  let v = expAvgSq;
  if (flags & AMSGRAD) {
    maximum(maxExpAvgSq, expAvgSq, n);
    v = maxExpAvgSq;
  }
  if (flags & TFJS) tfjsUpdate(param, expAvg, v, n, stepSize, eps, bc1, bc2);
  else subScaledDiv(param, stepSize, expAvg, sqrtDenom(v, n, rBc2Sqrt, eps), n);
}

/** tfjs: m = m*beta1 + g*(1-beta1); v = v*beta2 + square(g)*(1-beta2). */
function tfjsMoments(m: Float32Array, v: Float32Array, g: Float32Array, n: number, beta1: number, beta1Comp: number,
    beta2: number, beta2Comp: number): void {
  const b1 = f(beta1), c1 = f(beta1Comp), b2 = f(beta2), c2 = f(beta2Comp);
  for (let i = 0; i < n; i++) {
    m[i] = f(m[i]! * b1) + f(g[i]! * c1);
    v[i] = f(v[i]! * b2) + f(f(g[i]! * g[i]!) * c2);
  }
}

/** tfjs: p += (m/bc1) / (sqrt(v/bc2) + eps) * -lr, as separate passes: bias-corrected moments, denominator, update. */
function tfjsUpdate(p: Float32Array, m: Float32Array, v: Float32Array, n: number, lr: number, eps: number, bc1: number,
    bc2: number): void {
  const mh = scratch(1, n), e = f(eps), c1 = f(bc1), c2 = f(bc2), a = f(lr);
  for (let i = 0; i < n; i++) mh[i] = m[i]! / c1;
  for (let i = 0; i < n; i++) mh[i] = mh[i]! / f(f(Math.sqrt(f(v[i]! / c2))) + e);
  for (let i = 0; i < n; i++) p[i] = p[i]! - f(mh[i]! * a);
}
