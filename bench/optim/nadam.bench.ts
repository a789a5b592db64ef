// NAdam in the benchmark: gradstep vs a hand-written JS loop (tfjs has no NAdam).
import { NAdam } from "../../src/index.js";
import { type BenchCase, LR } from "../cases.js";

let prod = 1; // the running product a hand-written loop keeps (one bench run steps t = 1, 2, ... in order)

export const cases: BenchCase[] = [{
  id: "nadam",
  label: "NAdam",
  bytesPerParam: 28, // read p, g, m, v; write p, m, v
  gradstep: (params, backend) => new NAdam(params, { lr: LR, backend }),
  jsState: 2,
  plainJs(p, g, [m, v], t) {
    const b1 = 0.9, b2 = 0.999, eps = 1e-8, psi = 4e-3;
    const mu = b1 * (1 - 0.5 * 0.96 ** (t * psi)), muNext = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi));
    if (t === 1) prod = 1;
    prod *= mu;
    const cg = (LR * (1 - mu)) / (1 - prod), cm = (LR * muNext) / (1 - prod * muNext), bc2 = 1 - b2 ** t;
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]!;
      const mi = (m![i] = b1 * m![i]! + (1 - b1) * gi);
      const vi = (v![i] = b2 * v![i]! + (1 - b2) * gi * gi);
      const d = Math.sqrt(vi / bc2) + eps;
      p[i] = p[i]! - (cg * gi) / d - (cm * mi) / d;
    }
  },
  native: {
    kernel: `(F p, CF g, F m, F v, long n, float gradCoef, float avgCoef, float beta1Comp,
    float beta2, float beta2Comp, float rBc2, float eps) {
  for (long i = 0; i < n; i++) {
    float gi = g[i];
    float mi = m[i] + beta1Comp * (gi - m[i]);
    float vi = v[i] * beta2 + beta2Comp * gi * gi;
    m[i] = mi;
    v[i] = vi;
    float r = 1.0f / (sqrtf(vi * rBc2) + eps);
    p[i] = (p[i] - gradCoef * gi * r) - avgCoef * mi * r;
  }
}`,
    step: `
double mu = 0.9 * (1 - 0.5 * pow(0.96, t * 4e-3)), muNext = 0.9 * (1 - 0.5 * pow(0.96, (t + 1) * 4e-3)), prod = mu; // mu_product after the first step (the scalars only set the cost)
nadam(p, g, s[0], s[1], n, (float)(LR * (1 - mu) / (1 - prod)), (float)(LR * muNext / (1 - prod * muNext)), 0.1f, 0.999f, 0.001f,
  (float)(1 / bc(0.999, t)), 1e-8f);`,
  },
}];
