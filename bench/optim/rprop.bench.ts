// Rprop in the benchmark: gradstep vs a hand-written JS loop (tfjs has no Rprop).
import { Rprop } from "../../src/index.js";
import { type BenchCase, LR } from "../cases.js";

export const cases: BenchCase[] = [{
  id: "rprop",
  label: "Rprop",
  bytesPerParam: 28, // read p, g, prev, stepSize; write p, prev, stepSize
  gradstep: (params, backend) => new Rprop(params, { lr: LR, backend }),
  jsState: 2,
  plainJs(p, g, [prev, ss], t) {
    const em = 0.5, ep = 1.2, lo = 1e-6, hi = 50;
    if (t === 1) ss!.fill(LR);
    for (let i = 0; i < p.length; i++) {
      let gi = g[i]!;
      const s = gi * prev![i]!;
      const si = (ss![i] = Math.min(Math.max(ss![i]! * (s > 0 ? ep : s < 0 ? em : 1), lo), hi));
      if (s < 0) gi = 0;
      p[i] = p[i]! - Math.sign(gi) * si;
      prev![i] = gi;
    }
  },
  native: true,
}];
