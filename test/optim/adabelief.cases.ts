import type { OptimizerCases } from "./types.js";

const DECAY = [0.1, 0.09, 0.081, 0.0729, 0.06561, 0.059049, 0.0531441, 0.04782969, 0.043046721, 0.038742049];

export const cases: OptimizerCases = {
  configs: [
    { desc: "bf16 state", options: { lr: 0.01, stateDtype: "bf16" } },
    { desc: "bf16 state, stochastic rounding", options: { lr: 0.01, stateDtype: "bf16", stochasticRounding: 17 } },
    { desc: "int8 state", options: { lr: 0.01, stateDtype: "int8" } },
    { desc: "int8 state, all", options: { lr: 0.01, betas: [0.8, 0.95], eps: 1e-6, epsRoot: 1e-8, stateDtype: "int8" } },
    { desc: "bf16 state, weight decay", options: { lr: 0.01, weightDecay: 0.1, stateDtype: "bf16" } },
    { desc: "bf16 state, stochastic rounding, weight decay", options: { lr: 0.01, weightDecay: 0.1, stateDtype: "bf16", stochasticRounding: 5 } },
    { desc: "int8 state, all with weight decay", options: { lr: 0.01, betas: [0.8, 0.95], eps: 1e-6, epsRoot: 1e-8, weightDecay: 0.05, stateDtype: "int8" } },
    { desc: "defaults", options: {} },
    { desc: "lr 0.01", options: { lr: 0.01 } },
    { desc: "betas", options: { lr: 0.01, betas: [0.5, 0.9] } },
    { desc: "eps", options: { lr: 0.01, eps: 1e-3 } },
    { desc: "epsRoot", options: { lr: 0.01, epsRoot: 1e-4 } },
    { desc: "weight decay", options: { lr: 0.01, weightDecay: 0.1 } },
    { desc: "all", options: { lr: 0.01, betas: [0.8, 0.95], eps: 1e-6, epsRoot: 1e-8 } },
    { desc: "all with weight decay", options: { lr: 0.01, betas: [0.8, 0.95], eps: 1e-6, epsRoot: 1e-8, weightDecay: 0.05 } },
  ],
  fixtures: [
    { reference: "optax", options: { lr: 0.1 } },
    { reference: "optax", options: { lr: 0.1, betas: [0.5, 0.9] } },
    { reference: "optax", options: { lr: 0.1, eps: 1e-3 } },
    { reference: "optax", options: { lr: 0.1, epsRoot: 1e-4 } },
    { reference: "optax", options: { lr: 0.1, betas: [0.8, 0.95], eps: 1e-6, epsRoot: 1e-8 } },
    { reference: "optax", options: { lr: 0.1 }, lrSchedule: DECAY },
    // weightDecay: Optax's chain after 0.2.8 (68fba22), built from its parts in scripts/gen-fixtures.py.
    { reference: "optax", options: { lr: 0.1, weightDecay: 0.1 } },
    { reference: "optax", options: { lr: 0.1, betas: [0.8, 0.95], eps: 1e-6, epsRoot: 1e-8, weightDecay: 0.05 } },
    { reference: "optax", options: { lr: 0.1, weightDecay: 0.3 }, lrSchedule: DECAY },
  ],
};
