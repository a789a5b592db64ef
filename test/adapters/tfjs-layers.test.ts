// gradstep/tfjs inside tfjs-layers' training loop: model.compile({ optimizer: train.adam(...) }) + model.fit
// gives the same losses and weights as tf.train.adam, epoch by epoch, on tfjs-backend-cpu and tfjs-backend-wasm
// (gradients registered as the @tensorflow/tfjs bundle does).
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-core/dist/register_all_gradients.js";
import "@tensorflow/tfjs-backend-cpu";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import * as tfl from "@tensorflow/tfjs-layers";
import { beforeAll, describe, expect, it } from "vitest";
import { fromGradstep, train } from "../../src/adapters/tfjs/index.js";
import { AdamW } from "../../src/api.js";
import { data, model } from "./tfjs-model.js";

beforeAll(() => {
  setWasmPaths(new URL("../../node_modules/@tensorflow/tfjs-backend-wasm/dist/", import.meta.url).pathname);
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
});

async function fit(optimizer: tf.Optimizer, epochs = 4) {
  const { xs, ys } = data();
  const m = model(7);
  m.compile({ optimizer, loss: "meanSquaredError" });
  const h = await m.fit(xs, ys, { epochs, batchSize: 16, shuffle: false, verbose: 0 });
  const weights = m.getWeights().map((w) => w.dataSync().slice());
  tf.dispose([xs, ys]);
  return { losses: h.history.loss as number[], weights, m };
}

describe.each(["cpu", "wasm"])("tfjs-backend-%s", (backend) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
  });

  it.each([
    ["adam", () => tf.train.adam(0.01), () => train.adam(0.01)],
    ["rmsprop", () => tf.train.rmsprop(0.005, 0.9, 0.5), () => train.rmsprop(0.005, 0.9, 0.5)],
    ["sgd", () => tf.train.sgd(0.05), () => train.sgd(0.05)],
    ["adagrad", () => tf.train.adagrad(0.05), () => train.adagrad(0.05)],
    ["adadelta", () => tf.train.adadelta(1, 0.9), () => train.adadelta(1, 0.9)],
  ] as const)("model.fit with train.%s: the losses and weights tf.train gives", async (_name, theirs, ours) => {
    expect(tf.getBackend()).toBe(backend);
    const a = await fit(theirs()), b = await fit(ours());
    expect(b.losses.length).toBe(4);
    b.losses.forEach((l, i) => expect(Math.abs(l - a.losses[i]!)).toBeLessThanOrEqual(1e-5 * Math.abs(a.losses[i]!)));
    b.weights.forEach((w, i) => w.forEach((x, j) => expect(Math.abs(x - a.weights[i]![j]!)).toBeLessThanOrEqual(1e-5 * Math.abs(a.weights[i]![j]!) + 1e-7)));
    expect(b.losses[3]!).toBeLessThan(b.losses[0]!); // it trains
    a.m.dispose(); b.m.dispose();
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
