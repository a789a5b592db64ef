// Schedule-Free SGD in the benchmark: gradstep vs the hand-written JS loop (no tfjs or C counterpart).
import { ScheduleFreeSGD } from "../../src/index.js";
import { type BenchCase, LR } from "../cases.js";

export const cases: BenchCase[] = [{
  id: "schedulefreesgd",
  label: "ScheduleFreeSGD",
  bytesPerParam: 20, // read y, g, z; write y, z
  gradstep: (params, backend) => new ScheduleFreeSGD(params, { lr: LR, backend }),
  jsState: 1,
  plainJs(p, g, [z], t) {
    const b1 = 0.9, ck = 1 / t;
    if (t === 1) z!.set(p);
    for (let i = 0; i < p.length; i++) {
      const y = p[i]!, z0 = z![i]!;
      const z1 = (z![i] = z0 - LR * g[i]!);
      const x = (1 - ck) * ((y - (1 - b1) * z0) / b1) + ck * z1;
      p[i] = b1 * x + (1 - b1) * z1;
    }
  },
  native: {
    kernel: `(F p, CF g, F z, long n, float beta1, float beta1Comp, float rBeta1,
    float ck, float ckComp, float lr) {
  for (long i = 0; i < n; i++) {
    float y = p[i], z0 = z[i];
    float z1 = z0 - lr * g[i];
    z[i] = z1;
    float x = ckComp * ((y - beta1Comp * z0) * rBeta1) + ck * z1;
    float y1 = beta1 * x + beta1Comp * z1;
    p[i] = y + (y1 - y);
  }
}`,
    step: "schedulefreesgd(p, g, s[0], n, 0.9f, 0.1f, (float)(1 / 0.9), (float)(1.0 / (double)t), (float)(1 - 1.0 / (double)t), LR);",
  },
}];
