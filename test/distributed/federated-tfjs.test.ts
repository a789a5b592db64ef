// gradstep/tfjs optimizers inside a federated engine that ships the compiled model to its clients, as disco does:
// the server compiles a tfjs-layers model with a gradstep/tfjs optimizer and ships model.save's artifacts with
// the optimizer (includeOptimizer: the training config names the optimizer's class and config); each client
// builds it with tf.loadLayersModel, which constructs the optimizer through tf.serialization's registry, trains
// its shard and sends its weights back; the server aggregates them with FedAvg or FedAdam; the next round ships
// the global weights only (clients keep their optimizer and its state, as disco's clients do). The reference is
// the same rounds with nothing shipped: every client compiles its own model with the optimizer constructed
// directly. Clients in this process and one in a child process; FedAvg also against its formula by hand.
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-core/dist/register_all_gradients.js";
import "@tensorflow/tfjs-backend-cpu";
import type * as tfl from "@tensorflow/tfjs-layers";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdamW, Lion } from "../../src/index.js";
import { GradstepTfjsOptimizer, fromGradstep, train } from "../../src/adapters/tfjs/index.js";
import { FedAdam, FedAvg } from "../../src/distributed/index.js";
import { firstBitDifference } from "./reference.js";
import { model } from "../adapters/tfjs-model.js";
import { SHARDS, loadShipped, ship, trainRound } from "./federated-shared.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

const OPTIMIZERS: [string, () => tf.Optimizer][] = [
  ["fromGradstep(AdamW, { lr: 0.01, weightDecay: 0.05, maxGradNorm: 1 })", () => fromGradstep(AdamW, { lr: 0.01, weightDecay: 0.05, maxGradNorm: 1 })],
  ["fromGradstep(Lion, { lr: 0.001, betas: [0.9, 0.99], stateDtype: \"bf16\" })", () => fromGradstep(Lion, { lr: 0.001, betas: [0.9, 0.99], stateDtype: "bf16" })],
  ["train.adam(0.01)", () => train.adam(0.01)],
];
type Server = { aggregate(r: { params: Float32Array[]; numExamples: number }[]): void };
const SERVERS: [string, (params: { value: Float32Array; grad: Float32Array }[]) => Server][] = [
  ["FedAvg", (params) => new FedAvg(params)],
  ["FedAdam", (params) => new FedAdam(params, { eta: 0.05, tau: 1e-3 })],
];
const ROUNDS = 2;
const numExamples = SHARDS.map(([from, to]) => to - from);

function compiled(make: () => tf.Optimizer): tfl.LayersModel {
  const m = model(3);
  m.compile({ optimizer: make(), loss: "meanSquaredError" });
  return m;
}

const asParams = (m: tfl.LayersModel) => m.getWeights().map((w) => ({ value: Float32Array.from(w.dataSync() as Float32Array), grad: new Float32Array(w.size) }));
// A copy: tfjs-backend-cpu keeps the array a tensor is made from, and the server updates its params in place.
const setAll = (m: tfl.LayersModel, values: Float32Array[]) => m.setWeights(m.getWeights().map((w, i) => tf.tensor(values[i]!.slice(), w.shape)));

/** FedAvg's formula by hand (Flower's aggregate_inplace): w_k = n_k / N, acc = f32(x₀·w₀), acc = f32(acc + f32(x_k·w_k)). */
function fedAvgByHand(clients: Float32Array[][]): Float32Array[] {
  const N = numExamples.reduce((a, b) => a + b);
  return clients[0]!.map((_, i) => clients[0]![i]!.map((_, j) => {
    let acc = Math.fround(clients[0]![i]![j]! * (numExamples[0]! / N));
    for (let k = 1; k < clients.length; k++) acc = Math.fround(acc + Math.fround(clients[k]![i]![j]! * (numExamples[k]! / N)));
    return acc;
  }));
}

describe("the model shipped with its optimizer trains like one compiled on the client; the server aggregates", () => {
  const cases = OPTIMIZERS.flatMap(([o, make]) => SERVERS.map(([s, server]) => [`${o}, ${s}`, make, s, server] as const));
  it.each(cases)("%s", async (_, make, serverName, makeServer) => {
    // The engine: one global model, clients that load what it ships.
    const global = compiled(make);
    const shipped = await ship(global);
    const clients = await Promise.all(SHARDS.map(() => loadShipped(JSON.parse(shipped.json), shipped.bytes)));
    for (const c of clients) {
      expect(c.optimizer).toBeInstanceOf(GradstepTfjsOptimizer);
      expect(c.optimizer.getClassName()).toBe(global.optimizer.getClassName());
      expect(c.optimizer.getConfig()).toEqual(global.optimizer.getConfig());
    }
    const params = asParams(global);
    const server = makeServer(params);
    // The reference: nothing shipped.
    const refClients = SHARDS.map(() => compiled(make));
    const refParams = asParams(global);
    const refServer = makeServer(refParams);
    for (let round = 0; round < ROUNDS; round++) {
      if (round > 0) for (const c of [...clients, ...refClients]) setAll(c, params.map((p) => p.value));
      const sent: Float32Array[][] = [];
      const expected: Float32Array[][] = [];
      for (let k = 0; k < SHARDS.length; k++) {
        sent.push(await trainRound(clients[k]!, k));
        expected.push(await trainRound(refClients[k]!, k));
        sent[k]!.forEach((w, i) => expect(firstBitDifference(w, expected[k]![i]!), `round ${round} client ${k} weight ${i}`).toBe(-1));
      }
      server.aggregate(sent.map((p, k) => ({ params: p, numExamples: numExamples[k]! })));
      refServer.aggregate(expected.map((p, k) => ({ params: p, numExamples: numExamples[k]! })));
      params.forEach((p, i) => expect(firstBitDifference(p.value, refParams[i]!.value), `round ${round} global weight ${i}`).toBe(-1));
      if (serverName === "FedAvg") fedAvgByHand(sent).forEach((x, i) => expect(firstBitDifference(params[i]!.value, x), `round ${round} FedAvg by hand, weight ${i}`).toBe(-1));
      // The round moved the global model.
      const before = asParams(global);
      expect(params.some((p, i) => firstBitDifference(p.value, before[i]!.value) !== -1)).toBe(true);
      setAll(global, params.map((p) => p.value));
    }
    tf.dispose([global, ...clients, ...refClients].flatMap((m) => m.getWeights()));
  });
});

describe("a client in another process", () => {
  const dir = mkdtempSync(join(tmpdir(), "gradstep-federated-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const globals: tfl.LayersModel[] = [];
  let run: ReturnType<typeof spawnSync>;
  beforeAll(async () => {
    for (const [j, [, make]] of OPTIMIZERS.entries()) {
      globals.push(compiled(make));
      const shipped = await ship(globals[j]!);
      writeFileSync(join(dir, `model-${j}.json`), shipped.json);
      writeFileSync(join(dir, `model-${j}.bin`), shipped.bytes);
    }
    const child = fileURLToPath(new URL("./federated-client.ts", import.meta.url));
    run = spawnSync(process.execPath, ["--import", "tsx", child, dir, "2", String(OPTIMIZERS.length)], { encoding: "utf8", timeout: 120_000 });
  });
  it.each(OPTIMIZERS.map(([label, make], j) => [label, make, j] as const))("%s: loads the shipped model (no optimizer constructed there), trains like a client that compiled its own", async (_, make, j) => {
    expect(run.status, String(run.stderr)).toBe(0);
    const got = JSON.parse(readFileSync(join(dir, `client-${j}.json`), "utf8")) as { className: string; config: unknown; isGradstep: boolean; weights: number[][] };
    expect(got.isGradstep).toBe(true);
    expect(got.className).toBe(globals[j]!.optimizer.getClassName());
    expect(got.config).toEqual(globals[j]!.optimizer.getConfig());
    const expected = await trainRound(compiled(make), 2);
    got.weights.forEach((bits, i) => expect(firstBitDifference(new Float32Array(new Uint32Array(bits).buffer), expected[i]!), `weight ${i}`).toBe(-1));
  });
});
