import { LOWP_ERRORS, type OptimizerCases } from "./types.js";

const DECAY = [0.1, 0.09, 0.081, 0.0729, 0.06561, 0.059049, 0.0531441, 0.04782969, 0.043046721, 0.038742049];

export const cases: OptimizerCases = {
  configs: [
    { desc: "bf16 state (both moments start at 1e-6)", options: { lr: 0.01, stateDtype: "bf16" } },
    { desc: "bf16 state, stochastic rounding", options: { lr: 0.01, stateDtype: "bf16", stochasticRounding: 23 } },
    { desc: "int8 state", options: { lr: 0.01, stateDtype: "int8" } },
    { desc: "int8 state, all", options: { lr: 0.05, betas: [0.8, 0.95], eps: 1e-6, stateDtype: "int8" } },
    { desc: "defaults", options: {} },
    { desc: "lr 0.1", options: { lr: 0.1 } },
    { desc: "betas", options: { lr: 0.01, betas: [0.5, 0.9] } },
    { desc: "eps", options: { lr: 0.01, eps: 1e-8 } },
    { desc: "all", options: { lr: 0.05, betas: [0.8, 0.95], eps: 1e-6 } },
  ],
  errors: [...LOWP_ERRORS,
    { options: { lr: -1 }, error: /^Invalid lr: -1 \(expected lr >= 0\)$/ },
    { options: { lr: Infinity }, error: /^Invalid lr: Infinity \(expected lr >= 0\)$/ },
    { options: { lr: "0.1" }, error: /^Invalid lr: "0.1" \(expected a number\)$/, type: TypeError },
    { options: { betas: [1.2, 0.999] }, error: /^Invalid beta1: 1.2 \(expected 0 <= beta1 < 1\)$/ },
    { options: { betas: [0.9, -0.5] }, error: /^Invalid beta2: -0.5 \(expected 0 <= beta2 < 1\)$/ },
    { options: { betas: [0.9, 0.99, 0.999] }, error: /^Invalid betas: \[0.9, 0.99, 0.999\] \(expected \[beta1, beta2\]\)$/, type: TypeError },
    { options: { eps: -1e-3 }, error: /^Invalid eps: -0.001 \(expected eps >= 0\)$/ },
    { options: { eps: null }, error: /^Invalid eps: null \(expected a number\)$/, type: TypeError },
  ],
  fixtures: [
    { reference: "optax", options: { lr: 0.1 } },
    { reference: "optax", options: { lr: 0.1, betas: [0.5, 0.9] } },
    { reference: "optax", options: { lr: 0.1, eps: 1e-8 } },
    { reference: "optax", options: { lr: 0.05, betas: [0.8, 0.95], eps: 1e-6 } },
    { reference: "optax", options: {} },
    { reference: "optax", options: { lr: 0.1 }, lrSchedule: DECAY },
  ],
};
