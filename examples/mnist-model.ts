// The MNIST examples' model: an MLP 784 → hidden → 10 (ReLU, softmax cross-entropy), its initialization, and its
// forward and backward passes, hand-written in TypeScript over the ParamStore's Float32Array views (zero-copy).
// Shared by examples/train-mnist.ts (one process) and examples/distributed-mnist.ts (worker threads).
import type { Param, ParamStore } from "gradstep";
import { IN, type Mnist } from "./mnist-data.js";

export const OUT = 10;

/** The examples' generator (a 32-bit LCG): uniform in [0, 1) from `seed`. */
export function lcg(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 4294967296);
}

/** Shuffles `order` in place with lcg(seed) (each epoch its own seed). */
export function shuffle(order: number[], seed: number): void {
  const rand = lcg(seed);
  for (let i = order.length - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [order[i], order[j]] = [order[j]!, order[i]!]; }
}

export interface Model { W1: Param; b1: Param; W2: Param; b2: Param }

/** The MLP's float count (W1, b1, W2, b2). */
export function mlpFloats(hidden: number): number {
  return IN * hidden + hidden + hidden * OUT + OUT;
}

/** The MLP's params in `store`, He-uniform weights from the same seed every time (every run starts from the same weights). */
export function mlp(store: ParamStore, hidden: number): Model {
  const rand = lcg(7);
  const he = (fanIn: number, n: number) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * Math.sqrt(6 / fanIn));
  return {
    W1: store.param("W1", he(IN, IN * hidden), { shape: [IN, hidden] }), b1: store.param("b1", hidden),
    W2: store.param("W2", he(hidden, hidden * OUT), { shape: [hidden, OUT] }), b2: store.param("b2", OUT),
  };
}

/**
 * The forward (and backward) pass over up to `batch` samples of `data`, with its own activation buffers:
 * `pass(m, idx, from, to, grad)` runs samples idx[from..to), returns the summed loss and the correct count, and
 * with `grad` adds the gradient of the batch's mean loss to the params' grads.
 */
export function mlpPass(data: Pick<Mnist, "X" | "Y">, hidden: number, batch: number) {
  const { X, Y } = data;
  const h = new Float32Array(batch * hidden), logits = new Float32Array(batch * OUT), dh = new Float32Array(batch * hidden);

  function backward(m: Model, idx: number[], from: number, n: number): void {
    const g1 = m.W1.grad, gc1 = m.b1.grad, w2 = m.W2.value, g2 = m.W2.grad, gc2 = m.b2.grad;
    for (let s = 0; s < n; s++) {
      const hs = h.subarray(s * hidden, (s + 1) * hidden), dl = logits.subarray(s * OUT, (s + 1) * OUT);
      const ds = dh.subarray(s * hidden, (s + 1) * hidden);
      for (let o = 0; o < OUT; o++) gc2[o] = gc2[o]! + dl[o]!;
      for (let j = 0; j < hidden; j++) {
        const hj = hs[j]!;
        let d = 0;
        for (let o = 0; o < OUT; o++) {
          g2[j * OUT + o] = g2[j * OUT + o]! + hj * dl[o]!;
          d += w2[j * OUT + o]! * dl[o]!;
        }
        ds[j] = hj > 0 ? d : 0;
        gc1[j] = gc1[j]! + ds[j]!;
      }
      const x = idx[from + s]! * IN;
      for (let i = 0; i < IN; i++) {
        const xi = X[x + i]!;
        if (xi === 0) continue;
        const row = i * hidden;
        for (let j = 0; j < hidden; j++) g1[row + j] = g1[row + j]! + xi * ds[j]!;
      }
    }
  }

  return function pass(m: Model, idx: number[], from: number, to: number, grad: boolean): { loss: number; correct: number } {
    const n = to - from, w1 = m.W1.value, c1 = m.b1.value, w2 = m.W2.value, c2 = m.b2.value;
    let loss = 0, correct = 0;
    for (let s = 0; s < n; s++) {
      const x = idx[from + s]! * IN, hs = h.subarray(s * hidden, (s + 1) * hidden);
      hs.set(c1);
      for (let i = 0; i < IN; i++) {
        const xi = X[x + i]!;
        if (xi === 0) continue; // most pixels are 0
        const row = i * hidden;
        for (let j = 0; j < hidden; j++) hs[j] = hs[j]! + xi * w1[row + j]!;
      }
      for (let j = 0; j < hidden; j++) if (hs[j]! < 0) hs[j] = 0;
      const ls = logits.subarray(s * OUT, (s + 1) * OUT);
      ls.set(c2);
      for (let j = 0; j < hidden; j++) {
        const hj = hs[j]!;
        if (hj === 0) continue;
        for (let o = 0; o < OUT; o++) ls[o] = ls[o]! + hj * w2[j * OUT + o]!;
      }
      let max = -Infinity, arg = 0;
      for (let o = 0; o < OUT; o++) if (ls[o]! > max) { max = ls[o]!; arg = o; }
      let sum = 0;
      for (let o = 0; o < OUT; o++) sum += Math.exp(ls[o]! - max);
      const y = Y[idx[from + s]!]!;
      loss += Math.log(sum) - (ls[y]! - max);
      if (arg === y) correct++;
      if (grad) for (let o = 0; o < OUT; o++) ls[o] = (Math.exp(ls[o]! - max) / sum - (o === y ? 1 : 0)) / n; // dL/dlogits
    }
    if (grad) backward(m, idx, from, n);
    return { loss, correct };
  };
}
