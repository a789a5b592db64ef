import type { OptimizerCases } from "./types.js";

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
  fixtures: [
    { reference: "optax", options: { lr: 0.1 } },
    { reference: "optax", options: { lr: 0.1, betas: [0.5, 0.9] } },
    { reference: "optax", options: { lr: 0.1, eps: 1e-8 } },
    { reference: "optax", options: { lr: 0.05, betas: [0.8, 0.95], eps: 1e-6 } },
    { reference: "optax", options: {} },
    { reference: "optax", options: { lr: 0.1 }, lrSchedule: DECAY },
  ],
};
