import { nonNegative } from "../core/options.js";
import { Optimizer, type OptimizerOptions, type ParamsInput } from "../core/optimizer.js";
import { defineSpec } from "../core/define-spec.js";
import type { OptionsInput, SharedOptions } from "../core/spec.js";
import { baseFlags, TFJS } from "../abi/index.js";
import { adagrad_f32 } from "./adagrad.reference.js";
import { type Flavor, flavorRule } from "./flavor.js";

/** The options of {@link Adagrad}, each with its default (PyTorch's where PyTorch has the optimizer). */
export interface AdagradOptions extends Pick<SharedOptions, "maximize" | "stateDtype" | "stochasticRounding"> {
  /** Learning rate γ. @defaultValue 0.01 */
  lr: number;
  /** Learning-rate decay: γ / (1 + (t − 1)·lrDecay). @defaultValue 0 */
  lrDecay: number;
  /** Weight decay λ: L2 penalty λθ added to the gradient. @defaultValue 0 */
  weightDecay: number;
  /** Initial value of the sum of squared gradients. @defaultValue 0 */
  initialAccumulatorValue: number;
  /** Term added to the denominator for numerical stability. @defaultValue 1e-10 */
  eps: number;
  /**
   * "torch" (PyTorch's formulas) or "tfjs": TensorFlow.js's formula and order (the class comment gives both).
   * @defaultValue "torch"
   */
  flavor: Flavor;
}

export const ADAGRAD_SPEC = defineSpec<AdagradOptions>({
  name: "Adagrad",
  defaults: { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false, flavor: "torch", stateDtype: "f32",
    stochasticRounding: false },
  rules: { initialAccumulatorValue: nonNegative, flavor: flavorRule },
  scalars: ["clr", "eps", "weightDecay"],
  reference: adagrad_f32,
  buffers: [{ name: "sum", needed: () => true, fill: (o) => o.initialAccumulatorValue, q8: "unsigned" }],
  eager: true,
  stepScalars(s, r, o, gs) {
    const clr = o.lr / (1 + r.step * o.lrDecay); // γ / (1 + (t − 1)η), t = step + 1
    s[0] = clr; s[1] = o.eps; s[2] = o.weightDecay;
    return baseFlags(o, gs) | (o.flavor === "tfjs" ? TFJS : 0);
  },
});

/**
 * Adagrad (Duchi et al. 2011, http://jmlr.org/papers/v12/duchi11a.html) — PyTorch's `torch.optim.Adagrad`
 * (2.x), f32.
 *
 *   t ← t + 1;  g ← maximize ? −∇ : ∇;  g ← g + λθ
 *   clr = γ / (1 + (t − 1)·lrDecay)
 *   s ← s + g²
 *   θ ← θ − clr · g / (√s + ε)                   (ε outside the square root)
 *
 * Defaults: lr 1e-2, lrDecay 0, weightDecay 0, initialAccumulatorValue 0, eps 1e-10, maximize false.
 * State: `step`, `sum` — created at construction (as PyTorch does), `sum` filled with initialAccumulatorValue.
 *
 * flavor "tfjs" (TensorFlow.js's `tf.train.adagrad`, tfjs-core adagrad_optimizer.ts, in its order):
 *   s ← s + g²;   θ ← θ − (g / √(s + ε)) · clr                 (ε inside the square root)
 * tfjs's own values are initialAccumulatorValue 0.1 and ε = the backend's epsilon (1e-7); the flavor changes
 * formulas, not defaults (gradstep/tfjs's `train.adagrad` passes them).
 *
 * @example
 * await init();
 * const store = new ParamStore();
 * const w = store.param("w", new Float32Array([1, -1]));
 * const opt = new Adagrad(store.params, { lr: 0.1 });
 * w.grad.set([0.2, 0.3]); opt.step();
 */
export class Adagrad extends Optimizer<AdagradOptions> {
  constructor(params: ParamsInput<AdagradOptions>, options: OptionsInput<AdagradOptions> & OptimizerOptions = {}) {
    super(ADAGRAD_SPEC, params, options);
  }
}
