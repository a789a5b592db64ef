// Pure-TS reference of adadelta_f32 (same signature, Float32Arrays for pointers). See src/optim/adadelta.ts.
import { TFJS } from "../abi/index.js";
import { ema2, inputGrad, scratch, subScaled } from "../core/reference-ops.js";

const f = Math.fround;

export function adadelta_f32(param: Float32Array, squareAvg: Float32Array, accDelta: Float32Array,
    grad: Float32Array, n: number, lr: number, rho: number, rhoComp: number, eps: number, weightDecay: number,
    gradScale: number, flags: number): void {
  const g = inputGrad(grad, param, n, weightDecay, gradScale, flags);
  if (flags & TFJS) {
    tfjsAdadelta(param, squareAvg, accDelta, g, n, lr, rho, rhoComp, eps);
    return;
  }
  ema2(squareAvg, g, n, rho, rhoComp);
  // delta = sqrt((u + eps) / (v + eps)) * g, with the updated v (PyTorch: sqrt(u + eps) / sqrt(v + eps) * g).
  const delta = scratch(1, n), e = f(eps);
  for (let i = 0; i < n; i++) delta[i] = Math.sqrt(f(f(accDelta[i]! + e) / f(squareAvg[i]! + e)));
  for (let i = 0; i < n; i++) delta[i] = delta[i]! * g[i]!;
  ema2(accDelta, delta, n, rho, rhoComp);
  subScaled(param, lr, delta, n);
}

/** tfjs's adadelta (tfjs-core adadelta_optimizer.ts) in its order, one op per pass: the update uses v and u as
 *  they were before this step. */
function tfjsAdadelta(param: Float32Array, v: Float32Array, u: Float32Array, g: Float32Array, n: number,
    lr: number, rho: number, rhoComp: number, eps: number): void {
  const r = f(rho), c = f(rhoComp), e = f(eps);
  const upd = scratch(1, n);
  for (let i = 0; i < n; i++) upd[i] = f(f(Math.sqrt(f(u[i]! + e))) / f(Math.sqrt(f(v[i]! + e)))) * g[i]!;
  for (let i = 0; i < n; i++) v[i] = f(v[i]! * r) + f(f(g[i]! * g[i]!) * c);
  for (let i = 0; i < n; i++) u[i] = f(u[i]! * r) + f(f(upd[i]! * upd[i]!) * c);
  subScaled(param, lr, upd, n);
}
