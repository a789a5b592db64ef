import type { OptimizerCases } from "./types.js";

const DECAY = [0.1, 0.09, 0.081, 0.0729, 0.06561, 0.059049, 0.0531441, 0.04782969, 0.043046721, 0.038742049];

export const cases: OptimizerCases = {
  configs: [
    { desc: "bf16 state (four buffers, prev_grad too)", options: { lr: 0.01, stateDtype: "bf16" } },
    { desc: "bf16 state, stochastic rounding", options: { lr: 0.01, stateDtype: "bf16", stochasticRounding: 31 } },
    { desc: "int8 state", options: { lr: 0.01, stateDtype: "int8" } },
    { desc: "int8 state, weight decay", options: { lr: 0.01, weightDecay: 0.1, stateDtype: "int8" } },
    { desc: "defaults", options: {} },
    { desc: "lr 0.01", options: { lr: 0.01 } },
    { desc: "betas", options: { lr: 0.01, betas: [0.9, 0.5, 0.95] } },
    { desc: "eps + epsRoot", options: { lr: 0.01, eps: 1e-3, epsRoot: 0 } },
    { desc: "weight decay", options: { lr: 0.01, weightDecay: 0.1 } },
    { desc: "all", options: { lr: 0.01, betas: [0.8, 0.7, 0.9], eps: 1e-6, epsRoot: 1e-4, weightDecay: 0.05 } },
  ],
  errors: [
    { options: { betas: [1.2, 0.92, 0.99] }, error: /^Invalid beta1: 1.2 \(expected 0 <= beta1 < 1\)$/ },
    { options: { betas: [0.98, 1, 0.99] }, error: /^Invalid beta2: 1 \(expected 0 <= beta2 < 1\)$/ },
    { options: { betas: [0.98, 0.92, -0.5] }, error: /^Invalid beta3: -0.5 \(expected 0 <= beta3 < 1\)$/ },
    { options: { betas: [0.98, 0.92, "x"] }, error: /^Invalid beta3: "x" \(expected a number\)$/, type: TypeError },
    { options: { betas: [0.9, 0.999] }, error: /^Invalid betas: \[0.9, 0.999\] \(expected \[beta1, beta2, beta3\]\)$/, type: TypeError },
    { options: { betas: 0.9 }, error: /^Invalid betas: 0.9 \(expected \[beta1, beta2, beta3\]\)$/, type: TypeError },
  ],
  fixtures: [
    { reference: "optax", options: { lr: 0.1 } },
    { reference: "optax", options: { lr: 0.1, betas: [0.9, 0.5, 0.95] } },
    { reference: "optax", options: { lr: 0.1, eps: 1e-3, epsRoot: 0 } },
    { reference: "optax", options: { lr: 0.1, weightDecay: 0.1 } },
    { reference: "optax", options: { lr: 0.1, betas: [0.8, 0.7, 0.9], eps: 1e-6, epsRoot: 1e-4, weightDecay: 0.05 } },
    { reference: "optax", options: { lr: 0.1, weightDecay: 0.1 }, lrSchedule: DECAY },
  ],
};
