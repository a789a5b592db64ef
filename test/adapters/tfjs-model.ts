// Shared by the tfjs-layers tests (tfjs-layers.test.ts, tfjs-registry.test.ts) and the process that loads saved
// models afresh (tfjs-load-child.ts): seeded data and models, training, saving a model with its optimizer to a
// folder and loading it back (model.json + weights.bin through tfjs's in-memory IO handlers: tfjs-node's
// file:// handler is not a dependency).
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { rng } from "../helpers.js";

export function data() {
  const rand = rng(42);
  const n = 96;
  const x = Float32Array.from({ length: n * 8 }, () => rand() * 2 - 1);
  const y = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) for (let k = 0; k < 3; k++) y[3 * i + k] = Math.sin(x[8 * i + k]! * 2) + 0.5 * x[8 * i + k + 3]!;
  return { xs: tf.tensor2d(x, [n, 8]), ys: tf.tensor2d(y, [n, 3]) };
}

/** Two dense layers with seeded weights; `useBias: false` for optimizers of matrices only (Muon). */
export function model(seed: number, useBias = true): tfl.Sequential {
  const m = tfl.sequential({ layers: [tfl.layers.dense({ units: 16, activation: "tanh", inputShape: [8], useBias }), tfl.layers.dense({ units: 3, useBias })] });
  const rand = rng(seed);
  m.setWeights(m.getWeights().map((w) => tf.tensor(Float32Array.from({ length: w.size }, () => rand() - 0.5), w.shape)));
  return m;
}

/** `epochs` more epochs of model.fit on data() (batches of 16, not shuffled); the losses. */
export async function fit(m: tfl.LayersModel, epochs: number): Promise<number[]> {
  const { xs, ys } = data();
  const h = await m.fit(xs, ys, { epochs, batchSize: 16, shuffle: false, verbose: 0 });
  tf.dispose([xs, ys]);
  return h.history.loss as number[];
}

/** The f32 bits of every weight of the model (NaN canonical). */
export function weightBits(m: tfl.LayersModel): number[] {
  return m.getWeights().flatMap((w) => {
    const x = w.dataSync() as Float32Array;
    return [...new Uint32Array(x.buffer, x.byteOffset, x.length)].map((u, i) => (Number.isNaN(x[i]) ? 0x7fc00000 : u));
  });
}

/** model.save with includeOptimizer into `<dir>/<name>.json` + `<name>.bin`. */
export async function save(m: tfl.LayersModel, dir: string, name: string): Promise<void> {
  await m.save(tf.io.withSaveHandler(async (a) => {
    const { weightData, ...json } = a;
    writeFileSync(join(dir, `${name}.json`), JSON.stringify(json));
    writeFileSync(join(dir, `${name}.bin`), new Uint8Array(weightData as ArrayBuffer));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
  }), { includeOptimizer: true });
}

/** tf.loadLayersModel of what save() wrote: the model, compiled with its optimizer, whose state it sets. */
export async function load(dir: string, name: string): Promise<tfl.LayersModel> {
  const json = JSON.parse(readFileSync(join(dir, `${name}.json`), "utf8")) as tf.io.ModelArtifacts;
  const bin = readFileSync(join(dir, `${name}.bin`));
  return tfl.loadLayersModel(tf.io.fromMemory({ ...json, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) }));
}
