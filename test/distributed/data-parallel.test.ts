// DataParallel: every rank ends bit-identical to one process stepping on the rank-order mean of the gradients
// (computed here, not by the group), for every elementwise optimizer configuration; buckets; a failing group
// changes no param and no state.
import { describe, expect, it } from "vitest";
import { AdamW, ParamStore, SGD } from "../../src/index.js";
import { DataParallel, localGroups, ProcessGroupError } from "../../src/distributed/index.js";
import { expectSameState, firstBitDifference } from "../helpers.js";
import { buildRank, ELEMENTWISE, failingGroup, gradsOf, rankOrderMean, snapshotRank } from "./world.js";

const STEPS = 3;

describe("DataParallel equals one process stepping on the rank-order mean", () => {
  const cases = ELEMENTWISE.flatMap((e, i) => e.cases.configs.map((c, j) => [`${e.name}: ${c.desc}`, 2 + ((i + j) % 3), e.cls, c.options] as const));
  it.each(cases)("%s (W = %i)", async (_, world, cls, options) => {
    const groups = localGroups(world);
    const ranks = groups.map(() => buildRank(cls, options));
    const single = buildRank(cls, options);
    const ddps = ranks.map((r, k) => new DataParallel(r.opt, groups[k]!, { bucketBytes: 256, firstBucketBytes: 64 }));
    for (let t = 0; t < STEPS; t++) {
      const grads = ranks.map((_, k) => gradsOf(t, k));
      ranks.forEach((r, k) => r.params.forEach((p, i) => p.grad.set(grads[k]![i]!)));
      single.params.forEach((p, i) => p.grad.set(rankOrderMean(grads.map((g) => g[i]!))));
      await Promise.all(ddps.map((d) => d.step()));
      single.opt.step();
    }
    for (const r of ranks) {
      r.params.forEach((p, i) => expect(firstBitDifference(p.value, single.params[i]!.value), `param ${i}`).toBe(-1));
      expectSameState(r.opt.stateDict(), single.opt.stateDict());
    }
    await Promise.all(groups.map((g) => g.close()));
  });

  it("clipping (maxGradNorm) and skipNonFinite apply to the reduced gradients", async () => {
    const options = { lr: 0.01, maxGradNorm: 0.05, skipNonFinite: true };
    const groups = localGroups(2);
    const ranks = groups.map(() => buildRank(AdamW, options));
    const single = buildRank(AdamW, options);
    const ddps = ranks.map((r, k) => new DataParallel(r.opt, groups[k]!));
    for (let t = 0; t < 3; t++) {
      const grads = ranks.map((_, k) => gradsOf(t, k));
      if (t === 1) grads[1]![2]![7] = NaN; // one rank's NaN: every rank skips the step, as the single process does
      ranks.forEach((r, k) => r.params.forEach((p, i) => p.grad.set(grads[k]![i]!)));
      single.params.forEach((p, i) => p.grad.set(rankOrderMean(grads.map((g) => g[i]!))));
      await Promise.all(ddps.map((d) => d.step()));
      single.opt.step();
    }
    for (const r of ranks) {
      expect(r.opt.skippedSteps).toBe(1);
      r.params.forEach((p, i) => expect(firstBitDifference(p.value, single.params[i]!.value)).toBe(-1));
      expectSameState(r.opt.stateDict(), single.opt.stateDict());
    }
  });
});

describe("DataParallel buckets", () => {
  it.each([
    // group 0: store params 37, 5 (one run); group 1: store param 100, foreign 9 (a run each; runs never span
    // groups). Reverse order, whole params, the first cap then the others'.
    [{}, [[1, 9], [1, 100], [2, 42]]],
    [{ firstBucketBytes: 4, bucketBytes: 4 * 41 }, [[1, 9], [1, 100], [1, 5], [1, 37]]],
  ])("%j", (options, expected) => {
    const r = buildRank(SGD, { lr: 0.1 });
    const group = localGroups(1)[0]!;
    expect(new DataParallel(r.opt, group, options).buckets.map((b) => [b.params, b.floats])).toEqual(expected);
  });

  it("buckets are views of the store's gradients: the reduce writes in place", async () => {
    const groups = localGroups(2);
    const ranks = groups.map(() => buildRank(SGD, { lr: 0 }));
    ranks.forEach((r, k) => r.params.forEach((p) => p.grad.fill(k + 1)));
    await Promise.all(ranks.map((r, k) => new DataParallel(r.opt, groups[k]!).step()));
    for (const r of ranks) for (const p of r.params) expect([...p.grad].every((x) => x === 1.5)).toBe(true);
  });
});

describe("DataParallel failures change nothing", () => {
  it("a rank that closes: the others' step rejects naming it; params and state unchanged", async () => {
    const groups = localGroups(3);
    const ranks = groups.map(() => buildRank(AdamW, { lr: 0.01 }));
    const ddps = ranks.map((r, k) => new DataParallel(r.opt, groups[k]!, { bucketBytes: 64, firstBucketBytes: 64 }));
    ranks.forEach((r, k) => r.params.forEach((p, i) => p.grad.set(gradsOf(0, k)[i]!)));
    await Promise.all(ddps.map((d) => d.step()));
    const before = ranks.map(snapshotRank);
    const pending = ddps.slice(0, 2).map((d) => d.step());
    await groups[2]!.close();
    for (const [k, p] of pending.entries()) {
      const err: unknown = await p.then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(ProcessGroupError);
      expect((err as ProcessGroupError).peer).toBe(2);
      ranks[k]!.params.forEach((q, i) => expect(firstBitDifference(q.value, before[k]!.values[i]!)).toBe(-1));
      expectSameState(ranks[k]!.opt.stateDict(), before[k]!.state);
    }
  });

  it("a rank that stalls: the others' step rejects within the group's timeout, naming it; nothing changed", async () => {
    const groups = localGroups(3, { timeoutMs: 150 });
    const ranks = groups.map(() => buildRank(AdamW, { lr: 0.01 }));
    ranks.forEach((r, k) => r.params.forEach((p, i) => p.grad.set(gradsOf(0, k)[i]!)));
    const before = ranks.map(snapshotRank);
    const errors = await Promise.all(ranks.slice(0, 2).map((r, k) => new DataParallel(r.opt, groups[k]!).step().then(() => undefined, (e: unknown) => e)));
    errors.forEach((err, k) => {
      expect(err).toBeInstanceOf(ProcessGroupError);
      expect((err as ProcessGroupError).peer).toBe(2);
      ranks[k]!.params.forEach((q, i) => expect(firstBitDifference(q.value, before[k]!.values[i]!)).toBe(-1));
      expectSameState(ranks[k]!.opt.stateDict(), before[k]!.state);
    });
    await Promise.all(groups.map((g) => g.close()));
  });

  it("a collective that fails after some buckets: no param or state changed", async () => {
    const failing = failingGroup(localGroups(1)[0]!, "allReduce", 3);
    const r = buildRank(AdamW, { lr: 0.01 });
    r.params.forEach((p, i) => p.grad.set(gradsOf(0, 0)[i]!));
    const ddp = new DataParallel(r.opt, failing, { bucketBytes: 64, firstBucketBytes: 64 });
    const before = snapshotRank(r);
    await expect(ddp.step()).rejects.toThrow("link lost");
    r.params.forEach((p, i) => expect(firstBitDifference(p.value, before.values[i]!)).toBe(-1));
    expectSameState(r.opt.stateDict(), before.state);
  });

  it.each([
    [() => ({ opt: {} }), /^DataParallel: expected a gradstep optimizer/],
    [() => ({ group: {} }), /^DataParallel: group must be a ProcessGroup/],
    [() => ({ options: { bucketBytes: 0 } }), /^DataParallel: invalid bucketBytes 0 \(expected an integer number of bytes >= 4\)$/],
    [() => ({ options: { firstBucketBytes: 1.5 } }), /^DataParallel: invalid firstBucketBytes 1.5/],
    [() => ({ options: { bucketCapMb: 25 } }), /^DataParallel: unknown option "bucketCapMb"/],
  ])("bad arguments: %#", (make, message) => {
    const store = new ParamStore();
    const p = store.param("w", 4);
    const given = make() as { opt?: unknown; group?: unknown; options?: unknown };
    const args = [given.opt ?? new SGD([p], { lr: 0.1 }), given.group ?? localGroups(1)[0], given.options ?? {}] as const;
    expect(() => new DataParallel(...(args as unknown as ConstructorParameters<typeof DataParallel>))).toThrow(message);
  });

  it("a second step() before the first finished is refused", async () => {
    const groups = localGroups(2);
    const ddp = new DataParallel(buildRank(SGD, { lr: 0.1 }).opt, groups[0]!);
    const first = ddp.step();
    await expect(ddp.step()).rejects.toThrow(/the previous step\(\) has not finished/);
    await groups[0]!.close();
    await first.catch(() => undefined);
  });
});
