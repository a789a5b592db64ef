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
  fixtures: [
    { reference: "optax", options: { lr: 0.1 } },
    { reference: "optax", options: { lr: 0.1, betas: [0.5, 0.9], eps: 1e-3 } },
    { reference: "optax", options: { lr: 0.1, epsRoot: 1e-4 } },
    { reference: "optax", options: { lr: 0.1, weightDecay: 0.1 } },
    { reference: "optax", options: { lr: 0.1, betas: [0.8, 0.5], weightDecay: 0.05 },
      lrSchedule: [0.1, 0.09, 0.081, 0.0729, 0.06561, 0.059049, 0.0531441, 0.04782969, 0.043046721, 0.038742049] },
  ],
  // nu: one number per tensor.
  optax: { fn: "novograd" },
};
