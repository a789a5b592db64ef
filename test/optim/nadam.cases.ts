import type { OptimizerCases } from "./types.js";

export const cases: OptimizerCases = {
  configs: [
    { desc: "bf16 state, decoupled weight decay", options: { lr: 0.01, weightDecay: 0.1, decoupledWeightDecay: true, stateDtype: "bf16" } },
    { desc: "bf16 state, stochastic rounding", options: { lr: 0.01, stateDtype: "bf16", stochasticRounding: 11 } },
    { desc: "int8 state", options: { lr: 0.01, stateDtype: "int8" } },
    { desc: "int8 state, L2 + momentumDecay + maximize", options: { lr: 0.01, weightDecay: 0.05, momentumDecay: 0.01, maximize: true, stateDtype: "int8" } },
    { desc: "defaults", options: {} },
    { desc: "lr 0.1", options: { lr: 0.1 } },
    { desc: "betas + eps", options: { lr: 0.01, betas: [0.8, 0.9], eps: 1e-3 } },
    { desc: "momentumDecay", options: { lr: 0.01, momentumDecay: 0.1 } },
    { desc: "L2 weight decay", options: { lr: 0.01, weightDecay: 0.1 } },
    { desc: "decoupled weight decay", options: { lr: 0.01, weightDecay: 0.1, decoupledWeightDecay: true } },
    { desc: "maximize", options: { lr: 0.01, maximize: true } },
    { desc: "all", options: { lr: 0.01, betas: [0.7, 0.8], eps: 1e-4, weightDecay: 0.05, momentumDecay: 0.01, decoupledWeightDecay: true, maximize: true } },
  ],
  errors: [
    { options: { momentumDecay: -0.004 }, error: /^Invalid momentumDecay: -0.004 \(expected momentumDecay >= 0\)$/ },
  ],
  identities: [
    { desc: "NAdam weightDecay 0: decoupled flag is irrelevant", a: ["NAdam", { lr: 0.01, decoupledWeightDecay: true }], b: ["NAdam", { lr: 0.01 }] },
  ],
  fixtures: [
    { reference: "torch", options: { lr: 0.1 } },
    { reference: "torch", options: { lr: 0.1, betas: [0.8, 0.9], eps: 1e-3 } },
    { reference: "torch", options: { lr: 0.1, momentumDecay: 0.1 } },
    { reference: "torch", options: { lr: 0.1, weightDecay: 0.1 } },
    { reference: "torch", options: { lr: 0.1, weightDecay: 0.1, decoupledWeightDecay: true } },
    { reference: "torch", options: { lr: 0.1, maximize: true } },
    { reference: "torch", options: { lr: 0.05, betas: [0.7, 0.8], eps: 1e-4, weightDecay: 0.05, momentumDecay: 0.01, decoupledWeightDecay: true, maximize: true } },
    { reference: "torch", options: { lr: 0.1 }, lrSchedule: [0.1, 0.09, 0.081, 0.0729, 0.06561, 0.059049, 0.0531441, 0.04782969, 0.043046721, 0.038742049] },
  ],
};
