// paramGroupsForWeightDecay: the split (1-D params excluded by default, or a predicate), and AdamW over the
// groups == AdamW with weight decay on the decayed params and AdamW without on the others, bit for bit.
import { describe, expect, it } from "vitest";
import { AdamW, paramGroupsForWeightDecay, ParamStore, type ParamLike } from "../../src/index.js";
import { firstBitDifference, randomArray, rng } from "../helpers.js";

function mlp(seed: number) {
  const rand = rng(seed);
  const store = new ParamStore();
  const w1 = store.param("w1", randomArray(8 * 4, rand), { shape: [8, 4] });
  const b1 = store.param("b1", randomArray(8, rand));
  const norm = store.param("norm.weight", randomArray(8, rand), { shape: [8] });
  const w2 = store.param("w2", randomArray(3 * 8, rand), { shape: [3, 8] });
  const b2 = store.param("b2", randomArray(3, rand));
  return { store, params: [w1, b1, norm, w2, b2], rand };
}

describe("paramGroupsForWeightDecay", () => {
  it("excludes 1-D params (biases, norms) by default", () => {
    const { params: [w1, b1, norm, w2, b2] } = mlp(1);
    expect(paramGroupsForWeightDecay([w1!, b1!, norm!, w2!, b2!], { weightDecay: 0.05 })).toEqual([
      { params: [w1, w2], weightDecay: 0.05 },
      { params: [b1, norm, b2], weightDecay: 0 },
    ]);
  });

  it("takes a store, a predicate, and foreign params with or without a shape", () => {
    const { store, params: [w1, b1, norm, w2, b2] } = mlp(2);
    const byName = paramGroupsForWeightDecay(store, { weightDecay: 0.1, exclude: (p) => (p as { name: string }).name.includes("norm") });
    expect(byName).toEqual([{ params: [w1, b1, w2, b2], weightDecay: 0.1 }, { params: [norm], weightDecay: 0 }]);
    const matrix = { value: new Float32Array(6), grad: new Float32Array(6), shape: [2, 3] };
    const vector = { value: new Float32Array(6), grad: new Float32Array(6) };
    expect(paramGroupsForWeightDecay([matrix, vector], { weightDecay: 1e-2 })).toEqual([
      { params: [matrix], weightDecay: 1e-2 }, { params: [vector], weightDecay: 0 },
    ]);
  });

  it("leaves out a group that would be empty (optimizers reject empty groups)", () => {
    const { params: [w1, , norm] } = mlp(3);
    expect(paramGroupsForWeightDecay([w1!], { weightDecay: 0.1 })).toEqual([{ params: [w1], weightDecay: 0.1 }]);
    expect(paramGroupsForWeightDecay([norm!], { weightDecay: 0.1 })).toEqual([{ params: [norm], weightDecay: 0 }]);
  });

  it("AdamW over the groups == AdamW(decayed, wd) + AdamW(excluded, wd 0), bit for bit; biases never decay", () => {
    for (const backend of ["simd", "scalar", "js"] as const) {
      const a = mlp(4), b = mlp(4), c = mlp(4);
      const grouped = new AdamW(paramGroupsForWeightDecay(a.params, { weightDecay: 0.5 }), { lr: 0.01, backend });
      const [bw1, bb1, bnorm, bw2, bb2] = b.params;
      const decayed = new AdamW([bw1!, bw2!], { lr: 0.01, weightDecay: 0.5, backend });
      const plain = new AdamW([bb1!, bnorm!, bb2!], { lr: 0.01, weightDecay: 0, backend });
      const all = new AdamW(c.params, { lr: 0.01, weightDecay: 0.5, backend });
      for (let t = 0; t < 5; t++) {
        const grads = a.params.map((p) => randomArray(p.length, a.rand));
        for (const m of [a, b, c]) m.params.forEach((p, i) => p.grad.set(grads[i]!));
        grouped.step();
        decayed.step();
        plain.step();
        all.step();
      }
      a.params.forEach((p, i) => expect(firstBitDifference(p.value, b.params[i]!.value), `${backend} ${p.name}`).toBe(-1));
      expect(firstBitDifference(a.params[1]!.value, c.params[1]!.value), "a bias with decay moves elsewhere").not.toBe(-1);
      expect(firstBitDifference(a.params[0]!.value, c.params[0]!.value), "weights decay as with one group").toBe(-1);
    }
  });
});

// Without shapes every param would count as 1-D and nothing would decay: the default rule refuses to guess.
describe("params without shapes: the default rule refuses, a predicate decides", () => {
  const quickStart = () => {
    const store = new ParamStore(); // params created without a shape: store.param(name, n)
    return { store, w: store.param("w", randomArray(6, rng(1))), b: store.param("b", randomArray(3, rng(2))) };
  };
  const vector = () => ({ value: new Float32Array(4), grad: new Float32Array(4) });
  const RULE = "so the default rule \\(decay params of 2 or more dimensions, exclude 1-D biases and norm scales\\) would decay nothing: " +
    "create weight matrices with their shape \\(store\\.param\\(\"w\", 64 \\* 32, \\{ shape: \\[64, 32\\] \\}\\), or \\{ value, grad, shape \\}\\) or pass exclude: \\(p\\) => boolean$";
  it.each([
    ["store params without shapes (a store)", () => quickStart().store, `none of the 2 params has a shape, ${RULE}`],
    ["store params without shapes (a list)", () => { const q = quickStart(); return [q.w, q.b]; }, `none of the 2 params has a shape, ${RULE}`],
    ["one store param without a shape", () => quickStart().w, `the param has no shape, ${RULE}`],
    ["foreign params without shapes", () => [vector(), vector(), vector()], `none of the 3 params has a shape, ${RULE}`],
  ])("%s", (_, params, message) => {
    expect(() => paramGroupsForWeightDecay(params() as never, { weightDecay: 0.1 })).toThrow(new RegExp(`^paramGroupsForWeightDecay: ${message}`));
  });

  it("a 1-D shape given explicitly counts: all-excluded is then what was asked for", () => {
    const store = new ParamStore();
    const b = store.param("b", 3, { shape: [3] });
    expect(paramGroupsForWeightDecay(store, { weightDecay: 0.1 })).toEqual([{ params: [b], weightDecay: 0 }]);
  });

  it("an explicit exclude needs no shapes", () => {
    const { store, w, b } = quickStart();
    expect(paramGroupsForWeightDecay(store, { weightDecay: 0.1, exclude: (p) => (p as { name: string }).name === "b" })).toEqual([
      { params: [w], weightDecay: 0.1 }, { params: [b], weightDecay: 0 },
    ]);
  });
});

describe("bad input: a clear error, nothing returned", () => {
  const p = () => new ParamStore().param("w", 4, { shape: [2, 2] });
  it.each([
    [() => paramGroupsForWeightDecay([p()], { weightDecay: -1 }), /Invalid weightDecay: -1 \(expected a finite number >= 0\)/],
    [() => paramGroupsForWeightDecay([p()], { weightDecay: Number.NaN }), /Invalid weightDecay: NaN/],
    [() => paramGroupsForWeightDecay([p()], {} as never), /Invalid weightDecay: undefined/],
    [() => paramGroupsForWeightDecay([p()], null as never), /options must be an object/],
    [() => paramGroupsForWeightDecay([p()], { weightDecay: 0.1, exclude: "bias" as never }), /exclude must be a function/],
    [() => paramGroupsForWeightDecay([p()], { weightDecay: 0.1, exlude: () => true } as never), /unknown option "exlude"/],
    [() => paramGroupsForWeightDecay([p()], { weightDecay: 0.1, exclude: () => 1 as never }), /exclude\(params\[0\]\) returned 1, expected a boolean/],
    [() => paramGroupsForWeightDecay([], { weightDecay: 0.1 }), /empty parameter list/],
    [() => paramGroupsForWeightDecay([{ value: 1 } as unknown as ParamLike], { weightDecay: 0.1 }), /params\[0\] is not a param/],
  ])("%#", (act, message) => {
    expect(act).toThrow(message);
  });
});
