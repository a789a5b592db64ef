import { Optimizer, type OptimizerOptions, type ParamsInput } from "../core/optimizer.js";
import { defineSpec } from "../core/define-spec.js";
import type { OptionsInput, SharedOptions } from "../core/spec.js";
import { GRAD_SCALE } from "../abi/index.js";
import { optaxBiasCorrection } from "./optax.js";
import { yogi_f32 } from "./yogi.reference.js";

/** The options of {@link Yogi}, each with its default (PyTorch's where PyTorch has the optimizer). */
export interface YogiOptions extends Pick<SharedOptions, "stateDtype" | "stochasticRounding"> {
  /** Learning rate γ. @defaultValue 0.01 */
  lr: number;
  /** Decay rates of the moving averages (β1, β2). @defaultValue [0.9, 0.999] */
  betas: [number, number];
  /** Term added to the denominator for numerical stability. @defaultValue 1e-3 */
  eps: number;
}

/** Optax's initial_accumulator_value for both moments. */
export const YOGI_INITIAL_ACCUMULATOR = 1e-6;

export const YOGI_SPEC = defineSpec<YogiOptions>({
  name: "Yogi",
  defaults: { lr: 1e-2, betas: [0.9, 0.999], eps: 1e-3, stateDtype: "f32", stochasticRounding: false },
  scalars: ["stepSize", "beta1", "beta1Comp", "beta2Comp", "rBc2Sqrt", "eps"],
  reference: yogi_f32,
  buffers: [
    { name: "exp_avg", needed: () => true, fill: () => YOGI_INITIAL_ACCUMULATOR },
    { name: "exp_avg_sq", needed: () => true, fill: () => YOGI_INITIAL_ACCUMULATOR, q8: "unsigned" },
  ],
  stepScalars(s, r, o, gs) {
    const t = r.step + 1, beta1 = o.betas[0], beta2 = o.betas[1];
    s[0] = o.lr / optaxBiasCorrection(beta1, t); s[1] = beta1; s[2] = 1 - beta1; s[3] = 1 - beta2;
    s[4] = 1 / Math.sqrt(optaxBiasCorrection(beta2, t)); s[5] = o.eps;
    return (gs !== 1 ? GRAD_SCALE : 0);
  },
});

/**
 * Yogi (Zaheer et al. 2018, "Adaptive Methods for Nonconvex Optimization",
 * https://papers.nips.cc/paper/8186-adaptive-methods-for-nonconvex-optimization) — Optax's `optax.yogi`
 * (0.2.8: chain(scale_by_yogi, scale_by_learning_rate)), f32.
 *
 *   t ← t + 1
 *   m ← (1 − β1)·g + β1·m
 *   v ← v − (1 − β2)·sign(v − g²)·g²                   (additive: v moves towards g², at most (1 − β2)·g²)
 *   θ ← θ − γ · (m / (1 − β1^t)) / (√(v / (1 − β2^t)) + ε)
 *
 * Defaults (Optax's): lr 1e-2, betas [0.9, 0.999], eps 1e-3; both moments start at Optax's
 * initial_accumulator_value 1e-6 (not an option: Optax's `yogi` does not expose it either).
 * State: `step` (Optax's `count`), `exp_avg` (Optax's `mu`), `exp_avg_sq` (Optax's `nu`).
 * Bias corrections are Optax's f32 ones (the optax module), computed once per step; the kernel multiplies
 * √v by 1/√(1 − β2^t) and scales m by γ/(1 − β1^t) where Optax divides: within a few f32 roundings.
 * Reference: https://github.com/google-deepmind/optax/blob/main/optax/_src/transform.py (scale_by_yogi).
 *
 * @example
 * await init();
 * const store = new ParamStore();
 * const w = store.param("w", new Float32Array([0.1, -0.2, 0.3]));
 * const opt = new Yogi(store.params, { lr: 1e-2 });
 * w.grad.set([0.5, -0.5, 0.5]); opt.step(); opt.zeroGrad();
 */
export class Yogi extends Optimizer<YogiOptions> {
  constructor(params: ParamsInput<YogiOptions>, options: OptionsInput<YogiOptions> & OptimizerOptions = {}) {
    super(YOGI_SPEC, params, options);
  }
}
