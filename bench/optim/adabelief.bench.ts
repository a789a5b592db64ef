// AdaBelief in the benchmark: gradstep vs the hand-written JS loop, C (bench/native/optim.c); tfjs has no AdaBelief.
import { AdaBelief } from "../../src/index.js";
import { type BenchCase, LR } from "../cases.js";

export const cases: BenchCase[] = [{
  id: "adabelief",
  label: "AdaBelief",
  bytesPerParam: 28, // read p, g, m, s; write p, m, s
  gradstep: (params, backend) => new AdaBelief(params, { lr: LR, backend }),
  jsState: 2,
  plainJs(p, g, [m, s], t) {
    const b1 = 0.9, b2 = 0.999, eps = 1e-16, epsRoot = 1e-16;
    const bc1 = 1 - b1 ** t, bc2 = 1 - b2 ** t;
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]!;
      const mi = (m![i] = (1 - b1) * gi + b1 * m![i]!);
      const d = gi - mi;
      const si = (s![i] = (1 - b2) * d * d + b2 * s![i]! + epsRoot);
      p[i] = p[i]! - (LR * (mi / bc1)) / (Math.sqrt(si / bc2) + eps);
    }
  },
  native: true,
}];
