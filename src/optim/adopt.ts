import { Optimizer, type OptimizerOptions, type OptionsInput, type ParamsInput, type SharedOptions } from "../core/optimizer.js";
import { defineSpec } from "../core/define-spec.js";
import { GRAD_SCALE, NESTEROV } from "../abi/index.js";
import { adopt_f32 } from "./adopt.reference.js";

/** The options of {@link ADOPT}, each with its default (PyTorch's where PyTorch has the optimizer). */
export interface ADOPTOptions extends Pick<SharedOptions, "stateDtype" | "stochasticRounding"> {
  /** Learning rate γ (Optax's has no default). @defaultValue 1e-3 */
  lr: number;
  /** Decay rates of the moving averages (β1, β2). @defaultValue [0.9, 0.9999] */
  betas: [number, number];
  /** Term added to the denominator for numerical stability. @defaultValue 1e-6 */
  eps: number;
  /** Clip the normalised gradient to ±(t − 1)^¼ (Optax's `use_clipping`). @defaultValue true */
  clipping: boolean;
  /** Nesterov momentum. @defaultValue false */
  nesterov: boolean;
}

export const ADOPT_SPEC = defineSpec<ADOPTOptions>({
  name: "ADOPT",
  defaults: { lr: 1e-3, betas: [0.9, 0.9999], eps: 1e-6, clipping: true, nesterov: false, stateDtype: "f32", stochasticRounding: false },
  scalars: ["lr", "beta1", "beta1Comp", "beta2", "beta2Comp", "eps", "clip"],
  reference: adopt_f32,
  buffers: [{ name: "exp_avg", needed: () => true }, { name: "exp_avg_sq", needed: () => true, q8: "unsigned" }],
  stepScalars(s, r, o, gs) {
    // Step 1 is Optax's switch to β1 = 1, β2 = 0; like Optax, 1 − β of the f32 β.
    const first = r.step === 0, beta1 = Math.fround(first ? 1 : o.betas[0]), beta2 = Math.fround(first ? 0 : o.betas[1]);
    s[0] = o.lr; s[1] = beta1; s[2] = 1 - beta1; s[3] = beta2; s[4] = 1 - beta2; s[5] = o.eps;
    // The clip (t − 1)^¼ as √√: the same f32 as `**` for every step count below 2·10^7 (checked), and neither it
    // nor a ternary between a computed double and Infinity boxes a number per step (V8).
    s[6] = Math.sqrt(Math.sqrt(o.clipping ? r.step : Infinity));
    return (gs !== 1 ? GRAD_SCALE : 0) | (o.nesterov ? NESTEROV : 0);
  },
});

/**
 * ADOPT (Taniguchi et al. 2024, "ADOPT: Modified Adam Can Converge with Any β2 with the Optimal Rate",
 * https://arxiv.org/abs/2411.02853), as Optax's `optax.contrib.adopt` (0.2.8), f32.
 *
 *   t ← t + 1;  on t = 1: β1 ← 1, β2 ← 0 (v ← g², m stays 0, no move)
 *   u ← clip(g / max(√v, ε), ±(t − 1)^¼)     (v before this step's update; no clip without `clipping`)
 *   v ← (1 − β2)·g² + β2·v
 *   m ← (1 − β1)·u + β1·m
 *   θ ← θ − γ·m          (nesterov: θ ← θ − γ·((1 − β1)·u + β1·m), with the updated m)
 *
 * Optax's `clip_value_fn` is its default x^¼ (in f64, rounded to f32 once per step), its `mu_dtype` is
 * `stateDtype`. State: `step` (Optax's `count`), `exp_avg` (`mu`), `exp_avg_sq` (`nu`).
 * Reference: https://github.com/google-deepmind/optax/blob/main/optax/contrib/_adopt.py
 *
 * @example
 * const opt = new ADOPT(store.params, { lr: 1e-3 }); // then per batch: opt.step(); opt.zeroGrad();
 */
export class ADOPT extends Optimizer<ADOPTOptions> {
  constructor(params: ParamsInput<ADOPTOptions>, options: OptionsInput<ADOPTOptions> & OptimizerOptions = {}) {
    super(ADOPT_SPEC, params, options);
  }
}
