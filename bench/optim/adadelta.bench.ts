// Adadelta in the benchmark: gradstep vs a hand-written JS loop and tf.train.adadelta.
import { Adadelta } from "../../src/index.js";
import { type BenchCase, LR } from "../cases.js";

export const cases: BenchCase[] = [{
  id: "adadelta",
  label: "Adadelta",
  bytesPerParam: 28, // read p, g, v, u; write p, v, u
  gradstep: (params, backend) => new Adadelta(params, { lr: LR, backend }),
  jsState: 2,
  plainJs(p, g, [v, u]) {
    const rho = 0.9, eps = 1e-6;
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]!;
      const vi = (v![i] = rho * v![i]! + (1 - rho) * gi * gi);
      const d = (Math.sqrt(u![i]! + eps) / Math.sqrt(vi + eps)) * gi;
      u![i] = rho * u![i]! + (1 - rho) * d * d;
      p[i] = p[i]! - LR * d;
    }
  },
  // tfjs's Adadelta divides by the accumulator *before* this step's update (docs/correctness.md, TensorFlow.js's rules): same cost.
  tfjs: (tf) => tf.train.adadelta(LR, 0.9, 1e-6),
  native: {
    kernel: `(F p, CF g, F v, F u, long n, float lr, float rho, float rhoComp, float eps) {
  for (long i = 0; i < n; i++) {
    float gi = g[i];
    float vi = v[i] * rho + rhoComp * gi * gi;
    v[i] = vi;
    float ui = u[i];
    float d = sqrtf((ui + eps) / (vi + eps)) * gi;
    u[i] = ui * rho + rhoComp * d * d;
    p[i] = p[i] - lr * d;
  }
}`,
    step: "adadelta(p, g, s[0], s[1], n, LR, 0.9f, 0.1f, 1e-6f);",
  },
}];
