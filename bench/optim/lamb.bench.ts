// LAMB in the benchmark: gradstep vs the hand-written JS loop (tfjs has no LAMB; no C kernel yet). The bench
// model is one tensor; LAMB's per-tensor cost at 1,000 tensors of 1K floats is measured against Adam in the
// commit that added it.
import { LAMB } from "../../src/index.js";
import { type BenchCase, LR } from "../cases.js";

export const cases: BenchCase[] = [{
  id: "lamb",
  label: "LAMB",
  bytesPerParam: 36, // pass 1: read p, g, m, v; write m, v, u. pass 2: read p, u; write p
  gradstep: (params, backend) => new LAMB(params, { lr: LR, backend }),
  jsState: 3,
  plainJs(p, g, [m, v, u], t) {
    const b1 = 0.9, b2 = 0.999, eps = 1e-6;
    const rbc1 = 1 / (1 - b1 ** t), rbc2 = 1 / (1 - b2 ** t);
    let pp = 0, uu = 0;
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]!, pi = p[i]!;
      const mi = (m![i] = (1 - b1) * gi + b1 * m![i]!);
      const vi = (v![i] = (1 - b2) * gi * gi + b2 * v![i]!);
      const ui = (u![i] = (mi * rbc1) / (Math.sqrt(vi * rbc2) + eps));
      pp += pi * pi;
      uu += ui * ui;
    }
    const ratio = pp === 0 || uu === 0 ? 1 : Math.sqrt(pp) / Math.sqrt(uu);
    for (let i = 0; i < p.length; i++) p[i] = p[i]! - LR * ratio * u![i]!;
  },
}];
