// LBFGS (closure kind): configurations, option errors, the problems its closures evaluate, and the torch fixture
// cases (scripts/gen-fixtures.py repeats each problem's f64 arithmetic in the same order, so torch's closure sees
// the same losses and gradients bit for bit; only the optimizer's own rounding differs).
import type { ClosureCases, ClosureProblem } from "./types.js";

/** Extended Rosenbrock Σ 100(x[i+1] − x[i]²)² + (1 − x[i])² over x = [a, b] (two params: the flat vector spans both). */
const rosenbrock: ClosureProblem = {
  init: [[-0.5, 0.3, 0.2, 0.1], [0.3, 0.4, 0.5]],
  evaluate(values, grads) {
    const x = [...values[0]!, ...values[1]!];
    const g = new Array<number>(x.length).fill(0);
    let loss = 0;
    for (let i = 0; i < x.length - 1; i++) {
      const a = x[i]!, b = x[i + 1]!;
      const r = b - a * a, s = 1 - a;
      loss = loss + (100 * (r * r) + s * s);
      g[i] = g[i]! + (-400 * a * r - 2 * s);
      g[i + 1] = g[i + 1]! + 200 * r;
    }
    grads[0]!.set(g.slice(0, 4));
    grads[1]!.set(g.slice(4));
    return loss;
  },
};

/** Linear least squares ½ Σ_r (A[r]·w + bias − y[r])², 12 rows × 5 columns of exact rational data. */
const M = 12, K = 5;
const A = Array.from({ length: M }, (_, r) => Array.from({ length: K }, (_, c) => (((r * 7 + c * 3) % 11) - 5) / 4));
const Y = Array.from({ length: M }, (_, r) => (((r * 5) % 9) - 4) / 3);
const lstsq: ClosureProblem = {
  init: [[0.5, -0.25, 0.75, 0, -0.5], [0.1]],
  evaluate(values, grads) {
    const w = values[0]!, bias = values[1]![0]!;
    const gw = new Array<number>(K).fill(0);
    let gb = 0, loss = 0;
    for (let r = 0; r < M; r++) {
      let z = 0;
      for (let c = 0; c < K; c++) z = z + A[r]![c]! * w[c]!;
      const res = z + bias - Y[r]!;
      loss = loss + 0.5 * (res * res);
      for (let c = 0; c < K; c++) gw[c] = gw[c]! + res * A[r]![c]!;
      gb = gb + res;
    }
    grads[0]!.set(gw);
    grads[1]![0] = gb;
    return loss;
  },
};

/**
 * A quartic with two minima, Σ_i A·x⁴ + B·x³ + C·x² + D·x at x = (i + 1)·w[i]: with lr 30 the strong-Wolfe zoom lands
 * near a bracket end twice and takes its "insufficient progress" branch (t moved 0.1 of the bracket inwards).
 */
const QA = 0.2178, QB = -0.5518, QC = -1.6125, QD = -1.1843;
const quartic: ClosureProblem = {
  init: [[-0.6775, -0.33875]],
  evaluate(values, grads) {
    const w = values[0]!, g = grads[0]!;
    let loss = 0;
    for (let i = 0; i < w.length; i++) {
      const x = w[i]! * (i + 1), x2 = x * x, x3 = x2 * x, x4 = x2 * x2;
      loss = loss + (((QA * x4 + QB * x3) + QC * x2) + QD * x);
      g[i] = (i + 1) * (((4 * QA * x3 + 3 * QB * x2) + 2 * QC * x) + QD);
    }
    return loss;
  },
};

/** A separable ill-conditioned quadratic Σ ½·c_i·(x_i − 1)², c_i = 1 + (i mod 17), over params of 1, 3, 1000 and 4097 floats (SIMD bodies and tails). */
const SIZES = [1, 3, 1000, 4097];
const quadratic: ClosureProblem = {
  init: SIZES.map((n, k) => Array.from({ length: n }, (_, i) => (((i * 13 + k * 5) % 23) - 11) / 8)),
  evaluate(values, grads) {
    let loss = 0, i = 0;
    values.forEach((v, k) => {
      const g = grads[k]!;
      for (let j = 0; j < v.length; j++, i++) {
        const c = 1 + (i % 17), e = v[j]! - 1;
        loss = loss + 0.5 * c * (e * e);
        g[j] = c * e;
      }
    });
    return loss;
  },
};

export const cases: ClosureCases = {
  kind: "closure",
  configs: [
    { desc: "defaults", options: {} },
    { desc: "strong_wolfe", options: { lineSearchFn: "strong_wolfe" } },
    { desc: "historySize 3 (wraps), maxIter 7", options: { historySize: 3, maxIter: 7 } },
    { desc: "strong_wolfe, historySize 2, maxIter 6, maxEval 9", options: { lineSearchFn: "strong_wolfe", historySize: 2, maxIter: 6, maxEval: 9 } },
    { desc: "lr 0.5, toleranceChange 1e-5, toleranceGrad 1e-4", options: { lr: 0.5, toleranceChange: 1e-5, toleranceGrad: 1e-4 } },
    { desc: "maxIter 1 (one update per step)", options: { maxIter: 1, historySize: 4 } },
  ],
  errors: [
    { options: { lr: -1 }, error: /^Invalid lr: -1 \(expected lr >= 0\)$/ },
    { options: { lr: Number.NaN }, error: /^Invalid lr: NaN \(expected lr >= 0\)$/ },
    { options: { lr: "1" }, error: /^Invalid lr: "1" \(expected a number\)$/, type: TypeError },
    { options: { maxIter: 0 }, error: /^Invalid maxIter: 0 \(expected an integer >= 1\)$/ },
    { options: { maxIter: 2.5 }, error: /^Invalid maxIter: 2.5 \(expected an integer >= 1\)$/ },
    { options: { maxEval: 0 }, error: /^Invalid maxEval: 0 \(expected an integer >= 1\)$/ },
    { options: { maxEval: "25" }, error: /^Invalid maxEval: "25" \(expected a number\)$/, type: TypeError },
    { options: { toleranceGrad: -1e-7 }, error: /^Invalid toleranceGrad: -1e-7 \(expected toleranceGrad >= 0\)$/ },
    { options: { toleranceChange: Infinity }, error: /^Invalid toleranceChange: Infinity \(expected toleranceChange >= 0\)$/ },
    { options: { historySize: 0 }, error: /^Invalid historySize: 0 \(expected an integer >= 1\)$/ },
    { options: { lineSearchFn: "backtracking" }, error: /^Invalid lineSearchFn: "backtracking" \(expected null or "strong_wolfe"\)$/, type: TypeError },
  ],
  problems: { rosenbrock, lstsq, quadratic, quartic },
  fixtures: [
    { reference: "torch", problem: "rosenbrock", options: { maxIter: 1 }, steps: 12 },
    { reference: "torch", problem: "rosenbrock", options: { maxIter: 3, lr: 0.25 }, steps: 12 },
    { reference: "torch", problem: "rosenbrock", options: { lineSearchFn: "strong_wolfe", maxIter: 1, maxEval: 5, historySize: 2 }, steps: 12 },
    { reference: "torch", problem: "rosenbrock", options: { lineSearchFn: "strong_wolfe", maxIter: 3, lr: 0.25, historySize: 3 }, steps: 12 },
    { reference: "torch", problem: "rosenbrock", options: { lineSearchFn: "strong_wolfe", maxIter: 2, maxEval: 5, lr: 0.5 }, steps: 12 },
    { reference: "torch", problem: "rosenbrock", options: { maxIter: 3, lr: 0.25, historySize: 3 }, steps: 12 },
    { reference: "torch", problem: "rosenbrock", options: { lineSearchFn: "strong_wolfe", maxIter: 4, lr: 0.1, historySize: 3 }, steps: 12 },
    { reference: "torch", problem: "lstsq", options: { maxIter: 3, lr: 0.2 }, steps: 12 },
    { reference: "torch", problem: "lstsq", options: { maxIter: 3, historySize: 2, lr: 0.2 }, steps: 12 },
    { reference: "torch", problem: "lstsq", options: { lineSearchFn: "strong_wolfe", maxIter: 2, historySize: 3 }, steps: 12 },
    { reference: "torch", problem: "lstsq", options: { lineSearchFn: "strong_wolfe", maxIter: 3, maxEval: 4 }, steps: 12 },
    // Line-search cases that bracket and zoom (lr above the step) or extrapolate by cubic interpolation (lr below it).
    { reference: "torch", problem: "rosenbrock", options: { lineSearchFn: "strong_wolfe", maxIter: 2, lr: 3, historySize: 3 }, steps: 12 },
    { reference: "torch", problem: "rosenbrock", options: { lineSearchFn: "strong_wolfe", maxIter: 2, lr: 0.05 }, steps: 12 },
    { reference: "torch", problem: "lstsq", options: { lineSearchFn: "strong_wolfe", maxIter: 3, lr: 4 }, steps: 12 },
    { reference: "torch", problem: "lstsq", options: { lineSearchFn: "strong_wolfe", maxIter: 2, lr: 10, historySize: 2 }, steps: 12 },
    { reference: "torch", problem: "quartic", options: { lineSearchFn: "strong_wolfe", maxIter: 5, lr: 30 }, steps: 12 },
    { reference: "torch", problem: "quartic", options: { lineSearchFn: "strong_wolfe", maxIter: 8, lr: 30, historySize: 2 }, steps: 12 },
  ],
};
