import { Optimizer, type OptimizerOptions, type ParamsInput } from "../core/optimizer.js";
import { defineSpec } from "../core/define-spec.js";
import type { OptionsInput, SharedOptions } from "../core/spec.js";
import { baseFlags, TFJS } from "../abi/index.js";
import { adamax_f32 } from "./adamax.reference.js";
import { type Flavor, flavorRule, tfjsBetaPower } from "./flavor.js";

/** The options of {@link Adamax}, each with its default (PyTorch's where PyTorch has the optimizer). */
export interface AdamaxOptions extends Pick<SharedOptions, "maximize" | "stateDtype" | "stochasticRounding"> {
  /** Learning rate γ. @defaultValue 2e-3 */
  lr: number;
  /** Decay rates of the moving averages (β1, β2). @defaultValue [0.9, 0.999] */
  betas: [number, number];
  /** Term added to the denominator for numerical stability. @defaultValue 1e-8 */
  eps: number;
  /** Weight decay λ: L2 penalty λθ added to the gradient. @defaultValue 0 */
  weightDecay: number;
  /** Learning-rate decay: γ / (1 + (t − 1)·lrDecay). @defaultValue 0 */
  lrDecay: number;
  /**
   * "torch" (PyTorch's formulas) or "tfjs": TensorFlow.js's formulas and order (the class comment gives both).
   * @defaultValue "torch"
   */
  flavor: Flavor;
}

const f = Math.fround;

export const ADAMAX_SPEC = defineSpec<AdamaxOptions>({
  name: "Adamax",
  defaults: { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, maximize: false, lrDecay: 0, flavor: "torch",
    stateDtype: "f32", stochasticRounding: false },
  rules: { flavor: flavorRule },
  scalars: ["clr", "beta1Comp", "beta2", "eps", "weightDecay", "beta1"],
  reference: adamax_f32,
  buffers: [{ name: "exp_avg", needed: () => true }, { name: "exp_inf", needed: () => true, q8: "unsigned" }],
  stepScalars(s, r, o, gs) {
    const t = r.step + 1, beta1 = o.betas[0];
    if (o.flavor === "tfjs") {
      // tfjs: lr = -learningRate / (iteration*decay + 1) and lr / (1 - accBeta1), each op in f32 (negations exact).
      const lrT = f(f(o.lr) / f(f(f(r.step) * f(o.lrDecay)) + 1));
      s[0] = f(lrT / f(1 - tfjsBetaPower(beta1, t))); s[1] = 1 - beta1; s[2] = o.betas[1]; s[3] = o.eps;
      s[4] = o.weightDecay; s[5] = beta1;
      return baseFlags(o, gs) | TFJS;
    }
    s[0] = o.lr / (1 + r.step * o.lrDecay) / (1 - beta1 ** t); s[1] = 1 - beta1; s[2] = o.betas[1]; s[3] = o.eps;
    s[4] = o.weightDecay; s[5] = beta1;
    return baseFlags(o, gs);
  },
});

/**
 * Adamax (Kingma & Ba 2014, §7.1, https://arxiv.org/abs/1412.6980) — PyTorch's `torch.optim.Adamax` (2.x), f32.
 *
 *   t ← t + 1;  g ← maximize ? −∇ : ∇;  g ← g + λθ
 *   m ← lerp(m, g, 1 − β1)
 *   u ← max(β2·u, |g| + ε)                     (ε inside the max, as PyTorch and Optax)
 *   θ ← θ − (γ / (1 − β1^t)) · m / u
 *
 * Defaults: lr 2e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0, maximize false, lrDecay 0 (not in PyTorch:
 * γ/(1 + (t − 1)·lrDecay) as Adagrad's, tfjs's `decay`). State: `step`, `exp_avg` (m), `exp_inf` (u).
 * Reference: https://pytorch.org/docs/2.13/generated/torch.optim.Adamax.html
 *
 * flavor "tfjs" (TensorFlow.js's `tf.train.adamax`, tfjs-core adamax_optimizer.ts, in its order):
 *   m ← β1·m + (1 − β1)·g;   u ← max(β2·u, |g|)            (ε after the max)
 *   θ ← θ − c · m / (u + ε),  c = (γ / ((t − 1)·lrDecay + 1)) / (1 − â1)
 * with â1 tfjs's f32 running power of β1 and every operation of c rounded to f32 as tfjs does. tfjs's ε
 * default is the backend's epsilon (1e-7); the flavor changes formulas, not defaults.
 *
 * @example
 * await init();
 * const store = new ParamStore();
 * const w = store.param("w", new Float32Array([1, -1]));
 * const opt = new Adamax(store.params, { lr: 2e-3 });
 * w.grad.set([0.2, 0.3]); opt.step();
 */
export class Adamax extends Optimizer<AdamaxOptions> {
  constructor(params: ParamsInput<AdamaxOptions>, options: OptionsInput<AdamaxOptions> & OptimizerOptions = {}) {
    super(ADAMAX_SPEC, params, options);
  }
}
