// L-BFGS vector kernels (the algorithm and its scalars are TS: src/optim/lbfgs.ts). PyTorch's LBFGS works on
// one flat f32 vector; these are its vector operations over the store's memory.
// Preconditions: every pointer points at n f32s, any byte alignment; `out` may alias `a` (in place), no
// other overlap.

import { ld, st, splat, add, mul, end1, end4, end16 } from "../lib/common";

/**
 * Σ a[i]·b[i] in f64 (the caller rounds it to f32: torch's dot is an f32 tensor). Products of two f32s are
 * exact in f64; element i goes to partial sum i mod 8 in index order, and the result is
 * ((p0 + p1) + (p2 + p3)) + ((p4 + p5) + (p6 + p7)) — the order of assembly/reduce/norms.ts, in both builds
 * and in the reference (src/optim/lbfgs.reference.ts).
 */
export function lbfgs_dot_f32(a: usize, b: usize, n: i32): f64 {
  let q0: f64 = 0, q1: f64 = 0, q2: f64 = 0, q3: f64 = 0, q4: f64 = 0, q5: f64 = 0, q6: f64 = 0, q7: f64 = 0;
  let o: usize = 0;
  const end8 = <usize>(n & ~7) << 2, end = <usize>n << 2;
  if (ASC_FEATURE_SIMD) {
    let s01 = f64x2.splat(0), s23 = f64x2.splat(0), s45 = f64x2.splat(0), s67 = f64x2.splat(0);
    for (; o < end8; o += 32) {
      const x0 = v128.load(a + o), x1 = v128.load(a + o + 16), y0 = v128.load(b + o), y1 = v128.load(b + o + 16);
      const hx0 = i8x16.shuffle(x0, x0, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
      const hy0 = i8x16.shuffle(y0, y0, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
      const hx1 = i8x16.shuffle(x1, x1, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
      const hy1 = i8x16.shuffle(y1, y1, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
      s01 = f64x2.add(s01, f64x2.mul(f64x2.promote_low_f32x4(x0), f64x2.promote_low_f32x4(y0)));
      s23 = f64x2.add(s23, f64x2.mul(f64x2.promote_low_f32x4(hx0), f64x2.promote_low_f32x4(hy0)));
      s45 = f64x2.add(s45, f64x2.mul(f64x2.promote_low_f32x4(x1), f64x2.promote_low_f32x4(y1)));
      s67 = f64x2.add(s67, f64x2.mul(f64x2.promote_low_f32x4(hx1), f64x2.promote_low_f32x4(hy1)));
    }
    q0 = f64x2.extract_lane(s01, 0); q1 = f64x2.extract_lane(s01, 1); q2 = f64x2.extract_lane(s23, 0); q3 = f64x2.extract_lane(s23, 1);
    q4 = f64x2.extract_lane(s45, 0); q5 = f64x2.extract_lane(s45, 1); q6 = f64x2.extract_lane(s67, 0); q7 = f64x2.extract_lane(s67, 1);
  } else {
    for (; o < end8; o += 32) {
      q0 += <f64>load<f32>(a + o) * <f64>load<f32>(b + o);
      q1 += <f64>load<f32>(a + o + 4) * <f64>load<f32>(b + o + 4);
      q2 += <f64>load<f32>(a + o + 8) * <f64>load<f32>(b + o + 8);
      q3 += <f64>load<f32>(a + o + 12) * <f64>load<f32>(b + o + 12);
      q4 += <f64>load<f32>(a + o + 16) * <f64>load<f32>(b + o + 16);
      q5 += <f64>load<f32>(a + o + 20) * <f64>load<f32>(b + o + 20);
      q6 += <f64>load<f32>(a + o + 24) * <f64>load<f32>(b + o + 24);
      q7 += <f64>load<f32>(a + o + 28) * <f64>load<f32>(b + o + 28);
    }
  }
  // The tail: elements 8k..n-1 go to partials 0..(n mod 8)-1, in order.
  let j = 0;
  for (; o < end; o += 4) {
    const s = <f64>load<f32>(a + o) * <f64>load<f32>(b + o);
    if (j == 0) q0 += s; else if (j == 1) q1 += s; else if (j == 2) q2 += s; else if (j == 3) q3 += s;
    else if (j == 4) q4 += s; else if (j == 5) q5 += s; else q6 += s;
    j++;
  }
  return ((q0 + q1) + (q2 + q3)) + ((q4 + q5) + (q6 + q7));
}

/** out[i] ← a[i] + alpha·b[i] (f32: the product is rounded, then the sum; no FMA). torch's `a.add_(b, alpha=)`. */
export function lbfgs_axpy_f32(out: usize, a: usize, b: usize, n: i32, alpha: f32): void {
  let o: usize = 0;
  if (ASC_FEATURE_SIMD) o = axpySpan<v128>(out, a, b, o, end16(n), end4(n), alpha);
  axpySpan<f32>(out, a, b, o, o, end1(n), alpha);
}

/** out[i] ← alpha·x[i] (f32). torch's `x.mul(alpha)`, `x.neg()` (alpha −1). */
export function lbfgs_scale_f32(out: usize, x: usize, n: i32, alpha: f32): void {
  let o: usize = 0;
  if (ASC_FEATURE_SIMD) o = scaleSpan<v128>(out, x, o, end16(n), end4(n), alpha);
  scaleSpan<f32>(out, x, o, o, end1(n), alpha);
}

// @ts-ignore: decorator
@inline function axpySpan<T>(out: usize, a: usize, b: usize, o: usize, end16: usize, end: usize, alpha: f32): usize {
  const s = splat<T>(alpha);
  const w: usize = sizeof<T>();
  for (; o < end16; o += 4 * w) {
    axpyAt<T>(out, a, b, o, s);
    axpyAt<T>(out, a, b, o + w, s);
    axpyAt<T>(out, a, b, o + 2 * w, s);
    axpyAt<T>(out, a, b, o + 3 * w, s);
  }
  for (; o < end; o += w) axpyAt<T>(out, a, b, o, s);
  return o;
}

// @ts-ignore: decorator
@inline function axpyAt<T>(out: usize, a: usize, b: usize, o: usize, s: T): void {
  st<T>(out, o, add<T>(ld<T>(a, o), mul<T>(s, ld<T>(b, o))));
}

// @ts-ignore: decorator
@inline function scaleSpan<T>(out: usize, x: usize, o: usize, end16: usize, end: usize, alpha: f32): usize {
  const s = splat<T>(alpha);
  const w: usize = sizeof<T>();
  for (; o < end16; o += 4 * w) {
    st<T>(out, o, mul<T>(s, ld<T>(x, o)));
    st<T>(out, o + w, mul<T>(s, ld<T>(x, o + w)));
    st<T>(out, o + 2 * w, mul<T>(s, ld<T>(x, o + 2 * w)));
    st<T>(out, o + 3 * w, mul<T>(s, ld<T>(x, o + 3 * w)));
  }
  for (; o < end; o += w) st<T>(out, o, mul<T>(s, ld<T>(x, o)));
  return o;
}
