import type { OptimizerCases } from "./types.js";

const COEFFS = [3.4445, -4.775, 2.0315];

export const cases: OptimizerCases = {
  // Muon updates 2-D params only: the registry suites give a param of n floats this shape, near square, tall
  // for odd n and wide for even n (so both orientations of the Newton–Schulz iteration run); primes give n×1.
  shape(n) {
    let d = Math.max(1, Math.floor(Math.sqrt(n)));
    while (d > 1 && n % d !== 0) d--;
    return n % 2 ? [n / d, d] : [d, n / d];
  },
  configs: [
    { desc: "defaults", options: {} },
    { desc: "lr 0.02", options: { lr: 0.02 } },
    { desc: "no nesterov", options: { lr: 0.02, nesterov: false } },
    { desc: "momentum 0.3 (the other lerp form)", options: { lr: 0.02, momentum: 0.3 } },
    { desc: "no weight decay", options: { lr: 0.02, weightDecay: 0 } },
    { desc: "adjustLrFn original", options: { lr: 0.02, adjustLrFn: "original" } },
    { desc: "adjustLrFn match_rms_adamw", options: { lr: 0.02, adjustLrFn: "match_rms_adamw" } },
    { desc: "nsSteps 2, other coefficients, eps", options: { lr: 0.02, nsSteps: 2, nsCoefficients: [2, -1.5, 0.5], eps: 1e-3 } },
    { desc: "nsSteps 0 (normalised momentum)", options: { lr: 0.02, nsSteps: 0 } },
    { desc: "all", options: { lr: 0.05, weightDecay: 0.01, momentum: 0.9, nesterov: false, nsSteps: 7, adjustLrFn: "match_rms_adamw" } },
  ],
  errors: [
    { options: { nsCoefficients: [1, 2] }, error: /^Invalid nsCoefficients: \[1, 2\] \(expected \[a, b, c\]\)$/, type: TypeError },
    { options: { nsCoefficients: [1, Infinity, 2] }, error: /^Invalid nsCoefficients\[1\]: Infinity \(expected a finite number\)$/ },
    { options: { nsCoefficients: [1, 2, "3"] }, error: /^Invalid nsCoefficients\[2\]: "3" \(expected a number\)$/, type: TypeError },
    { options: { nsSteps: 100 }, error: /^Invalid nsSteps: 100 \(expected an integer 0 <= nsSteps < 100\)$/ },
    { options: { nsSteps: 2.5 }, error: /^Invalid nsSteps: 2.5 \(expected an integer 0 <= nsSteps < 100\)$/ },
    { options: { adjustLrFn: "rms" }, error: /^Invalid adjustLrFn: "rms" \(expected null, "original" or "match_rms_adamw"\)$/, type: TypeError },
    { options: { adjustLrFn: undefined }, error: /^Invalid adjustLrFn: undefined/, type: TypeError },
  ],
  identities: [
    { desc: "Muon adjustLrFn null == \"original\" (torch's default)", a: ["Muon", { lr: 0.02 }], b: ["Muon", { lr: 0.02, adjustLrFn: "original" }] },
    { desc: "Muon momentum 0: nesterov is irrelevant", a: ["Muon", { lr: 0.02, momentum: 0 }], b: ["Muon", { lr: 0.02, momentum: 0, nesterov: false }] },
    { desc: "Muon nsCoefficients given as the defaults == defaults", a: ["Muon", { lr: 0.02, nsCoefficients: COEFFS }], b: ["Muon", { lr: 0.02 }] },
  ],
  // torch.optim.Muon with its Newton–Schulz cast to bf16 replaced by float32 (scripts/gen-fixtures.py), on
  // params of these shapes (wide, tall, and one that crosses the GEMM's 4-row and 8-column tiles).
  fixtures: [
    { reference: "torch", options: { lr: 0.02 }, shapes: [[5, 8], [12, 7], [16, 21]] },
    { reference: "torch", options: { lr: 0.02, nesterov: false }, shapes: [[5, 8], [12, 7], [16, 21]] },
    { reference: "torch", options: { lr: 0.02, momentum: 0.3, weightDecay: 0 }, shapes: [[5, 8], [12, 7], [16, 21]] },
    { reference: "torch", options: { lr: 0.02, adjustLrFn: "match_rms_adamw" }, shapes: [[5, 8], [12, 7], [16, 21]] },
    { reference: "torch", options: { lr: 0.05, weightDecay: 0.01, nsSteps: 3, nsCoefficients: [2, -1.5, 0.5], eps: 1e-3 }, shapes: [[5, 8], [12, 7], [16, 21]] },
    { reference: "torch", options: { lr: 0.02 }, lrSchedule: [0.02, 0.018, 0.0162, 0.01458, 0.013122, 0.0118098, 0.01062882, 0.009565938, 0.0086093442, 0.00774840978], shapes: [[5, 8], [12, 7], [16, 21]] },
  ],
};
