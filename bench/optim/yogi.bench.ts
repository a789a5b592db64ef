// Yogi in the benchmark: gradstep vs the hand-written JS loop, C (`native`); tfjs has no Yogi.
import { Yogi } from "../../src/index.js";
import { type BenchCase, LR } from "../cases.js";

export const cases: BenchCase[] = [{
  id: "yogi",
  label: "Yogi",
  bytesPerParam: 28, // read p, g, m, v; write p, m, v
  gradstep: (params, backend) => new Yogi(params, { lr: LR, backend }),
  jsState: 2,
  plainJs(p, g, [m, v], t) {
    const b1 = 0.9, b2 = 0.999, eps = 1e-3;
    const stepSize = LR / (1 - b1 ** t), rbc2 = 1 / Math.sqrt(1 - b2 ** t);
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]!, g2 = gi * gi;
      const mi = (m![i] = (1 - b1) * gi + b1 * m![i]!);
      const vi = (v![i] = v![i]! - (1 - b2) * Math.sign(v![i]! - g2) * g2);
      p[i] = p[i]! - (stepSize * mi) / (Math.sqrt(vi) * rbc2 + eps);
    }
  },
  native: {
    kernel: `(F p, CF g, F m, F v, long n, float stepSize, float beta1, float beta1Comp,
    float beta2Comp, float rBc2Sqrt, float eps) {
  for (long i = 0; i < n; i++) {
    float gi = g[i], g2 = gi * gi;
    float mi = beta1Comp * gi + beta1 * m[i];
    float v0 = v[i], dv = v0 - g2;
    float sg = dv > 0 ? 1.0f : dv < 0 ? -1.0f : 0.0f;
    float vi = v0 - beta2Comp * sg * g2;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] - stepSize * (mi / (sqrtf(vi) * rBc2Sqrt + eps));
  }
}`,
    step: "yogi(p, g, s[0], s[1], n, (float)(1e-2 / bc(0.9, t)), 0.9f, 0.1f, 0.001f, (float)(1 / sqrt(bc(0.999, t))), 1e-3f);",
  },
}];
