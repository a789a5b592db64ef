import type { OptimizerCases } from "./types.js";

export const cases: OptimizerCases = {
  configs: [
    { desc: "tfjs flavor (tf.train.adam's defaults)", options: { flavor: "tfjs", lr: 0.001, eps: 1e-7 } },
    { desc: "bf16 state", options: { lr: 0.01, stateDtype: "bf16" } },
    { desc: "bf16 state, stochastic rounding (seed 7)", options: { lr: 0.01, stateDtype: "bf16", stochasticRounding: 7 } },
    { desc: "int8 state", options: { lr: 0.01, stateDtype: "int8" } },
    { desc: "int8 state, amsgrad + decoupled weight decay + maximize", options: { lr: 0.01, stateDtype: "int8", amsgrad: true, weightDecay: 0.1, decoupledWeightDecay: true, maximize: true } },
    { desc: "bf16 state, amsgrad + L2", options: { lr: 0.01, stateDtype: "bf16", amsgrad: true, weightDecay: 0.05 } },
    { desc: "bf16 state, tfjs flavor", options: { flavor: "tfjs", lr: 0.01, stateDtype: "bf16" } },
    { desc: "tfjs flavor, lr 0.1, betas + eps", options: { flavor: "tfjs", lr: 0.1, betas: [0.8, 0.9], eps: 1e-3 } },
    { desc: "tfjs flavor with amsgrad, L2, maximize", options: { flavor: "tfjs", lr: 0.01, amsgrad: true, weightDecay: 0.05, maximize: true } },
    { desc: "tfjs flavor with decoupled weight decay", options: { flavor: "tfjs", lr: 0.01, weightDecay: 0.1, decoupledWeightDecay: true } },

    { desc: "defaults", options: {} },
    { desc: "lr 0.1", options: { lr: 0.1 } },
    { desc: "L2 weight decay", options: { lr: 0.01, weightDecay: 0.1 } },
    { desc: "decoupled weight decay", options: { lr: 0.01, weightDecay: 0.1, decoupledWeightDecay: true } },
    { desc: "amsgrad", options: { lr: 0.01, amsgrad: true, betas: [0.9, 0.5] } },
    { desc: "betas + eps", options: { lr: 0.01, betas: [0.8, 0.9], eps: 1e-3 } },
    { desc: "maximize", options: { lr: 0.01, maximize: true } },
    { desc: "all", options: { lr: 0.01, amsgrad: true, weightDecay: 0.05, maximize: true, betas: [0.7, 0.8] } },
  ],
  errors: [
    { options: { flavor: "keras" }, error: /^Invalid flavor: "keras" \(expected "torch" or "tfjs"\)$/, type: TypeError },

  ],
  identities: [
    { desc: "Adam decoupledWeightDecay == AdamW", a: ["Adam", { lr: 0.01, weightDecay: 0.1, decoupledWeightDecay: true }], b: ["AdamW", { lr: 0.01, weightDecay: 0.1 }] },
    { desc: "Adam weightDecay 0: decoupled flag is irrelevant", a: ["Adam", { lr: 0.01, decoupledWeightDecay: true }], b: ["Adam", { lr: 0.01 }] },
    { desc: "Adam amsgrad == Adam while the raw v never decreases (|g| doubling each step)", a: ["Adam", { lr: 0.01, amsgrad: true }], b: ["Adam", { lr: 0.01 }], growing: true },
  ],
  fixtures: [
    { reference: "torch", options: { lr: 0.1 } },
    { reference: "torch", options: { lr: 0.1, weightDecay: 0.1 } },
    { reference: "torch", options: { lr: 0.1, weightDecay: 0.1, decoupledWeightDecay: true } },
    { reference: "torch", options: { lr: 0.1, amsgrad: true } },
    { reference: "torch", options: { lr: 0.1, betas: [0.9, 0.5], amsgrad: true } },
    { reference: "torch", options: { lr: 0.1, betas: [0.8, 0.9], eps: 1e-3 } },
    { reference: "torch", options: { lr: 0.1, maximize: true } },
    { reference: "torch", options: { lr: 0.1, amsgrad: true, weightDecay: 0.05, maximize: true } },
    { reference: "torch", options: { lr: 0.1 }, lrSchedule: [0.1, 0.09, 0.081, 0.0729, 0.06561, 0.059049, 0.0531441, 0.04782969, 0.043046721, 0.038742049] },
  ],
};
