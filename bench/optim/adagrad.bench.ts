// Adagrad in the benchmark.
import { Adagrad } from "../../src/index.js";
import { type BenchCase, LR } from "../cases.js";

export const cases: BenchCase[] = [{
  id: "adagrad",
  label: "Adagrad",
  bytesPerParam: 20, // read p, g, s; write p, s
  gradstep: (params, backend) => new Adagrad(params, { lr: LR, backend }),
  jsState: 1,
  plainJs(p, g, [s]) {
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]!;
      const si = (s![i] = s![i]! + gi * gi);
      p[i] = p[i]! - (LR * gi) / (Math.sqrt(si) + 1e-10);
    }
  },
  tfjs: (tf) => tf.train.adagrad(LR, 0),
  native: {
    kernel: `(F p, CF g, F s, long n, float clr, float eps) {
  for (long i = 0; i < n; i++) {
    float gi = g[i];
    float si = s[i] + gi * gi;
    s[i] = si;
    p[i] = p[i] - clr * (gi / (sqrtf(si) + eps));
  }
}`,
    step: "adagrad(p, g, s[0], n, LR, 1e-10f);",
  },
}];
