import type { OptimizerCases } from "./types.js";

export const cases: OptimizerCases = {
  configs: [
    { desc: "bf16 state", options: { stateDtype: "bf16" } },
    { desc: "bf16 state, stochastic rounding", options: { stateDtype: "bf16", stochasticRounding: 29 } },
    { desc: "int8 state, weight decay + maximize", options: { lr: 0.5, weightDecay: 0.05, maximize: true, stateDtype: "int8" } },
    { desc: "bf16 state, tfjs flavor", options: { flavor: "tfjs", lr: 0.5, rho: 0.95, eps: 1e-7, stateDtype: "bf16" } },
    { desc: "int8 state, tfjs flavor", options: { flavor: "tfjs", lr: 0.5, rho: 0.95, eps: 1e-7, stateDtype: "int8" } },
    { desc: "tfjs flavor (tf.train.adadelta(0.5, 0.95), tfjs's eps)", options: { flavor: "tfjs", lr: 0.5, rho: 0.95, eps: 1e-7 } },
    { desc: "tfjs flavor with L2, maximize", options: { flavor: "tfjs", lr: 1, rho: 0.8, eps: 1e-4, weightDecay: 0.05, maximize: true } },

    { desc: "defaults", options: {} },
    { desc: "lr 0.5", options: { lr: 0.5 } },
    { desc: "rho 0.5", options: { rho: 0.5 } },
    { desc: "eps 1e-3", options: { eps: 1e-3 } },
    { desc: "weight decay", options: { weightDecay: 0.1 } },
    { desc: "maximize", options: { maximize: true } },
    { desc: "all", options: { lr: 0.5, rho: 0.8, eps: 1e-4, weightDecay: 0.05, maximize: true } },
  ],
  errors: [
    { options: { flavor: "keras" }, error: /^Invalid flavor: "keras" \(expected "torch" or "tfjs"\)$/, type: TypeError },
    { options: { rho: 1.5 }, error: /^Invalid rho: 1.5 \(expected 0 <= rho <= 1\)$/ },
    { options: { rho: -0.1 }, error: /^Invalid rho: -0.1 \(expected 0 <= rho <= 1\)$/ },
  ],
  identities: [
    { desc: "Adadelta weightDecay 0 == Adadelta defaults", a: ["Adadelta", { weightDecay: 0 }], b: ["Adadelta", {}] },
  ],
  fixtures: [
    { reference: "torch", options: { lr: 1 } },
    { reference: "torch", options: { lr: 0.5, rho: 0.5 } },
    { reference: "torch", options: { lr: 1, eps: 1e-3, weightDecay: 0.1 } },
    { reference: "torch", options: { lr: 1, maximize: true } },
    { reference: "torch", options: { lr: 0.5, rho: 0.8, eps: 1e-4, weightDecay: 0.05, maximize: true } },
    { reference: "torch", options: { lr: 1 }, lrSchedule: [1, 0.9, 0.81, 0.729, 0.6561, 0.59049, 0.531441, 0.4782969, 0.43046721, 0.387420489] },
  ],
};
