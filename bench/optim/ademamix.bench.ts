// AdEMAMix in the benchmark: gradstep vs the hand-written JS loop, C (bench/native/optim.c); tfjs has no AdEMAMix.
import { AdEMAMix } from "../../src/index.js";
import { type BenchCase, LR } from "../cases.js";

export const cases: BenchCase[] = [{
  id: "ademamix",
  label: "AdEMAMix",
  bytesPerParam: 36, // read p, g, m1, m2, v; write p, m1, m2, v
  gradstep: (params, backend) => new AdEMAMix(params, { lr: LR, backend }),
  jsState: 3,
  plainJs(p, g, [m1, m2, v], t) {
    const b1 = 0.9, b2 = 0.999, b3 = 0.9999, alpha = 5, eps = 1e-8;
    const bc1 = 1 - b1 ** t, rbc2 = 1 / (1 - b2 ** t);
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]!;
      const a = (m1![i] = (1 - b1) * gi + b1 * m1![i]!);
      const b = (m2![i] = (1 - b3) * gi + b3 * m2![i]!);
      const vi = (v![i] = (1 - b2) * gi * gi + b2 * v![i]!);
      p[i] = p[i]! - (LR * (a / bc1 + alpha * b)) / (Math.sqrt(vi * rbc2) + eps);
    }
  },
  native: true,
}];
