import { nonNegative } from "../core/options.js";
import { Optimizer, type OptimizerOptions, type ParamsInput } from "../core/optimizer.js";
import { defineSpec } from "../core/define-spec.js";
import type { OptionsInput, SharedOptions } from "../core/spec.js";
import { baseFlags, COPY } from "../abi/index.js";
import { asgd_f32 } from "./asgd.reference.js";

/** The options of {@link ASGD}, each with its default (PyTorch's where PyTorch has the optimizer). */
export interface ASGDOptions extends Pick<SharedOptions, "maximize"> {
  /** Learning rate γ. @defaultValue 0.01 */
  lr: number;
  /** Decay term. @defaultValue 1e-4 */
  lambd: number;
  /** Power for the eta update. @defaultValue 0.75 */
  alpha: number;
  /** Step at which averaging starts. @defaultValue 1e6 */
  t0: number;
  /** Weight decay λ: L2 penalty λθ added to the gradient. @defaultValue 0 */
  weightDecay: number;
}

export const ASGD_SPEC = defineSpec<ASGDOptions>({
  name: "ASGD",
  defaults: { lr: 1e-2, lambd: 1e-4, alpha: 0.75, t0: 1e6, weightDecay: 0, maximize: false },
  rules: { lambd: nonNegative, alpha: nonNegative, t0: nonNegative },
  f32Only: "ax is the averaged param, ASGD's result, not a statistic of the gradients",
  scalars: ["eta", "decay", "mu", "weightDecay"],
  reference: asgd_f32,
  buffers: [{ name: "ax", needed: () => true }],
  stepScalars(out, r, o, gs) {
    const s = r.step; // this step uses eta and mu as PyTorch left them after step s = t - 1
    const eta = Math.fround(o.lr / (1 + o.lambd * o.lr * s) ** o.alpha);
    const mu = s === 0 ? 1 : 1 / Math.max(1, s - o.t0);
    out[0] = eta; out[1] = 1 - o.lambd * eta; out[2] = mu; out[3] = o.weightDecay;
    // COPY: ax copies the param while mu is exactly 1 (PyTorch's copy), as the reference does.
    return baseFlags(o, gs) | (mu === 1 ? COPY : 0);
  },
});

/**
 * ASGD, averaged SGD (Polyak & Juditsky 1992, https://doi.org/10.1137/0330046) — PyTorch's `torch.optim.ASGD`
 * (2.x), f32.
 *
 *   t ← t + 1;  g ← maximize ? −∇ : ∇;  g ← g + λ_wd·θ
 *   θ ← θ·(1 − λ·η_{t−1});   θ ← θ − η_{t−1}·g
 *   ax ← μ_{t−1} = 1 ? θ : ax + μ_{t−1}·(θ − ax)
 *   where η_0 = γ, μ_0 = 1, η_s = γ / (1 + λ·γ·s)^α, μ_s = 1 / max(1, s − t0)
 *
 * Defaults: lr 1e-2, lambd (λ) 1e-4, alpha 0.75, t0 1e6, weightDecay 0, maximize false. State: `step`, `ax`
 * (the averaged iterate; θ itself does not depend on t0). PyTorch also keeps `eta` and `mu` as float32 0-d
 * tensors; gradstep derives them from the step count once per step (η rounded to f32 as PyTorch stores it),
 * so the state dict holds `step` and `ax` only. One difference: PyTorch computes η_s at the end of step s with
 * that step's lr, gradstep at step s + 1 with the lr then in effect — the same unless lr changes between steps.
 * Reference: https://pytorch.org/docs/2.13/generated/torch.optim.ASGD.html
 *
 * @example
 * await init();
 * const store = new ParamStore();
 * const w = store.param("w", new Float32Array([1, -1]));
 * const opt = new ASGD(store.params, { lr: 1e-2, t0: 100 });
 * w.grad.set([0.2, 0.3]); opt.step();
 * // opt.stateDict().state[0].ax is the averaged param
 */
export class ASGD extends Optimizer<ASGDOptions> {
  constructor(params: ParamsInput<ASGDOptions>, options: OptionsInput<ASGDOptions> & OptimizerOptions = {}) {
    super(ASGD_SPEC, params, options);
  }
}
