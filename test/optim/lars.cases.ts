import type { OptimizerCases } from "./types.js";

const DECAY = [0.5, 0.45, 0.405, 0.3645, 0.32805, 0.295245, 0.2657205, 0.23914845, 0.215233605, 0.1937102445];

// trustCoefficient 1e-3 (the default) moves θ by about lr·1e-3·‖θ‖ per step: most cases use a larger coefficient
// or lr so that a wrong step is far outside the conformance tolerance.
export const cases: OptimizerCases = {
  configs: [
    { desc: "defaults", options: {} },
    { desc: "lr 0.1, trustCoefficient 0.5", options: { lr: 0.1, trustCoefficient: 0.5 } },
    { desc: "momentum 0", options: { lr: 0.1, trustCoefficient: 0.5, momentum: 0 } },
    { desc: "nesterov", options: { lr: 0.1, trustCoefficient: 0.5, nesterov: true } },
    { desc: "weight decay + eps", options: { lr: 0.1, trustCoefficient: 0.5, weightDecay: 0.1, eps: 1e-3 } },
    { desc: "maximize", options: { lr: 0.1, trustCoefficient: 0.5, maximize: true } },
    { desc: "all", options: { lr: 0.1, trustCoefficient: 0.2, momentum: 0.8, nesterov: true, weightDecay: 0.05, eps: 1e-4, maximize: true } },
  ],
  errors: [
    { options: { trustCoefficient: -1 }, error: /^Invalid trustCoefficient: -1 \(expected trustCoefficient >= 0\)$/ },
    { options: { trustCoefficient: "1" }, error: /^Invalid trustCoefficient: "1" \(expected a number\)$/, type: TypeError },
  ],
  identities: [
    // With momentum 0 the trace is the update itself, and Nesterov's u + 0·b is u: the flag cannot matter.
    { desc: "LARS momentum 0: nesterov is irrelevant", a: ["LARS", { lr: 0.1, trustCoefficient: 0.5, momentum: 0, nesterov: true }], b: ["LARS", { lr: 0.1, trustCoefficient: 0.5, momentum: 0 }] },
  ],
  fixtures: [
    { reference: "optax", options: { lr: 1 } },
    { reference: "optax", options: { lr: 0.1, trustCoefficient: 0.5 } },
    { reference: "optax", options: { lr: 0.1, trustCoefficient: 0.5, momentum: 0 } },
    { reference: "optax", options: { lr: 0.1, trustCoefficient: 0.5, nesterov: true } },
    { reference: "optax", options: { lr: 0.1, trustCoefficient: 0.5, weightDecay: 0.1, eps: 1e-3 } },
    { reference: "optax", options: { lr: 0.1, trustCoefficient: 0.5, maximize: true } },
    { reference: "optax", options: { lr: 0.1, trustCoefficient: 0.2, momentum: 0.8, nesterov: true, weightDecay: 0.05, eps: 1e-4, maximize: true } },
    { reference: "optax", options: { lr: 0.5, trustCoefficient: 0.3 }, lrSchedule: DECAY },
    // Param 0 starts at zero: ‖θ‖ = 0 at step 1, trust ratio 1 (the whole gradient step).
    { reference: "optax", options: { lr: 0.05, trustCoefficient: 0.5 }, zeroInit: [0] },
    { reference: "optax", options: { lr: 0.05, trustCoefficient: 0.5, weightDecay: 0.1 }, zeroInit: [0] },
  ],
};
