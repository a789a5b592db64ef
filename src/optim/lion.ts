import { Optimizer, type OptimizerOptions, type ParamsInput } from "../core/optimizer.js";
import { defineSpec } from "../core/define-spec.js";
import type { OptionsInput, SharedOptions } from "../core/spec.js";
import { baseFlags } from "../abi/index.js";
import { lion_f32 } from "./lion.reference.js";

/** The options of {@link Lion}, each with its default (PyTorch's where PyTorch has the optimizer). */
export interface LionOptions extends Pick<SharedOptions, "maximize" | "stateDtype" | "stochasticRounding"> {
  /** Learning rate γ. @defaultValue 1e-4 */
  lr: number;
  /** Decay rates of the moving averages (β1, β2). @defaultValue [0.9, 0.99] */
  betas: [number, number];
  /** Decoupled weight decay λ: λθ is added to the update, not to the gradient (the class comment gives where). @defaultValue 0 */
  weightDecay: number;
}

export const LION_SPEC = defineSpec<LionOptions>({
  name: "Lion",
  defaults: { lr: 1e-4, betas: [0.9, 0.99], weightDecay: 0, maximize: false, stateDtype: "f32", stochasticRounding: false },
  scalars: ["lr", "beta1", "beta1Comp", "beta2", "beta2Comp", "weightDecay"],
  reference: lion_f32,
  buffers: [{ name: "exp_avg", needed: () => true }],
  stepScalars(s, r, o, gs) {
    const beta1 = o.betas[0], beta2 = o.betas[1];
    s[0] = o.lr; s[1] = beta1; s[2] = 1 - beta1; s[3] = beta2; s[4] = 1 - beta2; s[5] = o.weightDecay;
    return baseFlags(o, gs, true);
  },
});

/**
 * Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms", https://arxiv.org/abs/2302.06675)
 * — Optax's `optax.lion` (0.2.8: chain(scale_by_lion, add_decayed_weights, scale_by_learning_rate)), f32.
 *
 *   g ← maximize ? −∇ : ∇
 *   u ← sign((1 − β1)·g + β1·m)
 *   m ← (1 − β2)·g + β2·m
 *   θ ← θ − γ·(u + λθ)                (decoupled weight decay, multiplied by lr, as Optax adds it to the update)
 *
 * Defaults: lr 1e-4, betas [0.9, 0.99], weightDecay 0, maximize false (Optax's lion has no default lr and a
 * default weight_decay of 1e-3; gradstep's default is 0, like every other optimizer here, so decay is opt-in).
 * `maximize` is gradstep's (Optax has none): it negates the gradient first, which is what the fixtures feed
 * Optax. State: `step` (Optax's `count`), `exp_avg` (Optax's `mu`).
 * Reference: https://github.com/google-deepmind/optax/blob/main/optax/_src/transform.py (scale_by_lion).
 *
 * @example
 * await init();
 * const store = new ParamStore();
 * const w = store.param("w", new Float32Array([0.1, -0.2, 0.3]));
 * const opt = new Lion(store.params, { lr: 1e-4, weightDecay: 1e-2 });
 * w.grad.set([0.5, -0.5, 0.5]); opt.step(); opt.zeroGrad();
 */
export class Lion extends Optimizer<LionOptions> {
  constructor(params: ParamsInput<LionOptions>, options: OptionsInput<LionOptions> & OptimizerOptions = {}) {
    super(LION_SPEC, params, options);
  }
}
