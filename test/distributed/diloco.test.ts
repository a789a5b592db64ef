// DiLoCo: the outer step against torch's SGD(nesterov=True) (fixtures from scripts/gen-distributed-fixtures.py:
// torch SGD inner steps, rank-order mean of the pseudo-gradients, torch's outer SGD), within the conformance
// suite's tolerance (torch's CPU `add(alpha=)` fuses the multiply-add, gradstep rounds twice), and bit-identical
// to a single-process simulation written here; a failing sync changes no param, anchor or outer state.
import { describe, expect, it } from "vitest";
import { AdamW, LBFGS, ParamStore, SGD } from "../../src/index.js";
import { DiLoCo, type DiLoCoState, localGroups } from "../../src/distributed/index.js";
import { expectSameState, firstBitDifference } from "../helpers.js";
import fixtures from "../fixtures/distributed.json" with { type: "json" };
import { buildRank, failingGroup, gradsOf, rankOrderMean } from "./world.js";

describe("DiLoCo against torch (SGD inner steps, SGD(nesterov=True) outer step)", () => {
  it.each(fixtures.diloco.map((c) => [`W = ${c.world}, H = ${c.syncEvery}, outer lr ${c.outerLr}, momentum ${c.momentum}`, c] as const))("%s", async (_, c) => {
    const groups = localGroups(c.world);
    const ranks = groups.map((g) => {
      const store = new ParamStore();
      const w = store.param("w", new Float32Array(c.init));
      const diloco = new DiLoCo(new SGD([w], { lr: c.innerLr }), g, { syncEvery: c.syncEvery, outerLr: c.outerLr, momentum: c.momentum });
      return { w, diloco };
    });
    for (const [s, expected] of c.expected.entries()) {
      for (let k = 0; k < c.syncEvery; k++) {
        ranks.forEach((r, i) => r.w.grad.set(c.grads[s]![i]![k]!));
        await Promise.all(ranks.map((r) => r.diloco.step()));
      }
      for (const r of ranks) {
        expect(firstBitDifference(r.w.value, ranks[0]!.w.value)).toBe(-1);
        const far = expected.findIndex((x, i) => !(Math.abs(r.w.value[i]! - x) <= 1e-6 + 1e-5 * Math.abs(x)));
        expect(far, `sync ${s + 1}: element ${far}`).toBe(-1);
      }
    }
  });
});

/** The outer step by hand, torch's SGD(nesterov=True): b = Δ (first) or f32(μb) + Δ; anchor −= f32(lr·(Δ + f32(μb))). */
function outerStep(anchor: Float32Array, delta: Float32Array, buf: Float32Array | undefined, lr: number, mu: number): Float32Array {
  const f = Math.fround, b = buf ?? Float32Array.from(delta);
  for (let i = 0; i < delta.length; i++) {
    if (buf) b[i] = f(f(mu) * b[i]!) + delta[i]!;
    anchor[i] = anchor[i]! - f(f(lr) * f(delta[i]! + f(f(mu) * b[i]!)));
  }
  return b;
}

describe("DiLoCo equals its single-process simulation", () => {
  it.each([[2, 1], [3, 2], [4, 3]])("W = %i, H = %i, AdamW inner steps over groups and a foreign param", async (world, H) => {
    const groups = localGroups(world);
    const options = { lr: 0.01, weightDecay: 0.1 };
    const ranks = groups.map((g) => { const r = buildRank(AdamW, options); return { ...r, diloco: new DiLoCo(r.opt, g, { syncEvery: H }) }; });
    const sim = groups.map(() => buildRank(AdamW, options));
    const anchors = sim[0]!.params.map((p) => Float32Array.from(p.value));
    const bufs: (Float32Array | undefined)[] = anchors.map(() => undefined);
    for (let t = 0; t < 3 * H; t++) {
      ranks.forEach((r, k) => r.params.forEach((p, i) => p.grad.set(gradsOf(t, k)[i]!)));
      await Promise.all(ranks.map((r) => r.diloco.step()));
      sim.forEach((r, k) => { r.params.forEach((p, i) => p.grad.set(gradsOf(t, k)[i]!)); r.opt.step(); });
      if ((t + 1) % H !== 0) continue;
      anchors.forEach((a, i) => {
        const deltas = sim.map((r) => Float32Array.from(a, (x, j) => x - r.params[i]!.value[j]!));
        bufs[i] = outerStep(a, rankOrderMean(deltas), bufs[i], 0.7, 0.9);
        for (const r of sim) r.params[i]!.value.set(a);
      });
    }
    ranks.forEach((r, k) => {
      r.params.forEach((p, i) => expect(firstBitDifference(p.value, sim[k]!.params[i]!.value), `rank ${k} param ${i}`).toBe(-1));
      expectSameState(r.opt.stateDict(), sim[k]!.opt.stateDict());
    });
    expect(ranks[0]!.diloco.innerSteps).toBe(3 * H);
  });
});

describe("DiLoCo state", () => {
  /** W = 2 ranks of AdamW + DiLoCo(H = 2); `from`: each rank's saved inner and outer state (and params) to resume from. */
  const world = (from?: { inner: unknown; outer: unknown; values: Float32Array[] }[]) => {
    const groups = localGroups(2);
    return groups.map((g, k) => {
      const r = buildRank(AdamW, { lr: 0.01 });
      const diloco = new DiLoCo(r.opt, g, { syncEvery: 2 });
      if (from) {
        r.params.forEach((p, i) => p.value.set(from[k]!.values[i]!));
        r.opt.loadStateDict(structuredClone(from[k]!.inner) as never);
        diloco.loadStateDict(JSON.parse(JSON.stringify(from[k]!.outer)));
      }
      return { ...r, diloco };
    });
  };
  const run = async (ranks: ReturnType<typeof world>, from: number, to: number) => {
    for (let t = from; t < to; t++) {
      ranks.forEach((r, k) => r.params.forEach((p, i) => p.grad.set(gradsOf(t, k)[i]!)));
      await Promise.all(ranks.map((r) => r.diloco.step()));
    }
  };

  it("resumes bit for bit after a sync and mid-interval (through JSON)", async () => {
    for (const cut of [4, 5]) {
      const a = world();
      await run(a, 0, cut);
      const saved = a.map((r) => ({ inner: r.opt.stateDict(), outer: r.diloco.stateDict(), values: r.params.map((p) => p.value.slice()) }));
      await run(a, cut, 9);
      const b = world(saved);
      expect(b[0]!.diloco.innerSteps).toBe(cut);
      await run(b, cut, 9);
      b.forEach((r, k) => r.params.forEach((p, i) => expect(firstBitDifference(p.value, a[k]!.params[i]!.value), `cut ${cut} rank ${k} param ${i}`).toBe(-1)));
    }
  });

  it.each([
    [(d: DiLoCoState) => ({ ...d, innerSteps: -1 }), /^DiLoCo.loadStateDict: invalid innerSteps -1/],
    [(d: DiLoCoState) => ({ ...d, anchors: d.anchors.slice(1) }), /anchors must hold one array per flat run of the params \(3\)/],
    [(d: DiLoCoState) => ({ ...d, anchors: [new Float32Array(2), ...d.anchors.slice(1)] }), /anchors\[0\] must be 42 floats/],
    [(d: DiLoCoState) => ({ ...d, outer: { ...d.outer, optimizer: "Adam" } }), /Adam/],
  ])("a bad state dict throws and changes nothing: %#", async (edit, message) => {
    const ranks = world();
    await run(ranks, 0, 2);
    const before = ranks[0]!.diloco.stateDict();
    expect(() => ranks[0]!.diloco.loadStateDict(edit(before))).toThrow(message);
    expect(ranks[0]!.diloco.innerSteps).toBe(before.innerSteps);
    ranks[0]!.diloco.anchors.forEach((a, i) => expect(firstBitDifference(a, before.anchors[i]!)).toBe(-1));
    expectSameState(ranks[0]!.diloco.outer.stateDict(), before.outer);
  });
});

describe("DiLoCo failures and errors", () => {
  it("refuses what is not a gradstep optimizer, and a closure-kind one", () => {
    const [g] = localGroups(1);
    expect(() => new DiLoCo({} as never, g!, { syncEvery: 1 })).toThrow(/^DiLoCo: expected a gradstep optimizer \(new Adam\(params, \.\.\.\)\) as the first argument$/);
    const lbfgs = new LBFGS([new ParamStore().param("w", 3)]);
    expect(() => new DiLoCo(lbfgs as never, g!, { syncEvery: 1 })).toThrow(/closure-kind optimizers such as LBFGS/);
  });

  it("a failing all-reduce: params (as the inner step left them), anchors and outer state unchanged", async () => {
    const r = buildRank(SGD, { lr: 0.1 });
    const diloco = new DiLoCo(r.opt, failingGroup(localGroups(1)[0]!, "allReduce", 1), { syncEvery: 2 });
    r.params.forEach((p, i) => p.grad.set(gradsOf(0, 0)[i]!));
    await diloco.step();
    await expect(diloco.step()).rejects.toThrow("link lost");
    const values = r.params.map((p) => p.value.slice()), anchors = diloco.anchors, outer = diloco.outer.stateDict();
    await expect(diloco.sync()).rejects.toThrow("link lost");
    r.params.forEach((p, i) => expect(firstBitDifference(p.value, values[i]!)).toBe(-1));
    diloco.anchors.forEach((a, i) => expect(firstBitDifference(a, anchors[i]!)).toBe(-1));
    expectSameState(diloco.outer.stateDict(), outer);
    expect(anchors[0]![0]).not.toBe(values[0]![0]); // the inner steps moved the params away from the anchor
  });

  it.each([
    [{ syncEvery: 0 }, /^DiLoCo: invalid syncEvery 0 \(expected an integer >= 1\)$/],
    [{ syncEvery: 2.5 }, /^DiLoCo: invalid syncEvery 2.5/],
    [{}, /^DiLoCo: invalid syncEvery undefined/],
    [{ syncEvery: 5, outerLR: 1 }, /^DiLoCo: unknown option "outerLR"/],
    [{ syncEvery: 5, momentum: 0 }, /^DiLoCo: the outer optimizer: .*nesterov/i],
    [{ syncEvery: 5, outerLr: -1 }, /^DiLoCo: the outer optimizer: .*lr/],
  ])("%j", (options, message) => {
    const r = buildRank(SGD, { lr: 0.1 });
    expect(() => new DiLoCo(r.opt, localGroups(1)[0]!, options as never)).toThrow(message);
  });
});
