// Adan in the benchmark: gradstep vs the hand-written JS loop, C (bench/native/optim.c); tfjs has no Adan.
import { Adan } from "../../src/index.js";
import { type BenchCase, LR } from "../cases.js";

export const cases: BenchCase[] = [{
  id: "adan",
  label: "Adan",
  bytesPerParam: 44, // read p, g, m, v, n, g_prev; write p, m, v, n, g_prev
  gradstep: (params, backend) => new Adan(params, { lr: LR, backend }),
  jsState: 4,
  plainJs(p, g, [m, v, s, prev], t) {
    const b1 = 0.98, b2 = 0.92, b3 = 0.99, eps = 1e-8, epsRoot = 1e-8;
    const bc1 = 1 - b1 ** t, bc2 = 1 - b2 ** t, bc3 = 1 - b3 ** t;
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]!, d = t === 1 ? 0 : gi - prev![i]!;
      prev![i] = gi;
      const mi = (m![i] = (1 - b1) * gi + b1 * m![i]!);
      const vi = (v![i] = (1 - b2) * d + b2 * v![i]!);
      const q = gi + (1 - b2) * d;
      const si = (s![i] = (1 - b3) * q * q + b3 * s![i]!);
      p[i] = p[i]! - (LR * (mi / bc1 + (1 - b2) * (vi / bc2))) / (Math.sqrt(si / bc3 + epsRoot) + eps);
    }
  },
  native: true,
}];
