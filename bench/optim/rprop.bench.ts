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
  native: {
    kernel: `(F p, CF g, F prev, F ss, long n, float etaminus, float etaplus, float lo, float hi) {
  for (long i = 0; i < n; i++) {
    float gi = g[i], s = gi * prev[i];
    float f = s > 0 ? etaplus : 1.0f; // single selects: gcc if-converts and vectorises these, not a nested ?:
    f = s < 0 ? etaminus : f;
    float si = ss[i] * f;
    si = si < lo ? lo : si;
    si = si > hi ? hi : si;
    ss[i] = si;
    float gn = s < 0 ? 0.0f : gi;
    float sg = gn > 0 ? 1.0f : 0.0f;
    sg = gn < 0 ? -1.0f : sg;
    p[i] = p[i] - sg * si;
    prev[i] = gn;
  }
}`,
    step: "rprop(p, g, s[0], s[1], n, 0.5f, 1.2f, 1e-6f, 50.0f);",
  },
}];
