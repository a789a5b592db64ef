import type { OptimizerCases } from "./types.js";

export const cases: OptimizerCases = {
  configs: [
    { desc: "defaults", options: {} },
    { desc: "lr 0.01", options: { lr: 0.01 } },
    { desc: "betas", options: { lr: 0.01, betas: [0.5, 0.9] } },
    { desc: "eps", options: { lr: 0.01, eps: 1e-3 } },
    { desc: "epsRoot", options: { lr: 0.01, epsRoot: 1e-4 } },
    { desc: "weight decay", options: { lr: 0.01, weightDecay: 0.1 } },
    { desc: "all", options: { lr: 0.01, betas: [0.8, 0.5], eps: 1e-4, epsRoot: 1e-8, weightDecay: 0.05 } },
  ],
  errors: [
    { options: { lr: -1 }, error: /^Invalid lr: -1 \(expected lr >= 0\)$/ },
    { options: { lr: "0.1" }, error: /^Invalid lr: "0.1" \(expected a number\)$/, type: TypeError },
    { options: { betas: [1, 0.25] }, error: /^Invalid beta1: 1 \(expected 0 <= beta1 < 1\)$/ },
    { options: { betas: [0.9, Number.NaN] }, error: /^Invalid beta2: NaN \(expected 0 <= beta2 < 1\)$/ },
    { options: { eps: -1 }, error: /^Invalid eps: -1 \(expected eps >= 0\)$/ },
    { options: { epsRoot: Infinity }, error: /^Invalid epsRoot: Infinity \(expected epsRoot >= 0\)$/ },
    { options: { weightDecay: -0.1 }, error: /^Invalid weightDecay: -0.1 \(expected weightDecay >= 0\)$/ },
  ],
  fixtures: [
    { reference: "optax", options: { lr: 0.1 } },
    { reference: "optax", options: { lr: 0.1, betas: [0.5, 0.9], eps: 1e-3 } },
    { reference: "optax", options: { lr: 0.1, epsRoot: 1e-4 } },
    { reference: "optax", options: { lr: 0.1, weightDecay: 0.1 } },
    { reference: "optax", options: { lr: 0.1, betas: [0.8, 0.5], weightDecay: 0.05 },
      lrSchedule: [0.1, 0.09, 0.081, 0.0729, 0.06561, 0.059049, 0.0531441, 0.04782969, 0.043046721, 0.038742049] },
  ],
  // nu: one number per tensor.
  optax: {
    fn: "novograd", args: { b1: "betas.0", b2: "betas.1", eps: "eps", eps_root: "epsRoot", weight_decay: "weightDecay" },
    state: { count: "step", mu: "exp_avg", nu: "exp_avg_sq" },
  },
};
