// AdEMAMix in the benchmark: gradstep vs the hand-written JS loop, C (`native`); tfjs has no AdEMAMix.
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
  native: {
    kernel: `(F p, CF g, F m1, F m2, F v, long n, float beta1, float beta1Comp,
    float beta2, float beta2Comp, float beta3, float beta3Comp, float rBc1, float rBc2, float alpha, float eps, float lr) {
  for (long i = 0; i < n; i++) {
    float gi = g[i];
    float a = beta1Comp * gi + beta1 * m1[i];
    float b = beta3Comp * gi + beta3 * m2[i];
    float vi = beta2Comp * (gi * gi) + beta2 * v[i];
    m1[i] = a;
    m2[i] = b;
    v[i] = vi;
    p[i] = p[i] - lr * ((a * rBc1 + alpha * b) / (sqrtf(vi * rBc2) + eps));
  }
}`,
    step: `
ademamix(p, g, s[0], s[1], s[2], n, 0.9f, 0.1f, 0.999f, 0.001f, 0.9999f, 0.0001f, (float)(1 / bc(0.9, t)), (float)(1 / bc(0.999, t)),
  5.0f, 1e-8f, LR);`,
  },
}];
