// ASGD in the benchmark (averaging phase: ax moves towards θ every step): gradstep vs a hand-written JS loop
// (tfjs has no ASGD).
import { ASGD } from "../../src/index.js";
import { type BenchCase, LR } from "../cases.js";

export const cases: BenchCase[] = [{
  id: "asgd",
  label: "ASGD",
  bytesPerParam: 20, // read p, g, ax; write p, ax
  gradstep: (params, backend) => new ASGD(params, { lr: LR, t0: 0, backend }),
  jsState: 1,
  plainJs(p, g, [ax], t) {
    const lambd = 1e-4, alpha = 0.75, s = t - 1;
    const eta = LR / (1 + lambd * LR * s) ** alpha, decay = 1 - lambd * eta, mu = s === 0 ? 1 : 1 / Math.max(1, s);
    for (let i = 0; i < p.length; i++) {
      const pi = (p[i] = p[i]! * decay - eta * g[i]!);
      ax![i] = mu === 1 ? pi : ax![i]! + mu * (pi - ax![i]!);
    }
  },
  native: {
    kernel: `(F p, CF g, F ax, long n, float eta, float decay, float mu) {
  for (long i = 0; i < n; i++) {
    float pi = p[i] * decay - eta * g[i];
    p[i] = pi;
    ax[i] = ax[i] + (pi - ax[i]) * mu;
  }
}`,
    step: `
double eta = LR / pow(1 + 1e-4 * LR * (double)t, 0.75);
asgd(p, g, s[0], n, (float)eta, (float)(1 - 1e-4 * eta), (float)(1.0 / (double)t));`,
  },
}];
