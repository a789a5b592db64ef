import type { OptimizerCases } from "./types.js";

// Every option alone, then all of them (lr schedule included); the registry runs each as a config too.
export const cases: OptimizerCases = {
  errors: [
    { options: { momentum: 1 }, error: /^Invalid momentum: 1 \(expected 0 <= momentum < 1\)$/ },
    { options: { momentum: -0.5 }, error: /^Invalid momentum: -0.5 \(expected 0 <= momentum < 1\)$/ },
  ],
  fixtures: [
    { reference: "optax", options: { lr: 0.1 } },
    { reference: "optax", options: { lr: 0.1, momentum: 0 } },
    { reference: "optax", options: { lr: 0.1, weightDecay: 0.1 } },
    { reference: "optax", options: { lr: 0.1, eps: 1e-3 } },
    { reference: "optax", options: { lr: 0.05, momentum: 0.5, weightDecay: 0.05, eps: 1e-4 },
      lrSchedule: [0.05, 0.045, 0.0405, 0.03645, 0.032805, 0.0295245, 0.02657205, 0.023914845, 0.0215233605, 0.01937102445] },
  ],
  optax: { fn: "contrib.madgrad", args: { momentum: "momentum" }, state: { count: "step", grad_sum_sq: "grad_sum_sq", s: "s", x0: "x0" } },
};
