import type { OptimizerCases } from "./types.js";

export const cases: OptimizerCases = {
  configs: [
    { desc: "tfjs flavor (tf.train.rmsprop's defaults)", options: { flavor: "tfjs", lr: 0.01, alpha: 0.9, eps: 1e-7 } },
    { desc: "bf16 state, centered + momentum", options: { lr: 0.01, centered: true, momentum: 0.5, stateDtype: "bf16" } },
    { desc: "bf16 state, centered, stochastic rounding", options: { lr: 0.01, centered: true, momentum: 0.5, stateDtype: "bf16", stochasticRounding: 4294967295 } },
    { desc: "int8 state", options: { lr: 0.01, stateDtype: "int8" } },
    { desc: "int8 state, centered + momentum + maximize", options: { lr: 0.01, centered: true, momentum: 0.5, maximize: true, stateDtype: "int8" } },
    { desc: "tfjs flavor, momentum", options: { flavor: "tfjs", lr: 0.01, alpha: 0.9, momentum: 0.9, eps: 1e-7 } },
    { desc: "tfjs flavor, centered + momentum", options: { flavor: "tfjs", lr: 0.01, alpha: 0.9, momentum: 0.5, centered: true, eps: 1e-3 } },
    { desc: "tfjs flavor, centered, L2, maximize", options: { flavor: "tfjs", lr: 0.01, centered: true, weightDecay: 0.1, maximize: true } },

    { desc: "defaults", options: {} },
    { desc: "centered", options: { centered: true } },
    { desc: "momentum + wd", options: { momentum: 0.9, weightDecay: 0.1 } },
    { desc: "centered + momentum + alpha", options: { alpha: 0.9, momentum: 0.5, centered: true } },
    { desc: "maximize + eps", options: { maximize: true, eps: 1e-3 } },
    { desc: "weight decay", options: { weightDecay: 0.01 } },
  ],
  errors: [
    { options: { flavor: null }, error: /^Invalid flavor: null \(expected "torch" or "tfjs"\)$/, type: TypeError },

    { options: { alpha: -0.1 }, error: /^Invalid alpha: -0.1 \(expected alpha >= 0\)$/ },
  ],
  identities: [
    { desc: "RMSprop momentum 0 == RMSprop", a: ["RMSprop", { lr: 0.01, momentum: 0 }], b: ["RMSprop", { lr: 0.01 }] },
  ],
  fixtures: [
    { reference: "torch", options: { lr: 0.01 } },
    { reference: "torch", options: { lr: 0.01, centered: true } },
    { reference: "torch", options: { lr: 0.01, momentum: 0.9, weightDecay: 0.1 } },
    { reference: "torch", options: { lr: 0.01, alpha: 0.9, momentum: 0.5, centered: true } },
    { reference: "torch", options: { lr: 0.01, maximize: true, eps: 1e-3 } },
  ],
};
