import { Optimizer, type OptimizerOptions, type OptionsInput, type ParamsInput } from "../core/optimizer.js";
import { defineSpec } from "../core/define-spec.js";
import { num } from "../core/options.js";
import { GRAD_SCALE, INIT_BUFFER, WEIGHT_DECAY } from "../abi/index.js";
import { madgrad_f32 } from "./madgrad.reference.js";

/** The options of {@link MADGRAD}, each with its default (Optax's; the learning rate the paper's). */
export interface MADGRADOptions {
  /** Learning rate γ (Optax's has no default; 1e-2 is the paper's and facebookresearch/madgrad's). @defaultValue 1e-2 */
  lr: number;
  /** Momentum c, 0 <= c < 1: the step moves θ to (1 − c)·z + c·θ. @defaultValue 0.9 */
  momentum: number;
  /** Coupled (L2) weight decay w: w·θ is added to the gradient. @defaultValue 0 */
  weightDecay: number;
  /** Added to γ and to the cube root of the denominator. @defaultValue 1e-6 */
  eps: number;
}

export const MADGRAD_SPEC = defineSpec<MADGRADOptions>({
  name: "MADGRAD",
  defaults: { lr: 1e-2, momentum: 0.9, weightDecay: 0, eps: 1e-6 },
  rules: { momentum: num((x) => x >= 0 && x < 1, "0 <= {} < 1") },
  f32Only: "x0 is the params' starting point the iterate is computed from, not a statistic of the gradients",
  scalars: ["lamb", "eps", "momentum", "momentumComp", "weightDecay"],
  reference: madgrad_f32,
  buffers: [{ name: "grad_sum_sq", needed: () => true }, { name: "s", needed: () => true }, { name: "x0", needed: () => true }],
  stepScalars(s, r, o, gs) {
    // Optax: (γ + ε) in f64 rounded to f32, times the f32 √(k + 1) of its int32 count, in f32.
    s[0] = Math.fround(Math.fround(o.lr + o.eps) * Math.fround(Math.sqrt(r.step + 1)));
    s[1] = o.eps; s[2] = o.momentum; s[3] = 1 - o.momentum; s[4] = o.weightDecay;
    return (gs !== 1 ? GRAD_SCALE : 0) | (o.weightDecay !== 0 ? WEIGHT_DECAY : 0) | (r.step === 0 ? INIT_BUFFER : 0);
  },
});

/**
 * MADGRAD (Defazio & Jelassi 2021, "Adaptivity without Compromise: A Momentumized, Adaptive, Dual Averaged
 * Gradient Method for Stochastic Optimization", https://arxiv.org/abs/2101.11075), as Optax's
 * `optax.contrib.madgrad` (0.2.8), f32. With k the steps before this one:
 *
 *   g ← g + w·θ;   λ_k ← (γ + ε)·√(k + 1)
 *   v ← v + λ_k·g²;   s ← s + λ_k·g
 *   z ← θ0 − s / (∛v + ε)
 *   θ ← θ + (((1 − c)·z + c·θ) − θ)
 *
 * θ0 is the params at the first step. The cube root is computed in f32 operations (within 1 ulp; Wasm and WGSL
 * have none). State: `step` (Optax's `count`), `grad_sum_sq`, `s`, `x0` (Optax's names, and facebookresearch's).
 * Reference: https://github.com/google-deepmind/optax/blob/main/optax/contrib/_madgrad.py
 *
 * @example
 * const opt = new MADGRAD(store.params, { lr: 1e-2 }); // then per batch: opt.step(); opt.zeroGrad();
 */
export class MADGRAD extends Optimizer<MADGRADOptions> {
  constructor(params: ParamsInput<MADGRADOptions>, options: OptionsInput<MADGRADOptions> & OptimizerOptions = {}) {
    super(MADGRAD_SPEC, params, options);
  }
}
