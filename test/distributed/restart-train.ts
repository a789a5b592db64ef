// The training loop of the kill-and-restart test, run by every rank (a child process over WebSocket, or an
// in-process rank for the uninterrupted reference): two models trained side by side, one with DataParallel
// (AdamW, int8-compressed gradients) and one with ZeRO-1 (Adam, bf16 state), on gradients that depend on the
// params and on the rank and step. Every `every` steps a checkpoint: every rank writes its DataParallel file
// (params, optimizer state and its own error-feedback buffers) and its ZeRO shard; after a barrier rank 0
// records the step in `latest` (so only a checkpoint every rank finished counts). Files are written to a temporary name and renamed, so a rank killed while writing leaves no torn file.
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Adam, AdamW, SGD, loadCheckpoint, saveCheckpoint } from "../../src/index.js";
import { DataParallel, type ProcessGroup, ZeroRedundancyOptimizer, loadZeroCheckpoint, saveZeroShard } from "../../src/distributed/index.js";
import { buildRank, gradsOf } from "./world.js";

export interface TrainOptions {
  steps: number;
  /** Checkpoint every this many steps (into `dir`). */
  every: number;
  dir?: string;
  /** Start from the checkpoint `latest` names in `dir`. */
  resume?: boolean;
  /** Called after each step (t = steps done). */
  onStep?: (t: number) => Promise<void> | void;
}

function writeAtomic(path: string, bytes: Uint8Array | string): void {
  writeFileSync(`${path}.tmp`, bytes);
  renameSync(`${path}.tmp`, path);
}

/** Trains; returns the final params of both models and the step it started from. */
export async function train(group: ProcessGroup, o: TrainOptions): Promise<{ ddp: Float32Array[]; zero: Float32Array[]; from: number }> {
  const d = buildRank(AdamW, { lr: 0.01, weightDecay: 0.05 });
  const ddp = new DataParallel(d.opt, group, { bucketBytes: 256, firstBucketBytes: 64, compression: "int8" });
  const z = buildRank(SGD, { lr: 0 });
  const zero = new ZeroRedundancyOptimizer([{ params: z.params.slice(0, 2) }, { params: z.params.slice(2) }], { optimizer: Adam, group, lr: 0.01, stateDtype: "bf16" });
  const file = (name: string) => join(o.dir!, name);
  let from = 0;
  if (o.resume && existsSync(file("latest"))) {
    from = Number(readFileSync(file("latest"), "utf8"));
    loadCheckpoint(readFileSync(file(`ddp-${from}.rank-${group.rank}.safetensors`)), { params: d.params, optimizer: ddp });
    await loadZeroCheckpoint(zero, readFileSync(file(`zero-${from}.rank-${group.rank}.safetensors`)));
  }
  for (let t = from; t < o.steps; t++) {
    for (const [params, seed] of [[d.params, 1], [z.params, 2]] as const) {
      const noise = gradsOf(100 * seed + t, group.rank);
      params.forEach((p, i) => { for (let j = 0; j < p.grad.length; j++) p.grad[j] = noise[i]![j]! + 0.5 * p.value[j]!; });
    }
    await ddp.step();
    await zero.step();
    if (o.dir && (t + 1) % o.every === 0) {
      writeAtomic(file(`ddp-${t + 1}.rank-${group.rank}.safetensors`), saveCheckpoint({ params: d.params, optimizer: ddp }));
      writeAtomic(file(`zero-${t + 1}.rank-${group.rank}.safetensors`), saveZeroShard(zero));
      await group.barrier();
      if (group.rank === 0) writeAtomic(file("latest"), String(t + 1));
    }
    await o.onStep?.(t + 1);
  }
  return { ddp: d.params.map((p) => p.value.slice()), zero: z.params.map((p) => p.value.slice()), from };
}
