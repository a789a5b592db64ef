// Shared by federated-tfjs.test.ts and its out-of-process client (federated-client.ts): what the server ships
// (model.save's artifacts with includeOptimizer, as disco's TFJS model serializes itself: topology, training
// config with the optimizer's class and config, weights and optimizer state), how a client loads it, and one
// client round (local epochs on its shard of the data).
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { data } from "../adapters/tfjs-model.js";

/** Client k's examples: rows [START[k], START[k + 1]) of tfjs-model's data (different sizes, so weighting matters). */
export const SHARDS = [[0, 48], [48, 80], [80, 96]] as const;

/** model.save's artifacts, split as they travel: JSON (topology, training config, weight specs) and the weight bytes. */
export async function ship(m: tfl.LayersModel): Promise<{ json: string; bytes: Uint8Array }> {
  let artifacts!: tf.io.ModelArtifacts;
  await m.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
  }), { includeOptimizer: true });
  const { weightData, ...rest } = artifacts;
  return { json: JSON.stringify(rest), bytes: new Uint8Array(weightData as ArrayBuffer).slice() };
}

/** tf.loadLayersModel of shipped artifacts: the compiled model, its optimizer built through tf.serialization. */
export function loadShipped(json: tf.io.ModelArtifacts, bytes: Uint8Array): Promise<tfl.LayersModel> {
  return tfl.loadLayersModel(tf.io.fromMemory({ ...json, weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer }));
}

/** Two local epochs on shard k (batches of 8, not shuffled); the client's weights afterwards. */
export async function trainRound(m: tfl.LayersModel, k: number): Promise<Float32Array[]> {
  const { xs, ys } = data();
  const [from, to] = SHARDS[k]!;
  const x = tf.slice(xs, [from, 0], [to - from, -1]), y = tf.slice(ys, [from, 0], [to - from, -1]);
  await m.fit(x, y, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 });
  tf.dispose([xs, ys, x, y]);
  return m.getWeights().map((w) => Float32Array.from(w.dataSync() as Float32Array));
}
