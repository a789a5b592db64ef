import { Optimizer, type OptimizerOptions, type ParamsInput } from "../core/optimizer.js";
import { defineSpec } from "../core/define-spec.js";
import type { OptionsInput, SharedOptions } from "../core/spec.js";
import { DECOUPLED, GRAD_SCALE } from "../abi/index.js";
import { optaxBiasCorrection } from "./optax.js";
import { adabelief_f32 } from "./adabelief.reference.js";

/** The options of {@link AdaBelief}, each with its default (PyTorch's where PyTorch has the optimizer). */
export interface AdaBeliefOptions extends Pick<SharedOptions, "stateDtype" | "stochasticRounding"> {
  /** Learning rate γ. @defaultValue 1e-3 */
  lr: number;
  /** Decay rates of the moving averages (β1, β2). @defaultValue [0.9, 0.999] */
  betas: [number, number];
  /** Term added to the denominator for numerical stability. @defaultValue 1e-16 */
  eps: number;
  /** Term added inside the square root (Optax's `eps_root`). @defaultValue 1e-16 */
  epsRoot: number;
  /**
   * Decoupled weight decay λ, multiplied by lr (Optax's `weight_decay`; default 0 = none).
   * @defaultValue 0
   */
  weightDecay: number;
}

export const ADABELIEF_SPEC = defineSpec<AdaBeliefOptions>({
  name: "AdaBelief",
  defaults: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-16, epsRoot: 1e-16, weightDecay: 0, stateDtype: "f32", stochasticRounding: false },
  scalars: ["stepSize", "beta1", "beta1Comp", "beta2", "beta2Comp", "rBc2Sqrt", "eps", "epsRoot", "lrWeightDecay"],
  reference: adabelief_f32,
  buffers: [{ name: "exp_avg", needed: () => true }, { name: "exp_avg_var", needed: () => true, q8: "unsigned" }],
  stepScalars(s, r, o, gs) {
    const t = r.step + 1, beta1 = o.betas[0], beta2 = o.betas[1];
    s[0] = o.lr / optaxBiasCorrection(beta1, t); s[1] = beta1; s[2] = 1 - beta1; s[3] = beta2; s[4] = 1 - beta2;
    s[5] = 1 / Math.sqrt(optaxBiasCorrection(beta2, t)); s[6] = o.eps; s[7] = o.epsRoot; s[8] = o.lr * o.weightDecay;
    return (gs !== 1 ? GRAD_SCALE : 0) | (o.weightDecay !== 0 ? DECOUPLED : 0);
  },
});

/**
 * AdaBelief (Zhuang et al. 2020, https://arxiv.org/abs/2010.07468) — Optax's `optax.adabelief` (0.2.8:
 * chain(scale_by_belief, scale_by_learning_rate); with `weight_decay`, google-deepmind/optax 68fba22 (PR #1634,
 * after 0.2.8): chain(scale_by_belief, add_decayed_weights, scale_by_learning_rate)), f32.
 *
 *   t ← t + 1
 *   m ← (1 − β1)·g + β1·m
 *   s ← (1 − β2)·(g − m)² + β2·s + εroot              (εroot is kept in the state, as Optax does)
 *   u ← (m / (1 − β1^t)) / (√(s / (1 − β2^t)) + ε)
 *   θ ← θ − γ·(u + λθ)                (decoupled weight decay, multiplied by lr, as Optax adds it to the update)
 *
 * Defaults (Optax's): lr 1e-3, betas [0.9, 0.999], eps 1e-16, epsRoot 1e-16, weightDecay 0 (Optax's None: no
 * decay term at all; λ = 0 takes the kernel's path without it, bit for bit the step before weightDecay existed).
 * Optax's `nesterov` variant is not offered, and its `weight_decay_mask` is a param group here (a group with
 * weightDecay 0). State: `step` (Optax's `count`), `exp_avg` (Optax's `mu`), `exp_avg_var` (Optax's `nu`, the
 * "belief" variance of the prediction error; the name of the AdaBelief authors' PyTorch code).
 * Bias corrections are Optax's f32 ones (the optax module), computed once per step; the kernel multiplies
 * √s by 1/√(1 − β2^t) and scales m by γ/(1 − β1^t) where Optax divides, and subtracts γ·m̂/d + γλ·θ (γλ one
 * f64 product per step) where Optax scales u + λθ by γ: within a few f32 roundings.
 * Reference: https://github.com/google-deepmind/optax/blob/main/optax/_src/transform.py (scale_by_belief).
 *
 * @example
 * await init();
 * const store = new ParamStore();
 * const w = store.param("w", new Float32Array([0.1, -0.2, 0.3]));
 * const opt = new AdaBelief(store.params, { lr: 1e-3, weightDecay: 1e-2 });
 * w.grad.set([0.5, -0.5, 0.5]); opt.step(); opt.zeroGrad();
 */
export class AdaBelief extends Optimizer<AdaBeliefOptions> {
  constructor(params: ParamsInput<AdaBeliefOptions>, options: OptionsInput<AdaBeliefOptions> & OptimizerOptions = {}) {
    super(ADABELIEF_SPEC, params, options);
  }
}
