// Read-only reductions for the step plan's pre-pass (clipping, non-finite detection) and per-tensor norms
// (LAMB, LARS, Adafactor): one pass gives Σx², Σ|x| and max|x| of n f32s.
// Preconditions: x points at n f32s (any alignment); out points at 3 f64s per result (8-byte aligned).
// Order (the same in the SIMD build, the scalar build and src/core/reduce.ts): squares and absolute values
// are exact in f64; element i is added to partial sum i mod 8, in index order; the result is
// ((p0 + p1) + (p2 + p3)) + ((p4 + p5) + (p6 + p7)). Σx² is not finite exactly when some element is not
// finite (f32 squares cannot overflow f64), so it doubles as the non-finite flag. max|x| is NaN if any
// element is NaN.

// @ts-ignore: decorator
@inline function reduceOne(x: usize, n: i32, out: usize, all: bool): void {
  let q0: f64 = 0, q1: f64 = 0, q2: f64 = 0, q3: f64 = 0, q4: f64 = 0, q5: f64 = 0, q6: f64 = 0, q7: f64 = 0;
  let a0: f64 = 0, a1: f64 = 0, a2: f64 = 0, a3: f64 = 0, a4: f64 = 0, a5: f64 = 0, a6: f64 = 0, a7: f64 = 0;
  let m: f32 = 0;
  let o: usize = 0;
  const end8 = <usize>(n & ~7) << 2, end = <usize>n << 2;
  if (ASC_FEATURE_SIMD) {
    let sq01 = f64x2.splat(0), sq23 = f64x2.splat(0), sq45 = f64x2.splat(0), sq67 = f64x2.splat(0);
    let ab01 = f64x2.splat(0), ab23 = f64x2.splat(0), ab45 = f64x2.splat(0), ab67 = f64x2.splat(0);
    let mx = f32x4.splat(0);
    for (; o < end8; o += 32) {
      const v0 = v128.load(x + o), v1 = v128.load(x + o + 16);
      const d01 = f64x2.promote_low_f32x4(v0), d23 = f64x2.promote_low_f32x4(i8x16.shuffle(v0, v0, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7));
      const d45 = f64x2.promote_low_f32x4(v1), d67 = f64x2.promote_low_f32x4(i8x16.shuffle(v1, v1, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7));
      sq01 = f64x2.add(sq01, f64x2.mul(d01, d01)); sq23 = f64x2.add(sq23, f64x2.mul(d23, d23));
      sq45 = f64x2.add(sq45, f64x2.mul(d45, d45)); sq67 = f64x2.add(sq67, f64x2.mul(d67, d67));
      if (all) {
        ab01 = f64x2.add(ab01, f64x2.abs(d01)); ab23 = f64x2.add(ab23, f64x2.abs(d23));
        ab45 = f64x2.add(ab45, f64x2.abs(d45)); ab67 = f64x2.add(ab67, f64x2.abs(d67));
        mx = f32x4.max(mx, f32x4.max(f32x4.abs(v0), f32x4.abs(v1)));
      }
    }
    q0 = f64x2.extract_lane(sq01, 0); q1 = f64x2.extract_lane(sq01, 1); q2 = f64x2.extract_lane(sq23, 0); q3 = f64x2.extract_lane(sq23, 1);
    q4 = f64x2.extract_lane(sq45, 0); q5 = f64x2.extract_lane(sq45, 1); q6 = f64x2.extract_lane(sq67, 0); q7 = f64x2.extract_lane(sq67, 1);
    a0 = f64x2.extract_lane(ab01, 0); a1 = f64x2.extract_lane(ab01, 1); a2 = f64x2.extract_lane(ab23, 0); a3 = f64x2.extract_lane(ab23, 1);
    a4 = f64x2.extract_lane(ab45, 0); a5 = f64x2.extract_lane(ab45, 1); a6 = f64x2.extract_lane(ab67, 0); a7 = f64x2.extract_lane(ab67, 1);
    m = max<f32>(max<f32>(f32x4.extract_lane(mx, 0), f32x4.extract_lane(mx, 1)), max<f32>(f32x4.extract_lane(mx, 2), f32x4.extract_lane(mx, 3)));
  } else {
    for (; o < end8; o += 32) {
      const e0 = <f64>load<f32>(x + o), e1 = <f64>load<f32>(x + o + 4), e2 = <f64>load<f32>(x + o + 8), e3 = <f64>load<f32>(x + o + 12);
      const e4 = <f64>load<f32>(x + o + 16), e5 = <f64>load<f32>(x + o + 20), e6 = <f64>load<f32>(x + o + 24), e7 = <f64>load<f32>(x + o + 28);
      q0 += e0 * e0; q1 += e1 * e1; q2 += e2 * e2; q3 += e3 * e3; q4 += e4 * e4; q5 += e5 * e5; q6 += e6 * e6; q7 += e7 * e7;
      if (all) {
        a0 += Math.abs(e0); a1 += Math.abs(e1); a2 += Math.abs(e2); a3 += Math.abs(e3);
        a4 += Math.abs(e4); a5 += Math.abs(e5); a6 += Math.abs(e6); a7 += Math.abs(e7);
        m = max<f32>(m, max<f32>(max<f32>(max<f32>(<f32>Math.abs(e0), <f32>Math.abs(e1)), max<f32>(<f32>Math.abs(e2), <f32>Math.abs(e3))),
          max<f32>(max<f32>(<f32>Math.abs(e4), <f32>Math.abs(e5)), max<f32>(<f32>Math.abs(e6), <f32>Math.abs(e7)))));
      }
    }
  }
  // The tail: elements 8k..n-1 go to partials 0..(n mod 8)-1, in order.
  let j = 0;
  for (; o < end; o += 4) {
    const e = <f64>load<f32>(x + o);
    const s = e * e, a = Math.abs(e);
    if (j == 0) { q0 += s; a0 += a; } else if (j == 1) { q1 += s; a1 += a; } else if (j == 2) { q2 += s; a2 += a; }
    else if (j == 3) { q3 += s; a3 += a; } else if (j == 4) { q4 += s; a4 += a; } else if (j == 5) { q5 += s; a5 += a; }
    else { q6 += s; a6 += a; }
    if (all) m = max<f32>(m, <f32>a);
    j++;
  }
  store<f64>(out, ((q0 + q1) + (q2 + q3)) + ((q4 + q5) + (q6 + q7)));
  store<f64>(out + 8, all ? ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) : 0);
  store<f64>(out + 16, all ? <f64>m : 0);
}

/**
 * Σx², Σ|x|, max|x| of x[0..n) into out[0..3) (f64). `mode` 0: all three; 1: Σx² only (Σ|x| and max|x| are
 * then written as 0 — what 2-norm clipping and non-finite checks need, at about half the work). Σx² is
 * the same bits in both modes.
 */
export function reduce_f32(x: usize, n: i32, out: usize, mode: i32): void {
  if (mode == 1) reduceOne(x, n, out, false);
  else reduceOne(x, n, out, true);
}

/**
 * Per tensor of a run: `lengths` points at `count` i32 tensor lengths laid out back to back from x; writes
 * Σx², Σ|x|, max|x| of tensor k to out[3k..3k+3) (f64), `mode` as in reduce_f32. One call for all tensors.
 */
export function reduce_seg_f32(x: usize, lengths: usize, count: i32, out: usize, mode: i32): void {
  for (let k = 0; k < count; k++) {
    const n = load<i32>(lengths + (<usize>k << 2));
    if (mode == 1) reduceOne(x, n, out + <usize>k * 24, false);
    else reduceOne(x, n, out + <usize>k * 24, true);
    x += <usize>n << 2;
  }
}
