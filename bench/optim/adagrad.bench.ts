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
  native: true,
}];
