// Adan in the benchmark: gradstep vs the hand-written JS loop, C (`native`); tfjs has no Adan.
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
  native: {
    kernel: `(F p, CF g, F m, F v, F s, F prev, long n, float beta1, float beta1Comp,
    float beta2, float beta2Comp, float beta3, float beta3Comp, float rBc1, float rBc2, float rBc3, float eps,
    float epsRoot, float lr) {
  for (long i = 0; i < n; i++) {
    float gi = g[i], d = gi - prev[i];
    float mi = beta1Comp * gi + beta1 * m[i];
    float vi = beta2Comp * d + beta2 * v[i];
    float q = gi + beta2Comp * d;
    float si = beta3Comp * (q * q) + beta3 * s[i];
    m[i] = mi;
    v[i] = vi;
    s[i] = si;
    prev[i] = gi;
    float u = (mi * rBc1 + beta2Comp * (vi * rBc2)) / (sqrtf(si * rBc3 + epsRoot) + eps);
    p[i] = p[i] - lr * u;
  }
}`,
    step: `
adan(p, g, s[0], s[1], s[2], s[3], n, 0.98f, 0.02f, 0.92f, 0.08f, 0.99f, 0.01f, (float)(1 / bc(0.98, t)), (float)(1 / bc(0.92, t)),
  (float)(1 / bc(0.99, t)), 1e-8f, 1e-8f, LR);`,
  },
}];
