// Yogi in the benchmark: gradstep vs the hand-written JS loop, C (bench/native/optim.c); tfjs has no Yogi.
import { Yogi } from "../../src/index.js";
import { type BenchCase, LR } from "../cases.js";

export const cases: BenchCase[] = [{
  id: "yogi",
  label: "Yogi",
  bytesPerParam: 28, // read p, g, m, v; write p, m, v
  gradstep: (params, backend) => new Yogi(params, { lr: LR, backend }),
  jsState: 2,
  plainJs(p, g, [m, v], t) {
    const b1 = 0.9, b2 = 0.999, eps = 1e-3;
    const stepSize = LR / (1 - b1 ** t), rbc2 = 1 / Math.sqrt(1 - b2 ** t);
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]!, g2 = gi * gi;
      const mi = (m![i] = (1 - b1) * gi + b1 * m![i]!);
      const vi = (v![i] = v![i]! - (1 - b2) * Math.sign(v![i]! - g2) * g2);
      p[i] = p[i]! - (stepSize * mi) / (Math.sqrt(vi) * rbc2 + eps);
    }
  },
  native: true,
}];
