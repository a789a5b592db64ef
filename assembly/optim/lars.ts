// LARS step for one tensor (Optax `lars`: add_decayed_weights, scale_by_trust_ratio, scale_by_learning_rate,
// trace); equations in src/optim/lars.ts.
// Preconditions: param, trace, grad each point at n f32s; any byte alignment; no two buffers overlap. One call =
// one whole tensor (the trust ratio needs its norms).
// Scalars: lr, momentum, weightDecay, trustCoefficient, eps, gradScale. Flags: MAXIMIZE, GRAD_SCALE,
// WEIGHT_DECAY (u = g + weightDecay*p, Optax's add_decayed_weights before the trust ratio), NESTEROV.
// Pass 1 only reads: it sums ‖p‖² and ‖u‖² in the fixed blocked order of assembly/lib/common.ts and the kernel
// takes the trust ratio from them in f64 (rounded to f32 once); pass 2 recomputes u (the same operations, the
// same bits: cheaper than a scratch area) and applies the ratio, lr and the trace.
import {
  MAXIMIZE, WEIGHT_DECAY, NESTEROV, GRAD_SCALE, ld, st, splat, add, mul, gradIn, addLo64, addHi64, addSq,
  end1, end4, end16,
} from "../lib/common";

export function lars_f32(param: usize, trace: usize, grad: usize, n: i32,
    lr: f32, momentum: f32, weightDecay: f32, trustCoefficient: f32, eps: f32, gradScale: f32, flags: i32): void {
  const scaled = (flags & GRAD_SCALE) != 0, maximize = (flags & MAXIMIZE) != 0, l2 = (flags & WEIGHT_DECAY) != 0;
  let ratio: f64;
  if (flags == 0 || flags == NESTEROV) ratio = larsPass1(param, grad, n, weightDecay, gradScale, trustCoefficient, eps, false, false, false);
  else ratio = larsPass1(param, grad, n, weightDecay, gradScale, trustCoefficient, eps, scaled, maximize, l2);
  const nesterov = (flags & NESTEROV) != 0;
  let o: usize = 0;
  if (ASC_FEATURE_SIMD) {
    o = larsSpan<v128>(param, trace, grad, o, end16(n), end4(n), <f32>ratio, -lr, momentum, weightDecay, gradScale,
      scaled, maximize, l2, nesterov);
  }
  larsSpan<f32>(param, trace, grad, o, o, end1(n), <f32>ratio, -lr, momentum, weightDecay, gradScale,
    scaled, maximize, l2, nesterov);
}

/** u = g (scaled, negated for maximize) + weightDecay*p: the update before the trust ratio. */
// @ts-ignore: decorator
@inline function larsU<T>(p: T, grad: usize, o: usize, weightDecay: T, gradScale: T, scaled: bool, maximize: bool, l2: bool): T {
  return gradIn<T>(ld<T>(grad, o), p, gradScale, weightDecay, scaled, maximize, l2);
}

/** Pass 1 (read-only): the trust ratio c‖p‖/(‖u‖ + eps), or 1 where either norm is 0, in f64. */
// @ts-ignore: decorator
@inline function larsPass1(param: usize, grad: usize, n: i32, weightDecay: f32, gradScale: f32, coefficient: f32,
    eps: f32, scaled: bool, maximize: bool, l2: bool): f64 {
  // f64 totals (t: p, s: u) and f32 block partials (q: p, r: u) of partials 0..7
  let t0: f64 = 0, t1: f64 = 0, t2: f64 = 0, t3: f64 = 0, t4: f64 = 0, t5: f64 = 0, t6: f64 = 0, t7: f64 = 0;
  let s0: f64 = 0, s1: f64 = 0, s2: f64 = 0, s3: f64 = 0, s4: f64 = 0, s5: f64 = 0, s6: f64 = 0, s7: f64 = 0;
  let q0: f32 = 0, q1: f32 = 0, q2: f32 = 0, q3: f32 = 0, q4: f32 = 0, q5: f32 = 0, q6: f32 = 0, q7: f32 = 0;
  let r0: f32 = 0, r1: f32 = 0, r2: f32 = 0, r3: f32 = 0, r4: f32 = 0, r5: f32 = 0, r6: f32 = 0, r7: f32 = 0;
  let o: usize = 0;
  const endBlocks = <usize>(n & ~127) << 2, end8 = <usize>(n & ~7) << 2, end = <usize>n << 2;
  if (ASC_FEATURE_SIMD) {
    const wd = f32x4.splat(weightDecay), gs = f32x4.splat(gradScale), zero = f32x4.splat(0);
    let t01 = f64x2.splat(0), t23 = f64x2.splat(0), t45 = f64x2.splat(0), t67 = f64x2.splat(0);
    let s01 = f64x2.splat(0), s23 = f64x2.splat(0), s45 = f64x2.splat(0), s67 = f64x2.splat(0);
    let qa = zero, qb = zero, ra = zero, rb = zero;
    while (o < end8) {
      const stop = o < endBlocks ? o + 512 : end8;
      for (; o < stop; o += 32) {
        const x = v128.load(param + o), y = v128.load(param + o + 16);
        const ux = larsU<v128>(x, grad, o, wd, gs, scaled, maximize, l2), uy = larsU<v128>(y, grad, o + 16, wd, gs, scaled, maximize, l2);
        qa = addSq<v128>(qa, x); qb = addSq<v128>(qb, y); ra = addSq<v128>(ra, ux); rb = addSq<v128>(rb, uy);
      }
      if (o <= endBlocks) { // a whole block of 128: into the f64 totals (the last, partial block waits for the tail)
        t01 = addLo64(t01, qa); t23 = addHi64(t23, qa); t45 = addLo64(t45, qb); t67 = addHi64(t67, qb);
        s01 = addLo64(s01, ra); s23 = addHi64(s23, ra); s45 = addLo64(s45, rb); s67 = addHi64(s67, rb);
        qa = zero; qb = zero; ra = zero; rb = zero;
      }
    }
    t0 = f64x2.extract_lane(t01, 0); t1 = f64x2.extract_lane(t01, 1); t2 = f64x2.extract_lane(t23, 0); t3 = f64x2.extract_lane(t23, 1);
    t4 = f64x2.extract_lane(t45, 0); t5 = f64x2.extract_lane(t45, 1); t6 = f64x2.extract_lane(t67, 0); t7 = f64x2.extract_lane(t67, 1);
    s0 = f64x2.extract_lane(s01, 0); s1 = f64x2.extract_lane(s01, 1); s2 = f64x2.extract_lane(s23, 0); s3 = f64x2.extract_lane(s23, 1);
    s4 = f64x2.extract_lane(s45, 0); s5 = f64x2.extract_lane(s45, 1); s6 = f64x2.extract_lane(s67, 0); s7 = f64x2.extract_lane(s67, 1);
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
        r0 = addSq<f32>(r0, larsU<f32>(p0, grad, o, weightDecay, gradScale, scaled, maximize, l2));
        r1 = addSq<f32>(r1, larsU<f32>(p1, grad, o + 4, weightDecay, gradScale, scaled, maximize, l2));
        r2 = addSq<f32>(r2, larsU<f32>(p2, grad, o + 8, weightDecay, gradScale, scaled, maximize, l2));
        r3 = addSq<f32>(r3, larsU<f32>(p3, grad, o + 12, weightDecay, gradScale, scaled, maximize, l2));
        r4 = addSq<f32>(r4, larsU<f32>(p4, grad, o + 16, weightDecay, gradScale, scaled, maximize, l2));
        r5 = addSq<f32>(r5, larsU<f32>(p5, grad, o + 20, weightDecay, gradScale, scaled, maximize, l2));
        r6 = addSq<f32>(r6, larsU<f32>(p6, grad, o + 24, weightDecay, gradScale, scaled, maximize, l2));
        r7 = addSq<f32>(r7, larsU<f32>(p7, grad, o + 28, weightDecay, gradScale, scaled, maximize, l2));
      }
      if (o <= endBlocks) {
        t0 += q0; t1 += q1; t2 += q2; t3 += q3; t4 += q4; t5 += q5; t6 += q6; t7 += q7;
        s0 += r0; s1 += r1; s2 += r2; s3 += r3; s4 += r4; s5 += r5; s6 += r6; s7 += r7;
        q0 = 0; q1 = 0; q2 = 0; q3 = 0; q4 = 0; q5 = 0; q6 = 0; q7 = 0;
        r0 = 0; r1 = 0; r2 = 0; r3 = 0; r4 = 0; r5 = 0; r6 = 0; r7 = 0;
      }
    }
  }
  // The tail: elements 8k..n-1 go to partials 0..(n mod 8)-1 of the last block, in order.
  let j = 0;
  for (; o < end; o += 4) {
    const p = load<f32>(param + o);
    const u = larsU<f32>(p, grad, o, weightDecay, gradScale, scaled, maximize, l2);
    if (j == 0) { q0 = addSq<f32>(q0, p); r0 = addSq<f32>(r0, u); } else if (j == 1) { q1 = addSq<f32>(q1, p); r1 = addSq<f32>(r1, u); }
    else if (j == 2) { q2 = addSq<f32>(q2, p); r2 = addSq<f32>(r2, u); } else if (j == 3) { q3 = addSq<f32>(q3, p); r3 = addSq<f32>(r3, u); }
    else if (j == 4) { q4 = addSq<f32>(q4, p); r4 = addSq<f32>(r4, u); } else if (j == 5) { q5 = addSq<f32>(q5, p); r5 = addSq<f32>(r5, u); }
    else { q6 = addSq<f32>(q6, p); r6 = addSq<f32>(r6, u); }
    j++;
  }
  t0 += q0; t1 += q1; t2 += q2; t3 += q3; t4 += q4; t5 += q5; t6 += q6; t7 += q7;
  s0 += r0; s1 += r1; s2 += r2; s3 += r3; s4 += r4; s5 += r5; s6 += r6; s7 += r7;
  const pn = Math.sqrt(((t0 + t1) + (t2 + t3)) + ((t4 + t5) + (t6 + t7)));
  const un = Math.sqrt(((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)));
  return pn == 0 || un == 0 ? 1 : (<f64>coefficient * pn) / (un + <f64>eps);
}

/** Pass 2 over bytes [o, end): four lanes of T at a time up to `end16`, unrolled four times, then one at a time. */
// @ts-ignore: decorator
@inline function larsSpan<T>(param: usize, trace: usize, grad: usize, o: usize, end16: usize, end: usize, ratio: f32,
    negLr: f32, momentum: f32, weightDecay: f32, gradScale: f32, scaled: bool, maximize: bool, l2: bool, nesterov: bool): usize {
  const r = splat<T>(ratio), l = splat<T>(negLr), mu = splat<T>(momentum), wd = splat<T>(weightDecay), gs = splat<T>(gradScale);
  const w: usize = sizeof<T>();
  for (; o < end16; o += 4 * w) {
    larsAt<T>(param, trace, grad, o, r, l, mu, wd, gs, scaled, maximize, l2, nesterov);
    larsAt<T>(param, trace, grad, o + w, r, l, mu, wd, gs, scaled, maximize, l2, nesterov);
    larsAt<T>(param, trace, grad, o + 2 * w, r, l, mu, wd, gs, scaled, maximize, l2, nesterov);
    larsAt<T>(param, trace, grad, o + 3 * w, r, l, mu, wd, gs, scaled, maximize, l2, nesterov);
  }
  for (; o < end; o += w) larsAt<T>(param, trace, grad, o, r, l, mu, wd, gs, scaled, maximize, l2, nesterov);
  return o;
}

/** The LARS rule after the trust ratio for the lanes at byte offset o, in Optax's order. */
// @ts-ignore: decorator
@inline function larsAt<T>(param: usize, trace: usize, grad: usize, o: usize, ratio: T, negLr: T, momentum: T,
    weightDecay: T, gradScale: T, scaled: bool, maximize: bool, l2: bool, nesterov: bool): void {
  const p = ld<T>(param, o);
  const u = mul<T>(mul<T>(larsU<T>(p, grad, o, weightDecay, gradScale, scaled, maximize, l2), ratio), negLr);
  const t = add<T>(u, mul<T>(momentum, ld<T>(trace, o)));
  st<T>(trace, o, t);
  st<T>(param, o, add<T>(p, nesterov ? add<T>(u, mul<T>(momentum, t)) : t));
}
