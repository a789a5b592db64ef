// AdaBelief in the benchmark: gradstep vs the hand-written JS loop, C (`native`); tfjs has no AdaBelief.
import { AdaBelief } from "../../src/index.js";
import { type BenchCase, LR } from "../cases.js";

export const cases: BenchCase[] = [{
  id: "adabelief",
  label: "AdaBelief",
  bytesPerParam: 28, // read p, g, m, s; write p, m, s
  gradstep: (params, backend) => new AdaBelief(params, { lr: LR, backend }),
  jsState: 2,
  plainJs(p, g, [m, s], t) {
    const b1 = 0.9, b2 = 0.999, eps = 1e-16, epsRoot = 1e-16;
    const bc1 = 1 - b1 ** t, bc2 = 1 - b2 ** t;
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]!;
      const mi = (m![i] = (1 - b1) * gi + b1 * m![i]!);
      const d = gi - mi;
      const si = (s![i] = (1 - b2) * d * d + b2 * s![i]! + epsRoot);
      p[i] = p[i]! - (LR * (mi / bc1)) / (Math.sqrt(si / bc2) + eps);
    }
  },
  native: {
    kernel: `(F p, CF g, F m, F s, long n, float stepSize, float beta1, float beta1Comp,
    float beta2, float beta2Comp, float rBc2Sqrt, float eps, float epsRoot) {
  for (long i = 0; i < n; i++) {
    float gi = g[i];
    float mi = beta1Comp * gi + beta1 * m[i];
    float d = gi - mi;
    float si = (beta2Comp * (d * d) + beta2 * s[i]) + epsRoot;
    m[i] = mi;
    s[i] = si;
    p[i] = p[i] - stepSize * (mi / (sqrtf(si) * rBc2Sqrt + eps));
  }
}`,
    step: "adabelief(p, g, s[0], s[1], n, (float)(LR / bc(0.9, t)), 0.9f, 0.1f, 0.999f, 0.001f, (float)(1 / sqrt(bc(0.999, t))), 1e-16f, 1e-16f);",
  },
}];
