import type { OptimizerCases } from "./types.js";

export const cases: OptimizerCases = {
  configs: [
    { desc: "defaults", options: {} },
    { desc: "bf16 state", options: { lr: 0.01, stateDtype: "bf16" } },
    { desc: "bf16 state, stochastic rounding (seed 0)", options: { lr: 0.01, stateDtype: "bf16", stochasticRounding: 0 } },
    { desc: "int8 state", options: { lr: 0.01, stateDtype: "int8" } },
    { desc: "wd 0.1 + amsgrad", options: { lr: 0.01, weightDecay: 0.1, amsgrad: true } },
    { desc: "wd 0", options: { lr: 0.01, weightDecay: 0 } },
    { desc: "maximize", options: { lr: 0.01, maximize: true } },
  ],
  identities: [
    { desc: "AdamW with weightDecay 0 == Adam", a: ["AdamW", { lr: 0.01, weightDecay: 0 }], b: ["Adam", { lr: 0.01 }] },
  ],
  fixtures: [
    { reference: "torch", options: { lr: 0.1 } },
    { reference: "torch", options: { lr: 0.1, weightDecay: 0.1, amsgrad: true } },
    { reference: "torch", options: { lr: 0.1, weightDecay: 0.0 } },
    { reference: "torch", options: { lr: 0.1, maximize: true, betas: [0.5, 0.9] } },
  ],
};
