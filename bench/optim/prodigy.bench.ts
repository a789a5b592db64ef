// Prodigy in the benchmark: gradstep (two passes and two global reductions per step) vs the hand-written JS
// loop over one tensor (the sums are then over it alone); tfjs has no Prodigy, and no C loop (noNative says why).
import { Prodigy } from "../../src/index.js";
import type { BenchCase } from "../cases.js";

/** The JS loop's d and r (a trainer keeps them beside its arrays); reset on its first step. */
const js = { d: 1e-6, r: 0 };

export const cases: BenchCase[] = [{
  id: "prodigy",
  label: "Prodigy",
  // Pass 0: read p, g, s, θ0, write terms, s; the sums read terms, s; pass 1: read p, g, m, v, write p, m, v.
  bytesPerParam: 60,
  gradstep: (params, backend) => new Prodigy(params, { backend }),
  jsState: 4,
  plainJs(p, g, [m, v, s, p0], t) {
    const b1 = 0.9, b2 = 0.999, b3 = Math.sqrt(b2), eps = 1e-8, d0 = 1e-6;
    if (t === 1) { js.d = d0; js.r = 0; p0!.set(p); }
    const d = js.d, dlr = d * Math.sqrt(1 - b2 ** t) / (1 - b1 ** t);
    let num = 0, den = 0;
    for (let i = 0; i < p.length; i++) {
      num += g[i]! * (p0![i]! - p[i]!);
      den += Math.abs((s![i] = b3 * s![i]! + dlr * d * g[i]! / d0));
    }
    js.r = b3 * js.r + (d / d0) * dlr * num;
    const d1 = (js.d = Math.max(d, js.r / den));
    for (let i = 0; i < p.length; i++) {
      const dg = d * g[i]!;
      const mi = (m![i] = b1 * m![i]! + (1 - b1) * dg), vi = (v![i] = b2 * v![i]! + (1 - b2) * dg * dg);
      p[i] = p[i]! - dlr * mi / (Math.sqrt(vi) + d1 * eps);
    }
  },
  noNative: "a step is two passes with global reductions between them, not one elementwise loop the C harness times",
}];
