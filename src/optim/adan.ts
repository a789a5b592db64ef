import { invalidMessage, num, type Rule } from "../core/options.js";
import { Optimizer, type OptimizerOptions, type ParamsInput } from "../core/optimizer.js";
import { defineSpec } from "../core/define-spec.js";
import type { OptionsInput, SharedOptions } from "../core/spec.js";
import { DECOUPLED, GRAD_SCALE, INIT_BUFFER } from "../abi/index.js";
import { optaxBiasCorrection } from "./optax.js";
import { adan_f32 } from "./adan.reference.js";

/** The options of {@link Adan}, each with its default (PyTorch's where PyTorch has the optimizer). */
export interface AdanOptions extends Pick<SharedOptions, "stateDtype" | "stochasticRounding"> {
  /** Learning rate γ. @defaultValue 1e-3 */
  lr: number;
  /** Decay rates of the moving averages (β1, β2, β3). @defaultValue [0.98, 0.92, 0.99] */
  betas: [number, number, number];
  /** Term added to the denominator for numerical stability. @defaultValue 1e-8 */
  eps: number;
  /** Term added inside the square root (Optax's `eps_root`). @defaultValue 1e-8 */
  epsRoot: number;
  /** Decoupled weight decay λ: λθ is added to the update, not to the gradient (the class comment gives where). @defaultValue 0 */
  weightDecay: number;
}

/** Three betas [beta1, beta2, beta3] (Adan, AdEMAMix), each checked as its own name with `expected`. */
export function betaTriple(ok: (x: number) => boolean, expected: string): Rule {
  const one = num(ok, expected);
  return (v) => {
    if (!Array.isArray(v) || v.length !== 3) throw new TypeError(invalidMessage("betas", v, `[beta1, beta2, beta3]`));
    one(v[0], "beta1");
    one(v[1], "beta2");
    one(v[2], "beta3");
  };
}

export const ADAN_SPEC = defineSpec<AdanOptions>({
  name: "Adan",
  defaults: { lr: 1e-3, betas: [0.98, 0.92, 0.99], eps: 1e-8, epsRoot: 1e-8, weightDecay: 0,
    stateDtype: "f32", stochasticRounding: false },
  rules: { betas: betaTriple((x) => x >= 0 && x < 1, "0 <= {} < 1") },
  scalars: ["beta1", "beta1Comp", "beta2", "beta2Comp", "beta3", "beta3Comp", "rBc1", "rBc2", "rBc3", "eps", "epsRoot",
    "lr", "weightDecay"],
  reference: adan_f32,
  buffers: [
    { name: "exp_avg", needed: () => true },
    { name: "exp_avg_diff", needed: () => true },
    { name: "exp_avg_sq", needed: () => true, q8: "unsigned" },
    { name: "prev_grad", needed: () => true },
  ],
  stepScalars(s, r, o, gs) {
    const t = r.step + 1, beta1 = o.betas[0], beta2 = o.betas[1], beta3 = o.betas[2];
    const flags = (gs !== 1 ? GRAD_SCALE : 0) | (o.weightDecay !== 0 ? DECOUPLED : 0) | (r.step === 0 ? INIT_BUFFER : 0);
    s[0] = beta1; s[1] = 1 - beta1; s[2] = beta2; s[3] = 1 - beta2; s[4] = beta3; s[5] = 1 - beta3;
    s[6] = 1 / optaxBiasCorrection(beta1, t); s[7] = 1 / optaxBiasCorrection(beta2, t);
    s[8] = 1 / optaxBiasCorrection(beta3, t); s[9] = o.eps; s[10] = o.epsRoot; s[11] = o.lr; s[12] = o.weightDecay;
    return flags;
  },
});

/**
 * Adan (Xie et al. 2022, "Adaptive Nesterov Momentum Algorithm", https://arxiv.org/abs/2208.06677) — Optax's
 * `optax.adan` (0.2.8: chain(scale_by_adan, add_decayed_weights, scale_by_learning_rate)), f32.
 *
 *   t ← t + 1;  d ← t = 1 ? 0 : g − g_prev;  g_prev ← g
 *   m ← (1 − β1)·g + β1·m
 *   v ← (1 − β2)·d + β2·v
 *   n ← (1 − β3)·(g + (1 − β2)·d)² + β3·n
 *   u ← (m/(1 − β1^t) + (1 − β2)·v/(1 − β2^t)) / (√(n/(1 − β3^t) + εroot) + ε)
 *   θ ← θ − γ·(u + λθ)                   (decoupled weight decay, multiplied by lr, as Optax adds it to the update)
 *
 * Defaults (Optax's): lr 1e-3, betas [0.98, 0.92, 0.99], eps 1e-8, epsRoot 1e-8 (Optax's `adan` default;
 * its `scale_by_adan` defaults to 0), weightDecay 0. State: `step` (Optax's `t`), `exp_avg` (`m`),
 * `exp_avg_diff` (`v`), `exp_avg_sq` (`n`), `prev_grad` (`g`). Bias corrections are Optax's f32 ones
 * (the optax module); the kernel multiplies by their reciprocals (computed once per step) where Optax
 * divides: within a few f32 roundings.
 * Reference: https://github.com/google-deepmind/optax/blob/main/optax/_src/transform.py (scale_by_adan).
 *
 * @example
 * await init();
 * const store = new ParamStore();
 * const w = store.param("w", new Float32Array([0.1, -0.2, 0.3]));
 * const opt = new Adan(store.params, { lr: 1e-3, weightDecay: 0.02 });
 * w.grad.set([0.5, -0.5, 0.5]); opt.step(); opt.zeroGrad();
 */
export class Adan extends Optimizer<AdanOptions> {
  constructor(params: ParamsInput<AdanOptions>, options: OptionsInput<AdanOptions> & OptimizerOptions = {}) {
    super(ADAN_SPEC, params, options);
  }
}
