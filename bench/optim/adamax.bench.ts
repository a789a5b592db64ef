// Adamax in the benchmark: gradstep vs a hand-written JS loop and tf.train.adamax.
import { Adamax } from "../../src/index.js";
import { type BenchCase, LR } from "../cases.js";

export const cases: BenchCase[] = [{
  id: "adamax",
  label: "Adamax",
  bytesPerParam: 28, // read p, g, m, u; write p, m, u
  gradstep: (params, backend) => new Adamax(params, { lr: LR, backend }),
  jsState: 2,
  plainJs(p, g, [m, u], t) {
    const b1 = 0.9, b2 = 0.999, eps = 1e-8, clr = LR / (1 - b1 ** t);
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]!;
      const mi = (m![i] = b1 * m![i]! + (1 - b1) * gi);
      const ui = (u![i] = Math.max(b2 * u![i]!, Math.abs(gi) + eps));
      p[i] = p[i]! - (clr * mi) / ui;
    }
  },
  // tfjs adds eps after the max (docs/correctness.md, TensorFlow.js's rules); same cost.
  tfjs: (tf) => tf.train.adamax(LR, 0.9, 0.999, 1e-8),
  native: {
    kernel: `(F p, CF g, F m, F u, long n, float clr, float beta1Comp, float beta2, float eps) {
  for (long i = 0; i < n; i++) {
    float gi = g[i];
    float mi = m[i] + beta1Comp * (gi - m[i]);
    float a = u[i] * beta2, b = fabsf(gi) + eps;
    float ui = a > b ? a : b;
    m[i] = mi;
    u[i] = ui;
    p[i] = p[i] - clr * (mi / ui);
  }
}`,
    step: "adamax(p, g, s[0], s[1], n, (float)(LR / bc(0.9, t)), 0.1f, 0.999f, 1e-8f);",
  },
}];
