import type { OptimizerCases } from "./types.js";

// The suites run 10-21 steps: with beta2 0.999 the first 5 steps take the un-rectified branch and the rest
// the rectified one, so every config below exercises both (beta2 0.5 never rectifies: rho_inf = 3).
export const cases: OptimizerCases = {
  configs: [
    { desc: "bf16 state (rectified from step 6)", options: { lr: 0.01, stateDtype: "bf16" } },
    { desc: "bf16 state, stochastic rounding (with RECTIFY)", options: { lr: 0.01, stateDtype: "bf16", stochasticRounding: 4294967295 } },
    { desc: "int8 state, decoupled weight decay + maximize", options: { lr: 0.01, weightDecay: 0.1, decoupledWeightDecay: true, maximize: true, stateDtype: "int8" } },
    { desc: "int8 state, beta2 0.5: never rectified", options: { lr: 0.01, betas: [0.9, 0.5], stateDtype: "int8" } },
    { desc: "defaults", options: {} },
    { desc: "lr 0.1", options: { lr: 0.1 } },
    { desc: "betas + eps", options: { lr: 0.01, betas: [0.8, 0.9], eps: 1e-3 } },
    { desc: "beta2 0.5: never rectified", options: { lr: 0.01, betas: [0.9, 0.5] } },
    { desc: "L2 weight decay", options: { lr: 0.01, weightDecay: 0.1 } },
    { desc: "decoupled weight decay", options: { lr: 0.01, weightDecay: 0.1, decoupledWeightDecay: true } },
    { desc: "maximize", options: { lr: 0.01, maximize: true } },
    { desc: "all", options: { lr: 0.01, betas: [0.7, 0.8], eps: 1e-4, weightDecay: 0.05, decoupledWeightDecay: true, maximize: true } },
  ],
  identities: [
    { desc: "RAdam weightDecay 0: decoupled flag is irrelevant", a: ["RAdam", { lr: 0.01, decoupledWeightDecay: true }], b: ["RAdam", { lr: 0.01 }] },
  ],
  fixtures: [
    { reference: "torch", options: { lr: 0.1 } },
    { reference: "torch", options: { lr: 0.1, betas: [0.8, 0.9], eps: 1e-3 } },
    { reference: "torch", options: { lr: 0.1, betas: [0.9, 0.5] } },
    { reference: "torch", options: { lr: 0.1, weightDecay: 0.1 } },
    { reference: "torch", options: { lr: 0.1, weightDecay: 0.1, decoupledWeightDecay: true } },
    { reference: "torch", options: { lr: 0.1, maximize: true } },
    { reference: "torch", options: { lr: 0.05, betas: [0.7, 0.8], eps: 1e-4, weightDecay: 0.05, decoupledWeightDecay: true, maximize: true } },
    { reference: "torch", options: { lr: 0.1 }, lrSchedule: [0.1, 0.09, 0.081, 0.0729, 0.06561, 0.059049, 0.0531441, 0.04782969, 0.043046721, 0.038742049] },
  ],
};
