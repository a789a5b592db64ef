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
  native: true,
}];
