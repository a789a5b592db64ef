import { COMMON_ERRORS, type OptimizerCases } from "./types.js";

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
  errors: [...COMMON_ERRORS,
    { options: { stochasticRounding: true }, error: /^Invalid stochasticRounding: true \(expected false or a seed, an integer from 0 to 2\^32 - 1\)$/, type: TypeError },
    { options: { stochasticRounding: -1 }, error: /^Invalid stochasticRounding: -1 \(expected false or a seed/, type: TypeError },
    { options: { stateDtype: "fp16" }, error: /^Invalid stateDtype: "fp16" \(expected "f32", "bf16" or "int8"\)$/, type: TypeError },
    { options: { flavor: "TFJS" }, error: /^Invalid flavor: "TFJS" \(expected "torch" or "tfjs"\)$/, type: TypeError },

    { options: { lrDecay: -1 }, error: /^Invalid lrDecay: -1 \(expected lrDecay >= 0\)$/ },
    { options: { initialAccumulatorValue: -1 }, error: /^Invalid initialAccumulatorValue: -1/ },
    { options: { eps: -1 }, error: /^Invalid eps: -1/ },
  ],
  fixtures: [
    { reference: "torch", options: { lr: 0.1 } },
    { reference: "torch", options: { lr: 0.1, lrDecay: 0.1, initialAccumulatorValue: 0.1, weightDecay: 0.1 } },
    { reference: "torch", options: { lr: 0.1, eps: 1e-3, maximize: true } },
  ],
};
