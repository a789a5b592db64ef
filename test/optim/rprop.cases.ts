import type { OptimizerCases } from "./types.js";

export const cases: OptimizerCases = {
  configs: [
    { desc: "bf16 state (step_size starts at lr)", options: { stateDtype: "bf16" } },
    { desc: "bf16 state, stochastic rounding", options: { stateDtype: "bf16", stochasticRounding: 41 } },
    { desc: "int8 state", options: { stateDtype: "int8" } },
    { desc: "int8 state, stepSizes clamp both ways + maximize", options: { lr: 0.01, stepSizes: [5e-3, 2e-2], maximize: true, stateDtype: "int8" } },
    { desc: "defaults", options: {} },
    { desc: "lr 0.1", options: { lr: 0.1 } },
    { desc: "etas", options: { etas: [0.3, 1.5] } },
    { desc: "stepSizes clamp both ways", options: { lr: 0.01, stepSizes: [5e-3, 2e-2] } },
    { desc: "lr above stepSizeMax: clamped on the first step", options: { lr: 1, stepSizes: [1e-6, 0.5] } },
    { desc: "maximize", options: { maximize: true } },
    { desc: "all", options: { lr: 0.05, etas: [0.4, 1.3], stepSizes: [1e-3, 0.06], maximize: true } },
  ],
  errors: [
    { options: { etas: [1, 1.2] }, error: /^Invalid etaminus: 1 \(expected 0 < etaminus < 1\)$/ },
    { options: { etas: [0, 1.2] }, error: /^Invalid etaminus: 0 \(expected 0 < etaminus < 1\)$/ },
    { options: { etas: [0.5, 1] }, error: /^Invalid etaplus: 1 \(expected etaplus > 1\)$/ },
    { options: { etas: [0.5, "1.2"] }, error: /^Invalid etaplus: "1.2" \(expected a number\)$/, type: TypeError },
    { options: { etas: 0.5 }, error: /^Invalid etas: 0.5 \(expected \[etaminus, etaplus\]\)$/, type: TypeError },
    { options: { stepSizes: [-1, 50] }, error: /^Invalid stepSizeMin: -1 \(expected stepSizeMin >= 0\)$/ },
    { options: { stepSizes: [1e-6, Infinity] }, error: /^Invalid stepSizeMax: Infinity \(expected stepSizeMax >= 0\)$/ },
    { options: { stepSizes: [1, 0.5] }, error: /^Invalid stepSizes: \[1, 0.5\] \(expected stepSizeMin <= stepSizeMax\)$/ },
    { options: { stepSizes: [1e-6] }, error: /^Invalid stepSizes: \[0.000001\] \(expected \[stepSizeMin, stepSizeMax\]\)$/, type: TypeError },
  ],
  identities: [
    { desc: "Rprop etas/stepSizes given as the defaults == Rprop defaults", a: ["Rprop", { etas: [0.5, 1.2], stepSizes: [1e-6, 50] }], b: ["Rprop", {}] },
  ],
  fixtures: [
    { reference: "torch", options: { lr: 0.01 } },
    { reference: "torch", options: { lr: 0.1, etas: [0.3, 1.5] } },
    { reference: "torch", options: { lr: 0.01, stepSizes: [5e-3, 2e-2] } },
    { reference: "torch", options: { lr: 1, stepSizes: [1e-6, 0.5] } },
    { reference: "torch", options: { lr: 0.01, maximize: true } },
    { reference: "torch", options: { lr: 0.05, etas: [0.4, 1.3], stepSizes: [1e-3, 0.06], maximize: true } },
    // lr only fills step_size on the first step: later edits change nothing (as PyTorch).
    { reference: "torch", options: { lr: 0.01 }, lrSchedule: [0.01, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5] },
  ],
};
