// The example MLP's forward and backward in plain f64 JS: the independent computation its WGSL is checked against.
import { IN, OUT } from "../../examples/webgpu-mnist/mlp.js";

export interface HostMlp { W1: Float32Array; b1: Float32Array; W2: Float32Array; b2: Float32Array }

/** Summed loss, hit count and the batch-mean grads of images `idx`. */
export function mlpReference(m: HostMlp, X: Float32Array, Y: ArrayLike<number>, idx: number[], hidden: number) {
  const n = idx.length;
  const g = { W1: new Float64Array(IN * hidden), b1: new Float64Array(hidden), W2: new Float64Array(hidden * OUT), b2: new Float64Array(OUT) };
  let loss = 0, hits = 0;
  for (const k of idx) {
    const x = X.subarray(k * IN, (k + 1) * IN);
    const h = new Float64Array(hidden);
    for (let j = 0; j < hidden; j++) {
      let s = m.b1[j]!;
      for (let i = 0; i < IN; i++) s += x[i]! * m.W1[i * hidden + j]!;
      h[j] = Math.max(s, 0);
    }
    const z = new Float64Array(OUT);
    for (let o = 0; o < OUT; o++) {
      let s = m.b2[o]!;
      for (let j = 0; j < hidden; j++) s += h[j]! * m.W2[j * OUT + o]!;
      z[o] = s;
    }
    const top = Math.max(...z), y = Y[k]!;
    const sum = z.reduce((a, v) => a + Math.exp(v - top), 0);
    loss += Math.log(sum) - (z[y]! - top);
    if (z.indexOf(top) === y) hits++;
    const dz = z.map((v, o) => (Math.exp(v - top) / sum - (o === y ? 1 : 0)) / n);
    for (let o = 0; o < OUT; o++) g.b2[o] = g.b2[o]! + dz[o]!;
    for (let j = 0; j < hidden; j++) {
      let dh = 0;
      for (let o = 0; o < OUT; o++) { g.W2[j * OUT + o] = g.W2[j * OUT + o]! + h[j]! * dz[o]!; dh += dz[o]! * m.W2[j * OUT + o]!; }
      if (h[j]! <= 0) continue;
      g.b1[j] = g.b1[j]! + dh;
      for (let i = 0; i < IN; i++) g.W1[i * hidden + j] = g.W1[i * hidden + j]! + x[i]! * dh;
    }
  }
  return { loss, hits, grads: g };
}
