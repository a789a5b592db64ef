import type { OptimizerCases } from "./types.js";

export const cases: OptimizerCases = {
  configs: [
    { desc: "tfjs flavor (tf.train.sgd)", options: { flavor: "tfjs", lr: 0.1 } },
    { desc: "bf16 momentum buffer", options: { lr: 0.1, momentum: 0.9, stateDtype: "bf16" } },
    { desc: "int8 momentum buffer, dampening + L2", options: { lr: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01, stateDtype: "int8" } },
    { desc: "int8 momentum buffer, nesterov", options: { lr: 0.1, momentum: 0.9, nesterov: true, stateDtype: "int8" } },
    { desc: "bf16 without momentum (no state)", options: { lr: 0.1, stateDtype: "bf16" } },
    { desc: "tfjs flavor momentum, nesterov (tf.train.momentum)", options: { flavor: "tfjs", lr: 0.1, momentum: 0.9, nesterov: true } },

    { desc: "plain", options: { lr: 0.1 } },
    { desc: "momentum", options: { lr: 0.1, momentum: 0.9 } },
    { desc: "momentum + dampening", options: { lr: 0.1, momentum: 0.9, dampening: 0.3 } },
    { desc: "nesterov", options: { lr: 0.1, momentum: 0.9, nesterov: true } },
    { desc: "weight decay", options: { lr: 0.1, weightDecay: 0.1 } },
    { desc: "momentum + weight decay", options: { lr: 0.1, momentum: 0.8, weightDecay: 0.05 } },
    { desc: "maximize", options: { lr: 0.1, maximize: true } },
    { desc: "all", options: { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01, maximize: true } },
  ],
  errors: [
    { options: { flavor: 1 }, error: /^Invalid flavor: 1 \(expected "torch" or "tfjs"\)$/, type: TypeError },
    { options: { flavor: "tfjs", momentum: 0.9, dampening: 0.1 }, error: /^Invalid dampening: 0.1 \(expected 0 with flavor "tfjs"/ },

    { options: { dampening: 2 }, error: /^Invalid dampening: 2 \(expected 0 <= dampening <= 1\)$/ },
  ],
  identities: [
    { desc: "tfjs momentum == torch momentum (dampening 0)", a: ["SGD", { lr: 0.1, momentum: 0.9, flavor: "tfjs" }], b: ["SGD", { lr: 0.1, momentum: 0.9 }] },

    { desc: "SGD momentum 0 ignores dampening", a: ["SGD", { lr: 0.1, momentum: 0, dampening: 0.5 }], b: ["SGD", { lr: 0.1 }] },
  ],
  fixtures: [
    { reference: "torch", options: { lr: 0.1 } },
    { reference: "torch", options: { lr: 0.1, momentum: 0.9 } },
    { reference: "torch", options: { lr: 0.1, momentum: 0.9, dampening: 0.1 } },
    { reference: "torch", options: { lr: 0.1, momentum: 0.9, nesterov: true } },
    { reference: "torch", options: { lr: 0.1, momentum: 0.9, weightDecay: 0.1 } },
    { reference: "torch", options: { lr: 0.1, maximize: true } },
    { reference: "torch", options: { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01, maximize: true } },
    { reference: "torch", options: { lr: 0.1, momentum: 0.5, dampening: 0.5, weightDecay: 0.05 }, lrSchedule: [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125] },
  ],
};
