// Read-only reductions over params' gradients (or values): Σx², Σ|x| and max|x| in one pass, for a whole
// range or per tensor (segmented, one call for all tensors of a contiguous run). The building blocks of
// clipping, non-finite detection and per-tensor trust ratios. The Wasm kernels (assembly/reduce/norms.ts)
// and the reference below add in the same order (documented there), so every backend gives the same bits.
import type { BackendName } from "../runtime/types.js";
import type { ParamStore } from "../runtime/store.js";

/**
 * Σx², Σ|x| and max|x| of some f32s (f64 results; the sums accumulate in f32 blocks, see reduceRef). Σx² is NaN
 * exactly when an element is NaN and +Inf when one is ±Inf or the squares overflow f32; max|x| is exact.
 */
export interface Reduction { sumSq: number; sumAbs: number; maxAbs: number }

/**
 * What a reduction computes: ALL (Σx², Σ|x|, max|x|), SUM_SQ only (the others are then 0; Σx² is the same
 * bits), or SUM (Σx², Σx, max|x|: the signed sum in the second place, same order).
 */
export const ALL = 0, SUM_SQ = 1, SUM = 2;

const PARTS = 16, BLOCK = 256;
const q = new Float64Array(PARTS), t = new Float64Array(PARTS);

/**
 * Σ of the terms of x[0..n) (x_i² rounded to f32, |x_i| or x_i, by `mode`) in the kernels' order
 * (assembly/reduce/norms.ts): x is cut into blocks of 256; in a block, term i is added in f32 to partial
 * i mod 16, and at its end the partials go into f64 totals t_k; the blocks are folded in the order A_0, B_0,
 * A_1, B_1, … (A: the first ceil(nb/2) blocks, B: the rest); the result is e + o, e = ((t0 + t2) + (t4 + t6))
 * + ((t8 + t10) + (t12 + t14)), o the same over the odd totals.
 */
function blockedSum(x: Float32Array, mode: "square" | "abs" | "signed"): number {
  const f = Math.fround, n = x.length, nb = Math.ceil(n / BLOCK), h = (nb + 1) >> 1;
  t.fill(0);
  for (let k = 0; k < nb; k++) {
    const b = k & 1 ? h + (k >> 1) : k >> 1;
    q.fill(0);
    for (let i = b * BLOCK; i < Math.min(n, (b + 1) * BLOCK); i++) {
      const e = x[i]!, p = i & (PARTS - 1);
      q[p] = f(q[p]! + (mode === "square" ? f(e * e) : mode === "abs" ? Math.abs(e) : e));
    }
    for (let j = 0; j < PARTS; j++) t[j] = t[j]! + q[j]!;
  }
  return half(0) + half(1);
}
function half(h: number): number {
  return ((t[h]! + t[h + 2]!) + (t[h + 4]! + t[h + 6]!)) + ((t[h + 8]! + t[h + 10]!) + (t[h + 12]! + t[h + 14]!));
}

/** The reference of reduce_f32: x[0..n) into out[o..o+3). */
export function reduceRef(x: Float32Array, out: Float64Array, o = 0, mode = ALL): void {
  const sq = blockedSum(x, "square");
  out[o] = sq;
  if (mode === SUM_SQ) {
    out[o + 1] = 0;
    out[o + 2] = 0;
    return;
  }
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]!));
  out[o + 1] = blockedSum(x, mode === SUM ? "signed" : "abs");
  out[o + 2] = Number.isNaN(sq) ? Number.NaN : m;
}

interface Scratch { ptr: number; bytes: number }
const scratchOf = new WeakMap<ParamStore, Scratch>();

/** A reusable area of at least `bytes` in the store (allocated once per size step; never per call). */
function scratch(store: ParamStore, bytes: number): number {
  let s = scratchOf.get(store);
  if (!s || s.bytes < bytes) {
    const size = Math.max(bytes, 2 * (s?.bytes ?? 0), 1024);
    s = { ptr: store.alloc(Math.ceil(size / 4)), bytes: size };
    scratchOf.set(store, s);
  }
  return s.ptr;
}

/**
 * Per-tensor reductions of tensors laid out back to back from byte offset `ptr` in the store, with the
 * given lengths: out[3k], out[3k+1], out[3k+2] = Σx², Σ|x|, max|x| of tensor k. One kernel call.
 */
export function reduceSegments(store: ParamStore, backend: BackendName, ptr: number, lengths: readonly number[],
    out: Float64Array, mode = ALL): void {
  const count = lengths.length;
  if (backend === "js") {
    let at = ptr / 4;
    for (let k = 0; k < count; k++) {
      reduceRef(store.f32.subarray(at, at + lengths[k]!), out, 3 * k, mode);
      at += lengths[k]!;
    }
    return;
  }
  const base = scratch(store, 24 * count + 4 * count);
  const outPtr = base, lenPtr = base + 24 * count;
  new Int32Array(store.buffer, lenPtr, count).set(lengths);
  store.kernels(backend).reduce_seg_f32!(ptr, lenPtr, count, outPtr, mode);
  out.set(new Float64Array(store.buffer, outPtr, 3 * count));
}

/** Σx², Σ|x|, max|x| of n floats at byte offset `ptr` in the store. */
export function reduceRange(store: ParamStore, backend: BackendName, ptr: number, n: number, mode = ALL): Reduction {
  const out = new Float64Array(3);
  if (backend === "js") reduceRef(store.f32.subarray(ptr / 4, ptr / 4 + n), out, 0, mode);
  else {
    const outPtr = scratch(store, 24);
    store.kernels(backend).reduce_f32!(ptr, n, outPtr, mode);
    out.set(new Float64Array(store.buffer, outPtr, 3));
  }
  return { sumSq: out[0]!, sumAbs: out[1]!, maxAbs: out[2]! };
}
