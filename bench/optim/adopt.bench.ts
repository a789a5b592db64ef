// ADOPT in the benchmark: gradstep vs the hand-written JS loop, C (bench/native/optim.c); tfjs has no ADOPT.
import { ADOPT } from "../../src/index.js";
import { type BenchCase, LR } from "../cases.js";

export const cases: BenchCase[] = [{
  id: "adopt",
  label: "ADOPT",
  bytesPerParam: 28, // read p, g, m, v; write p, m, v
  gradstep: (params, backend) => new ADOPT(params, { lr: LR, backend }),
  jsState: 2,
  plainJs(p, g, [m, v], t) {
    const b1 = t > 1 ? 0.9 : 1, b2 = t > 1 ? 0.9999 : 0, eps = 1e-6, clip = (t - 1) ** 0.25;
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]!;
      const u = Math.min(Math.max(gi / Math.max(Math.sqrt(v![i]!), eps), -clip), clip);
      v![i] = (1 - b2) * gi * gi + b2 * v![i]!;
      const mi = (m![i] = (1 - b1) * u + b1 * m![i]!);
      p[i] = p[i]! - LR * mi;
    }
  },
  native: true,
}];
