// The gradient codecs of gradstep/distributed's compression (bf16, int8, sign) with error feedback: encode
// x = grad + err into a payload and keep err' = x − decode(payload) (0 where not finite), and decode a payload
// into (or onto) an f32 buffer. The layouts and rules are src/distributed/compression-codecs.ts's, whose pure-TS
// reference these equal bit for bit on both builds. Every loop is SIMD where the build has it, with the same
// per-element operations in the scalar tail (so the lane split changes no bit).
import { bf16Ld, bf16St } from "../lib/lowp";

// @ts-ignore: decorator
@inline const BLOCK: i32 = 256;
/** unpack flags: add onto out (else store), then divide by w. */
// @ts-ignore: decorator
@inline const ADD: i32 = 1;
// @ts-ignore: decorator
@inline const DIV: i32 = 2;

/** r, or 0 where r is not finite. */
// @ts-ignore: decorator
@inline function finite<T>(r: T): T {
  if (isVector<T>()) return <T>v128.and(<v128>r, f32x4.eq(f32x4.sub(<v128>r, <v128>r), f32x4.splat(0)));
  else return select<f32>(<f32>r, 0, <f32>r - <f32>r == 0);
}

/**
 * The SIMD part of a block's first pass: x = g + e stored to o for the lanes of [0, len & ~3), and per lane the
 * max (max) or the sum of |x| over them.
 */
// @ts-ignore: decorator
@inline function sumOrMaxAbs(g: usize, e: usize, o: usize, len: usize, max: bool): v128 {
  let acc = f32x4.splat(0);
  for (let i: usize = 0; i + 4 <= len; i += 4) {
    const x = f32x4.add(v128.load(g + (i << 2)), v128.load(e + (i << 2)));
    v128.store(o + (i << 2), x);
    acc = max ? f32x4.max(acc, f32x4.abs(x)) : f32x4.add(acc, f32x4.abs(x));
  }
  return acc;
}

/** bf16: payload = n bf16 words (a zero word pads an odd n); newErr may alias err. */
export function ef_bf16_f32(grad: usize, err: usize, newErr: usize, payload: usize, n: i32): void {
  let i: usize = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= <usize>n; i += 4) {
      const x = f32x4.add(v128.load(grad + (i << 2)), v128.load(err + (i << 2)));
      bf16St<v128>(payload, i, x, false, 0);
      v128.store(newErr + (i << 2), finite<v128>(f32x4.sub(x, bf16Ld<v128>(payload, i))));
    }
  }
  for (; i < <usize>n; i++) {
    const x = load<f32>(grad + (i << 2)) + load<f32>(err + (i << 2));
    bf16St<f32>(payload, i, x, false, 0);
    store<f32>(newErr + (i << 2), finite<f32>(x - bf16Ld<f32>(payload, i)));
  }
  if (n & 1) store<u16>(payload + (<usize>n << 1), 0);
}

/** int8: per block a power-of-two scale (f32, all blocks' first), then n codes (i8), zero bytes up to a whole word. */
export function ef_i8_f32(grad: usize, err: usize, newErr: usize, payload: usize, n: i32): void {
  const blocks = (n + BLOCK - 1) / BLOCK;
  const codes = payload + (<usize>blocks << 2);
  for (let b = 0; b < blocks; b++) {
    const from = <usize>(b * BLOCK), len = <usize>min(BLOCK, n - b * BLOCK);
    const g = grad + (from << 2), e = err + (from << 2), o = newErr + (from << 2), c = codes + from;
    // Pass 1: x into newErr, and max |x| (NaN if any x is NaN).
    let a: f32 = 0;
    let i: usize = 0;
    if (ASC_FEATURE_SIMD) {
      const acc = sumOrMaxAbs(g, e, o, len, true);
      i = len & ~3;
      a = max<f32>(max<f32>(f32x4.extract_lane(acc, 0), f32x4.extract_lane(acc, 1)), max<f32>(f32x4.extract_lane(acc, 2), f32x4.extract_lane(acc, 3)));
    }
    for (; i < len; i++) {
      const x = load<f32>(g + (i << 2)) + load<f32>(e + (i << 2));
      store<f32>(o + (i << 2), x);
      a = max<f32>(a, Mathf.abs(x));
    }
    // The scale: the smallest 2^k with 127·2^k >= a (a floored at 2^-120 so that 1 / s is finite).
    let s: f32;
    if (!(a - a == 0)) s = NaN;
    else if (a == 0) s = 0;
    else {
      const p = reinterpret<f32>(reinterpret<u32>(max<f32>(a, <f32>7.52316384526264e-37)) & 0x7F800000) * <f32>0.015625;
      s = <f32>127 * p < a ? p + p : p;
    }
    store<f32>(payload + (<usize>b << 2), s);
    const inv: f32 = <f32>1 / s;
    // Pass 2: codes = nearest(x / s) (NaN → 0), err' = x − code·s.
    i = 0;
    if (ASC_FEATURE_SIMD) {
      const iv = f32x4.splat(inv), sv = f32x4.splat(s);
      for (; i + 16 <= len; i += 16) {
        const p0 = o + (i << 2);
        const x0 = v128.load(p0), x1 = v128.load(p0, 16), x2 = v128.load(p0, 32), x3 = v128.load(p0, 48);
        const q0 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(x0, iv))), q1 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(x1, iv)));
        const q2 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(x2, iv))), q3 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(x3, iv)));
        v128.store(c + i, i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(q0, q1), i16x8.narrow_i32x4_s(q2, q3)));
        v128.store(p0, finite<v128>(f32x4.sub(x0, f32x4.mul(f32x4.convert_i32x4_s(q0), sv))));
        v128.store(p0, finite<v128>(f32x4.sub(x1, f32x4.mul(f32x4.convert_i32x4_s(q1), sv))), 16);
        v128.store(p0, finite<v128>(f32x4.sub(x2, f32x4.mul(f32x4.convert_i32x4_s(q2), sv))), 32);
        v128.store(p0, finite<v128>(f32x4.sub(x3, f32x4.mul(f32x4.convert_i32x4_s(q3), sv))), 48);
      }
    }
    for (; i < len; i++) {
      const x = load<f32>(o + (i << 2));
      const r = nearest<f32>(x * inv);
      const q = <i32>select<f32>(r, 0, r == r); // |r| <= 127; NaN → 0 as trunc_sat in the SIMD loop
      store<i8>(c + i, <i8>q);
      store<f32>(o + (i << 2), finite<f32>(x - <f32>q * s));
    }
  }
  for (let i = n; i & 3; i++) store<u8>(codes + <usize>i, 0);
}

/** sign: per block the scale mean |x| (f32, all blocks' first), then one bit per float (u32 words), set where x's sign bit is. */
export function ef_sign_f32(grad: usize, err: usize, newErr: usize, payload: usize, n: i32): void {
  const blocks = (n + BLOCK - 1) / BLOCK;
  const words = payload + (<usize>blocks << 2);
  for (let b = 0; b < blocks; b++) {
    const from = <usize>(b * BLOCK), len = <usize>min(BLOCK, n - b * BLOCK);
    const g = grad + (from << 2), e = err + (from << 2), o = newErr + (from << 2), w = words + (from >> 3);
    // Pass 1: x into newErr; Σ|x| in four lanes, element i into lane i mod 4.
    let l0: f32 = 0, l1: f32 = 0, l2: f32 = 0, l3: f32 = 0;
    let i: usize = 0;
    if (ASC_FEATURE_SIMD) {
      const acc = sumOrMaxAbs(g, e, o, len, false);
      i = len & ~3;
      l0 = f32x4.extract_lane(acc, 0); l1 = f32x4.extract_lane(acc, 1); l2 = f32x4.extract_lane(acc, 2); l3 = f32x4.extract_lane(acc, 3);
    }
    for (; i < len; i++) {
      const x = load<f32>(g + (i << 2)) + load<f32>(e + (i << 2));
      store<f32>(o + (i << 2), x);
      const ax = Mathf.abs(x), k = i & 3;
      if (k == 0) l0 += ax; else if (k == 1) l1 += ax; else if (k == 2) l2 += ax; else l3 += ax;
    }
    const s: f32 = ((l0 + l1) + (l2 + l3)) / <f32>len;
    store<f32>(payload + (<usize>b << 2), s);
    // Pass 2: the bits, err' = x − (±s).
    i = 0;
    if (ASC_FEATURE_SIMD) {
      const sv = f32x4.splat(s), nv = f32x4.splat(-s);
      for (; i + 32 <= len; i += 32) {
        let word: u32 = 0;
        for (let k: usize = 0; k < 8; k++) {
          const p = o + ((i + (k << 2)) << 2);
          const x = v128.load(p);
          const neg = i32x4.shr_s(x, 31);
          word |= <u32>i32x4.bitmask(x) << <u32>(k << 2);
          v128.store(p, finite<v128>(f32x4.sub(x, v128.bitselect(nv, sv, neg))));
        }
        store<u32>(w + (i >> 3), word);
      }
    }
    for (; i < len; i += 32) {
      let word: u32 = 0;
      const end = min<usize>(i + 32, len);
      for (let j = i; j < end; j++) {
        const x = load<f32>(o + (j << 2));
        const neg = reinterpret<u32>(x) >> 31;
        word |= neg << <u32>(j - i);
        store<f32>(o + (j << 2), finite<f32>(x - (neg ? -s : s)));
      }
      store<u32>(w + (i >> 3), word);
    }
  }
}

/** One decoded lane group of the payload at element i (C: 0 bf16, 1 int8, 2 sign); `blocks` = scales before the data. */
// @ts-ignore: decorator
@inline function decode<T, C>(payload: usize, data: usize, i: usize): T {
  if (sizeof<C>() == 2) return bf16Ld<T>(payload, i);
  const s = load<f32>(payload + ((i >> 8) << 2));
  if (sizeof<C>() == 1) {
    if (isVector<T>()) return <T>f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(v128.load32_zero(data + i)))), f32x4.splat(s));
    else return <T>(<f32>load<i8>(data + i) * s);
  }
  if (isVector<T>()) {
    const bits = i32x4.splat((load<u32>(data + ((i >> 5) << 2)) >> <u32>(i & 31)) & 15);
    const neg = i32x4.ne(v128.and(bits, i32x4(1, 2, 4, 8)), i32x4.splat(0));
    return <T>v128.bitselect(f32x4.splat(-s), f32x4.splat(s), neg);
  }
  return <T>((load<u32>(data + ((i >> 5) << 2)) >> <u32>(i & 31)) & 1 ? -s : s);
}

// @ts-ignore: decorator
@inline function unpack<C>(out: usize, payload: usize, n: i32, flags: i32, w: f32): void {
  const data = sizeof<C>() == 2 ? payload : payload + (<usize>((n + BLOCK - 1) / BLOCK) << 2);
  const add = (flags & ADD) != 0, div = (flags & DIV) != 0;
  let i: usize = 0;
  if (ASC_FEATURE_SIMD) {
    const wv = f32x4.splat(w);
    for (; i + 4 <= <usize>n; i += 4) {
      let v = decode<v128, C>(payload, data, i);
      if (add) v = f32x4.add(v128.load(out + (i << 2)), v);
      if (div) v = f32x4.div(v, wv);
      v128.store(out + (i << 2), v);
    }
  }
  for (; i < <usize>n; i++) {
    let v = decode<f32, C>(payload, data, i);
    if (add) v = load<f32>(out + (i << 2)) + v;
    if (div) v = v / w;
    store<f32>(out + (i << 2), v);
  }
}

/** out = (flags & ADD ? out + decode(payload) : decode(payload)), then / w under DIV. */
export function unpack_bf16_f32(out: usize, payload: usize, n: i32, flags: i32, w: f32): void { unpack<u16>(out, payload, n, flags, w); }
export function unpack_i8_f32(out: usize, payload: usize, n: i32, flags: i32, w: f32): void { unpack<u8>(out, payload, n, flags, w); }
export function unpack_sign_f32(out: usize, payload: usize, n: i32, flags: i32, w: f32): void { unpack<u32>(out, payload, n, flags, w); }
