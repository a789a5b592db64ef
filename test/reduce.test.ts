// The reductions (assembly/reduce/norms.ts) are bit-identical on every backend to the reference
// (src/core/reduce.ts), which fixes the order of additions; and they are the right numbers (vs a plain f64 sum:
// every f32 partial sums at most 16 terms, so each sum is within 16 f32 ulps of it, relative 16·2⁻²⁴).
import { describe, expect, it } from "vitest";
import { ParamStore } from "../src/index.js";
import { reduceRange, reduceRef, reduceSegments, SUM, SUM_SQ } from "../src/core/reduce.js";
import { randomArray, rng } from "./helpers.js";

const LENGTHS = [0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33, 255, 256, 257, 271, 272, 768, 781, 1000, 1279, 2048, 4097];
const BOUND = 16 * 2 ** -24;
const BACKENDS = ["simd", "scalar", "js"] as const;

describe.each(BACKENDS)("%s", (backend) => {
  it.each(LENGTHS)("whole range of %i floats, at an unaligned offset", (n) => {
    const store = new ParamStore();
    store.param("pad", 1);
    const x = store.param("x", randomArray(n, rng(n), 3, 0.1));
    const got = reduceRange(store, backend, x.valuePtr, n);
    const want = new Float64Array(3);
    reduceRef(Float32Array.from(x.value), want);
    expect([got.sumSq, got.sumAbs, got.maxAbs]).toEqual([...want]);
    let sq = 0, ab = 0, mx = 0;
    for (const e of x.value) { sq += e * e; ab += Math.abs(e); mx = Math.max(mx, Math.abs(e)); }
    expect(Math.abs(got.sumSq - sq)).toBeLessThanOrEqual(BOUND * sq);
    expect(Math.abs(got.sumAbs - ab)).toBeLessThanOrEqual(BOUND * ab);
    expect(got.maxAbs).toBe(mx);
    store.dispose();
  });

  it.each(LENGTHS)("Σx²-only mode gives the same Σx² bits (%i floats) and zeros for the rest", (n) => {
    const store = new ParamStore();
    const x = store.param("x", randomArray(n, rng(7 * n), 3, 0.1));
    const all = reduceRange(store, backend, x.valuePtr, n), sq = reduceRange(store, backend, x.valuePtr, n, SUM_SQ);
    expect(sq).toEqual({ sumSq: all.sumSq, sumAbs: 0, maxAbs: 0 });
    store.dispose();
  });

  it.each(LENGTHS)("signed-sum mode: Σx in place of Σ|x|, the reference's bits, near the f64 sum (%i floats, unaligned)", (n) => {
    const store = new ParamStore();
    store.param("pad", 1);
    // Mixed signs (the terms of Prodigy's Σg·(θ0 − θ)); a -0 term at 0 checks the padded SIMD tail's +0.
    const x = store.param("x", randomArray(n, rng(11 * n), 3, 0.1));
    if (n > 0) x.value[0] = -0;
    const all = reduceRange(store, backend, x.valuePtr, n), got = reduceRange(store, backend, x.valuePtr, n, SUM);
    const want = new Float64Array(3);
    reduceRef(Float32Array.from(x.value), want, 0, SUM);
    expect([got.sumSq, got.sumAbs, got.maxAbs]).toEqual([...want]);
    expect([got.sumSq, got.maxAbs]).toEqual([all.sumSq, all.maxAbs]);
    let sum = 0, ab = 0;
    for (const e of x.value) { sum += e; ab += Math.abs(e); }
    expect(Math.abs(got.sumAbs - sum)).toBeLessThanOrEqual(BOUND * ab);
    if (n > 8) expect(got.sumAbs).not.toBe(all.sumAbs);
    store.dispose();
  });

  it("per tensor, one call for a run of tensors of odd lengths", () => {
    const store = new ParamStore();
    const params = LENGTHS.map((n, i) => store.param(`p${i}`, randomArray(n, rng(100 + i), 2, 0.1)));
    const out = new Float64Array(3 * LENGTHS.length);
    reduceSegments(store, backend, params[0]!.valuePtr, LENGTHS, out);
    params.forEach((p, k) => {
      const want = new Float64Array(3);
      reduceRef(Float32Array.from(p.value), want);
      expect([...out.subarray(3 * k, 3 * k + 3)], `tensor ${k}`).toEqual([...want]);
    });
    store.dispose();
  });

  it("non-finite values: Σx² is Inf or NaN, max|x| NaN when a NaN is present", () => {
    const store = new ParamStore();
    for (const [bad, sq, mx] of [[Infinity, Infinity, Infinity], [-Infinity, Infinity, Infinity], [Number.NaN, Number.NaN, Number.NaN]] as const) {
      for (const at of [0, 5, 18]) {
        const x = store.param(`x${bad}${at}`, randomArray(19, rng(at), 1, 0));
        x.value[at] = bad;
        const r = reduceRange(store, backend, x.valuePtr, 19);
        expect(r.sumSq, `${bad} at ${at}`).toBe(sq);
        expect(r.maxAbs, `${bad} at ${at}`).toBe(mx);
      }
    }
    store.dispose();
  });

  it("squares that overflow f32 give Σx² = +Inf with a finite max|x| (what tells overflow from ±Inf elements)", () => {
    const store = new ParamStore();
    const x = store.param("x", randomArray(300, rng(3), 1, 0));
    x.value[260] = -1e20;
    const r = reduceRange(store, backend, x.valuePtr, 300);
    expect(r.sumSq).toBe(Infinity);
    expect(r.maxAbs).toBe(Math.fround(1e20));
    store.dispose();
  });
});
