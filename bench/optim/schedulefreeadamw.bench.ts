// Schedule-Free AdamW in the benchmark: gradstep vs the hand-written JS loop (no tfjs or C counterpart).
import { ScheduleFreeAdamW } from "../../src/index.js";
import { type BenchCase, LR } from "../cases.js";

export const cases: BenchCase[] = [{
  id: "schedulefreeadamw",
  label: "ScheduleFreeAdamW",
  bytesPerParam: 28, // read y, g, z, v; write y, z, v
  gradstep: (params, backend) => new ScheduleFreeAdamW(params, { lr: LR, backend }),
  jsState: 2,
  plainJs(p, g, [z, v], t) {
    const b1 = 0.9, b2 = 0.999, eps = 1e-8, ck = 1 / t, rbc2 = 1 / (1 - b2 ** t);
    if (t === 1) z!.set(p);
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]!, y = p[i]!, z0 = z![i]!;
      const vi = (v![i] = (1 - b2) * gi * gi + b2 * v![i]!);
      const z1 = (z![i] = z0 - (LR * gi) / (Math.sqrt(vi * rbc2) + eps));
      const x = (1 - ck) * ((y - (1 - b1) * z0) / b1) + ck * z1;
      p[i] = b1 * x + (1 - b1) * z1;
    }
  },
  native: {
    kernel: `(F p, CF g, F z, F v, long n, float beta1, float beta1Comp,
    float rBeta1, float ck, float ckComp, float lr, float beta2, float beta2Comp, float rBc2, float eps) {
  for (long i = 0; i < n; i++) {
    float y = p[i], gi = g[i], z0 = z[i];
    float vi = beta2Comp * (gi * gi) + beta2 * v[i];
    v[i] = vi;
    float z1 = z0 - lr * (gi / (sqrtf(vi * rBc2) + eps));
    z[i] = z1;
    float x = ckComp * ((y - beta1Comp * z0) * rBeta1) + ck * z1;
    float y1 = beta1 * x + beta1Comp * z1;
    p[i] = y + (y1 - y);
  }
}`,
    step: `
schedulefreeadamw(p, g, s[0], s[1], n, 0.9f, 0.1f, (float)(1 / 0.9), (float)(1.0 / (double)t), (float)(1 - 1.0 / (double)t), 2.5e-3f,
  0.999f, 0.001f, (float)(1 / bc(0.999, t)), 1e-8f);`,
  },
}];
