// LARS in the benchmark: gradstep vs the hand-written JS loop (tfjs has no LARS; no C kernel yet).
import { LARS } from "../../src/index.js";
import { type BenchCase, LR } from "../cases.js";

export const cases: BenchCase[] = [{
  id: "lars",
  label: "LARS",
  bytesPerParam: 28, // pass 1: read p, g. pass 2: read p, g, trace; write p, trace
  gradstep: (params, backend) => new LARS(params, { lr: LR, backend }),
  jsState: 1,
  plainJs(p, g, [b]) {
    const mu = 0.9, tc = 1e-3;
    let pp = 0, uu = 0;
    for (let i = 0; i < p.length; i++) { pp += p[i]! * p[i]!; uu += g[i]! * g[i]!; }
    const ratio = pp === 0 || uu === 0 ? 1 : (tc * Math.sqrt(pp)) / Math.sqrt(uu);
    for (let i = 0; i < p.length; i++) {
      const t = (b![i] = -LR * ratio * g[i]! + mu * b![i]!);
      p[i] = p[i]! + t;
    }
  },
}];
