// Lion in the benchmark: gradstep vs the hand-written JS loop, C (`native`); tfjs has no Lion.
import { Lion } from "../../src/index.js";
import { type BenchCase, LR } from "../cases.js";

export const cases: BenchCase[] = [{
  id: "lion",
  label: "Lion",
  bytesPerParam: 20, // read p, g, m; write p, m
  gradstep: (params, backend) => new Lion(params, { lr: LR, backend }),
  jsState: 1,
  plainJs(p, g, [m]) {
    const b1 = 0.9, b2 = 0.99;
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]!, mi = m![i]!;
      p[i] = p[i]! - LR * Math.sign((1 - b1) * gi + b1 * mi);
      m![i] = (1 - b2) * gi + b2 * mi;
    }
  },
  native: {
    kernel: `(F p, CF g, F m, long n, float lr, float beta1, float beta1Comp, float beta2, float beta2Comp) {
  for (long i = 0; i < n; i++) {
    float gi = g[i], mi = m[i];
    float c = beta1Comp * gi + beta1 * mi;
    float u = c > 0 ? 1.0f : c < 0 ? -1.0f : 0.0f;
    m[i] = beta2Comp * gi + beta2 * mi;
    p[i] = p[i] - lr * u;
  }
}`,
    step: "lion(p, g, s[0], n, 1e-4f, 0.9f, 0.1f, 0.99f, 0.01f);",
  },
}];
