// gradstep/tfjs on @tensorflow/tfjs-backend-webgpu, checked in a real runtime (test/runtimes/webgpu.mjs bundles
// this file with tfjs and gradstep left to the page's import map or the installed packages): every step runs on
// the GPU with no download and no copy (the variables' own buffers are stepped in place); the weights follow
// tf.train's within 1e-5 relative over 20 steps; model.fit trains; tf.memory() does not grow over 200 steps. Returns { info, results: [{ name, pass, detail }], version }.
import * as tf from "@tensorflow/tfjs";
import { fromGradstep, init, train } from "gradstep/tfjs";
import * as g from "gradstep";

interface Check { name: string; pass: boolean; detail?: unknown }

const SHAPES = [[3, 5], [7], [2, 2, 3]];
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

export async function tfjsWebgpuCheck(runtime: string) {
  if (!(await tf.setBackend("webgpu"))) throw new Error("tfjs-backend-webgpu did not start");
  await init();
  const backend = tf.backend() as unknown as { adapterInfo?: { vendor?: string; architecture?: string }; readSync: (id: object) => unknown; read: (id: object) => unknown };
  const results: Check[] = [{ name: `tfjs backend ${tf.getBackend()}`, pass: tf.getBackend() === "webgpu" }];
  let seed = 1, serial = 0;
  const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);
  const consts = SHAPES.map((s) => [tf.keep(tf.tensor(Float32Array.from({ length: size(s) }, () => rand() * 3 - 1.5), s)), tf.keep(tf.tensor(Float32Array.from({ length: size(s) }, () => rand() - 0.5), s))] as const);
  const variables = () => { seed = 7; const tag = `v${serial++}`; return SHAPES.map((s, i) => tf.variable(tf.tensor(Float32Array.from({ length: size(s) }, () => rand() * 2 - 1), s), true, `${tag}/w${i}`)); };
  // A loss whose gradient is not linear in the weights (tanh), so that every optimizer's path depends on its state.
  const objective = (vars: tf.Variable[]) => {
    const f = tf.customGrad(((...args: unknown[]) => {
      const xs = args.slice(0, -1) as tf.Tensor[], save = args[args.length - 1] as (t: tf.Tensor[]) => void;
      save(xs);
      return {
        value: tf.addN(xs.map((x) => tf.sum(tf.mul(x, x)))),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => saved.map((x, k) => tf.mul(dy, tf.add(tf.sub(tf.tanh(tf.mul(x, consts[k]![0])), consts[k]![1]), tf.mul(x, 0.1)))),
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return () => f(...vars) as tf.Scalar;
  };
  const FACTORIES: Array<[string, () => tf.Optimizer, () => tf.Optimizer]> = [
    ["sgd(0.1)", () => tf.train.sgd(0.1), () => train.sgd(0.1)],
    ["momentum(0.05, 0.9, nesterov)", () => tf.train.momentum(0.05, 0.9, true), () => train.momentum(0.05, 0.9, true)],
    ["adam(0.01)", () => tf.train.adam(0.01), () => train.adam(0.01)],
    ["adagrad(0.1)", () => tf.train.adagrad(0.1), () => train.adagrad(0.1)],
    ["rmsprop(0.01, 0.9, 0.5)", () => tf.train.rmsprop(0.01, 0.9, 0.5), () => train.rmsprop(0.01, 0.9, 0.5)],
    ["adamax(0.01)", () => tf.train.adamax(0.01), () => train.adamax(0.01)],
  ];
  // Downloads during gradstep's steps: tfjs reads a tensor back only through these two.
  let downloads = 0;
  const { readSync, read } = backend;
  backend.readSync = (id) => { downloads++; return readSync.call(backend, id); };
  backend.read = (id) => { downloads++; return read.call(backend, id); };
  // Buffer copies recorded by anyone (gradstep or tfjs) while gradstep's applyGradients runs.
  const encoder = (globalThis as { GPUCommandEncoder?: { prototype: { copyBufferToBuffer: (...a: unknown[]) => void } } }).GPUCommandEncoder?.prototype;
  if (!encoder) throw new Error("no GPUCommandEncoder global to count copies on");
  const copyBufferToBuffer = encoder.copyBufferToBuffer;
  let copies = 0, counting = false;
  encoder.copyBufferToBuffer = function (this: unknown, ...a: unknown[]) { if (counting) copies++; return copyBufferToBuffer.apply(this, a); };
  /** Counts the copies of `o`'s steps in `copies`, but for the first step's (tfjs's uploads), kept in `first`. */
  const countCopies = (o: tf.Optimizer) => {
    const apply = o.applyGradients.bind(o), seen = { steps: 0, first: 0 };
    o.applyGradients = (grads) => {
      const before = copies;
      counting = true;
      try { apply(grads); } finally { counting = false; }
      if (seen.steps++ === 0) { seen.first = copies - before; copies = before; }
    };
    return seen;
  };
  for (const [name, theirs, ours] of FACTORIES) {
    try {
      const a = variables(), b = variables(), t = theirs(), o = ours();
      const fa = objective(a), fb = objective(b);
      const seen = countCopies(o);
      copies = 0;
      let ourDownloads = 0;
      for (let s = 0; s < 20; s++) {
        t.minimize(fa, false, a);
        const before = downloads;
        o.minimize(fb, false, b);
        ourDownloads += downloads - before;
      }
      let worst = 0;
      for (let i = 0; i < a.length; i++) {
        const x = await a[i]!.data(), y = await b[i]!.data();
        for (let j = 0; j < x.length; j++) worst = Math.max(worst, Math.abs(x[j]! - y[j]!) / (1e-6 + Math.abs(x[j]!)));
      }
      results.push({ name: `train.${name} on webgpu: 20 steps within 1e-5 relative of tf.train's`, pass: worst <= 1e-5, detail: `largest relative difference ${worst.toExponential(2)}` });
      results.push({ name: `train.${name} on webgpu: no download in 20 steps`, pass: ourDownloads === 0, detail: `${ourDownloads} reads` });
      // The first step's copies are tfjs's uploads of what it still held on the CPU (the initial values).
      results.push({ name: `train.${name} on webgpu: no buffer copy in steps 2-20 (stepped in place)`, pass: copies === 0, detail: `${copies} copies in steps 2-20, ${seen.first} in step 1` });
      t.dispose(); o.dispose(); tf.dispose([...a, ...b]);
    } catch (e) {
      // An optimizer the core has no WGSL kernel for yet is refused with its clear error, which is right too.
      const refused = /is not supported on WebGPU yet/.test(String((e as Error).message));
      results.push({ name: `train.${name} on webgpu${refused ? ": refused clearly (no WGSL kernel yet)" : ""}`, pass: refused, detail: String(refused ? (e as Error).message : (e as Error).stack ?? e) });
    }
  }
  backend.readSync = readSync;
  backend.read = read;

  // model.fit with gradstep's Adam against tfjs's, same initial weights and data.
  try {
    const fit = async (optimizer: tf.Optimizer) => {
      seed = 3;
      const model = tf.sequential({ layers: [tf.layers.dense({ units: 16, activation: "relu", inputShape: [8], kernelInitializer: "glorotUniform" }), tf.layers.dense({ units: 1 })] });
      model.setWeights(model.getWeights().map((w) => tf.tensor(Float32Array.from({ length: w.size }, () => rand() - 0.5), w.shape)));
      model.compile({ optimizer, loss: "meanSquaredError" });
      const xs = tf.tensor(Float32Array.from({ length: 64 * 8 }, () => rand() * 2 - 1), [64, 8]);
      const ys = tf.tidy(() => tf.sum(tf.mul(xs, tf.tensor([1, -2, 3, -1, 0.5, 2, -3, 1])), 1, true));
      const h = await model.fit(xs, ys, { epochs: 30, batchSize: 16, shuffle: false, verbose: 0 });
      const loss = h.history.loss as number[];
      const weights = await Promise.all(model.getWeights().map((w) => w.data()));
      tf.dispose([xs, ys]);
      model.dispose();
      return { loss, weights };
    };
    const mine = train.adam(0.01), seen = countCopies(mine);
    copies = 0;
    const theirs = await fit(tf.train.adam(0.01)), ours = await fit(mine);
    results.push({ name: "model.fit with train.adam on webgpu: no buffer copy in gradstep's steps 2-120", pass: copies === 0, detail: `${copies} copies in steps 2-120, ${seen.first} in step 1` });
    let worst = 0;
    theirs.weights.forEach((w, i) => w.forEach((x, j) => { worst = Math.max(worst, Math.abs(x - ours.weights[i]![j]!) / (1e-4 + Math.abs(x))); }));
    results.push({ name: "model.fit with train.adam on webgpu: the loss falls to a tenth", pass: ours.loss.at(-1)! < ours.loss[0]! / 10, detail: `${ours.loss[0]!.toFixed(3)} -> ${ours.loss.at(-1)!.toFixed(4)}` });
    results.push({ name: "model.fit with train.adam on webgpu: weights within 1e-3 relative of tf.train.adam's after 120 steps", pass: worst <= 1e-3, detail: `largest relative difference ${worst.toExponential(2)}` });
  } catch (e) {
    results.push({ name: "model.fit with train.adam on webgpu", pass: false, detail: String((e as Error).stack ?? e) });
  }

  encoder.copyBufferToBuffer = copyBufferToBuffer;

  // Small variables read between steps: tfjs computes small ops on the CPU from tensors it still holds there
  // (uploading them through its own encoder) and keeps a CPU copy of what was read; both must see each step.
  try {
    const run = async (o: tf.Optimizer) => {
      const v = tf.variable(tf.tensor([1, -2, 3, 0.5]), true, `small${serial++}`), seen: number[][] = [];
      let clone: tf.Tensor | undefined;
      for (let s = 0; s < 4; s++) {
        o.minimize(() => tf.sum(tf.mul(v, v)), false, [v]);
        seen.push(Array.from(await v.data()));
        if (s === 1) clone = tf.clone(v); // shares v's buffer: the next steps must leave it as it is
      }
      seen.push(Array.from(await clone!.data()));
      o.dispose(); v.dispose(); clone!.dispose();
      return JSON.stringify(seen);
    };
    const theirs = await run(tf.train.sgd(0.1)), ours = await run(train.sgd(0.1));
    results.push({ name: "train.sgd on webgpu: a 4-float variable read after every step follows tf.train.sgd exactly, and a clone of it keeps its value", pass: theirs === ours, detail: ours });
  } catch (e) {
    results.push({ name: "train.sgd on webgpu: a small variable read after every step", pass: false, detail: String((e as Error).stack ?? e) });
  }

  // A step over other variables than the first step's is refused, with nothing changed (values and state).
  try {
    const a = variables(), o = train.adam(0.01), f = objective(a);
    for (let s = 0; s < 3; s++) o.minimize(f, false, a);
    const snapshot = async () => [...await Promise.all(a.map((v) => v.data())), ...await Promise.all((await o.getWeights()).map((w) => w.tensor.data()))].map((x) => Array.from(x));
    const before = await snapshot();
    let message = "";
    try { o.minimize(f, false, a.slice(1)); } catch (e) { message = (e as Error).message; }
    const after = await snapshot();
    const want = "Adam: on webgpu every step steps the same variables (the first step's 3); this one steps 2";
    results.push({ name: "train.adam on webgpu: a step over another set of variables is refused, values and state unchanged", pass: message === want && JSON.stringify(before) === JSON.stringify(after), detail: message });
    o.dispose(); tf.dispose(a);
  } catch (e) {
    results.push({ name: "train.adam on webgpu: a step over another set of variables is refused", pass: false, detail: String((e as Error).stack ?? e) });
  }

  // No tensor leak over 200 steps (with a save/load of the optimizer's weights every 50).
  try {
    const a = variables(), o = fromGradstep(g.AdamW, { lr: 0.01, weightDecay: 0.1 }), f = objective(a);
    for (let s = 0; s < 10; s++) o.minimize(f, false, a);
    await o.getWeights();
    const at10 = tf.memory();
    for (let s = 10; s < 200; s++) { o.minimize(f, false, a); if (s % 50 === 0) await o.setWeights(await o.getWeights()); }
    await o.getWeights();
    const at200 = tf.memory();
    results.push({ name: "fromGradstep(AdamW) on webgpu: tf.memory() after 200 steps (save/load every 50) equals after 10", pass: at10.numTensors === at200.numTensors && at10.numBytes === at200.numBytes, detail: `${at10.numTensors} / ${at200.numTensors} tensors` });
    o.dispose();
  } catch (e) {
    results.push({ name: "fromGradstep(AdamW) on webgpu: no leak over 200 steps", pass: false, detail: String((e as Error).stack ?? e) });
  }
  const info = backend.adapterInfo;
  return { info: { backend: "webgpu", loadedVia: `tfjs-backend-webgpu (${[info?.vendor, info?.architecture].filter(Boolean).join(" / ")})`, sharedMemory: false }, results, version: `${runtime}, tfjs ${tf.version.tfjs}` };
}
