import type { OptimizerCases } from "./types.js";

// Every option alone, then all of them (lr schedule included); the registry runs each as a config too.
export const cases: OptimizerCases = {
  fixtures: [
    { reference: "optax", options: { lr: 0.1 } },
    { reference: "optax", options: { lr: 0.1, betas: [0.5, 0.9] } },
    { reference: "optax", options: { lr: 0.1, eps: 1e-3 } },
    { reference: "optax", options: { lr: 0.1, epsRoot: 1e-4 } },
    { reference: "optax", options: { lr: 0.1, weightDecay: 0.1 } },
    { reference: "optax", options: { lr: 0.1, betas: [0.8, 0.5], eps: 1e-4, epsRoot: 1e-8, weightDecay: 0.05 },
      lrSchedule: [0.1, 0.09, 0.081, 0.0729, 0.06561, 0.059049, 0.0531441, 0.04782969, 0.043046721, 0.038742049] },
  ],
  // nu: one number per tensor.
  optax: { fn: "novograd" },
};
