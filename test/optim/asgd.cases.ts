import type { OptimizerCases } from "./types.js";

// t0 small enough that the suites' 10-21 steps cover both averaging phases (ax = θ while mu = 1, then ax
// moving towards θ with mu = 1/(t - t0)).
export const cases: OptimizerCases = {
  configs: [
    { desc: "defaults (ax = param throughout)", options: {} },
    { desc: "t0 3: averaging starts", options: { lr: 0.05, t0: 3 } },
    { desc: "lambd + alpha", options: { lr: 0.1, lambd: 0.1, alpha: 0.5, t0: 2 } },
    { desc: "weight decay", options: { lr: 0.05, weightDecay: 0.1, t0: 4 } },
    { desc: "maximize", options: { lr: 0.05, maximize: true, t0: 4 } },
    { desc: "t0 not an integer", options: { lr: 0.05, t0: 2.5 } },
    { desc: "all", options: { lr: 0.05, lambd: 0.01, alpha: 1, t0: 1, weightDecay: 0.05, maximize: true } },
  ],
  errors: [
    { options: { lambd: -1e-4 }, error: /^Invalid lambd: -0.0001 \(expected lambd >= 0\)$/ },
    { options: { alpha: -0.75 }, error: /^Invalid alpha: -0.75 \(expected alpha >= 0\)$/ },
    { options: { t0: -1 }, error: /^Invalid t0: -1 \(expected t0 >= 0\)$/ },
    { options: { t0: Infinity }, error: /^Invalid t0: Infinity \(expected t0 >= 0\)$/ },
    { options: { alpha: "0.75" }, error: /^Invalid alpha: "0.75" \(expected a number\)$/, type: TypeError },
  ],
  identities: [
    { desc: "ASGD θ does not depend on t0 (only ax does)", a: ["ASGD", { lr: 0.05, t0: 2 }], b: ["ASGD", { lr: 0.05 }] },
    { desc: "ASGD weightDecay 0 == ASGD defaults", a: ["ASGD", { lr: 0.05, weightDecay: 0 }], b: ["ASGD", { lr: 0.05 }] },
    { desc: "ASGD lambd 0 == SGD (eta = lr, no decay)", a: ["ASGD", { lr: 0.05, lambd: 0 }], b: ["SGD", { lr: 0.05 }] },
  ],
  fixtures: [
    { reference: "torch", options: { lr: 0.1 } },
    { reference: "torch", options: { lr: 0.1, t0: 3 } },
    { reference: "torch", options: { lr: 0.1, lambd: 0.1, alpha: 0.5, t0: 2 } },
    { reference: "torch", options: { lr: 0.1, weightDecay: 0.1, t0: 4 } },
    { reference: "torch", options: { lr: 0.1, maximize: true, t0: 4 } },
    { reference: "torch", options: { lr: 0.05, t0: 2.5 } },
    { reference: "torch", options: { lr: 0.05, lambd: 0.01, alpha: 1, t0: 1, weightDecay: 0.05, maximize: true } },
  ],
};
