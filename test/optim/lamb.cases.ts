import { COMMON_ERRORS, type OptimizerCases } from "./types.js";

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
  errors: [...COMMON_ERRORS,
    { options: { betas: [1.2, 0.999] }, error: /^Invalid beta1: 1.2 \(expected 0 <= beta1 < 1\)$/ },
    { options: { betas: [0.9, 1] }, error: /^Invalid beta2: 1 \(expected 0 <= beta2 < 1\)$/ },
    { options: { betas: [0.9] }, error: /^Invalid betas: \[0.9\] \(expected \[beta1, beta2\]\)$/, type: TypeError },
    { options: { eps: -1e-6 }, error: /^Invalid eps: -0.000001 \(expected eps >= 0\)$/ },
    { options: { epsRoot: -1 }, error: /^Invalid epsRoot: -1 \(expected epsRoot >= 0\)$/ },
    { options: { epsRoot: "0" }, error: /^Invalid epsRoot: "0" \(expected a number\)$/, type: TypeError },
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
