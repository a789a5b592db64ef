import { Optimizer, type OptimizerOptions, type ParamsInput } from "../core/optimizer.js";
import { defineSpec } from "../core/define-spec.js";
import type { OptionsInput, SharedOptions } from "../core/spec.js";
import { AMSGRAD, baseFlags, TFJS } from "../abi/index.js";
import type { Run } from "../core/spec.js";
import { adam_f32 } from "./adam.reference.js";
import { type Flavor, flavorRule, tfjsBetaPower } from "./flavor.js";

/** The options of {@link Adam}, each with its default (PyTorch's where PyTorch has the optimizer). */
export interface AdamOptions extends Pick<SharedOptions, "maximize" | "stateDtype" | "stochasticRounding"> {
  /** Learning rate γ. @defaultValue 1e-3 */
  lr: number;
  /** Decay rates of the moving averages (β1, β2). @defaultValue [0.9, 0.999] */
  betas: [number, number];
  /** Term added to the denominator for numerical stability. @defaultValue 1e-8 */
  eps: number;
  /** Weight decay λ: L2 penalty λθ added to the gradient. @defaultValue 0 */
  weightDecay: number;
  /** Use the maximum of past second moments (AMSGrad). @defaultValue false */
  amsgrad: boolean;
  /** Decoupled weight decay θ ← θ(1 − γλ) instead of the L2 term (AdamW's). @defaultValue false */
  decoupledWeightDecay: boolean;
  /**
   * "torch" (PyTorch's formulas) or "tfjs": TensorFlow.js's formulas and order (the class comment gives both).
   * @defaultValue "torch"
   */
  flavor: Flavor;
}

/**
 * The scalars and flags of one adam_f32 launch (shared with AdamW, which passes decoupled = true). Step t = run.step + 1; the bias
 * corrections are computed here, once, in f64 (PyTorch's Python floats): stepSize = γ / (1 − β1^t) and
 * rBc2Sqrt = 1 / √(1 − β2^t).
 */
export function adamScalars(s: Float64Array, r: Run, o: Omit<AdamOptions, "decoupledWeightDecay" | "flavor">, gs: number,
    decoupled: boolean, flavor: Flavor = "torch"): number {
  const t = r.step + 1, beta1 = o.betas[0], beta2 = o.betas[1];
  const flags = baseFlags(o, gs, decoupled) | (o.amsgrad ? AMSGRAD : 0);
  if (flavor === "tfjs") {
    // tfjs: 1 − accBeta in f32 (sub(1, accBeta)), the moments divided by it; the lr multiplies last.
    s[0] = o.lr; s[1] = 1 - beta1; s[2] = beta2; s[3] = 1 - beta2; s[4] = 1; s[5] = o.eps; s[6] = o.weightDecay;
    s[7] = 1 - o.lr * o.weightDecay; s[8] = beta1; s[9] = Math.fround(1 - tfjsBetaPower(beta1, t));
    s[10] = Math.fround(1 - tfjsBetaPower(beta2, t));
    return flags | TFJS;
  }
  s[0] = o.lr / (1 - beta1 ** t); s[1] = 1 - beta1; s[2] = beta2; s[3] = 1 - beta2;
  s[4] = 1 / Math.sqrt(1 - beta2 ** t); s[5] = o.eps; s[6] = o.weightDecay; s[7] = 1 - o.lr * o.weightDecay;
  s[8] = beta1; s[9] = 1; s[10] = 1;
  return flags;
}

export const ADAM_SPEC = defineSpec<AdamOptions>({
  name: "Adam",
  defaults: {
    lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, decoupledWeightDecay: false,
    flavor: "torch", stateDtype: "f32", stochasticRounding: false,
  },
  rules: { flavor: flavorRule },
  scalars: ["stepSize", "beta1Comp", "beta2", "beta2Comp", "rBc2Sqrt", "eps", "weightDecay", "decay", "beta1", "bc1", "bc2"],
  reference: adam_f32,
  buffers: [
    { name: "exp_avg", needed: () => true },
    { name: "exp_avg_sq", needed: () => true, q8: "unsigned" },
    { name: "max_exp_avg_sq", needed: (o) => o.amsgrad, flag: AMSGRAD, q8: "unsigned" },
  ],
  stepScalars: (s, r, o, gs) => adamScalars(s, r, o, gs, o.decoupledWeightDecay, o.flavor),
});

/**
 * Adam (Kingma & Ba 2014, https://arxiv.org/abs/1412.6980) with L2 or decoupled weight decay and AMSGrad —
 * PyTorch's `torch.optim.Adam` (2.x), f32.
 *
 *   t ← t + 1;  g ← maximize ? −∇ : ∇
 *   if λ ≠ 0:  decoupledWeightDecay ? θ ← θ(1 − γλ) : g ← g + λθ
 *   m ← lerp(m, g, 1 − β1);   v ← β2·v + (1 − β2)·g²
 *   if amsgrad: v̄ ← max(v̄, v) and v̄ replaces v below          (max of the raw v, as PyTorch)
 *   θ ← θ − (γ / (1 − β1^t)) · m / (√v / √(1 − β2^t) + ε)
 *
 * Defaults: lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0, amsgrad false, maximize false,
 * decoupledWeightDecay false. State: `step`, `exp_avg`, `exp_avg_sq`, `max_exp_avg_sq` (amsgrad).
 * The kernel multiplies √v by 1/√(1 − β2^t) (computed once per step) where PyTorch divides: within one f32
 * rounding, and the reason the step costs one division per element instead of two.
 *
 * flavor "tfjs" (TensorFlow.js's `tf.train.adam`, tfjs-core adam_optimizer.ts, in its order):
 *   m ← β1·m + (1 − β1)·g;   v ← β2·v + g²·(1 − β2)
 *   θ ← θ − γ · (m / (1 − â1)) / (√(v / (1 − â2)) + ε)
 * where âi is tfjs's accBeta: βi^t kept as an f32 running product (optim/flavor). tfjs's ε default
 * is 1e-7 (the backend's epsilon); the flavor changes formulas, not defaults.
 *
 * @example
 * await init();
 * const store = new ParamStore();
 * const w = store.param("w", new Float32Array([0.1, -0.2, 0.3]));
 * const opt = new Adam(store.params, { lr: 1e-3 });
 * w.grad.set([0.5, 0.5, 0.5]); opt.step(); opt.zeroGrad();
 */
export class Adam extends Optimizer<AdamOptions> {
  constructor(params: ParamsInput<AdamOptions>, options: OptionsInput<AdamOptions> & OptimizerOptions = {}) {
    super(ADAM_SPEC, params, options);
  }
}
