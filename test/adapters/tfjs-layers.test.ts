// gradstep/tfjs inside tfjs-layers' training loop: model.compile({ optimizer: train.adam(...) }) + model.fit
// gives the same losses and weights as tf.train.adam, epoch by epoch, on tfjs-backend-cpu and tfjs-backend-wasm
// (gradients registered as the @tensorflow/tfjs bundle does).
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-core/dist/register_all_gradients.js";
import "@tensorflow/tfjs-backend-cpu";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import * as tfl from "@tensorflow/tfjs-layers";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromGradstep, GradstepTfjsOptimizer, train } from "../../src/adapters/tfjs/index.js";
import { AdamW } from "../../src/api.js";
import { data, fit, load, model, save, weightBits } from "./tfjs-model.js";

beforeAll(() => {
  setWasmPaths(new URL("../../node_modules/@tensorflow/tfjs-backend-wasm/dist/", import.meta.url).pathname);
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
});

async function trained(optimizer: tf.Optimizer, epochs = 4) {
  const m = model(7);
  m.compile({ optimizer, loss: "meanSquaredError" });
  const losses = await fit(m, epochs);
  return { losses, weights: m.getWeights().map((w) => w.dataSync().slice()), m };
}

const PAIRS = [
  ["adam", () => tf.train.adam(0.01), () => train.adam(0.01)],
  ["rmsprop", () => tf.train.rmsprop(0.005, 0.9, 0.5), () => train.rmsprop(0.005, 0.9, 0.5)],
  ["sgd", () => tf.train.sgd(0.05), () => train.sgd(0.05)],
  ["adagrad", () => tf.train.adagrad(0.05), () => train.adagrad(0.05)],
  ["adadelta", () => tf.train.adadelta(1, 0.9), () => train.adadelta(1, 0.9)],
] as const;

const dir = mkdtempSync(join(tmpdir(), "gradstep-tfjs-layers-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(["cpu", "wasm"])("tfjs-backend-%s", (backend) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
  });

  it.each(PAIRS)("model.fit with train.%s: the losses and weights tf.train gives", async (_name, theirs, ours) => {
    expect(tf.getBackend()).toBe(backend);
    const a = await trained(theirs()), b = await trained(ours());
    expect(b.losses.length).toBe(4);
    b.losses.forEach((l, i) => expect(Math.abs(l - a.losses[i]!)).toBeLessThanOrEqual(1e-5 * Math.abs(a.losses[i]!)));
    b.weights.forEach((w, i) => w.forEach((x, j) => expect(Math.abs(x - a.weights[i]![j]!)).toBeLessThanOrEqual(1e-5 * Math.abs(a.weights[i]![j]!) + 1e-7)));
    expect(b.losses[3]!).toBeLessThan(b.losses[0]!); // it trains
    a.m.dispose(); b.m.dispose();
  });

  it.each(PAIRS)("train.%s: saved with includeOptimizer, loaded by tf.loadLayersModel while the original lives (variables renamed): one more epoch is the uninterrupted run", async (name, _theirs, ours) => {
    // tfjs keeps optimizer state by the variable's place in the step, not its name: the loaded model's
    // variables are named apart (`..._1`) and must still get the saved state, as tf.train's optimizers do.
    const a = model(5);
    a.compile({ optimizer: ours(), loss: "meanSquaredError" });
    await fit(a, 2);
    await save(a, dir, `${backend}-${name}`);
    const b = await load(dir, `${backend}-${name}`);
    expect(b.optimizer).toBeInstanceOf(GradstepTfjsOptimizer);
    expect(b.trainableWeights[0]!.name).not.toBe(a.trainableWeights[0]!.name);
    await fit(a, 1);
    await fit(b, 1);
    expect(weightBits(b)).toEqual(weightBits(a));
    a.dispose(); b.dispose();
  });

  it("model.fit with fromGradstep(AdamW): trains, and leaks no tensors across epochs", async () => {
    const opt = fromGradstep(AdamW, { lr: 0.01, weightDecay: 0.01, maxGradNorm: 1 });
    const { xs, ys } = data();
    const m = model(3);
    m.compile({ optimizer: opt, loss: "meanSquaredError" });
    await m.fit(xs, ys, { epochs: 1, batchSize: 16, shuffle: false, verbose: 0 });
    const after1 = tf.memory().numTensors;
    const h = await m.fit(xs, ys, { epochs: 5, batchSize: 16, shuffle: false, verbose: 0 });
    expect(tf.memory().numTensors).toBe(after1);
    const losses = h.history.loss as number[];
    expect(losses[4]!).toBeLessThan(losses[0]!);
    tf.dispose([xs, ys]);
    m.dispose();
  });
});
