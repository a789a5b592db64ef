// ZeRO-1 checkpoints: per-rank shards resume a world of the same size bit for bit; the consolidated file is a
// plain checkpoint (a plain optimizer loads it and steps as the world does) and re-shards to any world size; a
// plain optimizer's checkpoint loads into a world. A file that does not fit, on any rank, rejects on every rank
// naming what (or the rank whose file it was) and leaves every rank's params and state as they were.
import { describe, expect, it } from "vitest";
import { Adam, AdamW, ParamStore, SGD, loadCheckpoint, saveCheckpoint } from "../../src/index.js";
import { loadZeroCheckpoint, localGroups, saveZeroConsolidated, saveZeroShard, ZeroRedundancyOptimizer } from "../../src/distributed/index.js";
import { decodeSafetensors, encodeSafetensors } from "../../src/checkpoint/safetensors.js";
import type { OptimizerClass } from "../../src/optim/index.js";
import { expectSameState, firstBitDifference } from "../helpers.js";
import { buildRank, gradsOf, rankOrderMean } from "./world.js";

const OPTIONS = { lr: 0.01, weightDecay: 0.1, stateDtype: "bf16" as const };

/** A ZeRO world of `world` ranks over buildRank's params (two groups: a store run, and a run plus a foreign param). */
function zeroWorld(world: number, cls: OptimizerClass = AdamW, options: object = OPTIONS, names?: string[]) {
  return localGroups(world).map((group) => {
    const r = buildRank(SGD, { lr: 0 }); // its params only
    if (names) r.params.forEach((p, i) => { if (names[i]) Object.defineProperty(p, "name", { value: names[i] }); });
    const zero = new ZeroRedundancyOptimizer([{ params: r.params.slice(0, 2) }, { params: r.params.slice(2) }], { ...options, optimizer: cls, group });
    return { params: r.params, zero };
  });
}
type World = ReturnType<typeof zeroWorld>;

/** One step of every rank on step t's gradients; returns them. */
async function stepWorld(ranks: World, t: number): Promise<Float32Array[][]> {
  const grads = ranks.map((_, k) => gradsOf(t, k));
  ranks.forEach((r, k) => r.params.forEach((p, i) => p.grad.set(grads[k]![i]!)));
  await Promise.all(ranks.map((r) => r.zero.step()));
  return grads;
}

/** A plain optimizer stepping on the rank-order mean of the same gradients. */
function single(cls: OptimizerClass = AdamW, options: object = OPTIONS) {
  const r = buildRank(cls, options);
  return { ...r, step(grads: Float32Array[][]) { r.params.forEach((p, i) => p.grad.set(rankOrderMean(grads.map((g) => g[i]!)))); r.opt.step(); } };
}

function expectSameParams(a: { value: Float32Array }[], b: { value: Float32Array }[], what: string): void {
  a.forEach((p, i) => expect(firstBitDifference(p.value, b[i]!.value), `${what}: param ${i}`).toBe(-1));
}

const snap = (ranks: World) => ranks.map((r) => ({ values: r.params.map((p) => p.value.slice()), state: r.zero.stateDict() }));

describe("ZeRO-1 shards", () => {
  it.each([2, 3])("W = %i: shards saved after 2 steps resume a fresh world, which then steps as the original", async (W) => {
    const a = zeroWorld(W);
    for (let t = 0; t < 2; t++) await stepWorld(a, t);
    const files = a.map((r) => saveZeroShard(r.zero, { note: "two steps" }));
    const b = zeroWorld(W);
    await stepWorld(b, 7); // other params and state, to be replaced
    const loaded = await Promise.all(b.map((r, k) => loadZeroCheckpoint(r.zero, files[k]!)));
    expect(loaded.map((l) => l.metadata)).toEqual(new Array(W).fill({ note: "two steps" }));
    b.forEach((r, k) => { expectSameParams(r.params, a[k]!.params, `rank ${k}`); expectSameState(r.zero.stateDict(), a[k]!.zero.stateDict()); });
    await stepWorld(a, 2);
    await stepWorld(b, 2);
    b.forEach((r, k) => expectSameParams(r.params, a[k]!.params, `rank ${k} after a step`));
  });

  it("the metadata records the rank, the world size, every rank's range of every run, the params and the optimizer", async () => {
    const a = zeroWorld(3, AdamW, OPTIONS, ["w0", "w1", "w2"]);
    await stepWorld(a, 0);
    const { metadata } = decodeSafetensors(saveZeroShard(a[1]!.zero));
    const info = JSON.parse(JSON.parse(metadata.user!)["gradstep.zero.shard"]);
    // buildRank: group 0 = one store run of 37 + 5 floats; group 1 = a store run of 100, a foreign param of 9.
    // Shares of 16-float multiples: ⌈42 / 48⌉·16 = 16, ⌈100 / 48⌉·16 = 48, ⌈9 / 48⌉·16 = 16.
    expect(info).toEqual({
      rank: 1, worldSize: 3,
      optimizer: { name: "AdamW", options: [expect.objectContaining({ lr: 0.01, weightDecay: 0.1, stateDtype: "bf16" }), expect.objectContaining({ lr: 0.01 })], step: 1 },
      params: [{ name: "w0", length: 37 }, { name: "w1", length: 5 }, { name: "w2", length: 100 }, { length: 9 }],
      runs: [
        { group: 0, params: 2, floats: 42, ranges: [[0, 16], [16, 32], [32, 42]] },
        { group: 1, params: 1, floats: 100, ranges: [[0, 48], [48, 96], [96, 100]] },
        { group: 1, params: 1, floats: 9, ranges: [[0, 9], [9, 9], [9, 9]] },
      ],
    });
  });
});

describe("saving", () => {
  it.each([
    ["a reserved metadata key", (z: ZeroRedundancyOptimizer) => saveZeroShard(z, { "gradstep.zero.shard": "{}" }), /^saveZeroShard: metadata key "gradstep.zero.shard" is reserved$/],
    ["a metadata value that is not a string", (z: ZeroRedundancyOptimizer) => saveZeroShard(z, { step: 3 as unknown as string }), /^saveCheckpoint: metadata.step must be a string$/],
    ["consolidating to a rank out of range", (z: ZeroRedundancyOptimizer) => saveZeroConsolidated(z, { to: 2 }), /^ZeroRedundancyOptimizer.consolidateStateDict: invalid rank 2 \(expected 0 <= to < 1\)$/],
    ["a reserved metadata key (consolidated)", (z: ZeroRedundancyOptimizer) => saveZeroConsolidated(z, { metadata: { "gradstep.zero.consolidated": "" } }), /^saveZeroConsolidated: metadata key "gradstep.zero.consolidated" is reserved$/],
  ] as const)("%s is refused", async (_, save, message) => {
    const [r] = zeroWorld(1);
    await expect((async () => save(r!.zero))()).rejects.toThrow(message);
  });
});

describe("the consolidated file", () => {
  it("is a plain checkpoint: a plain optimizer loads it and matches one process; it re-shards to W = 1, 2, 4", async () => {
    const a = zeroWorld(3), one = single();
    for (let t = 0; t < 2; t++) one.step(await stepWorld(a, t));
    const [bytes] = await Promise.all(a.map((r) => saveZeroConsolidated(r.zero)));
    const plain = single();
    loadCheckpoint(bytes!, { params: plain.params, optimizer: plain.opt });
    expectSameParams(plain.params, one.params, "plain");
    expectSameState(plain.opt.stateDict(), one.opt.stateDict());
    for (const W of [1, 2, 4]) {
      const b = zeroWorld(W);
      await Promise.all(b.map((r) => loadZeroCheckpoint(r.zero, bytes!)));
      const ref = single();
      loadCheckpoint(bytes!, { params: ref.params, optimizer: ref.opt });
      for (let t = 2; t < 4; t++) ref.step(await stepWorld(b, t));
      b.forEach((r, k) => expectSameParams(r.params, ref.params, `W = ${W}, rank ${k}`));
      const [dict] = await Promise.all(b.map((r) => r.zero.consolidateStateDict()));
      expectSameState(dict!, ref.opt.stateDict());
    }
  });

  it("a plain optimizer's checkpoint loads into a ZeRO world (and a never-stepped one too)", async () => {
    for (const steps of [0, 2]) {
      const one = single();
      for (let t = 0; t < steps; t++) one.step([0, 1].map((k) => gradsOf(t, k)));
      const bytes = saveCheckpoint({ params: one.params, optimizer: one.opt });
      const b = zeroWorld(2);
      await Promise.all(b.map((r) => loadZeroCheckpoint(r.zero, bytes)));
      one.step(await stepWorld(b, steps));
      b.forEach((r, k) => expectSameParams(r.params, one.params, `${steps} steps, rank ${k}`));
    }
  });
});

describe("a checkpoint that does not fit changes nothing on any rank", () => {
  /** Each case: the world to load into, and each of its ranks' file; the rank whose file is bad and its error. */
  const shards = async (W: number, cls: OptimizerClass = AdamW, names?: string[]) => {
    const a = zeroWorld(W, cls, OPTIONS, names);
    await stepWorld(a, 0);
    return a.map((r) => saveZeroShard(r.zero));
  };
  const consolidated = async () => {
    const a = zeroWorld(2);
    await stepWorld(a, 0);
    return (await Promise.all(a.map((r) => saveZeroConsolidated(r.zero))))[0]!;
  };
  /** `bytes` with its user metadata's shard description edited. */
  const editShard = (bytes: Uint8Array, edit: (info: Record<string, unknown>) => void) => {
    const { tensors, metadata } = decodeSafetensors(bytes);
    const user = JSON.parse(metadata.user!), info = JSON.parse(user["gradstep.zero.shard"]);
    edit(info);
    user["gradstep.zero.shard"] = JSON.stringify(info);
    return encodeSafetensors(tensors, { ...metadata, user: JSON.stringify(user) });
  };
  /** Each case: the world to load into and each rank's file; the ranks whose file is bad, and their error (RANK: the rank). */
  const cases: [string, () => Promise<{ into: World; files: Uint8Array[] }>, number[], string][] = [
    ["a shard of a world of 2 in a world of 3", async () => { const f = await shards(2); return { into: zeroWorld(3), files: [f[0]!, f[1]!, f[1]!] }; }, [0, 1, 2],
      "the file is a shard of a world of 2 ranks, this world has 3 \\(load the consolidated checkpoint to change the world size\\)"],
    ["another rank's shard", async () => { const f = await shards(3); return { into: zeroWorld(3), files: [f[0]!, f[2]!, f[2]!] }; }, [1],
      "the file is rank 2's shard, this is rank 1"],
    ["another optimizer's shard", async () => ({ into: zeroWorld(2), files: await shards(2, Adam) }), [0, 1],
      "the shard's optimizer is Adam, this one is AdamW"],
    ["params of other names", async () => ({ into: zeroWorld(2, AdamW, OPTIONS, ["v0"]), files: await shards(2, AdamW, ["w0"]) }), [0, 1],
      'param 0 is "w0" in the shard, "v0" here'],
    ["other ranges", async () => { const f = await shards(2); return { into: zeroWorld(2), files: [f[0]!, editShard(f[1]!, (i) => { (i.runs as { ranges: number[][] }[])[1]!.ranges = [[0, 48], [48, 100]]; })] }; }, [1],
      "run 1: the shard's ranges \\[0, 48\\) \\[48, 100\\) differ from this world's \\[0, 64\\) \\[64, 100\\)"],
    ["other param lengths", async () => { const f = await shards(2); return { into: zeroWorld(2), files: [f[0]!, editShard(f[1]!, (i) => { (i.params as { length: number }[])[3]!.length = 10; })] }; }, [1],
      "param 3 has 10 floats in the shard, 9 here"],
    ["a truncated shard", async () => { const f = await shards(2); return { into: zeroWorld(2), files: [f[0]!, f[1]!.subarray(0, f[1]!.length - 10)] }; }, [1],
      "checkpoint: not a valid safetensors file: tensor .* has data offsets .* outside the"],
    ["a corrupt header", async () => { const f = await shards(2); const c = f[0]!.slice(); c[8] = 0x78; return { into: zeroWorld(2), files: [c, f[1]!] }; }, [0],
      "checkpoint: not a valid safetensors file: the header is not JSON"],
    ["not a safetensors file at all", async () => { const f = await shards(2); return { into: zeroWorld(2), files: [f[0]!, new Uint8Array(5)] }; }, [1],
      "checkpoint: not a valid safetensors file: 5 bytes, shorter than the 8-byte header length"],
    ["a consolidated file of other params", async () => {
      const one = single();
      const bytes = saveCheckpoint({ params: one.params.slice(0, 3), optimizer: new AdamW(one.params.slice(0, 3), OPTIONS) });
      return { into: zeroWorld(2), files: [await consolidated(), bytes] };
    }, [1], "the file has 3 params, 4 were given"],
    ["a consolidated file of another optimizer", async () => {
      const one = single(Adam, { lr: 0.01 });
      one.step([gradsOf(0, 0)]);
      return { into: zeroWorld(2), files: [await consolidated(), saveCheckpoint({ params: one.params, optimizer: one.opt })] };
    }, [1], "AdamW.loadStateDict: the state dict is from Adam, not AdamW"],
  ];
  it.each(cases)("%s", async (_, make, badRanks, message) => {
    const { into, files } = await make();
    await stepWorld(into, 5);
    const before = snap(into);
    const results = await Promise.allSettled(into.map((r, k) => loadZeroCheckpoint(r.zero, files[k]!)));
    results.forEach((res, k) => {
      expect(res.status, `rank ${k}`).toBe("rejected");
      const msg = ((res as PromiseRejectedResult).reason as Error).message;
      const others = badRanks.filter((r) => r !== k);
      expect(msg).toMatch(new RegExp(badRanks.includes(k) ? `^loadZeroCheckpoint \\(rank ${k}\\): ${message}`
        : `^loadZeroCheckpoint \\(rank ${k}\\): the checkpoint of ranks? ${others.join(", ")} did not load \\(nothing changed on any rank\\)$`));
    });
    into.forEach((r, k) => {
      expectSameParams(r.params, before[k]!.values.map((value) => ({ value })), `rank ${k}`);
      expectSameState(r.zero.stateDict(), before[k]!.state);
    });
    // The world still works: the next step runs.
    await stepWorld(into, 6);
  });
});
