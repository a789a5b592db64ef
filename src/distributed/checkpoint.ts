// Checkpoints of a ZeRO-1 world, as safetensors files (src/checkpoint): a shard per rank, or one consolidated file.
//
// A shard holds this rank's share of each flat run (its params' values and optimizer state, as the local optimizer's
// params `param.k` and state dict) and, in its metadata, what it is a shard of: rank, world size, every run's
// length and the flat offsets [start, end) each rank owns, the params' names and lengths, the optimizer's class,
// options and step. A consolidated file is a plain single-process checkpoint (params `param.i` in registration
// order, the optimizer's consolidated state dict): a plain optimizer loads it with loadCheckpoint, and any ZeRO
// world (any size) loads it with loadZeroCheckpoint, each rank cutting its shares out of it.
//
// Loading is a collective so that a file that does not fit on one rank changes nothing on any rank: each rank checks
// its file in full (decoding, shapes, ranges, names, then the state dict, applied and undone by the optimizer's own
// checks), the ranks exchange their verdicts, and only when every rank's file is good does any rank keep its state
// and params (a shard's param values are all-gathered first, into scratch).
import { type CheckpointLoadOptions, type CheckpointParts, type Stateful, loadCheckpoint, saveCheckpoint } from "../checkpoint/index.js";
import type { StateDict, StateValue } from "../core/state-dict.js";
import type { ForeignParam, ParamLike } from "../core/spec.js";
import { Param } from "../runtime/store.js";
import type { ProcessGroup } from "./group.js";
import { type ZeroRedundancyOptimizer, shareRange } from "./zero.js";

/** User-metadata key of a shard's description. */
const SHARD_KEY = "gradstep.zero.shard";
/** User-metadata key of a consolidated file's origin (informative: any world loads it). */
const CONSOLIDATED_KEY = "gradstep.zero.consolidated";

/** What a shard's metadata says (JSON under "gradstep.zero.shard" of the user metadata). */
export interface ZeroShardInfo {
  /** The rank that saved the shard. */
  rank: number;
  /** The number of ranks of the world that saved it. */
  worldSize: number;
  /** The optimizer class (its state dict's name), each param group's options, and the step count of this rank's shares (0 before the first step). */
  optimizer: {
    /** The optimizer class's name. */
    name: string;
    /** Each param group's options. */
    options: Record<string, unknown>[];
    /** Steps taken by this rank's shares (0 before the first step). */
    step: number;
  };
  /** Every param in registration order: its name (store params) and length. */
  params: {
    /** The param's name (params of a ParamStore only). */
    name?: string;
    /** Its number of floats. */
    length: number;
  }[];
  /** Every flat run, group by group: its param group, how many params it holds, its floats, and the range [start, end) each rank owns. */
  runs: {
    /** The index of its param group. */
    group: number;
    /** How many params it holds. */
    params: number;
    /** Its floats (all its params'). */
    floats: number;
    /** Per rank: the range [start, end) of the run's floats that rank owns. */
    ranges: [number, number][];
  }[];
}

/** A run of `zero` as the shard metadata records it. */
function describeRuns(zero: ZeroRedundancyOptimizer): ZeroShardInfo["runs"] {
  const W = zero.group.worldSize;
  return zero.shares.flatMap((g, group) => g.map((s) => ({
    group, params: s.params, floats: s.floats,
    ranges: Array.from({ length: W }, (_, r): [number, number] => { const { start, end } = shareRange(s.floats, W, r); return [start, end]; }),
  })));
}

function describeParams(params: readonly ParamLike[]): ZeroShardInfo["params"] {
  return params.map((p) => (p instanceof Param ? { name: p.name, length: p.length } : { length: p.value.length }));
}

/** This rank's shares of the param values, one foreign param per run (what a shard saves as `param.k`). */
function shareParams(zero: ZeroRedundancyOptimizer): ForeignParam[] {
  const out: ForeignParam[] = [];
  let first = 0;
  for (const s of zero.shares.flat()) {
    const values = runValues(zero.params.slice(first, first + s.params));
    out.push({ value: values.subarray(s.start, s.end), grad: new Float32Array(0) });
    first += s.params;
  }
  return out;
}

/** A run's values as one array (a copy). */
function runValues(params: readonly ParamLike[]): Float32Array {
  const out = new Float32Array(params.reduce((n, p) => n + p.value.length, 0));
  let at = 0;
  for (const p of params) {
    out.set(p.value, at);
    at += p.value.length;
  }
  return out;
}

function checkMetadata(where: string, metadata: Record<string, string>): void {
  if (metadata === null || typeof metadata !== "object") throw new TypeError(`${where}: metadata must be an object of strings`);
  for (const k of [SHARD_KEY, CONSOLIDATED_KEY]) if (k in metadata) throw new TypeError(`${where}: metadata key "${k}" is reserved`);
}

/**
 * This rank's shard of a ZeRO-1 checkpoint: its shares of the params and of the optimizer state, with the shard's
 * range in the metadata. Not a collective (each rank saves its own; write them, then `await group.barrier()` before
 * counting the checkpoint as complete). `metadata`: string entries of your own (returned by loadZeroCheckpoint).
 * @example
 * writeFileSync(`ckpt/step-${t}.rank-${group.rank}.safetensors`, saveZeroShard(zero, { step: String(t) }));
 */
export function saveZeroShard(zero: ZeroRedundancyOptimizer, metadata: Record<string, string> = {}): Uint8Array {
  checkMetadata("saveZeroShard", metadata);
  const dict = zero.stateDict();
  const steps = Object.values(dict.state).map((e) => e.step).filter((s): s is number => typeof s === "number");
  const info: ZeroShardInfo = {
    rank: zero.group.rank,
    worldSize: zero.group.worldSize,
    optimizer: { name: dict.optimizer, options: dict.paramGroups.map(({ params: _, ...o }) => o), step: steps[0] ?? 0 },
    params: describeParams(zero.params),
    runs: describeRuns(zero),
  };
  return saveCheckpoint({ params: shareParams(zero), optimizer: zero }, { ...metadata, [SHARD_KEY]: JSON.stringify(info) });
}

/**
 * The consolidated checkpoint: a plain single-process file (params in registration order, the optimizer's
 * consolidated state dict) that `loadCheckpoint(bytes, { params, optimizer })` restores into a plain optimizer of
 * the same class, and loadZeroCheckpoint into a ZeRO world of any size. A collective: every rank calls it; rank
 * `to` gets the bytes, the others undefined.
 * @example
 * const bytes = await saveZeroConsolidated(zero);
 * if (bytes) writeFileSync("ckpt/consolidated.safetensors", bytes);
 */
export async function saveZeroConsolidated(zero: ZeroRedundancyOptimizer, options: { to?: number; metadata?: Record<string, string> } = {}): Promise<Uint8Array | undefined> {
  const { to = 0, metadata = {} } = options;
  checkMetadata("saveZeroConsolidated", metadata);
  const dict = await zero.consolidateStateDict(to);
  if (dict === undefined) return undefined;
  const origin = { worldSize: zero.group.worldSize, optimizer: dict.optimizer };
  const frozen: Stateful = { stateDict: () => dict, loadStateDict: () => {} };
  return saveCheckpoint({ params: [...zero.params], optimizer: frozen }, { ...metadata, [CONSOLIDATED_KEY]: JSON.stringify(origin) });
}

/** What a file decodes to on this rank, checked against `zero`, before anything changes. */
interface Staged { dict: StateDict; params: (r: number) => void; shard: Float32Array[] | undefined; metadata: Record<string, string> }

/**
 * Restores a ZeRO-1 world from a checkpoint: each rank passes its own shard (saveZeroShard, same world size and
 * ranges) or the consolidated file (saveZeroConsolidated, or a plain single-process checkpoint of the same params
 * and optimizer class: any world size). A collective: every rank calls it. Everything is checked on every rank
 * before anything changes: a file that does not fit (another world size, other ranges or params, another
 * optimizer, a corrupt or truncated file) rejects on its rank with an error naming what, the other ranks reject
 * naming that rank, and no rank's params or state change. Returns your metadata.
 * @example
 * const { metadata } = await loadZeroCheckpoint(zero, readFileSync(`ckpt/step-${t}.rank-${group.rank}.safetensors`));
 */
export async function loadZeroCheckpoint(zero: ZeroRedundancyOptimizer, bytes: Uint8Array): Promise<{
  /** Your string metadata (saveZeroShard's or saveZeroConsolidated's `metadata`; gradstep's own entries left out). */
  metadata: Record<string, string>;
}> {
  const { group } = zero;
  const me = group.rank;
  let staged: Staged | undefined, error: unknown;
  const before = zero.stateDict();
  try {
    staged = stage(zero, bytes);
    try {
      zero.loadStateDict(staged.dict); // the optimizer's own checks: throws with nothing changed
    } catch (e) {
      throw new Error(`loadZeroCheckpoint (rank ${me}): ${(e as Error).message}`);
    }
  } catch (e) {
    error = e;
  }
  await agree(group, "loadZeroCheckpoint", error, () => zero.loadStateDict(before));
  try {
    // A shard holds only this rank's share of the values: all-gather them, into scratch, before setting any.
    const full = staged!.shard && (await gatherShares(zero, staged!.shard));
    staged!.params(me);
    if (full) setRuns(zero, full);
  } catch (e) {
    zero.loadStateDict(before);
    throw e;
  }
  return { metadata: staged!.metadata };
}

async function gatherShares(zero: ZeroRedundancyOptimizer, shares: Float32Array[]): Promise<Float32Array[]> {
  const W = zero.group.worldSize;
  const out: Float32Array[] = [];
  for (const [k, s] of zero.shares.flat().entries()) {
    const { share } = shareRange(s.floats, W, 0);
    const send = new Float32Array(share);
    send.set(shares[k]!);
    const full = new Float32Array(share * W);
    await zero.group.allGather(send, full);
    out.push(full.subarray(0, s.floats));
  }
  return out;
}

function setRuns(zero: ZeroRedundancyOptimizer, runs: Float32Array[]): void {
  let first = 0;
  for (const [k, s] of zero.shares.flat().entries()) {
    let at = 0;
    for (const p of zero.params.slice(first, first + s.params)) {
      p.value.set(runs[k]!.subarray(at, at + p.value.length));
      at += p.value.length;
    }
    first += s.params;
  }
}

/** A Stateful that keeps what loadCheckpoint gives it (the decoded, checked state dict). */
function capture(): Stateful & { dict?: unknown } {
  const c: Stateful & { dict?: unknown } = { stateDict: () => ({}), loadStateDict: (d) => void (c.dict = d) };
  return c;
}

function userMetadata(metadata: Record<string, string>): Record<string, string> {
  const out = { ...metadata };
  delete out[SHARD_KEY];
  delete out[CONSOLIDATED_KEY];
  return out;
}

/** Decodes and checks `bytes` for this rank of `zero`; changes nothing. */
function stage(zero: ZeroRedundancyOptimizer, bytes: Uint8Array): Staged {
  const where = `loadZeroCheckpoint (rank ${zero.group.rank})`;
  const bad = (msg: string) => new Error(`${where}: ${msg}`);
  const shares = zero.shares.flat();
  // A first read for the metadata (safetensors decoding, format), then one with params of the right shapes.
  let metadata: Record<string, string>;
  try {
    metadata = loadCheckpoint(bytes, {}).metadata;
  } catch (e) {
    throw bad((e as Error).message);
  }
  const shardJson = metadata[SHARD_KEY];
  const opt = capture();
  if (shardJson !== undefined) {
    const info = parseShard(shardJson, bad);
    checkShard(zero, info, bad);
    const holders = shares.map((s) => ({ value: new Float32Array(s.end - s.start), grad: new Float32Array(0) }));
    load(bytes, { params: holders, optimizer: opt }, bad);
    return { dict: opt.dict as StateDict, params: () => {}, shard: holders.map((h) => h.value), metadata: userMetadata(metadata) };
  }
  const holders = zero.params.map((p) => ({ value: new Float32Array(p.value.length), grad: new Float32Array(0), shape: p instanceof Param ? p.shape : p.shape ?? [p.value.length] }));
  load(bytes, { params: holders, optimizer: opt }, bad);
  const dict = reshard(zero, opt.dict as StateDict, bad);
  return {
    dict,
    params: () => zero.params.forEach((p, i) => p.value.set(holders[i]!.value)),
    shard: undefined,
    metadata: userMetadata(metadata),
  };
}

function load(bytes: Uint8Array, parts: CheckpointParts, bad: (msg: string) => Error): void {
  try {
    loadCheckpoint(bytes, parts, { ignoreScheduler: true });
  } catch (e) {
    throw bad((e as Error).message.replace(/^loadCheckpoint: /, ""));
  }
}

function parseShard(json: string, bad: (msg: string) => Error): ZeroShardInfo {
  let info: ZeroShardInfo;
  try {
    info = JSON.parse(json) as ZeroShardInfo;
  } catch {
    throw bad("the shard metadata is not JSON");
  }
  const ok = info !== null && typeof info === "object" && Number.isInteger(info.rank) && Number.isInteger(info.worldSize) &&
    info.optimizer !== null && typeof info.optimizer === "object" && typeof info.optimizer.name === "string" &&
    Array.isArray(info.params) && Array.isArray(info.runs) &&
    info.runs.every((r) => r !== null && typeof r === "object" && Array.isArray(r.ranges) && r.ranges.every((x) => Array.isArray(x) && x.length === 2));
  if (!ok) throw bad("the shard metadata is not a ZeRO shard description");
  return info;
}

/** The shard must be this rank's, of a world of the same size, with the same params, runs, ranges and optimizer. */
function checkShard(zero: ZeroRedundancyOptimizer, info: ZeroShardInfo, bad: (msg: string) => Error): void {
  const { rank, worldSize } = zero.group;
  if (info.worldSize !== worldSize) throw bad(`the file is a shard of a world of ${info.worldSize} ranks, this world has ${worldSize} (load the consolidated checkpoint to change the world size)`);
  if (info.rank !== rank) throw bad(`the file is rank ${info.rank}'s shard, this is rank ${rank}`);
  const name = zero.optimizer.stateDict().optimizer;
  if (info.optimizer.name !== name) throw bad(`the shard's optimizer is ${info.optimizer.name}, this one is ${name}`);
  const mine = describeParams(zero.params);
  if (info.params.length !== mine.length) throw bad(`the shard has ${info.params.length} params, this optimizer ${mine.length}`);
  mine.forEach((p, i) => {
    const f = info.params[i]!;
    if (f.name !== p.name) throw bad(`param ${i} is ${JSON.stringify(f.name ?? null)} in the shard, ${JSON.stringify(p.name ?? null)} here`);
    if (f.length !== p.length) throw bad(`param ${i}${p.name ? ` ("${p.name}")` : ""} has ${f.length} floats in the shard, ${p.length} here`);
  });
  const runs = describeRuns(zero);
  if (info.runs.length !== runs.length) throw bad(`the shard has ${info.runs.length} flat runs, this optimizer ${runs.length}`);
  runs.forEach((r, k) => {
    const f = info.runs[k]!;
    const ranges = (x: [number, number][]) => x.map(([a, b]) => `[${a}, ${b})`).join(" ");
    if (f.group !== r.group || f.params !== r.params || f.floats !== r.floats) throw bad(`run ${k} is ${f.params} params, ${f.floats} floats in group ${f.group} in the shard, ${r.params} params, ${r.floats} floats in group ${r.group} here`);
    if (ranges(f.ranges) !== ranges(r.ranges)) throw bad(`run ${k}: the shard's ranges ${ranges(f.ranges)} differ from this world's ${ranges(r.ranges)}`);
  });
}

/** The local dict of this rank's shares cut out of a single-process (consolidated) state dict. */
function reshard(zero: ZeroRedundancyOptimizer, dict: StateDict, bad: (msg: string) => Error): StateDict {
  if (dict === null || typeof dict !== "object" || !Array.isArray(dict.paramGroups) || dict.state === null || typeof dict.state !== "object") throw bad("its optimizer state is not a state dict");
  const shares = zero.shares;
  if (dict.paramGroups.length !== shares.length) throw bad(`the file has ${dict.paramGroups.length} param groups, this optimizer ${shares.length}`);
  const state: StateDict["state"] = {};
  let share = 0;
  const paramGroups = dict.paramGroups.map((g, gi) => {
    const runs = shares[gi]!;
    const count = runs.reduce((n, s) => n + s.params, 0);
    if (!Array.isArray(g.params) || g.params.length !== count) throw bad(`param group ${gi} has ${Array.isArray(g.params) ? g.params.length : "no"} params in the file, ${count} here`);
    const params: number[] = [];
    let first = 0;
    for (const s of runs) {
      const ids = g.params.slice(first, first + s.params) as number[];
      const entries = ids.map((i) => dict.state[i] ?? {});
      const keys = (e: Record<string, StateValue>) => Object.keys(e).sort().join(",");
      if (entries.some((e) => keys(e) !== keys(entries[0]!) || e.step !== entries[0]!.step)) {
        throw bad(`params ${ids[0]}..${ids.at(-1)} (one flat run here) have different state keys or steps in the file: a run's shares cannot be cut from them`);
      }
      const entry: Record<string, StateValue> = {};
      for (const [k, v] of Object.entries(entries[0]!)) {
        if (!ArrayBuffer.isView(v)) {
          entry[k] = v;
          continue;
        }
        const parts = entries.map((e) => e[k] as Float32Array | Uint16Array | Uint8Array);
        const n = parts.reduce((a, p) => a + p.length, 0);
        if (n !== s.floats) throw bad(`state "${k}" of params ${ids[0]}..${ids.at(-1)} has ${n} values, their run ${s.floats}`);
        const full = new (parts[0]!.constructor as Float32ArrayConstructor)(n);
        let at = 0;
        for (const p of parts) {
          full.set(p as Float32Array, at);
          at += p.length;
        }
        if (s.end > s.start) entry[k] = full.slice(s.start, s.end);
      }
      if (Object.keys(entry).length > 0) state[share] = entry;
      params.push(share++);
      first += s.params;
    }
    return { ...g, params };
  });
  return { ...dict, state, paramGroups };
}

/**
 * Restores every rank of a world from its own plain checkpoint (saveCheckpoint on each rank: a DataParallel
 * with compression, whose error buffers are per rank, or DiLoCo) as one collective: every rank calls it with
 * its file and the same `parts` and `options` as loadCheckpoint. Each rank checks and loads its file; the ranks
 * then exchange their verdicts, and when any rank's file did not load, every rank that loaded puts back what it
 * had (params, optimizer and scheduler state, from a checkpoint of them taken before), so no rank's params or
 * state change: the failing rank rejects with loadCheckpoint's error, the others naming that rank. A collective
 * that fails (a rank lost) also puts back what was loaded. Returns your metadata.
 * @example
 * const { metadata } = await loadWorldCheckpoint(group, readFileSync(`ckpt/rank-${group.rank}.safetensors`), { params, optimizer: ddp });
 */
export async function loadWorldCheckpoint(group: ProcessGroup, bytes: Uint8Array, parts: CheckpointParts, options: CheckpointLoadOptions = {}): Promise<{
  /** Your string metadata (saveCheckpoint's `metadata`; gradstep's own entries left out). */
  metadata: Record<string, string>;
}> {
  const me = group.rank;
  const before = saveCheckpoint(parts);
  const undo = () => loadCheckpoint(before, parts);
  let loaded: { metadata: Record<string, string> } | undefined, error: unknown;
  try {
    loaded = loadCheckpoint(bytes, parts, options);
  } catch (e) {
    error = new Error(`loadWorldCheckpoint (rank ${me}): ${(e as Error).message}`);
  }
  await agree(group, "loadWorldCheckpoint", error, undo);
  return loaded!;
}

/**
 * The end of a collective load: every rank's verdict (its `error`, or none) exchanged; this rank's error thrown;
 * where another rank's file failed, or the exchange itself (a rank lost), `undo` puts back what this rank loaded.
 */
async function agree(group: ProcessGroup, where: string, error: unknown, undo: () => void): Promise<void> {
  const verdicts = new Float32Array(group.worldSize);
  await group.allGather(new Float32Array([error === undefined ? 0 : 1]), verdicts).catch((e) => {
    if (error === undefined) undo();
    throw e;
  });
  if (error !== undefined) throw error;
  const failed = [...verdicts.keys()].filter((r) => verdicts[r] !== 0);
  if (failed.length > 0) {
    undo();
    throw new Error(`${where} (rank ${group.rank}): the checkpoint of rank${failed.length > 1 ? "s" : ""} ${failed.join(", ")} did not load (nothing changed on any rank)`);
  }
}

