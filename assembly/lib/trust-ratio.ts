// The read-only half of a per-tensor trust ratio (LAMB, LARS): ‖p‖ and ‖u‖ of one tensor in one pass, where u is
// the optimizer's update before the ratio. The update rule comes in as a type: `R` is a class with an @inline
// method `u<T>(p, o, grad, a, b, c, s0..s9, f0..f4): T` (T = f32 | v128) that returns the update of the lanes at
// byte offset o (and may store state: LAMB writes its moments and u there). The pass calls it on
// `changetype<R>(0)`, so the rule is inlined at compile time and no object exists. Pointers a, b, c, scalars
// s0..s9 and flags f0..f4 are the rule's operands, passed through unread (a rule ignores the ones it lacks).
//
// The sums are the fixed blocked order of assembly/lib/common.ts (partial j takes elements 8i + j; f32 partials
// over blocks of 128 elements, folded into f64 totals after each block; the last, partial block and the tail go
// to partials 0..(n mod 8)-1), the order src/core/reduce.ts models. The ratio is c·‖p‖/(‖u‖ + eps) in f64, or 1
// where either norm is 0 (LAMB: c = 1, eps = 0, which is ‖p‖/‖u‖ exactly).
import { addLo64, addHi64, addSq } from "./common";

// @ts-ignore: decorator
@inline export function trustRatio<R>(param: usize, grad: usize, a: usize, b: usize, c: usize, n: i32,
    s0: f32, s1: f32, s2: f32, s3: f32, s4: f32, s5: f32, s6: f32, s7: f32, s8: f32, s9: f32,
    f0: bool, f1: bool, f2: bool, f3: bool, f4: bool, coefficient: f32, eps: f32): f64 {
  const rule = changetype<R>(0);
  // f64 totals (t: p, s: u) and f32 block partials (q: p, r: u) of partials 0..7
  let t0: f64 = 0, t1: f64 = 0, t2: f64 = 0, t3: f64 = 0, t4: f64 = 0, t5: f64 = 0, t6: f64 = 0, t7: f64 = 0;
  let z0: f64 = 0, z1: f64 = 0, z2: f64 = 0, z3: f64 = 0, z4: f64 = 0, z5: f64 = 0, z6: f64 = 0, z7: f64 = 0;
  let q0: f32 = 0, q1: f32 = 0, q2: f32 = 0, q3: f32 = 0, q4: f32 = 0, q5: f32 = 0, q6: f32 = 0, q7: f32 = 0;
  let r0: f32 = 0, r1: f32 = 0, r2: f32 = 0, r3: f32 = 0, r4: f32 = 0, r5: f32 = 0, r6: f32 = 0, r7: f32 = 0;
  let o: usize = 0;
  const endBlocks = <usize>(n & ~127) << 2, end8 = <usize>(n & ~7) << 2, end = <usize>n << 2;
  if (ASC_FEATURE_SIMD) {
    const v0 = f32x4.splat(s0), v1 = f32x4.splat(s1), v2 = f32x4.splat(s2), v3 = f32x4.splat(s3), v4 = f32x4.splat(s4);
    const v5 = f32x4.splat(s5), v6 = f32x4.splat(s6), v7 = f32x4.splat(s7), v8 = f32x4.splat(s8), v9 = f32x4.splat(s9);
    const zero = f32x4.splat(0);
    let t01 = f64x2.splat(0), t23 = f64x2.splat(0), t45 = f64x2.splat(0), t67 = f64x2.splat(0);
    let z01 = f64x2.splat(0), z23 = f64x2.splat(0), z45 = f64x2.splat(0), z67 = f64x2.splat(0);
    let qa = zero, qb = zero, ra = zero, rb = zero;
    while (o < end8) {
      const stop = o < endBlocks ? o + 512 : end8;
      for (; o < stop; o += 32) {
        const x = v128.load(param + o), y = v128.load(param + o + 16);
        const ux = rule.u<v128>(x, o, grad, a, b, c, v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, f0, f1, f2, f3, f4);
        const uy = rule.u<v128>(y, o + 16, grad, a, b, c, v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, f0, f1, f2, f3, f4);
        qa = addSq<v128>(qa, x); qb = addSq<v128>(qb, y); ra = addSq<v128>(ra, ux); rb = addSq<v128>(rb, uy);
      }
      if (o <= endBlocks) { // a whole block of 128: into the f64 totals (the last, partial block waits for the tail)
        t01 = addLo64(t01, qa); t23 = addHi64(t23, qa); t45 = addLo64(t45, qb); t67 = addHi64(t67, qb);
        z01 = addLo64(z01, ra); z23 = addHi64(z23, ra); z45 = addLo64(z45, rb); z67 = addHi64(z67, rb);
        qa = zero; qb = zero; ra = zero; rb = zero;
      }
    }
    t0 = f64x2.extract_lane(t01, 0); t1 = f64x2.extract_lane(t01, 1); t2 = f64x2.extract_lane(t23, 0); t3 = f64x2.extract_lane(t23, 1);
    t4 = f64x2.extract_lane(t45, 0); t5 = f64x2.extract_lane(t45, 1); t6 = f64x2.extract_lane(t67, 0); t7 = f64x2.extract_lane(t67, 1);
    z0 = f64x2.extract_lane(z01, 0); z1 = f64x2.extract_lane(z01, 1); z2 = f64x2.extract_lane(z23, 0); z3 = f64x2.extract_lane(z23, 1);
    z4 = f64x2.extract_lane(z45, 0); z5 = f64x2.extract_lane(z45, 1); z6 = f64x2.extract_lane(z67, 0); z7 = f64x2.extract_lane(z67, 1);
    q0 = f32x4.extract_lane(qa, 0); q1 = f32x4.extract_lane(qa, 1); q2 = f32x4.extract_lane(qa, 2); q3 = f32x4.extract_lane(qa, 3);
    q4 = f32x4.extract_lane(qb, 0); q5 = f32x4.extract_lane(qb, 1); q6 = f32x4.extract_lane(qb, 2); q7 = f32x4.extract_lane(qb, 3);
    r0 = f32x4.extract_lane(ra, 0); r1 = f32x4.extract_lane(ra, 1); r2 = f32x4.extract_lane(ra, 2); r3 = f32x4.extract_lane(ra, 3);
    r4 = f32x4.extract_lane(rb, 0); r5 = f32x4.extract_lane(rb, 1); r6 = f32x4.extract_lane(rb, 2); r7 = f32x4.extract_lane(rb, 3);
  } else {
    while (o < end8) {
      const stop = o < endBlocks ? o + 512 : end8;
      for (; o < stop; o += 32) {
        const p0 = load<f32>(param + o), p1 = load<f32>(param + o + 4), p2 = load<f32>(param + o + 8), p3 = load<f32>(param + o + 12);
        const p4 = load<f32>(param + o + 16), p5 = load<f32>(param + o + 20), p6 = load<f32>(param + o + 24), p7 = load<f32>(param + o + 28);
        q0 = addSq<f32>(q0, p0); q1 = addSq<f32>(q1, p1); q2 = addSq<f32>(q2, p2); q3 = addSq<f32>(q3, p3);
        q4 = addSq<f32>(q4, p4); q5 = addSq<f32>(q5, p5); q6 = addSq<f32>(q6, p6); q7 = addSq<f32>(q7, p7);
        r0 = addSq<f32>(r0, rule.u<f32>(p0, o, grad, a, b, c, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, f0, f1, f2, f3, f4));
        r1 = addSq<f32>(r1, rule.u<f32>(p1, o + 4, grad, a, b, c, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, f0, f1, f2, f3, f4));
        r2 = addSq<f32>(r2, rule.u<f32>(p2, o + 8, grad, a, b, c, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, f0, f1, f2, f3, f4));
        r3 = addSq<f32>(r3, rule.u<f32>(p3, o + 12, grad, a, b, c, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, f0, f1, f2, f3, f4));
        r4 = addSq<f32>(r4, rule.u<f32>(p4, o + 16, grad, a, b, c, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, f0, f1, f2, f3, f4));
        r5 = addSq<f32>(r5, rule.u<f32>(p5, o + 20, grad, a, b, c, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, f0, f1, f2, f3, f4));
        r6 = addSq<f32>(r6, rule.u<f32>(p6, o + 24, grad, a, b, c, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, f0, f1, f2, f3, f4));
        r7 = addSq<f32>(r7, rule.u<f32>(p7, o + 28, grad, a, b, c, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, f0, f1, f2, f3, f4));
      }
      if (o <= endBlocks) {
        t0 += q0; t1 += q1; t2 += q2; t3 += q3; t4 += q4; t5 += q5; t6 += q6; t7 += q7;
        z0 += r0; z1 += r1; z2 += r2; z3 += r3; z4 += r4; z5 += r5; z6 += r6; z7 += r7;
        q0 = 0; q1 = 0; q2 = 0; q3 = 0; q4 = 0; q5 = 0; q6 = 0; q7 = 0;
        r0 = 0; r1 = 0; r2 = 0; r3 = 0; r4 = 0; r5 = 0; r6 = 0; r7 = 0;
      }
    }
  }
  // The tail: elements 8k..n-1 go to partials 0..(n mod 8)-1 of the last block, in order.
  let j = 0;
  for (; o < end; o += 4) {
    const p = load<f32>(param + o);
    const u = rule.u<f32>(p, o, grad, a, b, c, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, f0, f1, f2, f3, f4);
    if (j == 0) { q0 = addSq<f32>(q0, p); r0 = addSq<f32>(r0, u); } else if (j == 1) { q1 = addSq<f32>(q1, p); r1 = addSq<f32>(r1, u); }
    else if (j == 2) { q2 = addSq<f32>(q2, p); r2 = addSq<f32>(r2, u); } else if (j == 3) { q3 = addSq<f32>(q3, p); r3 = addSq<f32>(r3, u); }
    else if (j == 4) { q4 = addSq<f32>(q4, p); r4 = addSq<f32>(r4, u); } else if (j == 5) { q5 = addSq<f32>(q5, p); r5 = addSq<f32>(r5, u); }
    else { q6 = addSq<f32>(q6, p); r6 = addSq<f32>(r6, u); }
    j++;
  }
  t0 += q0; t1 += q1; t2 += q2; t3 += q3; t4 += q4; t5 += q5; t6 += q6; t7 += q7;
  z0 += r0; z1 += r1; z2 += r2; z3 += r3; z4 += r4; z5 += r5; z6 += r6; z7 += r7;
  const pn = Math.sqrt(((t0 + t1) + (t2 + t3)) + ((t4 + t5) + (t6 + t7)));
  const un = Math.sqrt(((z0 + z1) + (z2 + z3)) + ((z4 + z5) + (z6 + z7)));
  return pn == 0 || un == 0 ? 1 : (<f64>coefficient * pn) / (un + <f64>eps);
}
