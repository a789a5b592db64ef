// Lion in the benchmark: gradstep vs the hand-written JS loop, C (bench/native/optim.c); tfjs has no Lion.
import { Lion } from "../../src/index.js";
import { type BenchCase, LR } from "../cases.js";

export const cases: BenchCase[] = [{
  id: "lion",
  label: "Lion",
  bytesPerParam: 20, // read p, g, m; write p, m
  gradstep: (params, backend) => new Lion(params, { lr: LR, backend }),
  jsState: 1,
  plainJs(p, g, [m]) {
    const b1 = 0.9, b2 = 0.99;
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]!, mi = m![i]!;
      p[i] = p[i]! - LR * Math.sign((1 - b1) * gi + b1 * mi);
      m![i] = (1 - b2) * gi + b2 * mi;
    }
  },
  native: true,
}];
