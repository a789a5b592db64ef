import { Optimizer, type OptimizerOptions, type OptionsInput, type ParamsInput } from "../core/optimizer.js";
import { defineSpec } from "../core/define-spec.js";
import { DECOUPLED, GRAD_SCALE, INIT_BUFFER } from "../abi/index.js";
import { novograd_f32 } from "./novograd.reference.js";

/** The options of {@link NovoGrad}, each with its default (PyTorch's where PyTorch has the optimizer). */
export interface NovoGradOptions {
  /** Learning rate γ (Optax's has no default). @defaultValue 1e-3 */
  lr: number;
  /** Decay rates of the moving averages (β1, β2). @defaultValue [0.9, 0.25] */
  betas: [number, number];
  /** Term added to the denominator for numerical stability. @defaultValue 1e-6 */
  eps: number;
  /** Term added inside the square root (Optax's `eps_root`). @defaultValue 0 */
  epsRoot: number;
  /** Decoupled weight decay λ: λθ is added to the update, not to the gradient (the class comment gives where). @defaultValue 0 */
  weightDecay: number;
}

export const NOVOGRAD_SPEC = defineSpec<NovoGradOptions>({
  name: "NovoGrad",
  defaults: { lr: 1e-3, betas: [0.9, 0.25], eps: 1e-6, epsRoot: 0, weightDecay: 0 },
  kind: "tensor",
  scratchFloats: (shape) => shape.reduce((a, d) => a * d, 1),
  // a = exp_avg, b = exp_avg_sq (one float), c = the scratch area (the scaled, value-clipped gradient). norms: g;
  // perTensor: the second moment from ‖g‖² (rounded to f32 first, as the host kernels) and the tensor's denominator
  // √(v + εroot) + ε; apply: the first moment and θ. A product that feeds a sum goes through keep(): WGSL lets a
  // compiler fuse a·b + c into an FMA (one rounding less).
  wgsl: /* wgsl */ `
fn norms(e: u32) -> vec2<f32> {
  let g = gradInHas(grad[ig], param[ip], 0.0, GRAD_SCALE | CLIP);
  c[ic] = g;
  return vec2<f32>(g, 0.0);
}
fn perTensor(x: vec2<f32>, y: vec2<f32>) -> f32 {
  let norm = sqrt(x.x);
  let sq = norm * norm;
  var v = sq;
  if (!has(INIT_BUFFER)) { v = keep(beta2Comp * sq) + keep(beta2 * b[ib]); }
  b[ib] = v;
  return sqrt(v + epsRoot) + eps;
}
fn apply(e: u32, d: f32) {
  let p = param[ip];
  var u = c[ic] / d;
  if (has(DECOUPLED)) { u = u + keep(weightDecay * p); }
  var m = u;
  if (!has(INIT_BUFFER)) { m = keep(beta1 * a[ia]) + u; }
  a[ia] = m;
  param[ip] = p - keep(lr * m);
}
`,
  scalars: ["lr", "beta1", "beta2", "beta2Comp", "eps", "epsRoot", "weightDecay"],
  reference: novograd_f32,
  buffers: [{ name: "exp_avg", needed: () => true }, { name: "exp_avg_sq", needed: () => true, length: () => 1 }],
  stepScalars(s, r, o, gs) {
    s[0] = o.lr; s[1] = o.betas[0]; s[2] = o.betas[1]; s[3] = 1 - o.betas[1]; s[4] = o.eps; s[5] = o.epsRoot; s[6] = o.weightDecay;
    return (gs !== 1 ? GRAD_SCALE : 0) | (o.weightDecay !== 0 ? DECOUPLED : 0) | (r.step === 0 ? INIT_BUFFER : 0);
  },
});

/**
 * NovoGrad (Ginsburg et al. 2019, "Stochastic Gradient Methods with Layer-wise Adaptive Moments for Training of
 * Deep Networks", https://arxiv.org/abs/1905.11286), as Optax's `optax.novograd` (0.2.8), f32.
 *
 *   t ← t + 1
 *   v ← ‖g‖² on t = 1, else (1 − β2)·‖g‖² + β2·v          (one number per tensor)
 *   u ← g / (√(v + εroot) + ε) + λθ
 *   m ← u on t = 1, else β1·m + u                           (no (1 − β1): Optax's, and the paper's)
 *   θ ← θ − γ·m
 *
 * State: `step` (Optax's `count`), `exp_avg` (`mu`), `exp_avg_sq` (`nu`, one float per tensor).
 * ‖g‖² is summed in the kernels' fixed blocked order (f32 blocks, f64 totals) where XLA reduces in its own
 * order: within an f32 rounding of Optax's.
 * Reference: https://github.com/google-deepmind/optax/blob/main/optax/_src/transform.py (scale_by_novograd).
 *
 * @example
 * const opt = new NovoGrad(store.params, { lr: 1e-3, weightDecay: 1e-3 }); // then per batch: opt.step(); opt.zeroGrad();
 */
export class NovoGrad extends Optimizer<NovoGradOptions> {
  constructor(params: ParamsInput<NovoGradOptions>, options: OptionsInput<NovoGradOptions> & OptimizerOptions = {}) {
    super(NOVOGRAD_SPEC, params, options);
  }
}
