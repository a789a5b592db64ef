// `npm run bench:tfjs`: gradstep/tfjs against tf.train inside TensorFlow.js, in one interleaved run. For each
// round, tfjs backend (cpu, wasm) and model ((a) an MLP 784-512-256-10, (b) 64 dense layers of width 32), the
// contenders tf.train.adam, gradstep's train.adam and fromGradstep(AdamW) run in rotating order:
//   - step: one optimizer.applyGradients(grads) on fixed gradients (the optimizer alone), median of STEPS calls;
//     for gradstep also the kernel alone (its gradstep optimizers' step(), no tfjs in the loop), so that
//     step − kernel is what moving values between tfjs's arrays and gradstep's memory costs;
//   - epoch: a model.fit epoch (forward, backward and optimizer) on 1,024 synthetic samples (8 batches of 128
//     for the MLP, 32 of 32 for the deep model), one model per contender, the median of BENCH_EPOCHS epochs
//     run interleaved across the contenders.
// Medians over rounds and the ratios tf.train / gradstep go to stdout (markdown) and bench/results/tfjs.json.
// Env: BENCH_ROUNDS (3), BENCH_STEPS (7 timed steps per cell), BENCH_EPOCHS (3 interleaved epochs per cell and
// round), BENCH_BACKENDS ("cpu,wasm"), BENCH_MODELS ("mlp,deep").
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { performance } from "node:perf_hooks";
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { fromGradstep, GradstepTfjsOptimizer, init, train } from "../src/adapters/tfjs/index.js";
import { AdamW } from "../src/index.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const STEPS = Number(process.env.BENCH_STEPS ?? 7);
const EPOCHS = Number(process.env.BENCH_EPOCHS ?? 3);
const BACKENDS = (process.env.BENCH_BACKENDS ?? "cpu,wasm").split(",") as ("cpu" | "wasm")[];
const MODEL_IDS = (process.env.BENCH_MODELS ?? "mlp,deep").split(",");
const LR = 1e-3;

interface ModelCase {
  readonly id: string;
  readonly build: () => tf.Sequential;
  readonly data: () => { xs: tf.Tensor; ys: tf.Tensor };
  readonly loss: string;
  readonly batchSize: number;
}

/** Seeded uniform values in [-scale, scale). */
function seeded(n: number, seed: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    a[i] = (x / 4294967296 * 2 - 1) * scale;
  }
  return a;
}

const ALL_MODELS: (ModelCase & { key: string })[] = [
  {
    key: "mlp",
    id: "MLP 784-512-256-10",
    build: () => tf.sequential({ layers: [
      tf.layers.dense({ units: 512, activation: "relu", inputShape: [784] }),
      tf.layers.dense({ units: 256, activation: "relu" }),
      tf.layers.dense({ units: 10, activation: "softmax" }),
    ] }),
    data: () => {
      const n = 1024;
      const labels = Array.from({ length: n }, (_, i) => (i * 7) % 10);
      return { xs: tf.tensor2d(seeded(n * 784, 1, 0.5), [n, 784]), ys: tf.oneHot(tf.tensor1d(labels, "int32"), 10).toFloat() };
    },
    loss: "categoricalCrossentropy",
    batchSize: 128,
  },
  {
    key: "deep",
    id: "64 dense layers of width 32",
    build: () => tf.sequential({ layers: Array.from({ length: 64 }, (_, i) =>
      tf.layers.dense({ units: 32, activation: i < 63 ? "tanh" : "linear", ...(i === 0 ? { inputShape: [32] } : {}) })) }),
    data: () => {
      const n = 1024;
      return { xs: tf.tensor2d(seeded(n * 32, 2), [n, 32]), ys: tf.tensor2d(seeded(n * 32, 3, 0.5), [n, 32]) };
    },
    loss: "meanSquaredError",
    batchSize: 32,
  },
];

const MODELS = ALL_MODELS.filter((m) => MODEL_IDS.includes(m.key));

const CONTENDERS: [string, () => tf.Optimizer][] = [
  ["tf.train.adam", () => tf.train.adam(LR)],
  ["train.adam", () => train.adam(LR)],
  ["fromGradstep(AdamW)", () => fromGradstep(AdamW, { lr: LR, weightDecay: 0.01 })],
];

type Sample = { backend: string; model: string; contender: string; round: number; stepMs: number; kernelMs?: number; epochMs: number };
const samples: Sample[] = [];

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };

function timeMs(fn: () => void, count: number): number {
  const t: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  return median(t);
}

async function useBackend(b: "cpu" | "wasm"): Promise<void> {
  if (!(await tf.setBackend(b))) throw new Error(`tfjs backend ${b} failed to start`);
  await tf.ready();
}

async function measure(backend: "cpu" | "wasm", mc: ModelCase, round: number): Promise<void> {
  const { xs, ys } = mc.data();
  const order = CONTENDERS.map((_, i) => CONTENDERS[(i + round) % CONTENDERS.length]!);
  const options = { epochs: 1, batchSize: mc.batchSize, shuffle: false, verbose: 0 } as const;
  const [wx, wy] = [xs.slice(0, mc.batchSize), ys.slice(0, mc.batchSize)];
  // One model per contender, compiled with a fresh optimizer and warmed up by a one-batch fit (fit's first call
  // builds its training function, the optimizer's first step its state).
  const fits: { name: string; model: tf.Sequential; opt: tf.Optimizer; epochs: number[] }[] = [];
  for (const [name, make] of order) {
    const model = mc.build(), opt = make();
    model.compile({ optimizer: opt, loss: mc.loss });
    await model.fit(wx, wy, options);
    fits.push({ name, model, opt, epochs: [] });
  }
  tf.dispose([wx, wy]);
  const results = new Map<string, { stepMs: number; kernelMs?: number }>();
  const model = mc.build();
  const weights = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const grads = Object.fromEntries(weights.map((w, i) => [w.name, tf.tensor(seeded(w.size, 10 + i, 1e-2), w.shape)]));
  for (const [name, make] of order) {
    // The optimizer alone: fixed gradients on the model's variables (two warm-up steps create the state).
    const opt = make();
    for (let i = 0; i < 2; i++) opt.applyGradients(grads);
    const stepMs = timeMs(() => opt.applyGradients(grads), STEPS);
    let kernelMs: number | undefined;
    if (opt instanceof GradstepTfjsOptimizer) {
      const inner = opt.gradstepOptimizers;
      kernelMs = timeMs(() => { for (const o of inner) o.step(); }, STEPS);
    }
    opt.dispose();
    results.set(name, { stepMs, kernelMs });
  }
  tf.dispose(Object.values(grads));
  model.dispose();
  // EPOCHS epochs per contender, interleaved (A B C A B C ...): the median per contender is this round's sample.
  for (let e = 0; e < EPOCHS; e++) {
    for (const f of fits) {
      const t0 = performance.now();
      await f.model.fit(xs, ys, options);
      f.epochs.push(performance.now() - t0);
    }
  }
  for (const f of fits) {
    const { stepMs, kernelMs } = results.get(f.name)!;
    const epochMs = median(f.epochs);
    samples.push({ backend, model: mc.id, contender: f.name, round, stepMs, kernelMs, epochMs });
    console.error(`round ${round} ${backend} ${mc.id} ${f.name}: step ${stepMs.toFixed(2)} ms${kernelMs === undefined ? "" : ` (kernel ${kernelMs.toFixed(2)} ms)`}, epoch ${epochMs.toFixed(0)} ms (${f.epochs.map((x) => x.toFixed(0)).join(", ")})`);
    f.model.dispose();
    f.opt.dispose();
  }
  tf.dispose([xs, ys]);
}

setWasmPaths(new URL("../node_modules/@tensorflow/tfjs-backend-wasm/dist/", import.meta.url).pathname);
tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
await init();
const started = new Date().toISOString();
const load = loadavg()[0]!;
for (let round = 0; round < ROUNDS; round++) {
  const backends = BACKENDS.map((_, i) => BACKENDS[(i + round) % BACKENDS.length]!);
  for (const backend of backends) {
    await useBackend(backend);
    const models = MODELS.map((_, i) => MODELS[(i + round) % MODELS.length]!);
    for (const mc of models) await measure(backend, mc, round);
  }
}

// ---- report ---------------------------------------------------------------------------------------------------
const rows: Record<string, unknown>[] = [];
const lines = [
  `tfjs ${tf.version.tfjs}, backends ${BACKENDS.join(", ")}, models ${MODELS.map((m) => m.key).join(", ")} (wasm: single-threaded SIMD); Node ${process.version}; ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB; load average ${load.toFixed(1)} at start; ${ROUNDS} rounds, ${STEPS} timed steps and ${EPOCHS} interleaved epochs per cell and round; ${started}`,
  "",
  "| backend | model | contender | step ms | kernel ms | copies ms | step ratio (tf.train / this) | epoch ms | epoch ratio | epoch ratio, rounds min–max |",
  "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
];
const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
for (const backend of BACKENDS) {
  for (const mc of MODELS) {
    const cell = (c: string) => samples.filter((s) => s.backend === backend && s.model === mc.id && s.contender === c);
    const base = cell("tf.train.adam");
    const baseStep = median(base.map((s) => s.stepMs)), baseEpoch = median(base.map((s) => s.epochMs));
    for (const [c] of CONTENDERS) {
      const ss = cell(c);
      const step = median(ss.map((s) => s.stepMs)), epoch = median(ss.map((s) => s.epochMs));
      const k = ss.every((s) => s.kernelMs !== undefined) ? median(ss.map((s) => s.kernelMs!)) : undefined;
      // Ratios per round (the same round's tf.train sample), then their median.
      const stepRatio = median(ss.map((s) => base.find((b) => b.round === s.round)!.stepMs / s.stepMs));
      const epochRatios = ss.map((s) => base.find((b) => b.round === s.round)!.epochMs / s.epochMs);
      const epochRatio = median(epochRatios);
      rows.push({ backend, model: mc.id, contender: c, stepMs: step, kernelMs: k, copiesMs: k === undefined ? undefined : step - k, stepRatio, epochMs: epoch, epochRatio, epochRatios, baseStep, baseEpoch });
      lines.push(`| ${backend} | ${mc.id} | ${c} | ${fmt(step)} | ${k === undefined ? "" : fmt(k)} | ${k === undefined ? "" : fmt(step - k)} | ${c === "tf.train.adam" ? "1" : stepRatio.toFixed(1)}× | ${fmt(epoch)} | ${c === "tf.train.adam" ? "1" : epochRatio.toFixed(2)}× | ${c === "tf.train.adam" ? "" : `${Math.min(...epochRatios).toFixed(2)}–${Math.max(...epochRatios).toFixed(2)}×`} |`);
    }
  }
}
console.log(lines.join("\n"));
mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
writeFileSync(new URL("./results/tfjs.json", import.meta.url), `${JSON.stringify({ date: started, loadAverage: load, cores: cpus().length, node: process.version, tfjs: tf.version.tfjs, rounds: ROUNDS, steps: STEPS, epochs: EPOCHS, rows, samples }, null, 1)}\n`);
writeFileSync(new URL("./results/tfjs.md", import.meta.url), `${lines.join("\n")}\n`);
