// Compression state in checkpoints: every rank saves its own file (params, optimizer state, its error buffers,
// PowerSGD's warm-start Qs and counts); a world restarted from those files in fresh objects steps bit for bit as
// the uninterrupted one, for every mode, for DataParallel and DiLoCo. Without the compression state the restart
// differs (so the comparison can fail). A state or file that does not fit (another mode, rank, world size,
// buckets or shapes) throws naming what and changes no param, optimizer state or compression state.
import { describe, expect, it } from "vitest";
import { loadCheckpoint, saveCheckpoint } from "../../src/index.js";
import { DataParallel, type DataParallelState, DiLoCo, type DiLoCoState, loadWorldCheckpoint, localGroups, powerSGD, type Compression, type CompressionState } from "../../src/distributed/index.js";
import type { Stateful } from "../../src/checkpoint/index.js";
import { expectSameState, firstBitDifference, randomArray, rng } from "../helpers.js";
import { shapedRank } from "./world.js";

const MODES: [string, Compression][] = [
  ["bf16", "bf16"], ["int8", "int8"], ["sign", "sign"],
  ["powerSGD rank 1", powerSGD({ startIter: 2 })], ["powerSGD rank 2, cold start", powerSGD({ rank: 2, startIter: 2, warmStart: false })],
];
const OPTIONS = { lr: 0.05, momentum: 0.9 }; // SGD with momentum: optimizer state too

function expectSameCompression(a: CompressionState | undefined, b: CompressionState | undefined, what: string): void {
  expect(b === undefined, what).toBe(a === undefined);
  if (!a || !b) return;
  const { buckets: ba, ...ra } = a, { buckets: bb, ...rb } = b;
  expect(rb, what).toEqual(ra);
  expect(bb.length, what).toBe(ba.length);
  ba.forEach((x, i) => {
    expect(firstBitDifference(bb[i]!.error, x.error), `${what}: bucket ${i} error`).toBe(-1);
    expect(bb[i]!.q === undefined, `${what}: bucket ${i} has a Q`).toBe(x.q === undefined);
    if (x.q) expect(firstBitDifference(bb[i]!.q!, x.q), `${what}: bucket ${i} Q`).toBe(-1);
  });
}

/** A DataParallel world of `world` ranks over shapedRank (several buckets, every kind PowerSGD splits). */
function ddpWorld(world: number, compression: Compression | undefined) {
  const groups = localGroups(world);
  return groups.map((group) => {
    const r = shapedRank(OPTIONS);
    return { ...r, group, ddp: new DataParallel(r.opt, group, { compression, bucketBytes: 2048, firstBucketBytes: 512 }) };
  });
}
type DdpWorld = ReturnType<typeof ddpWorld>;

async function ddpSteps(ranks: DdpWorld, from: number, to: number): Promise<void> {
  for (let t = from; t < to; t++) {
    ranks.forEach((r, k) => r.params.forEach((p, i) => p.grad.set(randomArray(p.value.length, rng(100 * t + 10 * k + i + 1)))));
    await Promise.all(ranks.map((r) => r.ddp.step()));
  }
}

const snapshot = (r: DdpWorld[number]) => ({ values: r.params.map((p) => p.value.slice()), state: r.ddp.stateDict() });
function expectUnchanged(r: DdpWorld[number], before: ReturnType<typeof snapshot>, what: string): void {
  r.params.forEach((p, i) => expect(firstBitDifference(p.value, before.values[i]!), `${what}: param ${i}`).toBe(-1));
  const now = r.ddp.stateDict();
  expectSameState(now.optimizer, before.state.optimizer);
  expectSameCompression(now.compression, before.state.compression, what);
}

describe("DataParallel: per-rank checkpoints resume bit for bit", () => {
  // Cut after 1 step (PowerSGD still plain: its first compressed step comes after the restart) and after 3 (Qs warm).
  it.each(MODES.flatMap(([name, c]) => [2, 3].flatMap((w) => [1, 3].map((cut) => [name, w, cut, c] as const))))("%s, W = %i, checkpoint after %i steps", async (name, world, cut, compression) => {
    const a = ddpWorld(world, compression);
    await ddpSteps(a, 0, cut);
    const files = a.map((r) => saveCheckpoint({ params: r.params, optimizer: r.ddp })); // every rank its own
    await ddpSteps(a, cut, cut + 3);
    const b = ddpWorld(world, compression);
    b.forEach((r, k) => loadCheckpoint(files[k]!, { params: r.params, optimizer: r.ddp }));
    await ddpSteps(b, cut, cut + 3);
    b.forEach((r, k) => {
      r.params.forEach((p, i) => expect(firstBitDifference(p.value, a[k]!.params[i]!.value), `${name} rank ${k} param ${i}`).toBe(-1));
      const [sa, sb] = [a[k]!.ddp.stateDict(), r.ddp.stateDict()];
      expectSameState(sb.optimizer, sa.optimizer);
      expectSameCompression(sa.compression, sb.compression, `${name} rank ${k}`);
    });
    // The same restart without the compression state (the optimizer's alone) does not end where the world did.
    const c = ddpWorld(world, compression);
    c.forEach((r, k) => loadCheckpoint(files[k]!, { params: r.params, optimizer: { stateDict: () => ({}), loadStateDict: (d) => r.opt.loadStateDict((d as DataParallelState).optimizer) } }));
    await ddpSteps(c, cut, cut + 3);
    expect(c.some((r, k) => r.params.some((p, i) => firstBitDifference(p.value, a[k]!.params[i]!.value) !== -1)), name).toBe(true);
  });
});

describe("DiLoCo: per-rank checkpoints resume bit for bit", () => {
  function dilocoWorld(world: number, compression: Compression) {
    return localGroups(world).map((group) => {
      const r = shapedRank({ lr: 0.05 });
      const diloco = new DiLoCo(r.opt, group, { syncEvery: 2, compression });
      // One file per rank: the inner optimizer's and DiLoCo's state side by side.
      const both: Stateful<{ inner: ReturnType<typeof r.opt.stateDict>; diloco: DiLoCoState }> = {
        stateDict: () => ({ inner: r.opt.stateDict(), diloco: diloco.stateDict() }),
        loadStateDict: (d) => { diloco.loadStateDict(d.diloco); r.opt.loadStateDict(d.inner); },
      };
      return { ...r, diloco, both };
    });
  }
  const run = async (ranks: ReturnType<typeof dilocoWorld>, from: number, to: number) => {
    for (let t = from; t < to; t++) {
      ranks.forEach((r, k) => r.params.forEach((p, i) => p.grad.set(randomArray(p.value.length, rng(9 * t + 3 * k + i)))));
      await Promise.all(ranks.map((r) => r.diloco.step()));
    }
  };
  // Syncs every 2 steps; PowerSGD compresses from the 2nd sync on. Cut mid-interval (5) and right after a sync (6).
  it.each(MODES.flatMap(([name, c]) => [5, 6].map((cut) => [name, cut, c] as const)))("%s, W = 3, checkpoint after %i inner steps", async (name, cut, compression) => {
    const a = dilocoWorld(3, compression);
    await run(a, 0, cut);
    const files = a.map((r) => saveCheckpoint({ params: r.params, optimizer: r.both }));
    await run(a, cut, 11);
    const b = dilocoWorld(3, compression);
    b.forEach((r, k) => loadCheckpoint(files[k]!, { params: r.params, optimizer: r.both }));
    await run(b, cut, 11);
    b.forEach((r, k) => {
      r.params.forEach((p, i) => expect(firstBitDifference(p.value, a[k]!.params[i]!.value), `${name} rank ${k} param ${i}`).toBe(-1));
      expectSameCompression(a[k]!.diloco.stateDict().compression, r.diloco.stateDict().compression, `${name} rank ${k}`);
      expectSameState(r.diloco.outer.stateDict(), a[k]!.diloco.outer.stateDict());
    });
  });
});

describe("a state or file that does not fit: a clear error, nothing changed", () => {
  const INT8 = "int8", PSGD = powerSGD({ startIter: 2 });
  /** Rank 0 of a world of 2 trained 3 steps with `compression`; `other(...)` edits its own state into a bad one. */
  type Case = [string, Compression, (own: DataParallelState) => Promise<DataParallelState> | DataParallelState, RegExp];
  const stateOf = async (world: number, compression: Compression | undefined, rank = 0) => {
    const w = ddpWorld(world, compression);
    await ddpSteps(w, 0, 3);
    return w[rank]!.ddp.stateDict();
  };
  const edit = (own: DataParallelState, f: (c: CompressionState) => Partial<CompressionState>) => ({ ...own, compression: { ...own.compression!, ...f(own.compression!) } });
  const CASES: Case[] = [
    ["another codec", INT8, () => stateOf(2, "bf16"), /^DataParallel.loadStateDict: the state is of compression bf16, this one is int8$/],
    ["PowerSGD with other options", PSGD, () => stateOf(2, powerSGD({ startIter: 2, rank: 2 })), /the state is of compression powerSGD\(\{"rank":2,.*\}\), this one is powerSGD\(\{"rank":1,/],
    ["no compression", INT8, () => stateOf(2, undefined), /^DataParallel.loadStateDict: the state is without compression, this one is with$/],
    ["another rank's", INT8, () => stateOf(2, INT8, 1), /^DataParallel.loadStateDict: the state is rank 1's, this is rank 0 \(error buffers are per rank: each rank loads its own\)$/],
    ["another world size", INT8, () => stateOf(3, INT8), /^DataParallel.loadStateDict: the state is of a world of 3 ranks, this one has 2$/],
    ["fewer buckets", INT8, (own) => edit(own, (c) => ({ buckets: c.buckets.slice(1) })), /the state has \d+ buckets, this one reduces \d+ \(other params or bucket sizes\)$/],
    ["an error buffer of another length", INT8, (own) => edit(own, (c) => ({ buckets: [{ error: new Float32Array(7) }, ...c.buckets.slice(1)] })), /bucket 0's error buffer has 7 floats, the bucket \d+$/],
    ["a Q of another length", PSGD, (own) => edit(own, (c) => ({ buckets: c.buckets.map((b) => (b.q ? { ...b, q: b.q.subarray(1) } : b)) })), /bucket \d's Q has \d+ floats, its matrices \d+$/],
    ["a Q where the codec keeps none", INT8, (own) => edit(own, (c) => ({ buckets: [{ ...c.buckets[0]!, q: new Float32Array(1) }, ...c.buckets.slice(1)] })), /bucket 0's Q has 1 floats, this compression keeps none$/],
    ["a negative iteration count", INT8, (own) => edit(own, () => ({ iter: -1 })), /invalid iter -1 \(expected an integer >= 0\)$/],
    ["another optimizer (the compression state is put back)", INT8, (own) => ({ ...own, optimizer: { ...own.optimizer, optimizer: "Adam" } }), /Adam/],
  ];
  it.each(CASES)("%s", async (_, compression, bad, message) => {
    const w = ddpWorld(2, compression);
    await ddpSteps(w, 0, 3);
    const state = await bad(w[0]!.ddp.stateDict());
    const before = snapshot(w[0]!);
    expect(() => w[0]!.ddp.loadStateDict(state)).toThrow(message);
    expectUnchanged(w[0]!, before, "after the failed load");
  });

  it("another rank's file: loadCheckpoint throws naming both ranks; params and state unchanged", async () => {
    const w = ddpWorld(2, PSGD);
    await ddpSteps(w, 0, 3);
    const file = saveCheckpoint({ params: w[1]!.params, optimizer: w[1]!.ddp });
    await ddpSteps(w, 3, 4);
    const before = snapshot(w[0]!);
    expect(() => loadCheckpoint(file, { params: w[0]!.params, optimizer: w[0]!.ddp })).toThrow(/^DataParallel.loadStateDict: the state is rank 1's, this is rank 0/);
    expectUnchanged(w[0]!, before, "after the failed load");
  });
});

describe("loadWorldCheckpoint: every rank loads its own file, or no rank changes", () => {
  const W = 3;
  /** A world trained 3 steps (its files), then 2 more (the state a failed load must leave as it is). */
  async function setUp(compression: Compression) {
    const w = ddpWorld(W, compression);
    await ddpSteps(w, 0, 3);
    const files = w.map((r) => saveCheckpoint({ params: r.params, optimizer: r.ddp }, { step: "3" }));
    await ddpSteps(w, 3, 5);
    return { w, files };
  }
  const load = (w: DdpWorld, files: Uint8Array[]) =>
    Promise.allSettled(w.map((r, k) => loadWorldCheckpoint(r.group, files[k]!, { params: r.params, optimizer: r.ddp })));

  it.each(MODES)("%s: all good files load on every rank, then the world steps as the uninterrupted one", async (name, compression) => {
    const { w, files } = await setUp(compression);
    const results = await load(w, files);
    results.forEach((r) => expect(r.status === "fulfilled" && r.value.metadata).toEqual({ step: "3" }));
    const a = ddpWorld(W, compression);
    await ddpSteps(a, 0, 5);
    await ddpSteps(w, 3, 5);
    w.forEach((r, k) => r.params.forEach((p, i) => expect(firstBitDifference(p.value, a[k]!.params[i]!.value), `${name} rank ${k} param ${i}`).toBe(-1)));
  });

  // What rank 1 is given instead of its own file; the others get theirs.
  const BAD: [string, (files: Uint8Array[]) => Uint8Array, RegExp][] = [
    ["a truncated file", (f) => f[1]!.subarray(0, f[1]!.length - 9), /^loadWorldCheckpoint \(rank 1\): .*not a valid safetensors file/],
    ["rank 2's file", (f) => f[2]!, /^loadWorldCheckpoint \(rank 1\): DataParallel.loadStateDict: the state is rank 2's, this is rank 1/],
    ["a file of other params", () => saveCheckpoint({ params: [{ value: new Float32Array(3), grad: new Float32Array(3) }] }), /^loadWorldCheckpoint \(rank 1\): loadCheckpoint: the file has 1 params, 5 were given$/],
  ];
  it.each(BAD)("rank 1 gets %s: it rejects with its error, the others naming rank 1; no rank's params or state change", async (_, bad, message) => {
    const { w, files } = await setUp(powerSGD({ startIter: 2 }));
    const before = w.map(snapshot);
    const results = await load(w, files.map((f, k) => (k === 1 ? bad(files) : f)));
    results.forEach((r, k) => {
      expect(r.status).toBe("rejected");
      const error = (r as PromiseRejectedResult).reason as Error;
      if (k === 1) expect(error.message).toMatch(message);
      else expect(error.message).toBe(`loadWorldCheckpoint (rank ${k}): the checkpoint of rank 1 did not load (nothing changed on any rank)`);
      expectUnchanged(w[k]!, before[k]!, `rank ${k}`);
    });
  });

  it("a rank lost before the verdicts: the others' loads reject naming it and are put back", async () => {
    const { w, files } = await setUp("int8");
    const before = w.map(snapshot);
    const loads = w.slice(0, 2).map((r, k) => loadWorldCheckpoint(r.group, files[k]!, { params: r.params, optimizer: r.ddp }));
    await w[2]!.group.close();
    const results = await Promise.allSettled(loads);
    results.forEach((r, k) => {
      expect((r as PromiseRejectedResult).reason?.name, `rank ${k}`).toBe("ProcessGroupError");
      expect(((r as PromiseRejectedResult).reason as Error).message, `rank ${k}`).toMatch(/rank 2/);
      expectUnchanged(w[k]!, before[k]!, `rank ${k}`);
    });
  });
});

