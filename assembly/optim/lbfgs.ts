// L-BFGS vector kernels (the algorithm and its scalars are TS: src/optim/lbfgs.ts). PyTorch's LBFGS works on
// one flat f32 vector; these are its vector operations over the store's memory.
// Preconditions: every pointer points at n f32s, any byte alignment; `out` may alias `a` (in place), no
// other overlap.

import { ld, st, add, mul, maxv, absv, end1, end4 } from "../lib/common";
import { NONE, elementwise } from "../lib/elementwise";

/**
 * Σ a[i]·b[i] in f64 (the caller rounds it to f32: torch's dot is an f32 tensor). Products of two f32s are
 * exact in f64; element i goes to partial sum i mod 8 in index order, and the result is
 * ((p0 + p1) + (p2 + p3)) + ((p4 + p5) + (p6 + p7)) — the order of assembly/reduce/norms.ts, in both builds
 * and in the reference (src/optim/lbfgs.reference.ts).
 */
export function lbfgs_dot_f32(a: usize, b: usize, n: i32): f64 {
  return dotSpan(a, b, 0, 0, 0, n, false);
}

/**
 * out[i] ← a[i] + alpha·b[i] (as lbfgs_axpy_f32), and returns Σ out[i]·c[i] over the new values, added as
 * lbfgs_dot_f32 adds: one pass for the two-loop recursion's "update q (or d), then dot it with the next history
 * vector", the same bits as the two calls. `c` may not alias `out`.
 */
export function lbfgs_axpy_dot_f32(out: usize, a: usize, b: usize, c: usize, n: i32, alpha: f32): f64 {
  return dotSpan(out, c, a, b, alpha, n, true);
}

/** max|x[i]| as an f32 (NaN if any element is NaN; 0 for n = 0): torch's `x.abs().max()`. */
export function lbfgs_maxabs_f32(x: usize, n: i32): f32 {
  let o: usize = 0;
  let m: f32 = 0;
  if (ASC_FEATURE_SIMD) {
    let v = f32x4.splat(0);
    for (const e = end4(n); o < e; o += 16) v = maxv<v128>(v, absv<v128>(v128.load(x + o)));
    m = maxv<f32>(maxv<f32>(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), maxv<f32>(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
  }
  for (const e = end1(n); o < e; o += 4) m = maxv<f32>(m, absv<f32>(load<f32>(x + o)));
  return m;
}

// The dot product Σ x[i]·y[i] (f64 partials i mod 8); with `update`, x is first written as a + alpha·b (f32)
// element by element and the new value is used.
// @ts-ignore: decorator
@inline function dotSpan(x: usize, y: usize, a: usize, b: usize, alpha: f32, n: i32, update: bool): f64 {
  let q0: f64 = 0, q1: f64 = 0, q2: f64 = 0, q3: f64 = 0, q4: f64 = 0, q5: f64 = 0, q6: f64 = 0, q7: f64 = 0;
  let o: usize = 0;
  const end8 = <usize>(n & ~7) << 2, end = <usize>n << 2;
  if (ASC_FEATURE_SIMD) {
    const al = f32x4.splat(alpha);
    let s01 = f64x2.splat(0), s23 = f64x2.splat(0), s45 = f64x2.splat(0), s67 = f64x2.splat(0);
    for (; o < end8; o += 32) {
      let x0: v128, x1: v128;
      if (update) {
        x0 = f32x4.add(v128.load(a + o), f32x4.mul(al, v128.load(b + o)));
        x1 = f32x4.add(v128.load(a + o + 16), f32x4.mul(al, v128.load(b + o + 16)));
        v128.store(x + o, x0);
        v128.store(x + o + 16, x1);
      } else {
        x0 = v128.load(x + o);
        x1 = v128.load(x + o + 16);
      }
      const y0 = v128.load(y + o), y1 = v128.load(y + o + 16);
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
      q0 += elem(x, y, a, b, alpha, o, update);
      q1 += elem(x, y, a, b, alpha, o + 4, update);
      q2 += elem(x, y, a, b, alpha, o + 8, update);
      q3 += elem(x, y, a, b, alpha, o + 12, update);
      q4 += elem(x, y, a, b, alpha, o + 16, update);
      q5 += elem(x, y, a, b, alpha, o + 20, update);
      q6 += elem(x, y, a, b, alpha, o + 24, update);
      q7 += elem(x, y, a, b, alpha, o + 28, update);
    }
  }
  // The tail: elements 8k..n-1 go to partials 0..(n mod 8)-1, in order.
  let j = 0;
  for (; o < end; o += 4) {
    const s = elem(x, y, a, b, alpha, o, update);
    if (j == 0) q0 += s; else if (j == 1) q1 += s; else if (j == 2) q2 += s; else if (j == 3) q3 += s;
    else if (j == 4) q4 += s; else if (j == 5) q5 += s; else q6 += s;
    j++;
  }
  return ((q0 + q1) + (q2 + q3)) + ((q4 + q5) + (q6 + q7));
}

/** One element's product x[o]·y[o] in f64, x first updated to a + alpha·b when `update`. */
// @ts-ignore: decorator
@inline function elem(x: usize, y: usize, a: usize, b: usize, alpha: f32, o: usize, update: bool): f64 {
  let v: f32;
  if (update) {
    v = load<f32>(a + o) + alpha * load<f32>(b + o);
    store<f32>(x + o, v);
  } else {
    v = load<f32>(x + o);
  }
  return <f64>v * <f64>load<f32>(y + o);
}

/** out[i] ← a[i] + alpha·b[i] (f32: the product is rounded, then the sum; no FMA). torch's `a.add_(b, alpha=)`. */
export function lbfgs_axpy_f32(out: usize, a: usize, b: usize, n: i32, alpha: f32): void {
  elementwise<Axpy, f32>(out, 0, n, 0, a, b, 0, 0, alpha);
}

/** out[i] ← alpha·x[i] (f32). torch's `x.mul(alpha)`, `x.neg()` (alpha −1). */
export function lbfgs_scale_f32(out: usize, x: usize, n: i32, alpha: f32): void {
  elementwise<Scale, f32>(out, 0, n, 0, x, 0, 0, 0, alpha);
}

// The two as rules of the elementwise driver (assembly/lib/elementwise.ts): `out` in the param's place; no flags.
class Axpy {
  @inline fast(i: i32): i32 { return NONE; }
  @inline at<T, S>(o: usize, out: usize, _grad: usize, a: usize, b: usize, _c: usize, _d: usize, alpha: T, _s1: T,
      _s2: T, _s3: T, _s4: T, _s5: T, _s6: T, _s7: T, _s8: T, _s9: T, _s10: T, _s11: T, _s12: T, _s13: T, f: i32,
      sr: bool, mix: u32): void {
    st<T>(out, o, add<T>(ld<T>(a, o), mul<T>(alpha, ld<T>(b, o))));
  }
}
class Scale {
  @inline fast(i: i32): i32 { return NONE; }
  @inline at<T, S>(o: usize, out: usize, _grad: usize, x: usize, _b: usize, _c: usize, _d: usize, alpha: T, _s1: T,
      _s2: T, _s3: T, _s4: T, _s5: T, _s6: T, _s7: T, _s8: T, _s9: T, _s10: T, _s11: T, _s12: T, _s13: T, f: i32,
      sr: bool, mix: u32): void {
    st<T>(out, o, mul<T>(alpha, ld<T>(x, o)));
  }
}
