import type { OptimizerCases } from "./types.js";

// Every option alone, then all of them (lr schedule included); the registry runs each as a config too.
export const cases: OptimizerCases = {
  fixtures: [
    { reference: "optax", options: { lr: 0.1 } },
    { reference: "optax", options: { lr: 0.1, eps: 1e-3 } },
    // beta2 0.1: v follows the last gradient, so a growing one is clipped at (t − 1)^¼.
    { reference: "optax", options: { lr: 0.1, betas: [0.9, 0.1] } },
    { reference: "optax", options: { lr: 0.1, betas: [0.9, 0.1], clipping: false } },
    { reference: "optax", options: { lr: 0.1, nesterov: true } },
    { reference: "optax", options: { lr: 0.1, betas: [0.8, 0.95], eps: 1e-4, clipping: false, nesterov: true },
      lrSchedule: [0.1, 0.09, 0.081, 0.0729, 0.06561, 0.059049, 0.0531441, 0.04782969, 0.043046721, 0.038742049] },
  ],
  optax: { fn: "contrib.adopt", args: { use_clipping: "clipping" } },
};
