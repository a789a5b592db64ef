// Centered RMSprop in the benchmark.
import { RMSprop } from "../../src/index.js";
import { type BenchCase, LR } from "../cases.js";

export const cases: BenchCase[] = [{
  id: "rmsprop_centered",
  label: "RMSprop centered",
  bytesPerParam: 28, // read p, g, v, gavg; write p, v, gavg
  gradstep: (params, backend) => new RMSprop(params, { lr: LR, centered: true, backend }),
  jsState: 2,
  plainJs(p, g, [v, ga]) {
    const a = 0.99, eps = 1e-8;
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]!;
      const vi = (v![i] = a * v![i]! + (1 - a) * gi * gi);
      const gai = (ga![i] = ga![i]! + (1 - a) * (gi - ga![i]!));
      p[i] = p[i]! - (LR * gi) / (Math.sqrt(vi - gai * gai) + eps);
    }
  },
  tfjs: (tf) => tf.train.rmsprop(LR, 0.99, 0, 1e-8, true),
  native: {
    kernel: `(F p, CF g, F v, F ga, long n, float lr, float alpha,
    float alphaComp, float eps) {
  for (long i = 0; i < n; i++) {
    float gi = g[i];
    float vi = alpha * v[i] + alphaComp * (gi * gi);
    float gai = ga[i] + alphaComp * (gi - ga[i]);
    v[i] = vi;
    ga[i] = gai;
    p[i] = p[i] - lr * (gi / (sqrtf(vi - gai * gai) + eps));
  }
}`,
    step: "rmsprop_centered(p, g, s[0], s[1], n, LR, 0.99f, 0.01f, 1e-8f);",
  },
}];
