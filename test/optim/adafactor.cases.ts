import type { OptimizerCases } from "./types.js";

/** 1-D (unfactored), 2-D with an odd row length, 3-D (factored per leading index). */
const SHAPES = [[37], [13, 9], [2, 3, 7]];
const DECAY = [0.3, 0.27, 0.243, 0.2187, 0.19683, 0.177147, 0.1594323, 0.14348907, 0.129140163, 0.1162261467];

export const cases: OptimizerCases = {
  // The registry suites give a param of n floats this shape: a cube (3-D) when n is one, else the squarest
  // 2-D factorisation, else 1-D (primes, 0, 1) — so every suite runs the factored and the unfactored path.
  shape(n) {
    const c = Math.round(Math.cbrt(n));
    if (n >= 8 && c ** 3 === n) return [c, c, c];
    for (let d = Math.floor(Math.sqrt(n)); d > 1; d--) if (n % d === 0) return [d, n / d];
    return [n];
  },
  configs: [
    { desc: "defaults", options: {} },
    { desc: "lr 0.5 (ρ_t = 1/√t from t = 5)", options: { lr: 0.5 } },
    { desc: "beta2Decay", options: { beta2Decay: -0.5 } },
    { desc: "eps1 given", options: { eps: [1e-3, 1e-3] } },
    { desc: "eps1 0", options: { eps: [0, 1e-3] } },
    { desc: "eps2", options: { eps: [null, 0.5] } },
    { desc: "d", options: { d: 1.3 } },
    { desc: "weight decay", options: { lr: 0.05, weightDecay: 0.1 } },
    { desc: "maximize", options: { maximize: true } },
    { desc: "all", options: { lr: 0.3, beta2Decay: -0.6, eps: [1e-4, 2e-3], d: 1.5, weightDecay: 0.05, maximize: true } },
  ],
  errors: [
    { options: { beta2Decay: 0.5 }, error: /^Invalid beta2Decay: 0.5 \(expected beta2Decay <= 0\)$/ },
    { options: { beta2Decay: "-0.8" }, error: /^Invalid beta2Decay: "-0.8" \(expected a number\)$/, type: TypeError },
    { options: { eps: [null] }, error: /^Invalid eps: \[null\] \(expected \[eps1 or null, eps2\]\)$/, type: TypeError },
    { options: { eps: 1e-3 }, error: /^Invalid eps: 0.001 \(expected \[eps1 or null, eps2\]\)$/, type: TypeError },
    { options: { eps: [-1, 1e-3] }, error: /^Invalid eps1: -1 \(expected eps1 >= 0\)$/ },
    { options: { eps: ["0", 1e-3] }, error: /^Invalid eps1: "0" \(expected a number\)$/, type: TypeError },
    { options: { eps: [null, -1e-3] }, error: /^Invalid eps2: -0.001 \(expected eps2 >= 0\)$/ },
    { options: { eps: [null, null] }, error: /^Invalid eps2: null \(expected a number\)$/, type: TypeError },
    { options: { d: 0.5 }, error: /^Invalid d: 0.5 \(expected d >= 1\)$/ },
    { options: { d: Infinity }, error: /^Invalid d: Infinity \(expected d >= 1\)$/ },
  ],
  identities: [
    { desc: "Adafactor eps1 null == eps1 2^-23 (torch's finfo(float32).eps)", a: ["Adafactor", { eps: [null, 1e-3] }], b: ["Adafactor", { eps: [2 ** -23, 1e-3] }] },
    { desc: "Adafactor lr only caps ρ_t: lr 1 == lr 2 (ρ_t = 1/√t <= 1)", a: ["Adafactor", { lr: 1 }], b: ["Adafactor", { lr: 2 }] },
  ],
  // torch.optim.Adafactor (foreach=False) on params of these shapes, with their own seeded values and gradients.
  fixtures: [
    { reference: "torch", options: {}, shapes: SHAPES },
    { reference: "torch", options: { lr: 0.5 }, shapes: SHAPES },
    { reference: "torch", options: { maximize: true }, shapes: SHAPES },
    { reference: "torch", options: { lr: 0.05, weightDecay: 0.1 }, shapes: SHAPES },
    { reference: "torch", options: { eps: [0.05, 1e-2] }, shapes: SHAPES },
    { reference: "torch", options: { beta2Decay: -0.5, d: 1.2 }, shapes: [[5, 4, 6], [64], [1, 11], [8, 1]] },
    { reference: "torch", options: { lr: 0.3, beta2Decay: -0.6, eps: [1e-4, 2e-3], d: 1.5, weightDecay: 0.05, maximize: true }, shapes: [[2, 2, 3, 5], [17, 16], [7]] },
    { reference: "torch", options: { lr: 0.3 }, lrSchedule: DECAY, shapes: SHAPES },
    // Params 0 and 1 start at zero: RMS(θ) = 0, so α = eps2·ρ_t.
    { reference: "torch", options: { eps: [null, 2e-3] }, zeroInit: [0, 1], shapes: SHAPES },
  ],
};
