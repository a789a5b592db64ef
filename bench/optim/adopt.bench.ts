// ADOPT in the benchmark: gradstep vs the hand-written JS loop, C (`native`); tfjs has no ADOPT.
import { type BenchCase, LR, registryCase } from "../cases.js";

export const cases: BenchCase[] = [{
  ...registryCase("adopt"),
  plainJs(p, g, [m, v], t) {
    const b1 = t > 1 ? 0.9 : 1, b2 = t > 1 ? 0.9999 : 0, clip = (t - 1) ** 0.25;
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]!, u = Math.min(Math.max(gi / Math.max(Math.sqrt(v![i]!), 1e-6), -clip), clip);
      v![i] = (1 - b2) * gi * gi + b2 * v![i]!;
      m![i] = (1 - b1) * u + b1 * m![i]!;
      p[i] = p[i]! - LR * m![i]!;
    }
  },
  native: {
    kernel: `(F p, CF g, F m, F v, long n, float lr, float beta1, float beta1Comp, float beta2, float beta2Comp,
    float eps, float clip) {
  for (long i = 0; i < n; i++) {
    float gi = g[i], s = sqrtf(v[i]), u = gi / (s > eps ? s : eps);
    u = u < -clip ? -clip : u;
    u = clip < u ? clip : u;
    v[i] = beta2Comp * (gi * gi) + beta2 * v[i];
    m[i] = beta1Comp * u + beta1 * m[i];
    p[i] -= lr * m[i];
  }
}`,
    step: "adopt(p, g, s[0], s[1], n, LR, 0.9f, 0.1f, 0.9999f, 1e-4f, 1e-6f, (float)pow((double)(t - 1), 0.25));",
  },
}];
