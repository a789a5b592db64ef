// Low-precision optimizer state (bf16, int8 blockwise): the state codecs and the block driver every
// `<algo>_bf16` / `<algo>_i8` export is made of. A low-precision kernel steps its run in blocks of BLOCK
// elements: it decodes each state buffer's block into an f32 scratch block (in L1), calls the optimizer's own
// f32 kernel on the block (the one element rule, unchanged: f32 math in registers), and encodes the new
// state back. Memory traffic is that of the stored form; the f32 kernels are not touched at all.
//
// Scratch: each instance (the main thread's and each worker's, over the same shared memory) is given its own
// SCRATCH_BYTES by lowp_init() before its first low-precision call; it is not state (nothing in it survives
// a call), so a kernel call is still a pure function of its arguments.
//
// bf16: the upper 16 bits of the f32, rounded to nearest, ties to even; ±Infinity stays ±Infinity, finite
// values past the bf16 range round to ±Infinity (IEEE), and every NaN is stored as 0xFFFF (a quiet NaN with
// every bit set, so that NaN bits agree across backends, whose NaN payloads may differ; it is one OR with the
// lanes' NaN mask, where the usual 0x7FC0 took a select: Adam's bf16 step 10 % faster in L1). With the
// STOCHASTIC flag, stores round stochastically instead (seeded per step through the flags: reproducible on
// every backend).
//
// int8 (bitsandbytes' blockwise dynamic quantization): per block of 256 elements of a param, 4 bytes of
// absmax (f32) then 256 one-byte codes. A code indexes the dynamic map (bitsandbytes functional.py
// create_dynamic_map(signed, max_exponent_bits=7, total_bits=8)), sorted ascending: value = decade 10^(i-6)
// times the mean of one of the 2^i (signed) or 2^(i+1) (unsigned) equal intervals of [0.1, 1], plus 0 and 1.
// Decoding is a table lookup; encoding is the nearest code from a bucket table indexed by the float's exponent
// and top mantissa bits (below), one lookup and one compare per element. Wasm SIMD has no gather: the SIMD
// build fetches each lane's table entries with v128.load*_lane and keeps the rest in lanes (q8Code4); an
// arithmetic SIMD search over the decades took 3-4x longer than even the scalar lookup (see the README).

import { CLIP, ld, st } from "./common";
import { SIGNED, elementwise } from "./elementwise";

// @ts-ignore: decorator
@inline export const BLOCK: i32 = 256;
/** Bytes of one int8 block: absmax (f32), then 256 codes. */
// @ts-ignore: decorator
@inline export const Q8_BLOCK_BYTES: usize = 260;
// @ts-ignore: decorator
@inline const TABLE_SIGNED: usize = 0;
// @ts-ignore: decorator
@inline const TABLE_UNSIGNED: usize = 1024;
// @ts-ignore: decorator
@inline const SCRATCH_BLOCKS: usize = 2048;
/**
 * Bytes lowp_init() needs: two code tables, four f32 scratch blocks, the encoder's bucket tables (thresholds
 * and ranks of both maps). LOWP_SCRATCH_BYTES in src/abi/index.ts.
 */
// @ts-ignore: decorator
@inline export const SCRATCH_BYTES: usize = 6144 + 10 * 3076;

let scratch: usize = 0;

/** Gives this instance its scratch area (SCRATCH_BYTES, 16-byte aligned) and writes the int8 code tables there. */
export function lowp_init(ptr: usize): void {
  scratch = ptr;
  for (let c = 0; c < 256; c++) {
    store<f32>(ptr + TABLE_SIGNED + (<usize>c << 2), q8Value(c, true));
    store<f32>(ptr + TABLE_UNSIGNED + (<usize>c << 2), q8Value(c, false));
  }
  fillBuckets(ptr + TABLE_SIGNED, 127, 128, ptr + THR_SIGNED, ptr + RANK_SIGNED);
  fillBuckets(ptr + TABLE_UNSIGNED, 0, 255, ptr + THR_UNSIGNED, ptr + RANK_UNSIGNED);
}

/** f32 scratch block k (0..3) of this instance. */
// @ts-ignore: decorator
@inline export function scratchBlock(k: i32): usize {
  return scratch + SCRATCH_BLOCKS + (<usize>k << 10);
}

// ---- bf16 -----------------------------------------------------------------------------------------------

/** Lanes i.. of the bf16 array at ptr as f32 (exact). */
// @ts-ignore: decorator
@inline export function bf16Ld<T>(ptr: usize, i: usize): T {
  if (isVector<T>()) return <T>i32x4.shl(v128.load16x4_u(ptr + (i << 1)), 16);
  else return <T>reinterpret<f32>(<u32>load<u16>(ptr + (i << 1)) << 16);
}

/**
 * Flag bit of the low-precision kernels: bf16 stores round stochastically, with the 15-bit seed of this step in
 * flags bits 16..30 (src/core/lowp.ts roundingFlags; SEED below). The f32 kernel they call sees F32_FLAGS: every
 * bit below 16 but this one (the shared bits 0..9 of lib/common.ts and bits 11..15, kept for a kernel's own
 * flags, as RAdam's RECTIFY), and the value clip (CLIP, bit 31).
 */
// @ts-ignore: decorator
@inline export const STOCHASTIC: i32 = 1024;
// @ts-ignore: decorator
@inline export const F32_FLAGS: i32 = (0xFFFF & ~STOCHASTIC) | CLIP;
/** The step's stochastic-rounding seed, bits 16..30 of the flags, times the mixing constant. */
// @ts-ignore: decorator
@inline export function seedMix(flags: i32): u32 {
  return ((<u32>flags >>> 16) & 0x7FFF) * 0x9E3779B1;
}

/** 16 pseudo-random bits per lane from the f32 bits b and the step's seed mix (a murmur3-style finaliser). */
// @ts-ignore: decorator
@inline function dither<T>(b: T, mix: u32): T {
  if (isVector<T>()) {
    let h = v128.xor(<v128>b, i32x4.splat(mix));
    h = i32x4.mul(h, i32x4.splat(0x85EBCA6B));
    h = v128.xor(h, i32x4.shr_u(h, 13));
    h = i32x4.mul(h, i32x4.splat(0xC2B2AE35));
    h = v128.xor(h, i32x4.shr_u(h, 16));
    return <T>v128.and(h, i32x4.splat(0xFFFF));
  } else {
    let h = <u32>b ^ mix;
    h *= 0x85EBCA6B;
    h ^= h >> 13;
    h *= 0xC2B2AE35;
    h ^= h >> 16;
    return <T>(h & 0xFFFF);
  }
}

/**
 * f32 lanes x rounded to bf16 and stored at lanes i.. of ptr: to nearest, ties to even, or (stochastic) + 16
 * pseudo-random bits from dither(), then truncated. NaN → 0xFFFF either way.
 */
// @ts-ignore: decorator
@inline export function bf16St<T>(ptr: usize, i: usize, x: T, stochastic: bool, mix: u32): void {
  if (isVector<T>()) {
    const b = <v128>x;
    let r = stochastic ? i32x4.add(b, dither<v128>(b, mix))
      : i32x4.add(b, i32x4.add(i32x4.splat(0x7FFF), v128.and(i32x4.shr_u(b, 16), i32x4.splat(1))));
    r = v128.or(r, f32x4.ne(b, b));
    v128.store64_lane(ptr + (i << 1), i8x16.shuffle(r, r, 2, 3, 6, 7, 10, 11, 14, 15, 2, 3, 6, 7, 10, 11, 14, 15), 0);
  } else {
    const f = <f32>x;
    const b = reinterpret<u32>(f);
    const r = stochastic ? b + dither<u32>(b, mix) : b + 0x7FFF + ((b >> 16) & 1);
    store<u16>(ptr + (i << 1), f != f ? <u16>0xFFFF : <u16>(r >> 16));
  }
}

/** Decodes bf16 elements [b, b + len) of `ptr` into the f32 block `out`. */
// @ts-ignore: decorator
@inline function bf16Block(ptr: usize, b: i32, out: usize, len: i32): void {
  const src = ptr + (<usize>b << 1);
  let i: usize = 0;
  if (ASC_FEATURE_SIMD) for (; i + 4 <= <usize>len; i += 4) v128.store(out + (i << 2), bf16Ld<v128>(src, i));
  for (; i < <usize>len; i++) store<f32>(out + (i << 2), bf16Ld<f32>(src, i));
}

/** Encodes the f32 block `src` into bf16 elements [b, b + len) of `ptr` (stochastic rounding with STOCHASTIC). */
// @ts-ignore: decorator
@inline function bf16Unblock(ptr: usize, b: i32, src: usize, len: i32, flags: i32): void {
  const dst = ptr + (<usize>b << 1);
  let i: usize = 0;
  if ((flags & STOCHASTIC) != 0) {
    const mix = seedMix(flags);
    if (ASC_FEATURE_SIMD) for (; i + 4 <= <usize>len; i += 4) bf16St<v128>(dst, i, v128.load(src + (i << 2)), true, mix);
    for (; i < <usize>len; i++) bf16St<f32>(dst, i, load<f32>(src + (i << 2)), true, mix);
  } else {
    if (ASC_FEATURE_SIMD) for (; i + 4 <= <usize>len; i += 4) bf16St<v128>(dst, i, v128.load(src + (i << 2)), false, 0);
    for (; i < <usize>len; i++) bf16St<f32>(dst, i, load<f32>(src + (i << 2)), false, 0);
  }
}

/** State lanes at f32 byte offset o of a buffer stored as S: f32 as is, u16 = bf16 (at byte o / 2). */
// @ts-ignore: decorator
@inline export function lds<T, S>(ptr: usize, o: usize): T {
  if (sizeof<S>() == 4) return ld<T>(ptr, o);
  else return bf16Ld<T>(ptr + (o >> 1), 0);
}
/** Stores state lanes x at f32 byte offset o of a buffer stored as S (bf16: rounded, stochastically with sr). */
// @ts-ignore: decorator
@inline export function sts<T, S>(ptr: usize, o: usize, x: T, sr: bool, mix: u32): void {
  if (sizeof<S>() == 4) st<T>(ptr, o, x);
  else if (sr) bf16St<T>(ptr + (o >> 1), 0, x, true, mix);
  else bf16St<T>(ptr + (o >> 1), 0, x, false, 0);
}

// ---- int8 blockwise --------------------------------------------------------------------------------------

/** 10^(i-6) as f32, i = 0..6 (the decade factor of the dynamic map). */
// @ts-ignore: decorator
@inline function decade(i: i32): f32 {
  return i == 0 ? <f32>1e-6 : i == 1 ? <f32>1e-5 : i == 2 ? <f32>1e-4 : i == 3 ? <f32>1e-3 : i == 4 ? <f32>1e-2 : i == 5 ? <f32>1e-1 : <f32>1;
}

/** The mean of interval j of m equal intervals of [0.1, 1]: 0.1 + (0.9 (2j + 1)) / (2m), each step in f32. */
// @ts-ignore: decorator
@inline function q8Mean(j2p1: f32, m2: f32): f32 {
  return <f32>0.1 + (<f32>0.9 * j2p1) / m2;
}

/** The value of code c (0..255) of the signed or unsigned dynamic map (the tables lowp_init writes). */
function q8Value(c: i32, signed: bool): f32 {
  if (signed) {
    if (c == 127) return 0;
    if (c == 255) return 1;
    const r = c > 127 ? c - 128 : 126 - c; // magnitude rank 0..126: decade i holds ranks 2^i - 1 .. 2^(i+1) - 2
    const i = 31 - clz<i32>(r + 1);
    const m = 1 << i, j = r + 1 - m;
    const j2p1: i32 = 2 * j + 1, m2: i32 = 2 * m;
    const v = decade(i) * q8Mean(<f32>j2p1, <f32>m2);
    return c > 127 ? v : -v;
  }
  if (c == 0) return 0;
  if (c == 255) return 1;
  const r = c - 1; // rank 0..253: decade i holds ranks 2^(i+1) - 2 .. 2^(i+2) - 3
  const i = 30 - clz<i32>(r + 2);
  const m = 2 << i, j = r + 2 - m;
  const j2p1: i32 = 2 * j + 1, m2: i32 = 2 * m;
  return decade(i) * q8Mean(<f32>j2p1, <f32>m2);
}

// The encoder: nearest code by table, no search. The magnitudes of a map (signed: 0, the 127 positive means,
// 1.0; unsigned: its 256 codes) have decision thresholds T_R = (M_R + M_(R+1)) / 2 (in f32) between neighbours.
// |y| in [2^-24, 1) falls in one of 24 * 128 buckets (its exponent and top 7 mantissa bits: a bucket is narrower
// than any gap between two thresholds, so at most one threshold lies inside it); the bucket holds the rank of
// the nearest magnitude at its start and the next threshold: R = rank + (|y| > threshold). |y| < 2^-24 lands in
// bucket 0 (nearest: 0), |y| >= 1 in a last bucket (1.0; -1.0 does not exist: negative values stop at rank 127).
// @ts-ignore: decorator
@inline const BUCKETS: i32 = 24 * 128 + 1;
// @ts-ignore: decorator
@inline const THR_SIGNED: usize = 6144;
// @ts-ignore: decorator
@inline const THR_UNSIGNED: usize = 6144 + 4 * 3076;
// @ts-ignore: decorator
@inline const RANK_SIGNED: usize = 6144 + 8 * 3076;
// @ts-ignore: decorator
@inline const RANK_UNSIGNED: usize = 6144 + 9 * 3076;

/** Writes the bucket tables of one map (magnitude R = the table value of code base + R, R = 0..top). */
function fillBuckets(table: usize, base: i32, top: i32, thr: usize, rank: usize): void {
  let r = 0;
  for (let b = 0; b < BUCKETS; b++) {
    // The bucket's first value: exponent 103 + b / 128 (2^-24 ...), mantissa bits (b % 128) << 16.
    const lo = b == BUCKETS - 1 ? <f32>1 : reinterpret<f32>(<u32>(103 * 128 + b) << 16);
    while (r < top && lo > threshold(table, base, r)) r++;
    store<u8>(rank + <usize>b, <u8>r);
    store<f32>(thr + (<usize>b << 2), r < top ? threshold(table, base, r) : Infinity);
  }
}
// @ts-ignore: decorator
@inline function threshold(table: usize, base: i32, r: i32): f32 {
  return (load<f32>(table + (<usize>(base + r) << 2)) + load<f32>(table + (<usize>(base + r + 1) << 2))) * <f32>0.5;
}

/** The code of the normalised value y (not NaN) in the signed or unsigned map. Mirrored by q8Code in src/core/lowp.ts. */
// @ts-ignore: decorator
@inline function q8Code(y: f32, signed: bool): u32 {
  const a = Mathf.abs(y);
  const b = min<i32>(max<i32>(<i32>(reinterpret<u32>(a) >> 16) - 103 * 128, 0), BUCKETS - 1);
  const t = scratch + (signed ? THR_SIGNED : THR_UNSIGNED), k = scratch + (signed ? RANK_SIGNED : RANK_UNSIGNED);
  const r = <u32>load<u8>(k + <usize>b) + <u32>(a > load<f32>(t + (<usize>b << 2)));
  if (!signed) return r;
  // Branch-free: the sign of a moment is a coin flip, a branch on it mispredicts half the time.
  return select<u32>(127 - min<u32>(r, 127), 127 + r, y < 0);
}

/**
 * q8Code of the four lanes of y at once (the same codes): the bucket index in SIMD, then its rank and threshold
 * fetched lane by lane into vectors (v128.load8_lane / load32_lane: Wasm SIMD has no gather), the compare, the
 * sign, all in SIMD; the codes come back as i32 lanes.
 */
// @ts-ignore: decorator
@inline function q8Code4(y: v128, signed: bool): v128 {
  const a = v128.and(y, i32x4.splat(0x7FFFFFFF));
  const b = i32x4.min_s(i32x4.max_s(i32x4.sub(i32x4.shr_u(a, 16), i32x4.splat(103 * 128)), i32x4.splat(0)), i32x4.splat(BUCKETS - 1));
  const t = scratch + (signed ? THR_SIGNED : THR_UNSIGNED), k = scratch + (signed ? RANK_SIGNED : RANK_UNSIGNED);
  const b0 = <usize>i32x4.extract_lane(b, 0), b1 = <usize>i32x4.extract_lane(b, 1);
  const b2 = <usize>i32x4.extract_lane(b, 2), b3 = <usize>i32x4.extract_lane(b, 3);
  let thr = v128.load32_zero(t + (b0 << 2));
  thr = v128.load32_lane(t + (b1 << 2), thr, 1);
  thr = v128.load32_lane(t + (b2 << 2), thr, 2);
  thr = v128.load32_lane(t + (b3 << 2), thr, 3);
  let r = v128.load8_lane(k + b0, i32x4.splat(0), 0);
  r = v128.load8_lane(k + b1, r, 4);
  r = v128.load8_lane(k + b2, r, 8);
  r = v128.load8_lane(k + b3, r, 12);
  r = i32x4.sub(r, f32x4.gt(a, thr)); // rank + (|y| > threshold)
  if (!signed) return r;
  // 127 + r, or 127 - min(r, 127) below zero (by the sign bit: -0 has r = 0, where both give 127).
  const neg = i32x4.shr_s(y, 31);
  const rs = v128.bitselect(i32x4.min_s(r, i32x4.splat(127)), r, neg);
  return i32x4.add(i32x4.splat(127), i32x4.sub(v128.xor(rs, neg), neg));
}

/** Decodes the int8 block of elements [b, b + len) of `ptr` (b a multiple of BLOCK) into the f32 block `out`. */
// @ts-ignore: decorator
@inline function q8Block(ptr: usize, b: i32, out: usize, len: i32, signed: bool): void {
  const blk = ptr + <usize>(b >> 8) * Q8_BLOCK_BYTES;
  const absmax = load<f32>(blk);
  const codes = blk + 4;
  const table = scratch + (signed ? TABLE_SIGNED : TABLE_UNSIGNED);
  let i: usize = 0;
  if (ASC_FEATURE_SIMD) {
    const s = f32x4.splat(absmax);
    for (; i + 4 <= <usize>len; i += 4) {
      let x = v128.load32_zero(table + (<usize>load<u8>(codes + i) << 2));
      x = v128.load32_lane(table + (<usize>load<u8>(codes + i + 1) << 2), x, 1);
      x = v128.load32_lane(table + (<usize>load<u8>(codes + i + 2) << 2), x, 2);
      x = v128.load32_lane(table + (<usize>load<u8>(codes + i + 3) << 2), x, 3);
      v128.store(out + (i << 2), f32x4.mul(x, s));
    }
  }
  for (; i < <usize>len; i++) store<f32>(out + (i << 2), load<f32>(table + (<usize>load<u8>(codes + i) << 2)) * absmax);
}

/**
 * Encodes the f32 block `src` (len elements) as the int8 block of elements [b, b + len) of `ptr`: absmax =
 * max |x| (NaN if any x is NaN), codes of x * (1 / absmax). A block whose absmax is 0 stores zeros; one
 * whose absmax is not finite (a NaN or ±Infinity reached this block's state) stores absmax NaN: the whole
 * block decodes as NaN, and no other block is touched.
 */
// @ts-ignore: decorator
@inline function q8Unblock(ptr: usize, b: i32, src: usize, len: i32, signed: bool): void {
  const blk = ptr + <usize>(b >> 8) * Q8_BLOCK_BYTES;
  const codes = blk + 4;
  let i: usize = 0;
  let mx: f32 = 0;
  if (ASC_FEATURE_SIMD) {
    let acc = f32x4.splat(0);
    for (; i + 4 <= <usize>len; i += 4) acc = f32x4.max(acc, f32x4.abs(v128.load(src + (i << 2))));
    mx = max<f32>(max<f32>(f32x4.extract_lane(acc, 0), f32x4.extract_lane(acc, 1)), max<f32>(f32x4.extract_lane(acc, 2), f32x4.extract_lane(acc, 3)));
  }
  for (; i < <usize>len; i++) mx = max<f32>(mx, Mathf.abs(load<f32>(src + (i << 2))));
  if (!(mx - mx == 0)) { // NaN or ±Infinity
    store<f32>(blk, NaN);
    memory.fill(codes, signed ? 127 : 0, <usize>len);
    return;
  }
  store<f32>(blk, mx);
  const inv: f32 = mx == 0 ? 0 : <f32>1 / mx;
  i = 0;
  if (ASC_FEATURE_SIMD) {
    const iv = f32x4.splat(inv);
    for (; i + 16 <= <usize>len; i += 16) {
      const x = src + (i << 2);
      const c0 = q8Code4(f32x4.mul(v128.load(x), iv), signed), c1 = q8Code4(f32x4.mul(v128.load(x, 16), iv), signed);
      const c2 = q8Code4(f32x4.mul(v128.load(x, 32), iv), signed), c3 = q8Code4(f32x4.mul(v128.load(x, 48), iv), signed);
      v128.store(codes + i, i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_u(c0, c1), i16x8.narrow_i32x4_u(c2, c3)));
    }
  }
  // Four codes per store: fewer stores for the table loads to wait behind.
  for (; i + 4 <= <usize>len; i += 4) {
    const x = src + (i << 2);
    store<u32>(codes + i, q8Code(load<f32>(x) * inv, signed) | q8Code(load<f32>(x, 4) * inv, signed) << 8 |
      q8Code(load<f32>(x, 8) * inv, signed) << 16 | q8Code(load<f32>(x, 12) * inv, signed) << 24);
  }
  for (; i < <usize>len; i++) store<u8>(codes + i, <u8>q8Code(load<f32>(src + (i << 2)) * inv, signed));
}

// ---- a block of state in and out ------------------------------------------------------------------------

// The codecs out of line, one function per codec, direction and map (the map stays a constant inside each):
// every twin calls them once per block of 256 elements and state buffer, instead of inlining each buffer's
// loops (which cost ~4 KB of binary per optimizer, 14 optimizers).
function bf16In(ptr: usize, b: i32, out: usize, len: i32): void { bf16Block(ptr, b, out, len); }
function bf16Out(ptr: usize, b: i32, src: usize, len: i32, flags: i32): void { bf16Unblock(ptr, b, src, len, flags); }
function q8InSigned(ptr: usize, b: i32, out: usize, len: i32): void { q8Block(ptr, b, out, len, true); }
function q8InUnsigned(ptr: usize, b: i32, out: usize, len: i32): void { q8Block(ptr, b, out, len, false); }
function q8OutSigned(ptr: usize, b: i32, src: usize, len: i32): void { q8Unblock(ptr, b, src, len, true); }
function q8OutUnsigned(ptr: usize, b: i32, src: usize, len: i32): void { q8Unblock(ptr, b, src, len, false); }

/** D: u16 = bf16 state, u8 = int8 blockwise state. Decodes block [b, b + len) of state buffer `ptr` (0 = unused). */
// @ts-ignore: decorator
@inline export function stateIn<D>(ptr: usize, b: i32, k: i32, len: i32, signed: bool): usize {
  if (ptr == 0) return 0;
  const s = scratchBlock(k);
  if (sizeof<D>() == 2) bf16In(ptr, b, s, len);
  else if (signed) q8InSigned(ptr, b, s, len);
  else q8InUnsigned(ptr, b, s, len);
  return s;
}
/** Encodes the f32 scratch block k back into block [b, b + len) of state buffer `ptr` (0 = unused). */
// @ts-ignore: decorator
@inline export function stateOut<D>(ptr: usize, b: i32, k: i32, len: i32, signed: bool, flags: i32): void {
  if (ptr == 0) return;
  const s = scratchBlock(k);
  if (sizeof<D>() == 2) bf16Out(ptr, b, s, len, flags);
  else if (signed) q8OutSigned(ptr, b, s, len);
  else q8OutUnsigned(ptr, b, s, len);
}

// ---- the block driver of an elementwise rule -------------------------------------------------------------

/** Whether a buffer described by `state` is touched under the flags f. */
// @ts-ignore: decorator
@inline function touched(state: i32, f: i32): bool {
  const flag = state & ~SIGNED;
  return flag == 0 || (f & flag) != 0;
}

/**
 * The `<algo>_bf16` / `<algo>_i8` kernel of the elementwise rule R (D: u16 = bf16, u8 = int8 blockwise), with the
 * operands of its f32 kernel (assembly/lib/elementwise.ts): per block of BLOCK elements, state buffer k is decoded
 * into scratch block k, R's f32 kernel steps the block with the flags' F32_FLAGS, and the new state is encoded
 * back. A buffer whose flag is off (state(k)) is neither decoded nor encoded.
 */
// @ts-ignore: decorator
@inline export function lowp<R, D>(param: usize, grad: usize, n: i32, flags: i32, a: usize = 0, b: usize = 0,
    c: usize = 0, d: usize = 0, s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0, s4: f32 = 0, s5: f32 = 0,
    s6: f32 = 0, s7: f32 = 0, s8: f32 = 0, s9: f32 = 0, s10: f32 = 0, s11: f32 = 0, s12: f32 = 0, s13: f32 = 0): void {
  const r = changetype<R>(0);
  const f = flags & F32_FLAGS;
  const ka = r.state(0), kb = r.state(1), kc = r.state(2), kd = r.state(3);
  const pa = touched(ka, f) ? a : 0, pb = touched(kb, f) ? b : 0, pc = touched(kc, f) ? c : 0, pd = touched(kd, f) ? d : 0;
  const sa = (ka & SIGNED) != 0, sb = (kb & SIGNED) != 0, sc = (kc & SIGNED) != 0, sd = (kd & SIGNED) != 0;
  for (let i = 0; i < n; i += BLOCK) {
    const len = min(BLOCK, n - i);
    const xa = stateIn<D>(pa, i, 0, len, sa), xb = stateIn<D>(pb, i, 1, len, sb);
    const xc = stateIn<D>(pc, i, 2, len, sc), xd = stateIn<D>(pd, i, 3, len, sd);
    elementwise<R, f32>(param + (<usize>i << 2), grad + (<usize>i << 2), len, f, xa, xb, xc, xd, s0, s1, s2, s3, s4, s5,
      s6, s7, s8, s9, s10, s11, s12, s13);
    stateOut<D>(pa, i, 0, len, sa, flags);
    stateOut<D>(pb, i, 1, len, sb, flags);
    stateOut<D>(pc, i, 2, len, sc, flags);
    stateOut<D>(pd, i, 3, len, sd, flags);
  }
}
