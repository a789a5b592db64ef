// AdamW with AMSGrad in the benchmark (tfjs has neither decoupled weight decay nor AMSGrad).
import { AdamW } from "../../src/index.js";
import { type BenchCase, LR } from "../cases.js";

export const cases: BenchCase[] = [{
  id: "adamw_amsgrad",
  label: "AdamW (amsgrad)",
  bytesPerParam: 36, // read p, g, m, v, vmax; write p, m, v, vmax
  gradstep: (params, backend) => new AdamW(params, { lr: LR, amsgrad: true, backend }),
  jsState: 3,
  plainJs(p, g, [m, v, vmax], t) {
    const b1 = 0.9, b2 = 0.999, eps = 1e-8, decay = 1 - LR * 0.01;
    const stepSize = LR / (1 - b1 ** t), rbc2 = 1 / Math.sqrt(1 - b2 ** t);
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]!;
      const mi = (m![i] = b1 * m![i]! + (1 - b1) * gi);
      const vi = (v![i] = b2 * v![i]! + (1 - b2) * gi * gi);
      const vm = (vmax![i] = Math.max(vmax![i]!, vi));
      p[i] = p[i]! * decay - (stepSize * mi) / (Math.sqrt(vm) * rbc2 + eps);
    }
  },
  native: {
    kernel: `(F p, CF g, F m, F v, F vmax, long n, float stepSize,
    float beta1Comp, float beta2, float beta2Comp, float rBc2Sqrt, float eps, float decay) {
  for (long i = 0; i < n; i++) {
    float gi = g[i];
    float pi = p[i] * decay;
    float mi = m[i] + beta1Comp * (gi - m[i]);
    float vi = beta2 * v[i] + beta2Comp * (gi * gi);
    m[i] = mi;
    v[i] = vi;
    float vm = vmax[i] > vi ? vmax[i] : vi; // maxps, as Wasm's f32x4.max (fmaxf would not vectorise)
    vmax[i] = vm;
    p[i] = pi - stepSize * (mi / (sqrtf(vm) * rBc2Sqrt + eps));
  }
}`,
    step: "adamw_amsgrad(p, g, s[0], s[1], s[2], n, (float)(LR / bc(0.9, t)), 0.1f, 0.999f, 0.001f, (float)(1 / sqrt(bc(0.999, t))), 1e-8f, 1 - LR * 0.01f);",
  },
}];
