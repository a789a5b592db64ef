import type { OptimizerCases } from "./types.js";

export const cases: OptimizerCases = {
  configs: [
    { desc: "tfjs flavor (tf.train.adagrad's defaults)", options: { flavor: "tfjs", lr: 0.1, initialAccumulatorValue: 0.1, eps: 1e-7 } },
    { desc: "bf16 state", options: { lr: 0.1, stateDtype: "bf16" } },
    { desc: "bf16 state, stochastic rounding", options: { lr: 0.1, stateDtype: "bf16", stochasticRounding: 3 } },
    { desc: "int8 state, initial accumulator + lr decay", options: { lr: 0.1, initialAccumulatorValue: 0.1, lrDecay: 0.01, stateDtype: "int8" } },
    { desc: "tfjs flavor with lrDecay, L2, maximize", options: { flavor: "tfjs", lr: 0.1, lrDecay: 0.01, weightDecay: 0.1, maximize: true, eps: 1e-3 } },

    { desc: "defaults", options: {} },
    { desc: "lr decay + initial accumulator + wd", options: { lr: 0.1, lrDecay: 0.1, initialAccumulatorValue: 0.1, weightDecay: 0.1 } },
    { desc: "eps + maximize", options: { lr: 0.1, eps: 1e-3, maximize: true } },
  ],
  errors: [
    { options: { flavor: "TFJS" }, error: /^Invalid flavor: "TFJS" \(expected "torch" or "tfjs"\)$/, type: TypeError },

    { options: { initialAccumulatorValue: -1 }, error: /^Invalid initialAccumulatorValue: -1/ },
  ],
  fixtures: [
    { reference: "torch", options: { lr: 0.1 } },
    { reference: "torch", options: { lr: 0.1, lrDecay: 0.1, initialAccumulatorValue: 0.1, weightDecay: 0.1 } },
    { reference: "torch", options: { lr: 0.1, eps: 1e-3, maximize: true } },
  ],
};
