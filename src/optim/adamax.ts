/**
 * Adamax (Kingma & Ba 2014, §7.1, https://arxiv.org/abs/1412.6980) — PyTorch's `torch.optim.Adamax` (2.x), f32.
 *
 *   t ← t + 1;  g ← maximize ? −∇ : ∇;  g ← g + λθ
 *   m ← lerp(m, g, 1 − β1)
 *   u ← max(β2·u, |g| + ε)                     (ε inside the max, as PyTorch and Optax)
 *   θ ← θ − (γ / (1 − β1^t)) · m / u
 *
 * Defaults: lr 2e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0, maximize false. State: `step`, `exp_avg` (m),
 * `exp_inf` (u). Reference: https://pytorch.org/docs/2.13/generated/torch.optim.Adamax.html
 *
 * @example
 * await init();
 * const store = new ParamStore();
 * const w = store.param("w", new Float32Array([1, -1]));
 * const opt = new Adamax(store.params, { lr: 2e-3 });
 * w.grad.set([0.2, 0.3]); opt.step();
 */
import { bool, nonNegative, pair, samePair } from "../core/options.js";
import { Optimizer, type OptimizerOptions, type OptimizerSpec, type ParamsInput } from "../core/optimizer.js";
import type { OptionsInput } from "../core/spec.js";
import { baseFlags } from "../core/abi.js";
import { adamax_f32 } from "./adamax.reference.js";

export interface AdamaxOptions { lr: number; betas: [number, number]; eps: number; weightDecay: number; maximize: boolean }

export const ADAMAX_SPEC: OptimizerSpec<AdamaxOptions> = {
  name: "Adamax",
  defaults: { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, maximize: false },
  rules: {
    lr: nonNegative, betas: pair(["beta1", "beta2"], (x) => x >= 0 && x < 1, "0 <= {} < 1"), eps: nonNegative,
    weightDecay: nonNegative, maximize: bool,
  },
  same: (a, b) => a.lr === b.lr && samePair(a.betas, b.betas) && a.eps === b.eps && a.weightDecay === b.weightDecay &&
    a.maximize === b.maximize,
  kernel: "adamax_f32",
  scalars: ["clr", "beta1Comp", "beta2", "eps", "weightDecay"],
  reference: adamax_f32,
  buffers: [{ name: "exp_avg", needed: () => true }, { name: "exp_inf", needed: () => true }],
  hasStep: true,
  launch(k, r, o, gs) {
    const t = r.step + 1, beta1 = o.betas[0];
    k(r.ptrs[0]!, r.ptrs[1]!, r.ptrs[2]!, r.ptrs[3]!, r.n, o.lr / (1 - beta1 ** t), 1 - beta1, o.betas[1], o.eps,
      o.weightDecay, gs, baseFlags(o, gs));
  },
};

export class Adamax extends Optimizer<AdamaxOptions> {
  constructor(params: ParamsInput<AdamaxOptions>, options: OptionsInput<AdamaxOptions> & OptimizerOptions = {}) {
    super(ADAMAX_SPEC, params, options);
  }
}
