// Adafactor beyond the registry suites: state buffers whose length is not the param's (row/col factors) — their
// names and lengths per param rank, torch's state shapes, loading dicts whose factors do not fit (nothing
// changes), segments where no param has a buffer, checkpoints — and verify mode (scratch area included).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Adafactor, clipGradNorm, loadCheckpoint, ParamStore, saveCheckpoint, type StateDict } from "../src/index.js";
import { firstBitDifference, randomArray, rng } from "./helpers.js";

const SHAPES = [[6], [4, 5], [2, 3, 4], [7, 1], [1]];

function setup(shapes = SHAPES, options: Record<string, unknown> = {}) {
  const store = new ParamStore();
  const params = shapes.map((s, i) => store.param(`p${i}`, randomArray(s.reduce((a, d) => a * d, 1), rng(i + 1), 1, 0), { shape: s }));
  const opt = new Adafactor(params, { lr: 0.1, ...options });
  return { store, params, opt };
}

function steps(params: { length: number; grad: Float32Array }[], opt: Adafactor, count: number, seed = 7): void {
  const rand = rng(seed);
  for (let t = 0; t < count; t++) {
    for (const p of params) p.grad.set(randomArray(p.length, rand, 1, 0.1));
    opt.step();
  }
}

describe("Adafactor state: factored for >= 2 dims, torch's names", () => {
  it("row_var and col_var for >= 2-D params (torch's [..., rows, 1] and [..., 1, cols], flat), variance otherwise", () => {
    const { params, opt } = setup();
    steps(params, opt, 2);
    const s = opt.stateDict().state;
    expect(Object.keys(s[0]!).sort()).toEqual(["step", "variance"]);
    expect((s[0]!.variance as Float32Array).length).toBe(6);
    expect(Object.keys(s[1]!).sort()).toEqual(["col_var", "row_var", "step"]);
    expect([(s[1]!.row_var as Float32Array).length, (s[1]!.col_var as Float32Array).length]).toEqual([4, 5]);
    expect([(s[2]!.row_var as Float32Array).length, (s[2]!.col_var as Float32Array).length]).toEqual([2 * 3, 2 * 4]);
    expect([(s[3]!.row_var as Float32Array).length, (s[3]!.col_var as Float32Array).length]).toEqual([7, 1]);
    expect((s[4]!.variance as Float32Array).length).toBe(1);
    for (const e of Object.values(s)) expect(e.step).toBe(2);
  });

  it("the factors hold torch's values: after one step (w_1 = 1) row_var = mean_cols(g²), col_var = mean_rows(g²)", () => {
    const { params, opt } = setup([[3, 4]]);
    const g = Float32Array.from([1, 2, 0, -1, 0.5, 0, 0, 3, -2, 1, 1, 1]);
    params[0]!.grad.set(g);
    opt.step();
    const s = opt.stateDict().state[0]!;
    const sq = Array.from(g, (x) => x * x);
    const rows = [0, 1, 2].map((i) => sq.slice(4 * i, 4 * i + 4).reduce((a, x) => a + x, 0) / 4);
    const cols = [0, 1, 2, 3].map((j) => (sq[j]! + sq[4 + j]! + sq[8 + j]!) / 3);
    expect(Array.from(s.row_var as Float32Array)).toEqual(rows.map(Math.fround));
    expect(Array.from(s.col_var as Float32Array)).toEqual(cols.map(Math.fround));
  });

  it("a group of >= 2-D params only allocates no variance (and a 1-D-only group no factors), and steps", () => {
    const store = new ParamStore();
    const w = store.param("w", randomArray(12, rng(1)), { shape: [3, 4] }), v = store.param("v", randomArray(10, rng(2)), { shape: [2, 5] });
    const b = store.param("b", randomArray(9, rng(3)));
    const opt = new Adafactor([{ params: [w, v] }, { params: [b] }], { lr: 0.1 });
    steps([w, v, b], opt, 3, 5);
    const s = opt.stateDict().state;
    expect(Object.keys(s[0]!).sort()).toEqual(["col_var", "row_var", "step"]);
    expect(Object.keys(s[2]!).sort()).toEqual(["step", "variance"]);
    // The same params in one group (factors and variance in one segment) step to the same bits.
    const store2 = new ParamStore();
    const w2 = store2.param("w", randomArray(12, rng(1)), { shape: [3, 4] }), v2 = store2.param("v", randomArray(10, rng(2)), { shape: [2, 5] });
    const b2 = store2.param("b", randomArray(9, rng(3)));
    const opt2 = new Adafactor([w2, v2, b2], { lr: 0.1 });
    steps([w2, v2, b2], opt2, 3, 5);
    [[w, w2], [v, v2], [b, b2]].forEach(([x, y]) => expect(firstBitDifference(y!.value, x!.value)).toBe(-1));
    expect(opt2.stateDict().state).toEqual(s);
  });

  it("resumes bit-exactly through structuredClone and JSON", () => {
    const a = setup(), b = setup();
    steps(a.params, a.opt, 6);
    steps(b.params, b.opt, 3);
    const saved = b.opt.stateDict();
    for (const dict of [structuredClone(saved), JSON.parse(JSON.stringify(saved)) as StateDict]) {
      const c = setup();
      c.params.forEach((p, i) => p.value.set(b.params[i]!.value));
      c.opt.loadStateDict(dict);
      const rand = rng(7);
      for (let t = 0; t < 3; t++) for (const p of c.params) p.grad.set(randomArray(p.length, rand, 1, 0.1)); // skip 3 steps' grads
      for (let t = 0; t < 3; t++) {
        for (const p of c.params) p.grad.set(randomArray(p.length, rand, 1, 0.1));
        c.opt.step();
      }
      a.params.forEach((p, i) => expect(firstBitDifference(c.params[i]!.value, p.value), `param ${i}`).toBe(-1));
      expect(c.opt.stateDict()).toEqual(a.opt.stateDict());
    }
  });

  it("round-trips through a safetensors checkpoint", () => {
    const a = setup(), b = setup();
    steps(a.params, a.opt, 3);
    const bytes = saveCheckpoint({ params: a.params, optimizer: a.opt });
    loadCheckpoint(bytes, { params: b.params, optimizer: b.opt });
    expect(b.opt.stateDict()).toEqual(a.opt.stateDict());
  });
});

describe("a dict whose factors do not fit throws and changes nothing", () => {
  const corrupt: Array<{ desc: string; edit: (d: StateDict) => unknown; error: RegExp }> = [
    { desc: "row_var of another length", edit: (d) => { d.state[1]!.row_var = new Float32Array(5); return d; }, error: /param 1: "row_var" has length 5, expected 4 for a param of shape \[4, 5\]/ },
    { desc: "col_var of the param's length", edit: (d) => { d.state[2]!.col_var = new Float32Array(24); return d; }, error: /param 2: "col_var" has length 24, expected 8 for a param of shape \[2, 3, 4\]/ },
    { desc: "variance for a 2-D param", edit: (d) => { d.state[1]!.variance = new Float32Array(20); return d; }, error: /param 1 has "variance", which a param of shape \[4, 5\] does not have/ },
    { desc: "row_var for a 1-D param", edit: (d) => { d.state[0]!.row_var = new Float32Array(6); return d; }, error: /param 0 has "row_var", which a param of shape \[6\] does not have/ },
    { desc: "a missing col_var", edit: (d) => { delete d.state[3]!.col_var; return d; }, error: /param 3 is missing "col_var"/ },
    { desc: "a missing variance", edit: (d) => { delete d.state[0]!.variance; return d; }, error: /param 0 is missing "variance"/ },
    { desc: "variance of another length", edit: (d) => { d.state[0]!.variance = [1, 2, 3] as never; return d; }, error: /param 0: "variance" has length 3, expected 6 for a param of shape \[6\]/ },
  ];
  it.each(corrupt)("$desc", ({ edit, error }) => {
    const { params, opt } = setup();
    steps(params, opt, 2);
    const before = opt.stateDict();
    const values = params.map((p) => Float32Array.from(p.value));
    expect(() => opt.loadStateDict(edit(structuredClone(before)) as StateDict)).toThrow(error);
    expect(opt.stateDict()).toEqual(before);
    params.forEach((p, i) => expect(firstBitDifference(p.value, values[i]!)).toBe(-1));
  });
});

describe("Adafactor backends", () => {
  it.each(["simd", "scalar"] as const)("verify mode (%s vs the reference, factors and scratch area included) passes", (backend) => {
    const { params, opt } = setup([[9, 13], [33], [3, 5, 6], [1, 1]], { backend, verify: true, weightDecay: 0.1, maximize: true });
    steps(params, opt, 5);
    expect(opt.stateDict().state[0]!.step).toBe(5);
  });

  it.each(["simd", "scalar", "js"] as const)("%s: the gradient prologue — fused maxGradNorm == clipGradNorm then step, gradScale 1/4 == grads / 4 (bit for bit)", (backend) => {
    const shapes = [[9, 13], [33], [2, 3, 5]];
    const fused = setup(shapes, { backend, maxGradNorm: 0.5, maximize: true });
    const unfused = setup(shapes, { backend, maximize: true });
    const scaled = setup(shapes, { backend }), plain = setup(shapes, { backend });
    const rand = rng(21);
    for (let t = 0; t < 6; t++) {
      const gs = fused.params.map((p) => randomArray(p.length, rand, 3, 0.1));
      [fused, unfused, scaled].forEach((o) => o.params.forEach((p, i) => p.grad.set(gs[i]!)));
      plain.params.forEach((p, i) => p.grad.set(gs[i]!.map((x) => x / 4)));
      fused.opt.step();
      clipGradNorm(unfused.params, 0.5);
      unfused.opt.step();
      scaled.opt.step({ gradScale: 0.25 });
      plain.opt.step();
    }
    fused.params.forEach((p, i) => expect(firstBitDifference(p.value, unfused.params[i]!.value), `clip: param ${i}`).toBe(-1));
    expect(fused.opt.stateDict().state).toEqual(unfused.opt.stateDict().state);
    scaled.params.forEach((p, i) => expect(firstBitDifference(p.value, plain.params[i]!.value), `gradScale: param ${i}`).toBe(-1));
    expect(scaled.opt.stateDict().state).toEqual(plain.opt.stateDict().state);
    expect(firstBitDifference(fused.params[0]!.value, scaled.params[0]!.value)).not.toBe(-1);
  });

  it("a foreign param's shape factors it like a store param's, bit for bit (on the copy path)", () => {
    const init = randomArray(20, rng(3));
    const store = new ParamStore();
    const w = store.param("w", init, { shape: [4, 5] });
    const foreign = { value: Float32Array.from(init), grad: new Float32Array(20), shape: [4, 5] };
    const a = new Adafactor([w], { lr: 0.1 }), b = new Adafactor([foreign], { lr: 0.1 });
    const rand = rng(11);
    for (let t = 0; t < 5; t++) {
      const g = randomArray(20, rand);
      w.grad.set(g);
      foreign.grad.set(g);
      a.step();
      b.step();
    }
    expect(firstBitDifference(foreign.value, w.value)).toBe(-1);
    expect(b.stateDict()).toEqual(a.stateDict());
  });

  it("torch's fixtures cover 1-D, 2-D and >= 3-D params with torch's state keys per rank (the conformance suite runs them)", () => {
    const fixture = JSON.parse(readFileSync(new URL("./fixtures/pytorch.json", import.meta.url), "utf8")) as {
      cases: Array<{ optimizer: string; shapes: number[][]; state: Record<string, unknown>[] }>;
    };
    const cases = fixture.cases.filter((c) => c.optimizer === "Adafactor");
    expect(cases.length).toBeGreaterThanOrEqual(9);
    const ranks = new Set(cases.flatMap((c) => c.shapes.map((s) => Math.min(s.length, 3))));
    expect([...ranks].sort()).toEqual([1, 2, 3]);
    for (const c of cases) {
      c.shapes.forEach((s, i) => expect(Object.keys(c.state[i]!).sort()).toEqual(s.length >= 2 ? ["col_var", "row_var", "step"] : ["step", "variance"]));
    }
  });
});
