import type { OptimizerCases } from "./types.js";

export const cases: OptimizerCases = {
  configs: [
    { desc: "defaults", options: {} },
    { desc: "lr 0.1", options: { lr: 0.1 } },
    { desc: "warm-up", options: { lr: 0.1, warmupSteps: 4 } },
    { desc: "momentum", options: { lr: 0.1, momentum: 0.5 } },
    { desc: "weight decay", options: { lr: 0.1, weightDecay: 0.1 } },
    { desc: "weightLrPower", options: { lr: 0.1, warmupSteps: 3, weightLrPower: 0.5 } },
    { desc: "all", options: { lr: 0.2, warmupSteps: 5, momentum: 0.8, weightDecay: 0.05, weightLrPower: 1 } },
  ],
  errors: [
    { options: { warmupSteps: -2 }, error: /^Invalid warmupSteps: -2 \(expected integer warmupSteps >= 0\)$/ },
    { options: { warmupSteps: 0.5 }, error: /^Invalid warmupSteps: 0.5 \(expected integer warmupSteps >= 0\)$/ },
    { options: { momentum: 0 }, error: /^Invalid momentum: 0 \(expected 0 < momentum < 1\)$/ },
    { options: { momentum: 1 }, error: /^Invalid momentum: 1 \(expected 0 < momentum < 1\)$/ },
    { options: { weightLrPower: Number.NaN }, error: /^Invalid weightLrPower: NaN \(expected weightLrPower >= 0\)$/ },
  ],
  fixtures: [
    { reference: "optax", options: { lr: 0.1 } },
    { reference: "optax", options: { lr: 0.1, warmupSteps: 4 } },
    { reference: "optax", options: { lr: 0.1, momentum: 0.5 } },
    { reference: "optax", options: { lr: 0.1, weightDecay: 0.1 } },
    { reference: "optax", options: { lr: 0.1, warmupSteps: 3, weightLrPower: 0.5 } },
    { reference: "optax", options: { lr: 0.2, warmupSteps: 5, momentum: 0.8, weightDecay: 0.05, weightLrPower: 1 } },
  ],
};
