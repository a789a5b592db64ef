// Pure-TS reference of lars_f32 (same signature, Float32Arrays for pointers). See src/optim/lars.ts.
import { NESTEROV } from "../abi/index.js";
import { inputGrad, sumSqBlocked, trustRatio } from "../core/reference-ops.js";

const f = Math.fround;

export function lars_f32(param: Float32Array, trace: Float32Array, grad: Float32Array, n: number, lr: number,
    momentum: number, weightDecay: number, trustCoefficient: number, eps: number, gradScale: number, flags: number): void {
  // add_decayed_weights (the gradient prologue's L2 term: g + weightDecay·p)
  const u = inputGrad(grad, param, n, weightDecay, gradScale, flags);
  // scale_by_trust_ratio: norms of p and u in the kernels' blocked order, the ratio in f64
  const ratio = f(trustRatio(sumSqBlocked(param, n), sumSqBlocked(u, n), f(trustCoefficient), f(eps)));
  // scale_by_learning_rate, trace (Optax's g + decay·t; Nesterov applies it once more), apply_updates
  const negLr = -f(lr), mu = f(momentum), nesterov = (flags & NESTEROV) !== 0;
  for (let i = 0; i < n; i++) {
    const v = f(f(u[i]! * ratio) * negLr);
    const t = f(v + f(mu * trace[i]!));
    trace[i] = t;
    param[i] = param[i]! + (nesterov ? f(v + f(mu * t)) : t);
  }
}
