import { Optimizer, type OptimizerOptions, type ParamsInput } from "../core/optimizer.js";
import { defineSpec } from "../core/define-spec.js";
import type { OptionsInput, SharedOptions } from "../core/spec.js";
import { baseFlags, RECTIFY } from "../abi/index.js";
import { radam_f32 } from "./radam.reference.js";

/** The options of {@link RAdam}, each with its default (PyTorch's where PyTorch has the optimizer). */
export interface RAdamOptions extends Pick<SharedOptions, "maximize" | "stateDtype" | "stochasticRounding"> {
  /** Learning rate γ. @defaultValue 1e-3 */
  lr: number;
  /** Decay rates of the moving averages (β1, β2). @defaultValue [0.9, 0.999] */
  betas: [number, number];
  /** Term added to the denominator for numerical stability. @defaultValue 1e-8 */
  eps: number;
  /** Weight decay λ: L2 penalty λθ added to the gradient. @defaultValue 0 */
  weightDecay: number;
  /** Decoupled weight decay θ ← θ(1 − γλ) instead of the L2 term (AdamW's). @defaultValue false */
  decoupledWeightDecay: boolean;
}

export const RADAM_SPEC = defineSpec<RAdamOptions>({
  name: "RAdam",
  defaults: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, decoupledWeightDecay: false, maximize: false,
    stateDtype: "f32", stochasticRounding: false },
  scalars: ["stepSize", "beta1Comp", "beta2", "beta2Comp", "eps", "weightDecay", "decay"],
  reference: radam_f32,
  buffers: [{ name: "exp_avg", needed: () => true }, { name: "exp_avg_sq", needed: () => true, q8: "unsigned" }],
  stepScalars(s, r, o, gs) {
    const t = r.step + 1, beta1 = o.betas[0], beta2 = o.betas[1];
    const bc1 = 1 - beta1 ** t, bc2 = 1 - beta2 ** t;
    const rhoInf = 2 / (1 - beta2) - 1, rhoT = rhoInf - (2 * t * beta2 ** t) / bc2;
    let flags = baseFlags(o, gs, o.decoupledWeightDecay), stepSize = o.lr / bc1;
    if (rhoT > 5) {
      const rect = Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
      stepSize = (o.lr * rect * Math.sqrt(bc2)) / bc1;
      flags |= RECTIFY;
    }
    s[0] = stepSize; s[1] = 1 - beta1; s[2] = beta2; s[3] = 1 - beta2; s[4] = o.eps; s[5] = o.weightDecay;
    s[6] = 1 - o.lr * o.weightDecay;
    return flags;
  },
});

/**
 * RAdam (Liu et al. 2019, https://arxiv.org/abs/1908.03265) with L2 or decoupled weight decay — PyTorch's
 * `torch.optim.RAdam` (2.x), f32.
 *
 *   t ← t + 1;  g ← maximize ? −∇ : ∇
 *   if λ ≠ 0:  decoupledWeightDecay ? θ ← θ(1 − γλ) : g ← g + λθ
 *   m ← lerp(m, g, 1 − β1);   v ← β2·v + (1 − β2)·g²
 *   ρ∞ = 2/(1 − β2) − 1;   ρ_t = ρ∞ − 2t·β2^t/(1 − β2^t)
 *   if ρ_t > 5:  r_t = √((ρ_t − 4)(ρ_t − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρ_t))
 *                θ ← θ − γ·r_t·√(1 − β2^t)/(1 − β1^t) · m / (√v + ε)      (ε on the un-corrected √v)
 *   else:        θ ← θ − γ/(1 − β1^t) · m                                  (un-adapted momentum step)
 *
 * Defaults: lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0, decoupledWeightDecay false, maximize false.
 * State: `step`, `exp_avg`, `exp_avg_sq`. With β2 = 0.999 the rectified branch starts at t = 6. The branch and
 * every step scalar are computed once per step in f64 (PyTorch's Python floats); the kernel folds
 * γ·r_t·√(1 − β2^t)/(1 − β1^t) into one scalar where PyTorch multiplies four tensors (within f32 rounding).
 * Reference: https://pytorch.org/docs/2.13/generated/torch.optim.RAdam.html
 *
 * @example
 * await init();
 * const store = new ParamStore();
 * const w = store.param("w", new Float32Array([1, -1]));
 * const opt = new RAdam(store.params, { lr: 1e-3 });
 * w.grad.set([0.2, 0.3]); opt.step();
 */
export class RAdam extends Optimizer<RAdamOptions> {
  constructor(params: ParamsInput<RAdamOptions>, options: OptionsInput<RAdamOptions> & OptimizerOptions = {}) {
    super(RADAM_SPEC, params, options);
  }
}
