import { nonNegative } from "../core/options.js";
import { Optimizer, type OptimizerOptions, type ParamsInput } from "../core/optimizer.js";
import { defineSpec } from "../core/define-spec.js";
import type { OptionsInput, SharedOptions } from "../core/spec.js";
import { DECOUPLED, GRAD_SCALE } from "../abi/index.js";
import { optaxBiasCorrection } from "./optax.js";
import { betaTriple } from "./adan.js";
import { ademamix_f32 } from "./ademamix.reference.js";

/** The options of {@link AdEMAMix}, each with its default (PyTorch's where PyTorch has the optimizer). */
export interface AdEMAMixOptions extends Pick<SharedOptions, "stateDtype" | "stochasticRounding"> {
  /** Learning rate γ. @defaultValue 1e-3 */
  lr: number;
  /** Decay rates of the moving averages (β1, β2, β3). @defaultValue [0.9, 0.999, 0.9999] */
  betas: [number, number, number];
  /** Weight of the slow moving average in the update. @defaultValue 5 */
  alpha: number;
  /** Term added to the denominator for numerical stability. @defaultValue 1e-8 */
  eps: number;
  /** Decoupled weight decay λ: λθ is added to the update, not to the gradient (the class comment gives where). @defaultValue 0 */
  weightDecay: number;
}

export const ADEMAMIX_SPEC = defineSpec<AdEMAMixOptions>({
  name: "AdEMAMix",
  defaults: { lr: 1e-3, betas: [0.9, 0.999, 0.9999], alpha: 5, eps: 1e-8, weightDecay: 0,
    stateDtype: "f32", stochasticRounding: false },
  rules: { betas: betaTriple((x) => x >= 0 && x < 1, "0 <= {} < 1"), alpha: nonNegative },
  scalars: ["beta1", "beta1Comp", "beta2", "beta2Comp", "beta3", "beta3Comp", "rBc1", "rBc2", "alpha", "eps", "lr",
    "weightDecay"],
  reference: ademamix_f32,
  buffers: [
    { name: "exp_avg_fast", needed: () => true },
    { name: "exp_avg_slow", needed: () => true },
    { name: "exp_avg_sq", needed: () => true, q8: "unsigned" },
  ],
  stepScalars(s, r, o, gs) {
    const t = r.step + 1, beta1 = o.betas[0], beta2 = o.betas[1], beta3 = o.betas[2];
    const flags = (gs !== 1 ? GRAD_SCALE : 0) | (o.weightDecay !== 0 ? DECOUPLED : 0);
    s[0] = beta1; s[1] = 1 - beta1; s[2] = beta2; s[3] = 1 - beta2; s[4] = beta3; s[5] = 1 - beta3;
    s[6] = 1 / optaxBiasCorrection(beta1, t); s[7] = 1 / optaxBiasCorrection(beta2, t); s[8] = o.alpha; s[9] = o.eps;
    s[10] = o.lr; s[11] = o.weightDecay;
    return flags;
  },
});

/**
 * AdEMAMix (Pagliardini et al. 2024, "The AdEMAMix Optimizer: Better, Faster, Older",
 * https://arxiv.org/abs/2409.03463) — Optax's `optax.contrib.ademamix` (0.2.8: chain(scale_by_ademamix,
 * add_decayed_weights, scale_by_learning_rate)), f32.
 *
 *   t ← t + 1
 *   m1 ← (1 − β1)·g + β1·m1               (fast EMA)
 *   m2 ← (1 − β3)·g + β3·m2               (slow EMA, not bias-corrected)
 *   v  ← (1 − β2)·g² + β2·v
 *   u  ← (m1/(1 − β1^t) + α·m2) / (√(v/(1 − β2^t)) + ε)
 *   θ  ← θ − γ·(u + λθ)                   (decoupled weight decay, multiplied by lr, as Optax adds it to the update)
 *
 * Defaults (Optax's): lr 1e-3, betas [0.9, 0.999, 0.9999] (β1, β2, β3), alpha 5, eps 1e-8, weightDecay 0.
 * Optax's schedules for α and β3 (`alpha`/`b3` as functions of the step) and its `eps_root` (default 0) are not
 * offered: α and β3 are constants, as in the paper's defaults without warm-up. State: `step` (Optax's `count`),
 * `exp_avg_fast` (`m1`), `exp_avg_slow` (`m2`), `exp_avg_sq` (`nu`) — the names of the authors' PyTorch code.
 * Bias corrections are Optax's f32 ones (the optax module); the kernel multiplies by their reciprocals
 * (computed once per step) where Optax divides: within a few f32 roundings.
 * Reference: https://github.com/google-deepmind/optax/blob/main/optax/contrib/_ademamix.py.
 *
 * @example
 * await init();
 * const store = new ParamStore();
 * const w = store.param("w", new Float32Array([0.1, -0.2, 0.3]));
 * const opt = new AdEMAMix(store.params, { lr: 1e-3, alpha: 8 });
 * w.grad.set([0.5, -0.5, 0.5]); opt.step(); opt.zeroGrad();
 */
export class AdEMAMix extends Optimizer<AdEMAMixOptions> {
  constructor(params: ParamsInput<AdEMAMixOptions>, options: OptionsInput<AdEMAMixOptions> & OptimizerOptions = {}) {
    super(ADEMAMIX_SPEC, params, options);
  }
}
