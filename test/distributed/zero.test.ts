// ZeRO-1: bit-identical to DataParallel (and to one process stepping on the rank-order mean) for every
// elementwise optimizer configuration it accepts; per-rank state ≈ 1/W; the consolidated state dict equals the
// single process's and loads into a plain optimizer; refusals and a failing reduce-scatter change nothing.
import { describe, expect, it } from "vitest";
import { Adam, AdamW, Adafactor, LAMB, ParamStore, Prodigy, ScheduleFreeAdamW, SGD } from "../../src/index.js";
import { DataParallel, localGroups, ZeroRedundancyOptimizer } from "../../src/distributed/index.js";
import type { OptimizerClass } from "../../src/optim/index.js";
import { expectSameState, firstBitDifference, randomArray, rng } from "../helpers.js";
import { buildRank, ELEMENTWISE, failingGroup, gradsOf, rankOrderMean } from "./world.js";

const STEPS = 3;
/** Options ZeRO refuses (tested below): int8 state, and the transforms that need the whole gradient norm. */
const refused = (o: Record<string, unknown>) => o.stateDtype === "int8" || o.maxGradNorm !== undefined || o.skipNonFinite !== undefined;

describe("ZeRO-1 equals DataParallel and one process on the rank-order mean", () => {
  const cases = ELEMENTWISE.filter((e) => !e.spec.global).flatMap((e, i) =>
    e.cases.configs.filter((c) => !refused(c.options)).map((c, j) => [`${e.name}: ${c.desc}`, 2 + ((i + j) % 3), e.cls, c.options] as const));
  it.each(cases)("%s (W = %i)", async (_, world, cls, options) => {
    const zg = localGroups(world), dg = localGroups(world);
    const zRanks = zg.map((g) => {
      const r = buildRank(SGD, { lr: 0 }); // only its params: ZeRO wraps its own optimizer over them
      return { ...r, zero: new ZeroRedundancyOptimizer([{ params: r.params.slice(0, 2) }, { params: r.params.slice(2) }], { ...options, optimizer: cls as OptimizerClass, group: g }) };
    });
    const dRanks = dg.map(() => buildRank(cls, options));
    const ddps = dRanks.map((r, k) => new DataParallel(r.opt, dg[k]!));
    const single = buildRank(cls, options);
    for (let t = 0; t < STEPS; t++) {
      const grads = zg.map((_, k) => gradsOf(t, k));
      for (const ranks of [zRanks, dRanks]) ranks.forEach((r, k) => r.params.forEach((p, i) => p.grad.set(grads[k]![i]!)));
      single.params.forEach((p, i) => p.grad.set(rankOrderMean(grads.map((g) => g[i]!))));
      await Promise.all([...zRanks.map((r) => r.zero.step()), ...ddps.map((d) => d.step())]);
      single.opt.step();
    }
    if ("eval" in single.opt) { // schedule-free: compare x (eval mode) too, and the consolidated dict saves the mode
      await Promise.all(zRanks.map((r) => r.zero.eval()));
      for (const r of [single, ...dRanks]) (r.opt as unknown as { eval(): void }).eval();
    }
    zRanks.forEach((r, k) => r.params.forEach((p, i) => {
      expect(firstBitDifference(p.value, dRanks[k]!.params[i]!.value), `rank ${k} param ${i} vs DataParallel`).toBe(-1);
      expect(firstBitDifference(p.value, single.params[i]!.value), `rank ${k} param ${i} vs one process`).toBe(-1);
    }));
    const dicts = await Promise.all(zRanks.map((r) => r.zero.consolidateStateDict()));
    expect(dicts.slice(1)).toEqual(new Array(world - 1).fill(undefined));
    expectSameState(dicts[0]!, single.opt.stateDict());
  });
});

describe("ZeRO-1 state", () => {
  const build = (world: number, cls: OptimizerClass = Adam, options: object = { lr: 0.01 }) => {
    const groups = localGroups(world);
    return groups.map((g) => {
      const store = new ParamStore();
      const rand = rng(3);
      const params = [1000, 333, 4096].map((n, i) => store.param(`w${i}`, randomArray(n, rand)));
      return { store, params, zero: new ZeroRedundancyOptimizer(params, { ...options, optimizer: cls, group: g }) };
    });
  };
  const stepAll = async (ranks: ReturnType<typeof build>, t: number) => {
    const grads = ranks.map((_, k) => { const rand = rng(100 * t + k); return ranks[0]!.params.map((p) => randomArray(p.length, rand)); });
    ranks.forEach((r, k) => r.params.forEach((p, i) => p.grad.set(grads[k]![i]!)));
    await Promise.all(ranks.map((r) => r.zero.step()));
    return grads;
  };

  it.each([2, 3, 4])("W = %i: each rank holds ≈ 1/W of the state, in shares of 16 floats", async (world) => {
    const ranks = build(world);
    await stepAll(ranks, 0);
    const store = new ParamStore();
    const full = new Adam(ranks[0]!.params.map((p) => store.param(p.name, p.length)), { lr: 0.01 });
    full.step();
    const total = ranks.reduce((s, r) => s + r.zero.stateBytes, 0);
    expect(total).toBe(full.stateBytes);
    const share = Math.ceil(5429 / (16 * world)) * 16; // one run of 1000 + 333 + 4096 floats
    for (const r of ranks) {
      expect(r.zero.stateBytes).toBeLessThanOrEqual(2 * 4 * share);
      for (const s of r.zero.shares.flat()) expect(s.start % 16).toBe(0);
    }
    expect(ranks[0]!.zero.stateBytes).toBe(2 * 4 * share);
  });

  it("the consolidated dict loads into a plain optimizer, which then steps as the sharded world does", async () => {
    const ranks = build(3, AdamW, { lr: 0.01, weightDecay: 0.1, stateDtype: "bf16" });
    for (let t = 0; t < 2; t++) await stepAll(ranks, t);
    const [dict] = await Promise.all(ranks.map((r) => r.zero.consolidateStateDict()));
    const store = new ParamStore();
    const plain = ranks[0]!.params.map((p) => store.param(p.name, p.value));
    const opt = new AdamW(plain, { lr: 0.01, weightDecay: 0.1, stateDtype: "bf16" });
    opt.loadStateDict(dict!);
    const grads = await stepAll(ranks, 2);
    plain.forEach((p, i) => p.grad.set(rankOrderMean(grads.map((g) => g[i]!))));
    opt.step();
    plain.forEach((p, i) => expect(firstBitDifference(p.value, ranks[1]!.params[i]!.value)).toBe(-1));
  });

  it("schedule-free: eval() and train() switch every rank's params as one process does", async () => {
    const ranks = build(3, ScheduleFreeAdamW, { lr: 0.01 });
    const store = new ParamStore();
    const plain = ranks[0]!.params.map((p) => store.param(p.name, p.value));
    const opt = new ScheduleFreeAdamW(plain, { lr: 0.01 });
    const same = () => ranks.forEach((r) => plain.forEach((p, i) => expect(firstBitDifference(r.params[i]!.value, p.value)).toBe(-1)));
    for (let t = 0; t < 3; t++) {
      const grads = await stepAll(ranks, t);
      plain.forEach((p, i) => p.grad.set(rankOrderMean(grads.map((g) => g[i]!))));
      opt.step();
      same();
      await Promise.all(ranks.map((r) => r.zero.eval()));
      opt.eval();
      same();
      await Promise.all(ranks.map((r) => r.zero.train()));
      opt.train();
      same();
    }
  });

  it("stateDict / loadStateDict per rank resume bit for bit", async () => {
    const a = build(2), b = build(2);
    for (let t = 0; t < 2; t++) await stepAll(a, t);
    b.forEach((r, k) => { r.zero.loadStateDict(a[k]!.zero.stateDict()); r.params.forEach((p, i) => p.value.set(a[k]!.params[i]!.value)); });
    await stepAll(a, 2);
    await stepAll(b, 2);
    b.forEach((r, k) => r.params.forEach((p, i) => expect(firstBitDifference(p.value, a[k]!.params[i]!.value)).toBe(-1)));
  });
});

describe("ZeRO-1 refusals and failures", () => {
  const [group] = localGroups(1);
  const params = () => [new ParamStore().param("w", new Float32Array(8))];
  it.each([
    [{ optimizer: LAMB }, /^ZeroRedundancyOptimizer: LAMB steps whole tensors .* elementwise optimizers only/],
    [{ optimizer: Adafactor }, /^ZeroRedundancyOptimizer: Adafactor steps whole tensors/],
    [{ optimizer: Prodigy }, /^ZeroRedundancyOptimizer: Prodigy's step reduces over every param between its passes .* use DataParallel$/],
    [{ optimizer: Adam, stateDtype: "int8" }, /^ZeroRedundancyOptimizer: param group 0: int8 state is quantized in 256-float blocks/],
    [{ optimizer: Adam, maxGradNorm: 1 }, /^ZeroRedundancyOptimizer: maxGradNorm needs the whole gradient norm/],
    [{ optimizer: Adam, skipNonFinite: true }, /^ZeroRedundancyOptimizer: skipNonFinite needs the whole gradient norm/],
    [{ optimizer: "adam" }, /^ZeroRedundancyOptimizer: options.optimizer must be a gradstep optimizer class/],
    [{ optimizer: Adam, group: {} }, /^ZeroRedundancyOptimizer: group must be a ProcessGroup/],
    [{ optimizer: Adam, lr: -1 }, /^Adam: Invalid lr: -1/],
  ])("%#: %s", (options, message) => {
    expect(() => new ZeroRedundancyOptimizer(params(), { group, ...options } as never)).toThrow(message);
  });

  it.each([-1, 1, 0.5])("consolidateStateDict(%s) in a world of 1 is refused before any collective", async (to) => {
    const zero = new ZeroRedundancyOptimizer(params(), { optimizer: Adam, group: group! });
    await expect(zero.consolidateStateDict(to)).rejects.toThrow(new RegExp(`^ZeroRedundancyOptimizer.consolidateStateDict: invalid rank ${to} \\(expected 0 <= to < 1\\)$`));
  });

  it("eval()/train() on a zero over an optimizer without them is refused", async () => {
    const zero = new ZeroRedundancyOptimizer(params(), { optimizer: Adam, group: group! });
    await expect(zero.eval()).rejects.toThrow(/^ZeroRedundancyOptimizer.eval: only schedule-free optimizers have eval\(\)\/train\(\)$/);
  });

  it("a failing reduce-scatter changes no param and no state", async () => {
    const r = buildRank(SGD, { lr: 0 });
    const zero = new ZeroRedundancyOptimizer(r.params, { optimizer: Adam, group: failingGroup(group!, "reduceScatter", 3), lr: 0.1 });
    r.params.forEach((p, i) => p.grad.set(gradsOf(0, 0)[i]!));
    expect(zero.shares.flat()).toHaveLength(2); // one store run and the foreign param: two reduce-scatters a step
    await zero.step();
    const before = { values: r.params.map((p) => p.value.slice()), state: zero.stateDict() };
    await expect(zero.step()).rejects.toThrow("link lost");
    r.params.forEach((p, i) => expect(firstBitDifference(p.value, before.values[i]!)).toBe(-1));
    expectSameState(zero.stateDict(), before.state);
  });
});
