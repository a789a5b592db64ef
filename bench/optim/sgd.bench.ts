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
  native: true,
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
  native: true,
}];
