// SGD with momentum and with Nesterov momentum in the benchmark.
import { SGD } from "../../src/index.js";
import { type BenchCase, LR } from "../cases.js";

export const cases: BenchCase[] = [{
  id: "sgd_momentum",
  label: "SGD momentum",
  bytesPerParam: 20, // read p, g, b; write p, b
  gradstep: (params, backend) => new SGD(params, { lr: LR, momentum: 0.9, backend }),
  jsState: 1,
  plainJs(p, g, [b]) {
    for (let i = 0; i < p.length; i++) {
      const bi = (b![i] = 0.9 * b![i]! + g[i]!);
      p[i] = p[i]! - LR * bi;
    }
  },
  tfjs: (tf) => tf.train.momentum(LR, 0.9, false),
  native: {
    kernel: `(F p, CF g, F b, long n, float lr, float mu) {
  for (long i = 0; i < n; i++) {
    float bi = mu * b[i] + g[i];
    b[i] = bi;
    p[i] = p[i] - lr * bi;
  }
}`,
    step: "sgd_momentum(p, g, s[0], n, LR, 0.9f);",
  },
}, {
  id: "sgd_nesterov",
  label: "SGD Nesterov",
  bytesPerParam: 20,
  gradstep: (params, backend) => new SGD(params, { lr: LR, momentum: 0.9, nesterov: true, backend }),
  jsState: 1,
  plainJs(p, g, [b]) {
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]!;
      const bi = (b![i] = 0.9 * b![i]! + gi);
      p[i] = p[i]! - LR * (gi + 0.9 * bi);
    }
  },
  tfjs: (tf) => tf.train.momentum(LR, 0.9, true),
  native: {
    kernel: `(F p, CF g, F b, long n, float lr, float mu) {
  for (long i = 0; i < n; i++) {
    float gi = g[i];
    float bi = mu * b[i] + gi;
    b[i] = bi;
    p[i] = p[i] - lr * (gi + mu * bi);
  }
}`,
    step: "sgd_nesterov(p, g, s[0], n, LR, 0.9f);",
  },
}];
