import type { OptimizerCases } from "./types.js";

const DECAY = [1e-3, 9e-4, 8.1e-4, 7.29e-4, 6.561e-4, 5.9049e-4, 5.31441e-4, 4.782969e-4, 4.3046721e-4, 3.8742049e-4];

export const cases: OptimizerCases = {
  configs: [
    { desc: "defaults", options: {} },
    { desc: "bf16 state", options: { lr: 0.001, stateDtype: "bf16" } },
    { desc: "bf16 state, stochastic rounding", options: { lr: 0.001, stateDtype: "bf16", stochasticRounding: 99 } },
    { desc: "int8 state, weight decay", options: { lr: 0.001, weightDecay: 0.1, stateDtype: "int8" } },
    { desc: "lr 0.01", options: { lr: 0.01 } },
    { desc: "betas", options: { lr: 0.01, betas: [0.5, 0.9] } },
    { desc: "weight decay", options: { lr: 0.01, weightDecay: 0.1 } },
    { desc: "maximize", options: { lr: 0.01, maximize: true } },
    { desc: "all", options: { lr: 0.01, betas: [0.8, 0.95], weightDecay: 0.05, maximize: true } },
  ],
  identities: [
    // beta1 = 0: u = sign(g), the moment never feeds the update, so beta2 cannot matter (signSGD).
    { desc: "Lion beta1 0: beta2 is irrelevant (signSGD)", a: ["Lion", { lr: 0.01, betas: [0, 0.99] }], b: ["Lion", { lr: 0.01, betas: [0, 0.5] }] },
  ],
  fixtures: [
    { reference: "optax", options: { lr: 0.01 } },
    { reference: "optax", options: { lr: 0.01, betas: [0.5, 0.9] } },
    { reference: "optax", options: { lr: 0.01, weightDecay: 0.1 } },
    { reference: "optax", options: { lr: 0.01, maximize: true } },
    { reference: "optax", options: { lr: 0.01, betas: [0.8, 0.95], weightDecay: 0.05, maximize: true } },
    { reference: "optax", options: { lr: 1e-3, weightDecay: 0.1 }, lrSchedule: DECAY },
  ],
};
