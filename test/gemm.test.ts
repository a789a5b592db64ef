// gemm_f32 (assembly/linalg/gemm.ts): the right numbers (vs a naive f64 product) at odd sizes, and the same bits
// on every backend as the pure-TS reference, whose accumulation order (one f32 accumulator per C element, p
// ascending, no FMA) both Wasm builds follow.
import { describe, expect, it } from "vitest";
import { ParamStore } from "../src/index.js";
import { gemmPackFloats, gemmRef, TRANS_B } from "../src/linalg/gemm.js";
import { firstBitDifference, randomArray, rng } from "./helpers.js";

// [m, n, k]: 1×1, vector shapes, edges of every tile (4-row tiles, 8-column panels, partial 4-lane halves), the
// block sizes (KC 256, NC 512, MC 128) crossed with remainders, and square powers of two.
const SIZES: Array<[number, number, number]> = [
  [1, 1, 1], [1, 1, 7], [3, 5, 7], [5, 3, 2], [4, 8, 1], [7, 9, 3], [17, 33, 9], [9, 17, 33], [64, 64, 64],
  [100, 37, 41], [37, 100, 13], [130, 21, 300], [6, 520, 5], [2, 9, 600], [129, 131, 257], [128, 128, 128], [1, 600, 1],
];
const BACKENDS = ["simd", "scalar"] as const;

/** C = A·op(B) in Wasm `backend` over an unaligned layout (every array 4 bytes past a 16-byte boundary). */
function wasmGemm(backend: "simd" | "scalar", a: Float32Array, b: Float32Array, m: number, n: number, k: number, flags: number): Float32Array {
  const store = new ParamStore();
  const ptr = (x: Float32Array | number) => {
    const len = typeof x === "number" ? x : x.length;
    const p = store.alloc(len + 1) + 4;
    if (typeof x !== "number") store.f32.set(x, p / 4);
    return p;
  };
  const pa = ptr(a), pb = ptr(b), pc = ptr(m * n), pack = ptr(gemmPackFloats(n, k));
  store.f32.fill(Number.NaN, pc / 4, pc / 4 + m * n); // C is written, never read, on the first k-block
  store.kernels(backend).gemm_f32!(pc, pa, pb, pack, m, n, k, flags);
  const out = store.f32.slice(pc / 4, pc / 4 + m * n);
  store.dispose();
  return out;
}

/** The exact product in f64. */
function naive(a: Float32Array, b: Float32Array, m: number, n: number, k: number, transB: boolean): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p]! * (transB ? b[j * k + p]! : b[p * n + j]!);
      c[i * n + j] = s;
    }
  }
  return c;
}

describe.each([{ name: "C = A·B", flags: 0 }, { name: "C = A·Bᵀ", flags: TRANS_B }])("gemm_f32 $name", ({ flags }) => {
  it.each(SIZES)("%i×%i, depth %i", (m, n, k) => {
    const rand = rng(m * 1000 + n * 10 + k);
    const a = randomArray(m * k, rand, 1, 0.05), b = randomArray(k * n, rand, 1, 0.05);
    const ref = new Float32Array(m * n);
    gemmRef(ref, a, b, m, n, k, flags);
    // The numbers: a recursive f32 sum of k products errs by at most about k·u·Σ|a||b| (u = 2^-24, the product
    // rounding included); with entries in [-1, 1], Σ|a||b| <= k. The bound below is that, with a factor 2.
    const exact = naive(a, b, m, n, k, (flags & TRANS_B) !== 0);
    const absAB = naive(a.map(Math.abs), b.map(Math.abs), m, n, k, (flags & TRANS_B) !== 0);
    for (let i = 0; i < m * n; i++) {
      const tol = 2 * (k + 1) * 2 ** -24 * absAB[i]!;
      if (!(Math.abs(ref[i]! - exact[i]!) <= tol)) throw new Error(`element ${i}: ${ref[i]} vs exact ${exact[i]} (tolerance ${tol})`);
    }
    // The bits: both Wasm builds equal the reference.
    for (const backend of BACKENDS) {
      const got = wasmGemm(backend, a, b, m, n, k, flags);
      const d = firstBitDifference(got, ref);
      expect(d, `${backend}: element ${d}: ${got[d]} vs ${ref[d]}`).toBe(-1);
    }
  });
});

describe("gemm_f32 edge cases", () => {
  it.each(BACKENDS)("%s: depth 0 gives zeros; empty C writes nothing", (backend) => {
    expect(Array.from(wasmGemm(backend, new Float32Array(0), new Float32Array(0), 3, 5, 0, 0))).toEqual(new Array(15).fill(0));
    expect(wasmGemm(backend, new Float32Array(0), new Float32Array(4), 0, 4, 1, 0).length).toBe(0);
  });

  it.each(BACKENDS)("%s: NaN and ±Infinity propagate as in the reference; signed zeros follow the +0 start", (backend) => {
    const m = 6, n = 11, k = 5;
    const a = randomArray(m * k, rng(8), 1, 0.3), b = randomArray(k * n, rng(9), 1, 0.3);
    a[3] = Number.NaN; b[7] = Infinity; b[20] = -Infinity;
    for (let j = 0; j < n; j++) b[n + j] = -0; // row 1 of B is all −0
    for (const flags of [0, TRANS_B]) {
      const ref = new Float32Array(m * n);
      gemmRef(ref, a, b, m, n, k, flags);
      expect(ref.some(Number.isNaN)).toBe(true);
      expect(firstBitDifference(wasmGemm(backend, a, b, m, n, k, flags), ref)).toBe(-1);
    }
    // Every product −0 (0 · −0): the sum is +0 + (−0) = +0, as the +0 start defines.
    const z = wasmGemm(backend, new Float32Array([0, 0]), new Float32Array([-0, -0]), 1, 1, 2, 0);
    expect(Object.is(z[0], 0)).toBe(true);
  });

  it("the reference's order is observable: it is the sequential f32 sum, not the f64 one rounded", () => {
    // 1 + 2^-24 + 2^-24: sequentially each half-ulp rounds away (to even), in f64 it survives.
    const a = new Float32Array([1, 1, 1]), b = new Float32Array([1, 2 ** -24, 2 ** -24]);
    const c = new Float32Array(1);
    gemmRef(c, a, b, 1, 1, 3);
    expect(c[0]).toBe(1);
    expect(Math.fround(1 + 2 ** -23)).not.toBe(1);
    for (const backend of BACKENDS) expect(wasmGemm(backend, a, b, 1, 1, 3, 0)[0]).toBe(1);
  });
});
