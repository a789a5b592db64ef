import type { OptimizerCases } from "./types.js";

export const cases: OptimizerCases = {
  // Each option alone on estimLr0 0.01 that the fixtures (run as configs too) do not cover.
  configs: [
    { desc: "lr 0.5", options: { lr: 0.5, estimLr0: 0.01 } },
    { desc: "betas", options: { betas: [0.5, 0.9], estimLr0: 0.01 } },
    { desc: "beta3", options: { beta3: 0.5, estimLr0: 0.01 } },
    { desc: "eps", options: { eps: 1e-3, estimLr0: 0.01 } },
    { desc: "weightDecay", options: { weightDecay: 0.1, estimLr0: 0.01 } },
  ],
  errors: [
    { options: { beta3: 1 }, error: /^Invalid beta3: 1 \(expected 0 <= beta3 < 1\)$/ },
    { options: { beta3: "0.9" }, error: /^Invalid beta3: "0.9" \(expected a number\)$/, type: TypeError },
    { options: { estimLr0: 0 }, error: /^Invalid estimLr0: 0 \(expected estimLr0 > 0\)$/ },
    { options: { estimLrCoef: Number.NaN }, error: /^Invalid estimLrCoef: NaN \(expected estimLrCoef >= 0\)$/ },
  ],
  fixtures: [
    { reference: "optax", options: {} },
    { reference: "optax", options: { estimLr0: 0.01 } },
    { reference: "optax", options: { betas: [0.5, 0.9], beta3: 0.5, eps: 1e-3, estimLr0: 0.05 } },
    { reference: "optax", options: { estimLrCoef: 2, weightDecay: 0.1, estimLr0: 0.01 } },
    // d grows 10.5× over 4 of the 10 steps (coef·r / Σ|s| above d): the estimate's path, not only its floor.
    // (coef 100 from 1e-4 grows 280×, but there Optax's f32 d is itself 3e-4 off its f64 run: ill-conditioned.)
    { reference: "optax", options: { estimLrCoef: 10, estimLr0: 0.01 } },
    { reference: "optax", options: { safeguardWarmup: true, estimLr0: 0.01 },
      lrSchedule: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1] },
    { reference: "optax", options: { lr: 0.7, betas: [0.8, 0.95], beta3: 0.9, eps: 1e-4, estimLr0: 0.05, estimLrCoef: 0.5, weightDecay: 0.01, safeguardWarmup: true } },
  ],
};
