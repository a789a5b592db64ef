// NAdam in the benchmark: gradstep vs a hand-written JS loop (tfjs has no NAdam).
import { NAdam } from "../../src/index.js";
import { type BenchCase, LR } from "../cases.js";

let prod = 1; // the running product a hand-written loop keeps (one bench run steps t = 1, 2, ... in order)

export const cases: BenchCase[] = [{
  id: "nadam",
  label: "NAdam",
  bytesPerParam: 28, // read p, g, m, v; write p, m, v
  gradstep: (params, backend) => new NAdam(params, { lr: LR, backend }),
  jsState: 2,
  plainJs(p, g, [m, v], t) {
    const b1 = 0.9, b2 = 0.999, eps = 1e-8, psi = 4e-3;
    const mu = b1 * (1 - 0.5 * 0.96 ** (t * psi)), muNext = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi));
    if (t === 1) prod = 1;
    prod *= mu;
    const cg = (LR * (1 - mu)) / (1 - prod), cm = (LR * muNext) / (1 - prod * muNext), bc2 = 1 - b2 ** t;
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]!;
      const mi = (m![i] = b1 * m![i]! + (1 - b1) * gi);
      const vi = (v![i] = b2 * v![i]! + (1 - b2) * gi * gi);
      const d = Math.sqrt(vi / bc2) + eps;
      p[i] = p[i]! - (cg * gi) / d - (cm * mi) / d;
    }
  },
  native: true,
}];
