import { nonNegative } from "../core/options.js";
import { Optimizer, type OptimizerOptions, type ParamsInput } from "../core/optimizer.js";
import { defineSpec } from "../core/define-spec.js";
import type { OptionsInput, SharedOptions } from "../core/spec.js";
import { baseFlags, CENTERED, MOMENTUM, TFJS } from "../abi/index.js";
import { rmsprop_f32 } from "./rmsprop.reference.js";
import { type Flavor, flavorRule } from "./flavor.js";

/** The options of {@link RMSprop}, each with its default (PyTorch's where PyTorch has the optimizer). */
export interface RMSpropOptions extends Pick<SharedOptions, "maximize" | "stateDtype" | "stochasticRounding"> {
  /** Learning rate γ. @defaultValue 0.01 */
  lr: number;
  /** Smoothing constant. @defaultValue 0.99 */
  alpha: number;
  /** Term added to the denominator for numerical stability. @defaultValue 1e-8 */
  eps: number;
  /** Weight decay λ: L2 penalty λθ added to the gradient. @defaultValue 0 */
  weightDecay: number;
  /** Momentum factor (0: none). @defaultValue 0 */
  momentum: number;
  /** Normalize by an estimate of the gradient's variance. @defaultValue false */
  centered: boolean;
  /**
   * "torch" (PyTorch's formulas) or "tfjs": TensorFlow.js's formulas and order (the class comment gives both).
   * @defaultValue "torch"
   */
  flavor: Flavor;
}

export const RMSPROP_SPEC = defineSpec<RMSpropOptions>({
  name: "RMSprop",
  defaults: { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false, flavor: "torch", stateDtype: "f32",
    stochasticRounding: false },
  rules: { alpha: nonNegative, flavor: flavorRule },
  structural: ["momentum"],
  scalars: ["lr", "alpha", "alphaComp", "eps", "weightDecay", "momentum"],
  reference: rmsprop_f32,
  buffers: [
    { name: "square_avg", needed: () => true, q8: "unsigned" },
    { name: "momentum_buffer", needed: (o) => o.momentum > 0, flag: MOMENTUM },
    { name: "grad_avg", needed: (o) => o.centered, flag: CENTERED },
  ],
  stepScalars(s, r, o, gs) {
    const flags = baseFlags(o, gs) | (o.momentum > 0 ? MOMENTUM : 0) | (o.centered ? CENTERED : 0) |
      (o.flavor === "tfjs" ? TFJS : 0);
    s[0] = o.lr; s[1] = o.alpha; s[2] = 1 - o.alpha; s[3] = o.eps; s[4] = o.weightDecay; s[5] = o.momentum;
    return flags;
  },
});

/**
 * RMSprop (Hinton, Lecture 6e, https://www.cs.toronto.edu/~tijmen/csc321/slides/lecture_slides_lec6.pdf;
 * centered: Graves 2013, https://arxiv.org/abs/1308.0850) — PyTorch's `torch.optim.RMSprop` (2.x), f32.
 *
 *   t ← t + 1;  g ← maximize ? −∇ : ∇;  g ← g + λθ
 *   v ← αv + (1 − α)g²
 *   centered:  ḡ ← lerp(ḡ, g, 1 − α);  a = √(v − ḡ²) + ε      else  a = √v + ε   (ε outside the root)
 *   if μ > 0:  b ← μb + g/a;  θ ← θ − γb                      else  θ ← θ − γg/a
 *
 * Defaults: lr 1e-2, alpha 0.99, eps 1e-8, weightDecay 0, momentum 0, centered false, maximize false.
 * State: `step`, `square_avg`, `momentum_buffer` (momentum > 0), `grad_avg` (centered).
 *
 * flavor "tfjs" (TensorFlow.js's `tf.train.rmsprop`, tfjs-core rmsprop_optimizer.ts; `decay` is alpha):
 *   v ← αv + g²(1 − α)
 *   centered:  ḡ ← αḡ + g(1 − α);  a = √(v − (ḡ² + ε))     else  a = √(v + ε)     (ε inside the root)
 *   b ← μb + γg/a;  θ ← θ − b                                (lr folded into the momentum buffer)
 * With μ = 0 the buffer is not kept (tfjs keeps it, but 0·b adds nothing). tfjs's defaults are decay 0.9,
 * ε = the backend's epsilon (1e-7); the flavor changes formulas, not defaults.
 *
 * @example
 * await init();
 * const store = new ParamStore();
 * const w = store.param("w", new Float32Array([1, -1]));
 * const opt = new RMSprop(store.params, { lr: 0.01, centered: true });
 * w.grad.set([0.2, 0.3]); opt.step();
 */
export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: ParamsInput<RMSpropOptions>, options: OptionsInput<RMSpropOptions> & OptimizerOptions = {}) {
    super(RMSPROP_SPEC, params, options);
  }
}
