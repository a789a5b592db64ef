// MADGRAD in the benchmark: gradstep vs the hand-written JS loop, C (`native`); tfjs has no MADGRAD.
import { type BenchCase, LR, registryCase } from "../cases.js";

export const cases: BenchCase[] = [{
  ...registryCase("madgrad"),
  plainJs(p, g, [v, s, x0], t) {
    const lamb = (LR + 1e-6) * Math.sqrt(t);
    if (t === 1) x0!.set(p);
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]!;
      v![i] = v![i]! + lamb * gi * gi;
      s![i] = s![i]! + lamb * gi;
      p[i] = 0.1 * (x0![i]! - s![i]! / (Math.cbrt(v![i]!) + 1e-6)) + 0.9 * p[i]!;
    }
  },
  native: {
    kernel: `(F p, CF g, F v, F s, F x0, long n, float lamb, float eps, float momentum, float momentumComp) {
  for (long i = 0; i < n; i++) {
    float gi = g[i];
    v[i] += lamb * (gi * gi);
    s[i] += lamb * gi;
    float z = x0[i] - s[i] / (cbrtf(v[i]) + eps);
    p[i] = momentumComp * z + momentum * p[i];
  }
}`,
    step: "if (t == 1) memcpy(s[2], p, n * sizeof(float));\nmadgrad(p, g, s[0], s[1], s[2], n, (LR + 1e-6f) * sqrtf((float)t), 1e-6f, 0.9f, 0.1f);",
  },
}];
