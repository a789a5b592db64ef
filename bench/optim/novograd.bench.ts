// NovoGrad in the benchmark: gradstep vs the hand-written JS loop (tfjs has no NovoGrad; no C kernel: a
// per-tensor optimizer, exempt like LAMB). The bench model is one tensor.
import { type BenchCase, LR, registryCase } from "../cases.js";

let nu = 0; // the JS loop's per-tensor second moment (the bench steps one tensor)

export const cases: BenchCase[] = [{
  ...registryCase("novograd"), // 20 B: pass 1 reads g; pass 2 reads p, g, m and writes p, m
  plainJs(p, g, [m], t) {
    const b1 = 0.9, b2 = 0.25, eps = 1e-6;
    let gg = 0;
    for (let i = 0; i < g.length; i++) gg += g[i]! * g[i]!;
    nu = t === 1 ? gg : (1 - b2) * gg + b2 * nu;
    const d = Math.sqrt(nu) + eps;
    for (let i = 0; i < p.length; i++) {
      const mi = (m![i] = t === 1 ? g[i]! / d : b1 * m![i]! + g[i]! / d);
      p[i] = p[i]! - LR * mi;
    }
  },
}];
