// Adam in the benchmark: gradstep vs a hand-written JS loop, tf.train.adam and C (`native`).
import { Adam } from "../../src/index.js";
import { type BenchCase, LR } from "../cases.js";

export const cases: BenchCase[] = [{
  id: "adam",
  label: "Adam",
  bytesPerParam: 28, // read p, g, m, v; write p, m, v
  gradstep: (params, backend) => new Adam(params, { lr: LR, backend }),
  jsState: 2,
  plainJs(p, g, [m, v], t) {
    const b1 = 0.9, b2 = 0.999, eps = 1e-8;
    const stepSize = LR / (1 - b1 ** t), rbc2 = 1 / Math.sqrt(1 - b2 ** t);
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]!;
      const mi = (m![i] = b1 * m![i]! + (1 - b1) * gi);
      const vi = (v![i] = b2 * v![i]! + (1 - b2) * gi * gi);
      p[i] = p[i]! - (stepSize * mi) / (Math.sqrt(vi) * rbc2 + eps);
    }
  },
  tfjs: (tf) => tf.train.adam(LR, 0.9, 0.999, 1e-8),
  native: {
    kernel: `(F p, CF g, F m, F v, long n, float stepSize, float beta1Comp,
    float beta2, float beta2Comp, float rBc2Sqrt, float eps) {
  for (long i = 0; i < n; i++) {
    float gi = g[i];
    float mi = m[i] + beta1Comp * (gi - m[i]);
    float vi = beta2 * v[i] + beta2Comp * (gi * gi);
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] - stepSize * (mi / (sqrtf(vi) * rBc2Sqrt + eps));
  }
}`,
    step: "adam(p, g, s[0], s[1], n, (float)(LR / bc(0.9, t)), 0.1f, 0.999f, 0.001f, (float)(1 / sqrt(bc(0.999, t))), 1e-8f);",
  },
}];
