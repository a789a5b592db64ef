// The gradient codecs of `DataParallel`'s compression (bf16, int8, sign) with error feedback: the pure-TS
// reference of the Wasm kernels in assembly/distributed/codecs.ts, bit for bit (test/distributed/compression.test.ts
// compares them on both builds). Each rank encodes x = grad + error (f32 add) into a payload, keeps
// error' = x − decode(payload) (0 where that is not finite, so that one Infinity or NaN does not poison every
// later step), and the group all-gathers the payloads; every rank decodes them in rank order and adds them,
// acc = d₀, acc = f32(acc + d₁), …, then divides by W (f32), as the group's own mean.
//
// Layouts (a payload is a whole number of f32 words, the unit a ProcessGroup moves):
// - bf16: n bf16 words (round to nearest, ties to even; every NaN is 0xFFFF: the low-precision state's codec,
//   src/core/lowp.ts). x − decode(x) is exact (Sterbenz: the decoded value is within a factor 2 of x).
// - int8: per block of BLOCK (256) floats a power-of-two scale s = the smallest 2^k with 127·s ≥ max|x|, then
//   codes q = x / s rounded to nearest even, in [−127, 127]: the scales (f32 each) first, then the codes.
//   A power-of-two scale makes x / s and q·s exact, so error = x − q·s is exact too (|error| ≤ s/2 and x's ulp
//   divides it): the error feedback loses nothing. (The low-precision state's int8 is bitsandbytes' dynamic map,
//   a lookup table Wasm SIMD cannot gather from, and its error x − d is not exact.)
// - sign: scaled sign (EF-signSGD, Karimireddy et al. 2019, "Error Feedback Fixes SignSGD", Algorithm 1:
//   p = (‖x‖₁ / d)·sign(x)), with d a block of 256 floats: per block the scale s = mean |x| (summed in four
//   lanes, element i into lane i mod 4, then (l0 + l1) + (l2 + l3), then / len), and one bit per float, set
//   where x's sign bit is (−0 included): decode = −s there, else s. The scales, then the bits (u32 words,
//   element i at bit i mod 32 of word i / 32).
import { bf16Decode, bf16Encode } from "../core/lowp.js";

/** Elements per block of the int8 and sign payloads (one scale each). */
export const BLOCK = 256;

/**
 * A gradient codec with error feedback: "bf16" (round to nearest even), "int8" (per 256 floats a power-of-two
 * scale and 8-bit codes) or "sign" (per 256 floats the mean |x| and one sign bit per float).
 */
export type Codec = "bf16" | "int8" | "sign";

/** unpack flag: add the decoded values to `out` (else store them). */
export const ADD = 1;
/** unpack flag: then divide `out` by w (the world size: the mean). */
export const DIV = 2;

/** f32 words of the payload of n floats. */
export function payloadFloats(codec: Codec, n: number): number {
  const blocks = Math.ceil(n / BLOCK);
  if (codec === "bf16") return Math.ceil(n / 2);
  if (codec === "int8") return blocks + Math.ceil(n / 4);
  return blocks + Math.ceil(n / 32);
}

const f = Math.fround;
const u32 = new Uint32Array(1), f32 = new Float32Array(u32.buffer);

/** The error rule: x − d, or 0 where that is not finite. */
function residual(x: number, d: number): number {
  const r = f(x - d);
  return r - r === 0 ? r : 0;
}

/** The int8 scale of a block whose max |x| is a: the smallest power of two s with 127·s ≥ a (0 for a = 0, NaN for a non-finite a). */
export function int8Scale(a: number): number {
  if (!(a - a === 0)) return Number.NaN;
  if (a === 0) return 0;
  f32[0] = Math.max(a, 2 ** -120); // a floor, so that 1 / s stays a finite f32 (s >= 2^-126)
  u32[0] = u32[0]! & 0x7f800000;
  const s = f32[0]! * 2 ** -6;
  return 127 * s < a ? 2 * s : s;
}

/** Round to nearest, ties to even (Wasm's f32.nearest), for |v| <= 127. */
export function nearest(v: number): number {
  const fl = Math.floor(v), d = v - fl;
  return d > 0.5 ? fl + 1 : d < 0.5 ? fl : fl % 2 === 0 ? fl : fl + 1;
}

/** The sign codec's scale: mean |x| of x[from, from + len), summed in four lanes (see the header). */
export function signScale(x: Float32Array, from: number, len: number): number {
  const l = [0, 0, 0, 0];
  for (let i = 0; i < len; i++) l[i & 3] = f(l[i & 3]! + Math.abs(x[from + i]!));
  return f(f(f(l[0]! + l[1]!) + f(l[2]! + l[3]!)) / len);
}

/**
 * Encodes x = grad + err (n floats) into `payload` (payloadFloats words) and writes the new error into
 * `newErr` (may alias err). The reference of `ef_<codec>_f32`.
 */
export function encodeRef(codec: Codec, grad: Float32Array, err: Float32Array, newErr: Float32Array, payload: Float32Array, n: number): void {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = grad[i]! + err[i]!;
  const bytes = new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
  if (codec === "bf16") {
    const h = new Uint16Array(payload.buffer, payload.byteOffset, 2 * payload.length);
    for (let i = 0; i < n; i++) {
      h[i] = bf16Encode(x[i]!);
      newErr[i] = residual(x[i]!, bf16Decode(h[i]!));
    }
    if (n & 1) h[n] = 0;
    return;
  }
  const blocks = Math.ceil(n / BLOCK);
  bytes.fill(0, 4 * blocks);
  for (let b = 0; b < blocks; b++) {
    const from = b * BLOCK, len = Math.min(BLOCK, n - from);
    if (codec === "int8") {
      let a = 0;
      for (let i = from; i < from + len; i++) a = Math.max(a, Math.abs(x[i]!));
      const s = int8Scale(a);
      payload[b] = s;
      const inv = 1 / s; // a power of two: x * inv is x / s, exact
      for (let i = from; i < from + len; i++) {
        const q = s === 0 || s !== s ? 0 : nearest(f(x[i]! * inv)) | 0; // | 0: an integer code, so −0 decodes as +0
        bytes[4 * blocks + i] = q & 0xff;
        newErr[i] = residual(x[i]!, f(q * s));
      }
    } else {
      const s = signScale(x, from, len);
      payload[b] = s;
      for (let i = from; i < from + len; i++) {
        f32[0] = x[i]!;
        const neg = u32[0]! >>> 31;
        const k = 4 * blocks + (i >> 3);
        bytes[k] = bytes[k]! | (neg << (i & 7));
        newErr[i] = residual(x[i]!, neg ? -s : s);
      }
    }
  }
}

/** out = (flags & ADD ? out + decode(payload) : decode(payload)), then / w under DIV. The reference of `unpack_<codec>_f32`. */
export function unpackRef(codec: Codec, out: Float32Array, payload: Float32Array, n: number, flags: number, w: number): void {
  const bytes = new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
  const blocks = Math.ceil(n / BLOCK);
  const h = new Uint16Array(payload.buffer, payload.byteOffset, 2 * payload.length);
  const i8 = new Int8Array(payload.buffer, payload.byteOffset, payload.byteLength);
  for (let i = 0; i < n; i++) {
    const s = codec === "bf16" ? 0 : payload[(i / BLOCK) | 0]!;
    const d = codec === "bf16" ? bf16Decode(h[i]!)
      : codec === "int8" ? f(i8[4 * blocks + i]! * s)
      : (bytes[4 * blocks + (i >> 3)]! >> (i & 7)) & 1 ? -s : s;
    let v = flags & ADD ? f(out[i]! + d) : d;
    if (flags & DIV) v = f(v / w);
    out[i] = v;
  }
}
