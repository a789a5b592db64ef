import type { OptimizerCases } from "./types.js";

export const cases: OptimizerCases = {
  configs: [
    { desc: "defaults", options: {} },
    { desc: "lr 0.01", options: { lr: 0.01 } },
    { desc: "warm-up", options: { lr: 0.01, warmupSteps: 4 } },
    { desc: "betas", options: { lr: 0.01, betas: [0.5, 0.9] } },
    { desc: "eps", options: { lr: 0.01, eps: 1e-3 } },
    { desc: "weight decay", options: { lr: 0.01, weightDecay: 0.1 } },
    { desc: "weightLrPower", options: { lr: 0.01, warmupSteps: 3, weightLrPower: 0.5 } },
    { desc: "all", options: { lr: 0.02, warmupSteps: 5, betas: [0.8, 0.95], eps: 1e-6, weightDecay: 0.05, weightLrPower: 1 } },
  ],
  errors: [
    { options: { warmupSteps: -1 }, error: /^Invalid warmupSteps: -1 \(expected integer warmupSteps >= 0\)$/ },
    { options: { warmupSteps: 2.5 }, error: /^Invalid warmupSteps: 2.5 \(expected integer warmupSteps >= 0\)$/ },
    { options: { betas: [0, 0.999] }, error: /^Invalid beta1: 0 \(expected 0 < beta1 < 1\)$/ },
    { options: { betas: [0.9, 1] }, error: /^Invalid beta2: 1 \(expected 0 < beta2 < 1\)$/ },
    { options: { betas: [0.9] }, error: /^Invalid betas: \[0.9\] \(expected \[beta1, beta2\]\)$/, type: TypeError },
    { options: { weightLrPower: -2 }, error: /^Invalid weightLrPower: -2 \(expected weightLrPower >= 0\)$/ },
  ],
  fixtures: [
    { reference: "optax", options: { lr: 0.1 } },
    { reference: "optax", options: { lr: 0.1, warmupSteps: 4 } },
    { reference: "optax", options: { lr: 0.1, betas: [0.5, 0.9], eps: 1e-3 } },
    { reference: "optax", options: { lr: 0.1, weightDecay: 0.1 } },
    { reference: "optax", options: { lr: 0.1, warmupSteps: 3, weightLrPower: 0.5 } },
    { reference: "optax", options: { lr: 0.05, warmupSteps: 5, betas: [0.8, 0.95], eps: 1e-6, weightDecay: 0.05, weightLrPower: 1 } },
  ],
};
