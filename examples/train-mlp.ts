// `npm run example:spiral`: trains a small MLP (2 → 64 → 64 → 3, tanh) on a synthetic 3-arm spiral with gradstep's Adam.
// The forward and backward passes are hand-written in TypeScript and read and write the ParamStore's
// Float32Array views directly (zero-copy). Afterwards it times the optimizer step alone on each backend.
import { Adam, backendInfo, init, type Param, ParamStore } from "gradstep";

await init();
console.log("gradstep backend:", backendInfo());

// ---- data: 3 spiral arms, 200 points each --------------------------------------------------------------
const CLASSES = 3, PER_CLASS = 200, N = CLASSES * PER_CLASS;
const X = new Float32Array(N * 2), Y = new Int32Array(N);
let seed = 42;
const rand = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 4294967296);
for (let c = 0; c < CLASSES; c++) {
  for (let i = 0; i < PER_CLASS; i++) {
    const r = i / PER_CLASS, t = c * 4 + 4 * r + (rand() - 0.5) * 0.4;
    const k = c * PER_CLASS + i;
    X[2 * k] = r * Math.sin(t);
    X[2 * k + 1] = r * Math.cos(t);
    Y[k] = c;
  }
}

// ---- model --------------------------------------------------------------------------------------------
const H = 64;
const store = new ParamStore();
const glorot = (fanIn: number, fanOut: number) => {
  const a = Math.sqrt(6 / (fanIn + fanOut));
  return Float32Array.from({ length: fanIn * fanOut }, () => (rand() * 2 - 1) * a);
};
const W1 = store.param("W1", glorot(2, H)), b1 = store.param("b1", H);
const W2 = store.param("W2", glorot(H, H)), b2 = store.param("b2", H);
const W3 = store.param("W3", glorot(H, CLASSES)), b3 = store.param("b3", CLASSES);

// Dense layer y = x·W + b over a batch (row-major W: [in][out]) and its backward pass.
function dense(x: Float32Array, inDim: number, W: Param, b: Param, outDim: number, y: Float32Array): void {
  const w = W.value, bias = b.value;
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < outDim; o++) {
      let s = bias[o]!;
      for (let i = 0; i < inDim; i++) s += x[n * inDim + i]! * w[i * outDim + o]!;
      y[n * outDim + o] = s;
    }
  }
}
function denseBackward(x: Float32Array, inDim: number, W: Param, b: Param, outDim: number, dy: Float32Array, dx?: Float32Array): void {
  const w = W.value, gw = W.grad, gb = b.grad;
  if (dx) dx.fill(0);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < outDim; o++) {
      const d = dy[n * outDim + o]!;
      gb[o] = gb[o]! + d;
      for (let i = 0; i < inDim; i++) {
        gw[i * outDim + o] = gw[i * outDim + o]! + x[n * inDim + i]! * d;
        if (dx) dx[n * inDim + i] = dx[n * inDim + i]! + w[i * outDim + o]! * d;
      }
    }
  }
}

const h1 = new Float32Array(N * H), h2 = new Float32Array(N * H), logits = new Float32Array(N * CLASSES);
const d2 = new Float32Array(N * H), d1 = new Float32Array(N * H), dlogits = new Float32Array(N * CLASSES);

/** Forward + backward over the whole batch; returns [mean cross-entropy, accuracy]. */
function lossAndGrad(): [number, number] {
  dense(X, 2, W1, b1, H, h1);
  for (let i = 0; i < h1.length; i++) h1[i] = Math.tanh(h1[i]!);
  dense(h1, H, W2, b2, H, h2);
  for (let i = 0; i < h2.length; i++) h2[i] = Math.tanh(h2[i]!);
  dense(h2, H, W3, b3, CLASSES, logits);
  let loss = 0, correct = 0;
  for (let n = 0; n < N; n++) {
    const row = logits.subarray(n * CLASSES, (n + 1) * CLASSES);
    const max = Math.max(...row);
    let z = 0;
    for (let c = 0; c < CLASSES; c++) z += Math.exp(row[c]! - max);
    let best = 0;
    for (let c = 0; c < CLASSES; c++) {
      const p = Math.exp(row[c]! - max) / z;
      dlogits[n * CLASSES + c] = (p - (c === Y[n] ? 1 : 0)) / N;
      if (row[c]! > row[best]!) best = c;
    }
    loss -= Math.log(Math.exp(row[Y[n]!]! - max) / z) / N;
    if (best === Y[n]) correct++;
  }
  denseBackward(h2, H, W3, b3, CLASSES, dlogits, d2);
  for (let i = 0; i < d2.length; i++) d2[i] = d2[i]! * (1 - h2[i]! * h2[i]!);
  denseBackward(h1, H, W2, b2, H, d2, d1);
  for (let i = 0; i < d1.length; i++) d1[i] = d1[i]! * (1 - h1[i]! * h1[i]!);
  denseBackward(X, 2, W1, b1, H, d1);
  return [loss, correct / N];
}

// ---- training -----------------------------------------------------------------------------------------
const opt = new Adam(store.params, { lr: 0.01 });
const params = store.params.reduce((s, p) => s + p.length, 0);
console.log(`\ntraining a ${params}-parameter MLP on ${N} spiral points (full batch, Adam lr 0.01)`);
const EPOCHS = 400;
let first = 0, last = 0;
for (let epoch = 0; epoch <= EPOCHS; epoch++) {
  opt.zeroGrad();
  const [loss, acc] = lossAndGrad();
  if (epoch === 0) first = loss;
  last = loss;
  if (epoch % 50 === 0) console.log(`epoch ${String(epoch).padStart(3)}  loss ${loss.toFixed(4)}  accuracy ${(acc * 100).toFixed(1)}%`);
  if (epoch < EPOCHS) opt.step();
}
console.log(`loss ${first.toFixed(4)} → ${last.toFixed(4)}`);
if (!(last < first / 4)) throw new Error("training did not reduce the loss");

// ---- optimizer step time by backend (same model, same params) -----------------------------------------
function timeSteps(backend: "simd" | "scalar" | "js"): number {
  const o = new Adam(store.params, { lr: 0, backend }); // lr 0: timing must not move the trained weights
  for (let i = 0; i < 200; i++) o.step();
  const reps = 2000, t0 = performance.now();
  for (let i = 0; i < reps; i++) o.step();
  return ((performance.now() - t0) / reps) * 1000;
}
console.log(`\nAdam step on ${params} params (median of 5 runs of 2000 steps):`);
const results: Record<string, number> = {};
for (const backend of ["simd", "scalar", "js"] as const) {
  const runs = Array.from({ length: 5 }, () => timeSteps(backend)).sort((a, b) => a - b);
  results[backend] = runs[2]!;
}
for (const [backend, us] of Object.entries(results)) {
  console.log(`  ${backend.padEnd(6)} ${us.toFixed(2).padStart(8)} µs/step  (${(results.js! / us).toFixed(1)}× the js reference)`);
}
store.dispose();
