// Schedule-Free AdamW in the benchmark: gradstep vs the hand-written JS loop (no tfjs or C counterpart).
import { ScheduleFreeAdamW } from "../../src/index.js";
import { type BenchCase, LR } from "../cases.js";

export const cases: BenchCase[] = [{
  id: "schedulefreeadamw",
  label: "ScheduleFreeAdamW",
  bytesPerParam: 28, // read y, g, z, v; write y, z, v
  gradstep: (params, backend) => new ScheduleFreeAdamW(params, { lr: LR, backend }),
  jsState: 2,
  plainJs(p, g, [z, v], t) {
    const b1 = 0.9, b2 = 0.999, eps = 1e-8, ck = 1 / t, rbc2 = 1 / (1 - b2 ** t);
    if (t === 1) z!.set(p);
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]!, y = p[i]!, z0 = z![i]!;
      const vi = (v![i] = (1 - b2) * gi * gi + b2 * v![i]!);
      const z1 = (z![i] = z0 - (LR * gi) / (Math.sqrt(vi * rbc2) + eps));
      const x = (1 - ck) * ((y - (1 - b1) * z0) / b1) + ck * z1;
      p[i] = b1 * x + (1 - b1) * z1;
    }
  },
  native: true,
}];
