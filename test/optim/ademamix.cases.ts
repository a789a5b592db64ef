import type { OptimizerCases } from "./types.js";

const DECAY = [0.01, 0.009, 0.0081, 0.00729, 0.006561, 0.0059049, 0.00531441, 0.004782969, 0.0043046721, 0.0038742049];

export const cases: OptimizerCases = {
  configs: [
    { desc: "bf16 state", options: { lr: 0.01, stateDtype: "bf16" } },
    { desc: "bf16 state, stochastic rounding", options: { lr: 0.01, stateDtype: "bf16", stochasticRounding: 37 } },
    { desc: "int8 state, weight decay", options: { lr: 0.01, weightDecay: 0.1, stateDtype: "int8" } },
    { desc: "int8 state, alpha 0", options: { lr: 0.01, alpha: 0, stateDtype: "int8" } },
    { desc: "defaults", options: {} },
    { desc: "lr 0.01", options: { lr: 0.01 } },
    { desc: "betas", options: { lr: 0.01, betas: [0.8, 0.9, 0.99] } },
    { desc: "alpha", options: { lr: 0.01, alpha: 8 } },
    { desc: "alpha 0", options: { lr: 0.01, alpha: 0 } },
    { desc: "eps", options: { lr: 0.01, eps: 1e-3 } },
    { desc: "weight decay", options: { lr: 0.01, weightDecay: 0.1 } },
    { desc: "all", options: { lr: 0.01, betas: [0.7, 0.95, 0.999], alpha: 2, eps: 1e-6, weightDecay: 0.05 } },
  ],
  errors: [
    { options: { betas: [1.5, 0.999, 0.9999] }, error: /^Invalid beta1: 1.5 \(expected 0 <= beta1 < 1\)$/ },
    { options: { betas: [0.9, 0.999, 1] }, error: /^Invalid beta3: 1 \(expected 0 <= beta3 < 1\)$/ },
    { options: { betas: [0.9, 0.999] }, error: /^Invalid betas: \[0.9, 0.999\] \(expected \[beta1, beta2, beta3\]\)$/, type: TypeError },
    { options: { alpha: -5 }, error: /^Invalid alpha: -5 \(expected alpha >= 0\)$/ },
    { options: { alpha: Infinity }, error: /^Invalid alpha: Infinity \(expected alpha >= 0\)$/ },
    { options: { alpha: "5" }, error: /^Invalid alpha: "5" \(expected a number\)$/, type: TypeError },
  ],
  identities: [
    // alpha 0: the slow EMA never reaches the update (m̂1 + 0·m2 = m̂1), so beta3 cannot matter.
    { desc: "AdEMAMix alpha 0: beta3 is irrelevant", a: ["AdEMAMix", { lr: 0.01, alpha: 0, betas: [0.9, 0.999, 0.9999] }], b: ["AdEMAMix", { lr: 0.01, alpha: 0, betas: [0.9, 0.999, 0.5] }] },
  ],
  fixtures: [
    { reference: "optax", options: { lr: 0.01 } },
    { reference: "optax", options: { lr: 0.01, betas: [0.8, 0.9, 0.99] } },
    { reference: "optax", options: { lr: 0.01, alpha: 8, eps: 1e-3 } },
    { reference: "optax", options: { lr: 0.01, alpha: 0 } },
    { reference: "optax", options: { lr: 0.01, weightDecay: 0.1 } },
    { reference: "optax", options: { lr: 0.01, betas: [0.7, 0.95, 0.999], alpha: 2, eps: 1e-6, weightDecay: 0.05 } },
    { reference: "optax", options: { lr: 0.01, weightDecay: 0.1 }, lrSchedule: DECAY },
  ],
};
