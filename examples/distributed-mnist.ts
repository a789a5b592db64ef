// Data parallel on one machine: `npm run build && npx tsx examples/distributed-mnist.ts [workers] [steps]`.
// Worker threads each hold a replica of the MNIST MLP (examples/mnist-model.ts) and an AdamW over it; every step
// the global batch is cut into one micro-batch per worker (rank order), each worker runs forward/backward on its
// own, and DataParallel averages the gradients over shared memory (workerMesh's sharedFloats: the ranks' slots are
// summed in place by gradstep's Wasm SIMD kernel) and steps, so every replica stays bit-identical to the others —
// and to one process stepping on the rank-order mean of the micro-batch gradients.
// The main thread only starts the workers and prints what they report (samples/s, loss, held-out accuracy).
import { fileURLToPath } from "node:url";
import { isMainThread, type MessagePort, parentPort, Worker, workerData } from "node:worker_threads";
import { AdamW, init, ParamStore } from "gradstep";
import { chunkRange, DataParallel, workerGroup, workerMesh, type WorkerRank } from "gradstep/distributed";
import { loadMnist } from "./mnist-data.js";
import { mlp, mlpFloats, mlpPass, shuffle } from "./mnist-model.js";

export interface RunOptions {
  workers: number;
  /** Optimizer steps (after `warmup` untimed ones). */
  steps: number;
  /** Global batch (split into `workers` micro-batches). */
  batch: number;
  hidden?: number;
  lr?: number;
  /** Steps before the clock starts (default 3). */
  warmup?: number;
  /** Evaluate the held-out split at the end (default false). */
  evaluate?: boolean;
  /** Forward/backward only, no all-reduce and no step (the bench's bound on what the threads can scale to). */
  computeOnly?: boolean;
}

export interface RunResult {
  /** Training samples per second over the timed steps (every worker's micro-batches). */
  samplesPerSec: number;
  /** Mean training loss of the last 20 steps' batches. */
  loss: number;
  /** Held-out accuracy (%), with `evaluate`. */
  accuracy?: number;
  /** Rank 0's final params (W1, b1, W2, b2). */
  params: Float32Array[];
  /**
   * Each worker's mean wall-clock ms per timed step: `compute` in zeroGrad and forward/backward, `step` in
   * ddp.step() (the all-reduce, with its waits for the other workers, and the AdamW step).
   */
  phases: { compute: number; step: number }[];
}

/** The global batch of step t: the training split, reshuffled each epoch (seed 1000 + epoch). */
export function batchOf(train: readonly number[], batch: number, t: number): number[] {
  const perEpoch = Math.floor(train.length / batch), epoch = Math.floor(t / perEpoch);
  if (shuffled?.train !== train || shuffled.epoch !== epoch) {
    const order = train.slice();
    shuffle(order, 1000 + epoch);
    shuffled = { train, epoch, order };
  }
  const from = (t % perEpoch) * batch;
  return shuffled.order.slice(from, from + batch);
}
let shuffled: { train: readonly number[]; epoch: number; order: number[] } | undefined;

/** Trains with `workers` worker threads; resolves with rank 0's report. */
export async function runDataParallel(o: RunOptions): Promise<RunResult> {
  const mesh = workerMesh(o.workers, { sharedFloats: mlpFloats(o.hidden ?? 128) }); // every gradient in one round
  // Workers do not inherit tsx's loader on Node 20: the worker registers it, then loads this file.
  const tsx = import.meta.resolve("tsx/esm/api");
  const entry = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(import.meta.url)}); })`;
  const workers = mesh.map((rank) => new Worker(entry, { eval: true, workerData: { rank, options: o }, transferList: rank.ports.filter((p) => p !== undefined) as unknown as MessagePort[] }));
  try {
    const results = await Promise.all(workers.map((w) => new Promise<Omit<RunResult, "phases"> & { phase: RunResult["phases"][number] }>((resolve, reject) => {
      w.once("message", resolve);
      w.once("error", reject);
      w.once("exit", (code) => reject(new Error(`a worker exited with code ${code} before reporting`)));
    })));
    const { phase: _, ...first } = results[0]!;
    return { ...first, phases: results.map((r) => r.phase) };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** One worker: its rank of the mesh, its replica, its micro-batches. */
async function worker({ rank, options: o }: { rank: WorkerRank; options: RunOptions }) {
  await init();
  const hidden = o.hidden ?? 128, warmup = o.warmup ?? 3;
  const group = workerGroup({ ...rank, timeoutMs: 60_000 });
  const data = loadMnist();
  // Room for the whole model in one block: its params are one flat run, so DataParallel reduces them in one
  // bucket (one all-reduce per step) and AdamW steps them in one kernel call.
  const store = new ParamStore({ capacity: mlpFloats(hidden) });
  const m = mlp(store, hidden);
  const params = [m.W1, m.b1, m.W2, m.b2];
  const ddp = new DataParallel(new AdamW(params, { lr: o.lr ?? 1e-3 }), group);
  const { start, end } = chunkRange(o.batch, group.worldSize, group.rank);
  const pass = mlpPass(data, hidden, end - start);
  const losses: number[] = [];
  let t0 = 0, compute = 0, step = 0;
  for (let t = 0; t < warmup + o.steps; t++) {
    if (t === warmup) t0 = performance.now();
    const a = performance.now();
    const idx = batchOf(data.train, o.batch, t);
    ddp.zeroGrad();
    losses.push(pass(m, idx, start, end, true).loss / (end - start));
    const b = performance.now();
    if (!o.computeOnly) await ddp.step();
    if (t >= warmup) {
      compute += b - a;
      step += performance.now() - b;
    }
  }
  const samplesPerSec = (o.steps * o.batch) / ((performance.now() - t0) / 1000);
  let accuracy: number | undefined;
  if (o.evaluate) {
    const test = mlpPass(data, hidden, data.test.length);
    accuracy = (100 * test(m, data.test, 0, data.test.length, false).correct) / data.test.length;
  }
  const recent = losses.slice(-20);
  const phase = { compute: compute / o.steps, step: step / o.steps };
  const result = { samplesPerSec, loss: recent.reduce((a, b) => a + b, 0) / recent.length, accuracy, params: params.map((p) => p.value.slice()), phase };
  await group.close();
  return result;
}

if (!isMainThread && (workerData as { rank?: WorkerRank })?.rank) {
  parentPort!.postMessage(await worker(workerData));
} else if (isMainThread && process.argv[1] === fileURLToPath(import.meta.url)) {
  const workers = Number(process.argv[2] ?? 2), steps = Number(process.argv[3] ?? 300);
  const r = await runDataParallel({ workers, steps, batch: 64, evaluate: true });
  console.log(`${workers} worker${workers > 1 ? "s" : ""}, ${steps} steps of batch 64: ${r.samplesPerSec.toFixed(0)} samples/s, ` +
    `training loss ${r.loss.toFixed(4)}, held-out accuracy ${r.accuracy!.toFixed(2)}%`);
}
