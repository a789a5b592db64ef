import { num } from "../core/options.js";
import { Optimizer, type OptimizerOptions, type ParamsInput } from "../core/optimizer.js";
import { defineSpec } from "../core/define-spec.js";
import type { OptionsInput, SharedOptions } from "../core/spec.js";
import { baseFlags, TFJS } from "../abi/index.js";
import { adadelta_f32 } from "./adadelta.reference.js";
import { type Flavor, flavorRule } from "./flavor.js";

/** The options of {@link Adadelta}, each with its default (PyTorch's where PyTorch has the optimizer). */
export interface AdadeltaOptions extends Pick<SharedOptions, "maximize" | "stateDtype" | "stochasticRounding"> {
  /** Learning rate γ. @defaultValue 1 */
  lr: number;
  /** Decay rate of the squared-gradient and squared-update averages. @defaultValue 0.9 */
  rho: number;
  /** Term added to the denominator for numerical stability. @defaultValue 1e-6 */
  eps: number;
  /** Weight decay λ: L2 penalty λθ added to the gradient. @defaultValue 0 */
  weightDecay: number;
  /**
   * "torch" (PyTorch's formulas) or "tfjs": TensorFlow.js's formula and order (the class comment gives both).
   * @defaultValue "torch"
   */
  flavor: Flavor;
}

export const ADADELTA_SPEC = defineSpec<AdadeltaOptions>({
  name: "Adadelta",
  defaults: { lr: 1, rho: 0.9, eps: 1e-6, weightDecay: 0, maximize: false, flavor: "torch",
    stateDtype: "f32", stochasticRounding: false },
  rules: { rho: num((x) => x >= 0 && x <= 1, "0 <= {} <= 1"), flavor: flavorRule },
  scalars: ["lr", "rho", "rhoComp", "eps", "weightDecay"],
  reference: adadelta_f32,
  buffers: [
    { name: "square_avg", needed: () => true, q8: "unsigned" },
    { name: "acc_delta", needed: () => true, q8: "unsigned" },
  ],
  stepScalars(s, r, o, gs) {
    s[0] = o.lr; s[1] = o.rho; s[2] = 1 - o.rho; s[3] = o.eps; s[4] = o.weightDecay;
    return baseFlags(o, gs) | (o.flavor === "tfjs" ? TFJS : 0);
  },
});

/**
 * Adadelta (Zeiler 2012, https://arxiv.org/abs/1212.5701) — PyTorch's `torch.optim.Adadelta` (2.x), f32.
 *
 *   t ← t + 1;  g ← maximize ? −∇ : ∇;  g ← g + λθ
 *   v ← ρ·v + (1 − ρ)·g²
 *   Δ = √(u + ε) / √(v + ε) · g                (the updated v; ε inside both square roots)
 *   u ← ρ·u + (1 − ρ)·Δ²
 *   θ ← θ − γ·Δ                                (γ = lr, a multiplier the paper does not have)
 *
 * Defaults: lr 1, rho 0.9, eps 1e-6, weightDecay 0, maximize false. State: `step`, `square_avg` (v),
 * `acc_delta` (u). The kernel takes one square root of the quotient where PyTorch divides two square roots
 * (within f32 rounding). Reference: https://pytorch.org/docs/2.13/generated/torch.optim.Adadelta.html
 *
 * flavor "tfjs" (TensorFlow.js's `tf.train.adadelta`, tfjs-core adadelta_optimizer.ts, in its order):
 *   Δ = √(u + ε) / √(v + ε) · g                (v and u from before this step: tfjs computes the update
 *   v ← v·ρ + g²·(1 − ρ)                         before it assigns the new accumulated gradient)
 *   u ← u·ρ + Δ²·(1 − ρ)
 *   θ ← θ − γ·Δ
 * tfjs has no default lr or rho; its ε default is the backend's epsilon (1e-7). The flavor changes formulas,
 * not defaults (gradstep/tfjs's `train.adadelta` passes tfjs's values). State names stay `square_avg` (tfjs's
 * `accum_grad`) and `acc_delta` (`accum_var`).
 *
 * @example
 * await init();
 * const store = new ParamStore();
 * const w = store.param("w", new Float32Array([1, -1]));
 * const opt = new Adadelta(store.params, { lr: 1 });
 * w.grad.set([0.2, 0.3]); opt.step();
 */
export class Adadelta extends Optimizer<AdadeltaOptions> {
  constructor(params: ParamsInput<AdadeltaOptions>, options: OptionsInput<AdadeltaOptions> & OptimizerOptions = {}) {
    super(ADADELTA_SPEC, params, options);
  }
}
