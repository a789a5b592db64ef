import { nonNegative } from "../core/options.js";
import { Optimizer, type OptimizerOptions, type ParamsInput } from "../core/optimizer.js";
import { defineSpec } from "../core/define-spec.js";
import type { OptionsInput, SharedOptions } from "../core/spec.js";
import { baseFlags, NESTEROV } from "../abi/index.js";
import { lars_f32 } from "./lars.reference.js";

/** The options of {@link LARS}, each with its default (PyTorch's where PyTorch has the optimizer). */
export interface LARSOptions extends Pick<SharedOptions, "maximize"> {
  /** Learning rate γ. @defaultValue 1e-3 */
  lr: number;
  /** Momentum factor (0: none). @defaultValue 0.9 */
  momentum: number;
  /** Weight decay λ: λθ is added to the gradient before the trust ratio. @defaultValue 0 */
  weightDecay: number;
  /** Trust coefficient η of the layer-wise trust ratio. @defaultValue 1e-3 */
  trustCoefficient: number;
  /** Term added to the denominator for numerical stability. @defaultValue 0 */
  eps: number;
  /** Nesterov momentum. @defaultValue false */
  nesterov: boolean;
}

export const LARS_SPEC = defineSpec<LARSOptions>({
  name: "LARS",
  defaults: { lr: 1e-3, momentum: 0.9, weightDecay: 0, trustCoefficient: 1e-3, eps: 0, nesterov: false, maximize: false },
  rules: { trustCoefficient: nonNegative },
  kind: "tensor",
  // a = trace. norms: θ and u = g + λθ (the gradient prologue); perTensor: the trust ratio c·‖θ‖/(‖u‖ + ε) (1 where
  // either norm is 0), rounded to f32 once; apply: u again (the same bits), then lr and the trace. A product that
  // feeds a sum goes through keep(): WGSL lets a compiler fuse a·b + c into an FMA (one rounding less).
  wgsl: /* wgsl */ `
fn norms(e: u32) -> vec2<f32> {
  let p = param[ip];
  return vec2<f32>(p, gradIn(grad[ig], p, weightDecay));
}
fn perTensor(x: vec2<f32>, y: vec2<f32>) -> f32 {
  if (x.x == 0.0 || y.x == 0.0) { return 1.0; }
  return ddDiv(ddMulF(ddSqrt(x), trustCoefficient), ddAdd(ddSqrt(y), vec2<f32>(eps, 0.0))).x;
}
fn apply(e: u32, r: f32) {
  let p = param[ip];
  let u = (gradIn(grad[ig], p, weightDecay) * r) * -lr;
  let t = u + keep(momentum * a[ia]);
  a[ia] = t;
  if (has(NESTEROV)) { param[ip] = p + (u + keep(momentum * t)); } else { param[ip] = p + t; }
}
`,
  scalars: ["lr", "momentum", "weightDecay", "trustCoefficient", "eps"],
  reference: lars_f32,
  buffers: [{ name: "trace", needed: () => true }],
  hasStep: false,
  stepScalars(s, r, o, gs) {
    s[0] = o.lr; s[1] = o.momentum; s[2] = o.weightDecay; s[3] = o.trustCoefficient; s[4] = o.eps;
    return baseFlags(o, gs) | (o.nesterov ? NESTEROV : 0);
  },
});

/**
 * LARS (You, Gitman & Ginsburg 2017, "Large Batch Training of Convolutional Networks",
 * https://arxiv.org/abs/1708.03888) — Optax's `optax.lars` (0.2.8: chain(add_decayed_weights,
 * masked(scale_by_trust_ratio), scale_by_learning_rate, trace)), f32, per tensor.
 *
 *   g ← maximize ? −∇ : ∇
 *   u ← g + λθ
 *   r ← c·‖θ‖ / (‖u‖ + ε), or 1 where ‖θ‖ = 0 or ‖u‖ = 0        (per tensor; θ before this step)
 *   u ← (u·r)·(−γ)
 *   b ← u + μ·b                                                   (the trace: lr is inside it, as in Optax)
 *   θ ← θ + (nesterov ? u + μ·b : b)
 *
 * Defaults: lr 1e-3 (Optax's lars has none; gradstep's SGD default), momentum 0.9, weightDecay 0,
 * trustCoefficient 1e-3, eps 0, nesterov false, maximize false. Optax's `weight_decay_mask` and
 * `trust_ratio_mask` default to True (every leaf); a group is one mask value here: per-leaf masks are param
 * groups (a group with weightDecay 0; a trust-ratio mask of False is not offered). `maximize` is gradstep's
 * (Optax has none): it negates the gradient first, which is what the fixtures feed Optax. State: `trace`
 * (Optax's name: unlike PyTorch's SGD momentum_buffer it holds lr-scaled updates, so an lr schedule acts on
 * new updates only). No step count (Optax keeps none).
 * Reference: https://github.com/google-deepmind/optax/blob/main/optax/_src/alias.py (lars).
 *
 * Kind "tensor", like LAMB (optim/lamb explains why): one lars_f32 call per param. Pass 1 only reads θ and
 * the gradient (‖θ‖², ‖u‖² in the blocked order of the kernels' common code, the ratio in f64); pass 2 recomputes
 * u — one add and one multiply, cheaper than writing it to a scratch area — and applies ratio, lr and trace.
 *
 * @example
 * await init();
 * const store = new ParamStore();
 * const w = store.param("w", new Float32Array([0.1, -0.2, 0.3, 0.4]), { shape: [2, 2] });
 * const opt = new LARS(store.params, { lr: 0.1, weightDecay: 1e-4 });
 * w.grad.set([0.5, -0.5, 0.5, 0.25]); opt.step(); opt.zeroGrad();
 */
export class LARS extends Optimizer<LARSOptions> {
  constructor(params: ParamsInput<LARSOptions>, options: OptionsInput<LARSOptions> & OptimizerOptions = {}) {
    super(LARS_SPEC, params, options);
  }
}
