// RAdam in the benchmark: gradstep vs a hand-written JS loop (tfjs has no RAdam).
import { RAdam } from "../../src/index.js";
import { type BenchCase, LR } from "../cases.js";

export const cases: BenchCase[] = [{
  id: "radam",
  label: "RAdam",
  bytesPerParam: 28, // read p, g, m, v; write p, m, v
  gradstep: (params, backend) => new RAdam(params, { lr: LR, backend }),
  jsState: 2,
  plainJs(p, g, [m, v], t) {
    const b1 = 0.9, b2 = 0.999, eps = 1e-8;
    const bc1 = 1 - b1 ** t, bc2 = 1 - b2 ** t, rhoInf = 2 / (1 - b2) - 1, rhoT = rhoInf - (2 * t * b2 ** t) / bc2;
    const rect = rhoT > 5 ? Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT)) : 0;
    const s = rhoT > 5 ? (LR * rect * Math.sqrt(bc2)) / bc1 : LR / bc1;
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]!;
      const mi = (m![i] = b1 * m![i]! + (1 - b1) * gi);
      const vi = (v![i] = b2 * v![i]! + (1 - b2) * gi * gi);
      p[i] = rhoT > 5 ? p[i]! - (s * mi) / (Math.sqrt(vi) + eps) : p[i]! - s * mi;
    }
  },
  native: {
    kernel: `(F p, CF g, F m, F v, long n, float stepSize, float beta1Comp, float beta2,
    float beta2Comp, float eps) {
  for (long i = 0; i < n; i++) {
    float gi = g[i];
    float mi = m[i] + beta1Comp * (gi - m[i]);
    float vi = v[i] * beta2 + beta2Comp * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] - stepSize * (mi / (sqrtf(vi) + eps));
  }
}`,
    step: "radam(p, g, s[0], s[1], n, (float)(LR * sqrt(bc(0.999, t)) / bc(0.9, t)), 0.1f, 0.999f, 0.001f, 1e-8f);",
  },
}];
