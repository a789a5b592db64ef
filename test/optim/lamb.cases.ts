import type { OptimizerCases } from "./types.js";

const DECAY = [0.01, 0.009, 0.0081, 0.00729, 0.006561, 0.0059049, 0.00531441, 0.004782969, 0.0043046721, 0.0038742049];

export const cases: OptimizerCases = {
  configs: [
    { desc: "defaults", options: {} },
    { desc: "lr 0.01", options: { lr: 0.01 } },
    { desc: "betas", options: { lr: 0.01, betas: [0.5, 0.9] } },
    { desc: "eps + epsRoot", options: { lr: 0.01, eps: 1e-3, epsRoot: 1e-4 } },
    { desc: "weight decay", options: { lr: 0.01, weightDecay: 0.1 } },
    { desc: "maximize", options: { lr: 0.01, maximize: true } },
    { desc: "all", options: { lr: 0.01, betas: [0.8, 0.95], eps: 1e-4, epsRoot: 1e-8, weightDecay: 0.05, maximize: true } },
  ],
  fixtures: [
    { reference: "optax", options: { lr: 0.01 } },
    { reference: "optax", options: { lr: 0.01, betas: [0.5, 0.9] } },
    { reference: "optax", options: { lr: 0.01, eps: 1e-3, epsRoot: 1e-4 } },
    { reference: "optax", options: { lr: 0.01, weightDecay: 0.1 } },
    { reference: "optax", options: { lr: 0.01, maximize: true } },
    { reference: "optax", options: { lr: 0.01, betas: [0.8, 0.95], eps: 1e-4, weightDecay: 0.05, maximize: true } },
    { reference: "optax", options: { lr: 0.01, weightDecay: 0.01 }, lrSchedule: DECAY },
    // Param 0 starts at zero: ‖θ‖ = 0 at step 1, trust ratio 1 (Optax's where(zero_norm, 1, ratio)).
    { reference: "optax", options: { lr: 0.02 }, zeroInit: [0] },
    { reference: "optax", options: { lr: 0.02, weightDecay: 0.1 }, zeroInit: [0] },
  ],
};
