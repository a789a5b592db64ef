// Low-precision optimizer state (bf16, int8 blockwise) on the TypeScript side: storage sizes and offsets, the
// codecs (the exact mirror of assembly/lib/lowp.ts, each f32 operation rounded with Math.fround), the
// reference of every `<algo>_bf16` / `<algo>_i8` kernel (decode the state, run the optimizer's f32 reference,
// encode it back: what the kernels do block by block) and conversions between dtypes (state dicts).
import { F32_FLAGS, SEED_MASK, SEED_SHIFT, STOCHASTIC } from "../abi/index.js";
import type { Rule } from "./options.js";
import type { BufferSpec, OptimizerSpec, StateDtype } from "./spec.js";

const f = Math.fround;

/** Elements per int8 block (bitsandbytes' blocksize 256), and the bytes of one stored block: absmax f32 + codes. */
export const Q8_BLOCK = 256;
export const Q8_BLOCK_BYTES = 260;

export const STATE_DTYPES: readonly StateDtype[] = ["f32", "bf16", "int8"];

export const stochasticRoundingRule: Rule = (v, key) => {
  if (v !== false && !(typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 0xffffffff)) {
    throw new TypeError(`Invalid ${key}: ${typeof v === "string" ? JSON.stringify(v) : String(v)} (expected false or a seed, an integer from 0 to 2^32 - 1)`);
  }
};

/**
 * The flag bits of stochastic rounding for a step of a group (0 unless its stateDtype is "bf16" and
 * stochasticRounding is a seed): STOCHASTIC and 15 bits mixed from the seed and the step count, so that every
 * step rounds differently, and the same seed reproduces a run on every backend and thread count.
 */
export function roundingFlags(o: { stateDtype: StateDtype; stochasticRounding: false | number }, step: number): number {
  if (o.stochasticRounding === false || o.stateDtype !== "bf16") return 0;
  let h = Math.imul(o.stochasticRounding | 0, 0x9e3779b1) ^ Math.imul((step + 1) | 0, 0x85ebca6b);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return STOCHASTIC | ((h & SEED_MASK) << SEED_SHIFT);
}

/**
 * The error for stateDtype on an optimizer whose state is f32 only: why (when its spec says), and where the
 * ones that have it are listed (core is below the registry, so it names the generated table, not the list).
 */
export function f32OnlyMessage(spec: OptimizerSpec<unknown>): string {
  const reason = spec.f32Only ?? (spec.kind === "tensor" ? "a per-tensor kernel, and the low-precision block driver is elementwise" : undefined);
  const why = reason === undefined ? "" : `: ${reason}`;
  return `${spec.name} does not support stateDtype (its state is f32 only${why}; the optimizers with bf16 and int8 state: ` +
    "the \"state dtypes\" column of the README's optimizer table)";
}

export const stateDtypeRule: Rule = (v, key) => {
  if (v !== "f32" && v !== "bf16" && v !== "int8") {
    throw new TypeError(`Invalid ${key}: ${typeof v === "string" ? JSON.stringify(v) : String(v)} (expected "f32", "bf16" or "int8")`);
  }
};

/** The group's state dtype ("f32" for optimizers without the option). */
export function dtypeOf(o: unknown): StateDtype {
  return (o as { stateDtype?: StateDtype }).stateDtype ?? "f32";
}

/** The Wasm export (and reference) name of `spec`'s kernel for state stored as `dtype`. */
export function kernelName(spec: OptimizerSpec<unknown>, dtype: StateDtype): string {
  return dtype === "f32" ? spec.kernel : spec.kernel.replace(/_f32$/, dtype === "bf16" ? "_bf16" : "_i8");
}

/** Bytes of one param's state buffer of n elements. */
export function stateBytes(dtype: StateDtype, n: number): number {
  return dtype === "f32" ? 4 * n : dtype === "bf16" ? 2 * n : Q8_BLOCK_BYTES * Math.ceil(n / Q8_BLOCK);
}

/**
 * Thread slicing: bytes a pointer advances per 256 elements (runtime/threads). Param and grad are f32;
 * int8 chunks start on block boundaries (the low-precision kernels' chunks are multiples of 256 elements).
 */
export function pointerStride(dtype: StateDtype): number {
  return dtype === "f32" ? 1024 : dtype === "bf16" ? 512 : Q8_BLOCK_BYTES;
}

// ---- bf16 -------------------------------------------------------------------------------------------------

const cf = new Float32Array(1), cu = new Uint32Array(cf.buffer);

/** f32 → bf16 bits: round to nearest, ties to even; NaN → 0xFFFF (every NaN, see the kernels' low-precision code); ±Infinity kept; overflow → ±Infinity. */
export function bf16Encode(x: number): number {
  cf[0] = x;
  if (x !== x) return 0xffff;
  const b = cu[0]!;
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}

/** 16 pseudo-random bits from the f32 bits b and a step's mix (dither in the kernels' low-precision code). */
function dither(b: number, mix: number): number {
  let h = (b ^ mix) >>> 0;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h = (h ^ (h >>> 13)) >>> 0;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  return h & 0xffff;
}

/** f32 → bf16 bits, rounded stochastically: + 16 random bits (from the value and the step's flags), truncated. */
export function bf16EncodeStochastic(x: number, flags: number): number {
  cf[0] = x;
  if (x !== x) return 0xffff;
  const b = cu[0]!;
  return (((b + dither(b, Math.imul((flags >>> SEED_SHIFT) & SEED_MASK, 0x9e3779b1) >>> 0)) >>> 0) >>> 16) & 0xffff;
}

export function bf16Decode(h: number): number {
  cu[0] = (h << 16) >>> 0;
  return cf[0]!;
}

// ---- int8 blockwise: bitsandbytes' dynamic map -------------------------------------------------------------

const DECADE = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1].map(f);
const F01 = f(0.1), F09 = f(0.9);

/** Mean of interval j of m equal intervals of [0.1, 1]: 0.1 + (0.9 (2j + 1)) / (2m), in f32 (q8Mean). */
function mean(j2p1: number, m2: number): number {
  return f(F01 + f(f(F09 * j2p1) / m2));
}

function codeValue(c: number, signed: boolean): number {
  if (signed) {
    if (c === 127) return 0;
    if (c === 255) return 1;
    const r = c > 127 ? c - 128 : 126 - c;
    const i = 31 - Math.clz32(r + 1);
    const m = 1 << i, j = r + 1 - m;
    const v = f(DECADE[i]! * mean(2 * j + 1, 2 * m));
    return c > 127 ? v : -v;
  }
  if (c === 0) return 0;
  if (c === 255) return 1;
  const r = c - 1;
  const i = 30 - Math.clz32(r + 2);
  const m = 2 << i, j = r + 2 - m;
  return f(DECADE[i]! * mean(2 * j + 1, 2 * m));
}

/** The dynamic maps (code → value), signed (first moments) and unsigned (second moments). */
export const Q8_SIGNED = Float32Array.from({ length: 256 }, (_, c) => codeValue(c, true));
export const Q8_UNSIGNED = Float32Array.from({ length: 256 }, (_, c) => codeValue(c, false));

// The encoder's bucket tables (fillBuckets in assembly/lib/lowp.ts): |y| in [2^-24, 1) falls in one of 24 * 128
// buckets (exponent and top 7 mantissa bits), each holding the rank of the nearest magnitude at its start and
// the next decision threshold (the f32 midpoint of two neighbouring magnitudes); |y| >= 1 in a last bucket.
const BUCKETS = 24 * 128 + 1;
function buckets(table: Float32Array, base: number, top: number): { rank: Uint8Array; thr: Float32Array } {
  const rank = new Uint8Array(BUCKETS), thr = new Float32Array(BUCKETS);
  const threshold = (r: number) => f(f(table[base + r]! + table[base + r + 1]!) * 0.5);
  let r = 0;
  for (let b = 0; b < BUCKETS; b++) {
    cu[0] = ((103 * 128 + b) << 16) >>> 0;
    const lo = b === BUCKETS - 1 ? 1 : cf[0]!;
    while (r < top && lo > threshold(r)) r++;
    rank[b] = r;
    thr[b] = r < top ? threshold(r) : Infinity;
  }
  return { rank, thr };
}
/** @internal The bucket tables (tests check that no bucket holds two thresholds). */
export const Q8_BUCKETS = { signed: buckets(Q8_SIGNED, 127, 128), unsigned: buckets(Q8_UNSIGNED, 0, 255) };

/** The code of the normalised value y (not NaN): q8Code in the kernels' low-precision code. */
export function q8Code(y: number, signed: boolean): number {
  const a = Math.abs(y);
  cf[0] = a;
  const b = Math.min(Math.max((cu[0]! >>> 16) - 103 * 128, 0), BUCKETS - 1);
  const t = signed ? Q8_BUCKETS.signed : Q8_BUCKETS.unsigned;
  const r = t.rank[b]! + (a > t.thr[b]! ? 1 : 0);
  if (!signed) return r;
  return y < 0 ? 127 - Math.min(r, 127) : 127 + r;
}

/** Whether state buffer `b` uses the signed map (default) or the unsigned one (non-negative second moments). */
function signedOf(b: BufferSpec<unknown>): boolean {
  return b.q8 !== "unsigned";
}

/** Encodes `src` (n values) as int8 blocks into `dst` (bytes, ceil(n/256) blocks of 260). */
export function q8EncodeInto(src: Float32Array, n: number, dst: Uint8Array, signed: boolean): void {
  const view = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
  for (let b = 0; b < n; b += Q8_BLOCK) {
    const len = Math.min(Q8_BLOCK, n - b), at = (b / Q8_BLOCK) * Q8_BLOCK_BYTES;
    let mx = 0;
    for (let i = 0; i < len; i++) {
      const x = Math.abs(src[b + i]!);
      mx = x !== x || mx !== mx ? Number.NaN : Math.max(mx, x);
    }
    if (!Number.isFinite(mx)) {
      view.setFloat32(at, Number.NaN, true);
      dst.fill(signed ? 127 : 0, at + 4, at + 4 + len);
      continue;
    }
    view.setFloat32(at, mx, true);
    const inv = mx === 0 ? 0 : f(1 / mx);
    for (let i = 0; i < len; i++) dst[at + 4 + i] = q8Code(f(src[b + i]! * inv), signed);
  }
}

/** Decodes n values from int8 blocks `src` into `dst`. */
export function q8DecodeInto(src: Uint8Array, n: number, dst: Float32Array, signed: boolean): void {
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const table = signed ? Q8_SIGNED : Q8_UNSIGNED;
  for (let b = 0; b < n; b += Q8_BLOCK) {
    const len = Math.min(Q8_BLOCK, n - b), at = (b / Q8_BLOCK) * Q8_BLOCK_BYTES;
    const absmax = view.getFloat32(at, true);
    for (let i = 0; i < len; i++) dst[b + i] = f(table[src[at + 4 + i]!]! * absmax);
  }
}

// ---- stored bytes ↔ f32 -------------------------------------------------------------------------------------

/** The n values stored as `dtype` in `bytes` (a view of the stored form), as f32. */
export function decodeState(dtype: StateDtype, bytes: Uint8Array, n: number, signed: boolean, out = new Float32Array(n)): Float32Array {
  if (dtype === "f32") out.set(new Float32Array(bytes.buffer, bytes.byteOffset, n));
  else if (dtype === "bf16") {
    const h = new Uint16Array(bytes.buffer, bytes.byteOffset, n);
    for (let i = 0; i < n; i++) out[i] = bf16Decode(h[i]!);
  } else q8DecodeInto(bytes, n, out, signed);
  return out;
}

/** Writes the f32 values `src` (n) in their stored form as `dtype` into `bytes`. */
export function encodeState(dtype: StateDtype, src: Float32Array, n: number, bytes: Uint8Array, signed: boolean, flags = 0): void {
  if (dtype === "f32") new Float32Array(bytes.buffer, bytes.byteOffset, n).set(src.subarray(0, n));
  else if (dtype === "bf16") {
    const h = new Uint16Array(bytes.buffer, bytes.byteOffset, n);
    if (flags & STOCHASTIC) for (let i = 0; i < n; i++) h[i] = bf16EncodeStochastic(src[i]!, flags);
    else for (let i = 0; i < n; i++) h[i] = bf16Encode(src[i]!);
  } else q8EncodeInto(src, n, bytes, signed);
}

// ---- the references of the low-precision kernels -----------------------------------------------------------

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Reference = (...args: any[]) => void;
const EMPTY = new Float32Array(0);
const references = new Map<string, Reference>();

/**
 * The reference of `spec`'s kernel for `dtype` state: the same arguments, Uint8Array views of the stored form
 * in the state positions. Decodes each buffer the kernel touches (a buffer whose `flag` is not set is not
 * touched), runs the f32 reference, encodes the new state (the kernel does the same per block of 256).
 */
export function lowpReference(spec: OptimizerSpec<unknown>, dtype: StateDtype): Reference {
  if (dtype === "f32") return spec.reference;
  const key = `${spec.kernel} ${dtype}`;
  let r = references.get(key);
  if (r) return r;
  const nb = spec.buffers.length, ref = spec.reference;
  r = (...args: unknown[]) => {
    const n = args[nb + 2] as number, flags = args[args.length - 1] as number;
    const a = args.slice();
    const used: boolean[] = [];
    for (let k = 0; k < nb; k++) {
      const b = spec.buffers[k]!, bytes = args[1 + k] as Uint8Array;
      used[k] = bytes.length > 0 && (b.flag === undefined || (flags & b.flag) !== 0);
      a[1 + k] = used[k] ? decodeState(dtype, bytes, n, signedOf(b)) : EMPTY;
    }
    a[a.length - 1] = flags & F32_FLAGS;
    ref(...a);
    for (let k = 0; k < nb; k++) {
      if (used[k]) encodeState(dtype, a[1 + k] as Float32Array, n, args[1 + k] as Uint8Array, signedOf(spec.buffers[k]!), flags);
    }
  };
  Object.defineProperty(r, "length", { value: ref.length }); // the f32 reference's arity (test/abi.test.ts)
  references.set(key, r);
  return r;
}

export { signedOf };
