import type { OptimizerCases } from "./types.js";

export const cases: OptimizerCases = {
  configs: [
    { desc: "bf16 state", options: { lr: 0.01, stateDtype: "bf16" } },
    { desc: "bf16 state, stochastic rounding", options: { lr: 0.01, stateDtype: "bf16", stochasticRounding: 5 } },
    { desc: "int8 state, weight decay + maximize", options: { lr: 0.01, weightDecay: 0.1, maximize: true, stateDtype: "int8" } },
    { desc: "bf16 state, tfjs flavor", options: { flavor: "tfjs", lr: 0.01, stateDtype: "bf16" } },
    { desc: "int8 state, tfjs flavor", options: { flavor: "tfjs", lr: 0.01, stateDtype: "int8" } },
    { desc: "defaults", options: {} },
    { desc: "lr 0.1", options: { lr: 0.1 } },
    { desc: "betas", options: { lr: 0.01, betas: [0.8, 0.5] } },
    { desc: "eps 1e-3", options: { lr: 0.01, eps: 1e-3 } },
    { desc: "weight decay", options: { lr: 0.01, weightDecay: 0.1 } },
    { desc: "maximize", options: { lr: 0.01, maximize: true } },
    { desc: "all", options: { lr: 0.01, betas: [0.7, 0.8], eps: 1e-4, weightDecay: 0.05, maximize: true } },
    { desc: "lrDecay", options: { lr: 0.01, lrDecay: 0.1 } },
    { desc: "tfjs flavor (tf.train.adamax's defaults)", options: { flavor: "tfjs", lr: 0.002, eps: 1e-7 } },
    { desc: "tfjs flavor, decay, betas, L2, maximize", options: { flavor: "tfjs", lr: 0.01, lrDecay: 0.1, betas: [0.7, 0.8], eps: 1e-4, weightDecay: 0.05, maximize: true } },
  ],
  errors: [
    { options: { flavor: "keras" }, error: /^Invalid flavor: "keras" \(expected "torch" or "tfjs"\)$/, type: TypeError },
  ],
  identities: [
    { desc: "Adamax weightDecay 0 == Adamax defaults", a: ["Adamax", { lr: 0.01, weightDecay: 0 }], b: ["Adamax", { lr: 0.01 }] },
  ],
  fixtures: [
    { reference: "torch", options: { lr: 0.1 } },
    { reference: "torch", options: { lr: 0.1, betas: [0.8, 0.5] } },
    { reference: "torch", options: { lr: 0.1, eps: 1e-3, weightDecay: 0.1 } },
    { reference: "torch", options: { lr: 0.1, maximize: true } },
    { reference: "torch", options: { lr: 0.05, betas: [0.7, 0.8], eps: 1e-4, weightDecay: 0.05, maximize: true } },
    { reference: "torch", options: { lr: 0.1 }, lrSchedule: [0.1, 0.09, 0.081, 0.0729, 0.06561, 0.059049, 0.0531441, 0.04782969, 0.043046721, 0.038742049] },
  ],
};
