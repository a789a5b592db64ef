// LAMB step for one tensor (Optax `lamb`: scale_by_adam, add_decayed_weights, scale_by_trust_ratio,
// scale_by_learning_rate); equations in src/optim/lamb.ts.
// Preconditions: param, expAvg, expAvgSq, grad each point at n f32s and scratch at n f32s (the core's scratch
// area: the update u is written there in pass 1 and read in pass 2; its contents are not state); any byte
// alignment; no two buffers overlap. One call = one whole tensor (the trust ratio needs its norms).
// Scalars: lr, beta1, beta1Comp = 1-beta1, beta2, beta2Comp = 1-beta2, rBc1 = 1/(1-beta1^t),
// rBc2 = 1/(1-beta2^t), eps, epsRoot, weightDecay, gradScale. Flags: MAXIMIZE, GRAD_SCALE, DECOUPLED (add
// weightDecay*p to the update, as Optax's add_decayed_weights after the Adam scaling).
// ‖p‖² and ‖u‖² are summed in the fixed blocked order of assembly/lib/common.ts (f32 blocks of 16 terms per
// partial, f64 totals); the trust ratio is computed from them in f64 here and rounded to f32 once.
import {
  MAXIMIZE, DECOUPLED, GRAD_SCALE, ld, st, splat, add, mul, div, sqrt, gradIn, optaxMoment, optaxMoment2,
  addLo64, addHi64, addSq, end1, end4, end16,
} from "../lib/common";

export function lamb_f32(param: usize, expAvg: usize, expAvgSq: usize, scratch: usize, grad: usize, n: i32,
    lr: f32, beta1: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, rBc1: f32, rBc2: f32, eps: f32, epsRoot: f32,
    weightDecay: f32, gradScale: f32, flags: i32): void {
  let ratio: f64;
  // The default (no flags, epsRoot 0: adding +0 to v/bc2 >= +0 changes no bit, so it is skipped) gets its own loop.
  if (flags == 0 && epsRoot == 0) {
    ratio = lambPass1(param, expAvg, expAvgSq, scratch, grad, n, beta1, beta1Comp, beta2, beta2Comp, rBc1, rBc2,
      eps, epsRoot, weightDecay, gradScale, false, false, false, false);
  } else {
    ratio = lambPass1(param, expAvg, expAvgSq, scratch, grad, n, beta1, beta1Comp, beta2, beta2Comp, rBc1, rBc2,
      eps, epsRoot, weightDecay, gradScale, (flags & GRAD_SCALE) != 0, (flags & MAXIMIZE) != 0, (flags & DECOUPLED) != 0, true);
  }
  applyTrustRatio(param, scratch, n, <f32>(<f64>(<f32>ratio) * -<f64>lr));
}

/**
 * Pass 1: moments, the update u (to scratch), and the trust ratio ‖p‖/‖u‖ (1 where either norm is 0), in f64
 * from the blocked sums of squares of assembly/lib/common.ts. p is only read here.
 */
// @ts-ignore: decorator
@inline function lambPass1(param: usize, expAvg: usize, expAvgSq: usize, scratch: usize, grad: usize, n: i32,
    beta1: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, rBc1: f32, rBc2: f32, eps: f32, epsRoot: f32,
    weightDecay: f32, gradScale: f32, scaled: bool, maximize: bool, decay: bool, root: bool): f64 {
  // f64 totals (t: p, s: u) and f32 block partials (q: p, r: u) of partials 0..7
  let t0: f64 = 0, t1: f64 = 0, t2: f64 = 0, t3: f64 = 0, t4: f64 = 0, t5: f64 = 0, t6: f64 = 0, t7: f64 = 0;
  let s0: f64 = 0, s1: f64 = 0, s2: f64 = 0, s3: f64 = 0, s4: f64 = 0, s5: f64 = 0, s6: f64 = 0, s7: f64 = 0;
  let q0: f32 = 0, q1: f32 = 0, q2: f32 = 0, q3: f32 = 0, q4: f32 = 0, q5: f32 = 0, q6: f32 = 0, q7: f32 = 0;
  let r0: f32 = 0, r1: f32 = 0, r2: f32 = 0, r3: f32 = 0, r4: f32 = 0, r5: f32 = 0, r6: f32 = 0, r7: f32 = 0;
  let o: usize = 0;
  const endBlocks = <usize>(n & ~127) << 2, end8 = <usize>(n & ~7) << 2, end = <usize>n << 2;
  if (ASC_FEATURE_SIMD) {
    const b1 = f32x4.splat(beta1), b1c = f32x4.splat(beta1Comp), b2 = f32x4.splat(beta2), b2c = f32x4.splat(beta2Comp);
    const c1 = f32x4.splat(rBc1), c2 = f32x4.splat(rBc2), e = f32x4.splat(eps), er = f32x4.splat(epsRoot);
    const wd = f32x4.splat(weightDecay), gs = f32x4.splat(gradScale), zero = f32x4.splat(0);
    let t01 = f64x2.splat(0), t23 = f64x2.splat(0), t45 = f64x2.splat(0), t67 = f64x2.splat(0);
    let s01 = f64x2.splat(0), s23 = f64x2.splat(0), s45 = f64x2.splat(0), s67 = f64x2.splat(0);
    let qa = zero, qb = zero, ra = zero, rb = zero;
    while (o < end8) {
      const stop = o < endBlocks ? o + 512 : end8;
      for (; o < stop; o += 32) {
        const x = v128.load(param + o), y = v128.load(param + o + 16);
        const ux = lambAt<v128>(x, expAvg, expAvgSq, scratch, grad, o, b1, b1c, b2, b2c, c1, c2, e, er, wd, gs, scaled, maximize, decay, root);
        const uy = lambAt<v128>(y, expAvg, expAvgSq, scratch, grad, o + 16, b1, b1c, b2, b2c, c1, c2, e, er, wd, gs, scaled, maximize, decay, root);
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
        q0 = addSq<f32>(q0, load<f32>(param + o)); q1 = addSq<f32>(q1, load<f32>(param + o + 4));
        q2 = addSq<f32>(q2, load<f32>(param + o + 8)); q3 = addSq<f32>(q3, load<f32>(param + o + 12));
        q4 = addSq<f32>(q4, load<f32>(param + o + 16)); q5 = addSq<f32>(q5, load<f32>(param + o + 20));
        q6 = addSq<f32>(q6, load<f32>(param + o + 24)); q7 = addSq<f32>(q7, load<f32>(param + o + 28));
        r0 = addSq<f32>(r0, lamb1(param, expAvg, expAvgSq, scratch, grad, o, beta1, beta1Comp, beta2, beta2Comp, rBc1, rBc2, eps, epsRoot, weightDecay, gradScale, scaled, maximize, decay, root));
        r1 = addSq<f32>(r1, lamb1(param, expAvg, expAvgSq, scratch, grad, o + 4, beta1, beta1Comp, beta2, beta2Comp, rBc1, rBc2, eps, epsRoot, weightDecay, gradScale, scaled, maximize, decay, root));
        r2 = addSq<f32>(r2, lamb1(param, expAvg, expAvgSq, scratch, grad, o + 8, beta1, beta1Comp, beta2, beta2Comp, rBc1, rBc2, eps, epsRoot, weightDecay, gradScale, scaled, maximize, decay, root));
        r3 = addSq<f32>(r3, lamb1(param, expAvg, expAvgSq, scratch, grad, o + 12, beta1, beta1Comp, beta2, beta2Comp, rBc1, rBc2, eps, epsRoot, weightDecay, gradScale, scaled, maximize, decay, root));
        r4 = addSq<f32>(r4, lamb1(param, expAvg, expAvgSq, scratch, grad, o + 16, beta1, beta1Comp, beta2, beta2Comp, rBc1, rBc2, eps, epsRoot, weightDecay, gradScale, scaled, maximize, decay, root));
        r5 = addSq<f32>(r5, lamb1(param, expAvg, expAvgSq, scratch, grad, o + 20, beta1, beta1Comp, beta2, beta2Comp, rBc1, rBc2, eps, epsRoot, weightDecay, gradScale, scaled, maximize, decay, root));
        r6 = addSq<f32>(r6, lamb1(param, expAvg, expAvgSq, scratch, grad, o + 24, beta1, beta1Comp, beta2, beta2Comp, rBc1, rBc2, eps, epsRoot, weightDecay, gradScale, scaled, maximize, decay, root));
        r7 = addSq<f32>(r7, lamb1(param, expAvg, expAvgSq, scratch, grad, o + 28, beta1, beta1Comp, beta2, beta2Comp, rBc1, rBc2, eps, epsRoot, weightDecay, gradScale, scaled, maximize, decay, root));
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
    const u = lamb1(param, expAvg, expAvgSq, scratch, grad, o, beta1, beta1Comp, beta2, beta2Comp, rBc1, rBc2, eps, epsRoot, weightDecay, gradScale, scaled, maximize, decay, root);
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
  return pn == 0 || un == 0 ? 1 : pn / un;
}

/** lambAt for one f32 lane (splats are the scalars themselves). */
// @ts-ignore: decorator
@inline function lamb1(param: usize, expAvg: usize, expAvgSq: usize, scratch: usize, grad: usize, o: usize,
    beta1: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, rBc1: f32, rBc2: f32, eps: f32, epsRoot: f32,
    weightDecay: f32, gradScale: f32, scaled: bool, maximize: bool, decay: bool, root: bool): f32 {
  return lambAt<f32>(load<f32>(param + o), expAvg, expAvgSq, scratch, grad, o, beta1, beta1Comp, beta2, beta2Comp, rBc1, rBc2, eps,
    epsRoot, weightDecay, gradScale, scaled, maximize, decay, root);
}

/** The LAMB rule up to the trust ratio for the lanes at byte offset o (p: their param values), in Optax's order: returns u (also stored). */
// @ts-ignore: decorator
@inline function lambAt<T>(p: T, expAvg: usize, expAvgSq: usize, scratch: usize, grad: usize, o: usize,
    beta1: T, beta1Comp: T, beta2: T, beta2Comp: T, rBc1: T, rBc2: T, eps: T, epsRoot: T, weightDecay: T,
    gradScale: T, scaled: bool, maximize: bool, decay: bool, root: bool): T {
  const g = gradIn<T>(ld<T>(grad, o), p, gradScale, weightDecay, scaled, maximize, false);
  const m = optaxMoment<T>(ld<T>(expAvg, o), g, beta1, beta1Comp);
  const v = optaxMoment2<T>(ld<T>(expAvgSq, o), g, beta2, beta2Comp);
  st<T>(expAvg, o, m);
  st<T>(expAvgSq, o, v);
  let vHat = mul<T>(v, rBc2);
  if (root) vHat = add<T>(vHat, epsRoot);
  let u = div<T>(mul<T>(m, rBc1), add<T>(sqrt<T>(vHat), eps));
  if (decay) u = add<T>(u, mul<T>(weightDecay, p));
  st<T>(scratch, o, u);
  return u;
}

/**
 * Pass 2: p += u * s with s = f32(ratio · −lr) (the f32 ratio times the f32 lr, rounded once): one multiply per
 * element where Optax's scale_by_trust_ratio then scale_by_learning_rate round twice (within an f32 rounding).
 */
// @ts-ignore: decorator
@inline function applyTrustRatio(param: usize, scratch: usize, n: i32, s: f32): void {
  let o: usize = 0;
  if (ASC_FEATURE_SIMD) o = applySpan<v128>(param, scratch, o, end16(n), end4(n), s);
  applySpan<f32>(param, scratch, o, o, end1(n), s);
}

// @ts-ignore: decorator
@inline function applySpan<T>(param: usize, scratch: usize, o: usize, end16: usize, end: usize, s: f32): usize {
  const sv = splat<T>(s);
  const w: usize = sizeof<T>();
  for (; o < end16; o += 4 * w) {
    applyAt<T>(param, scratch, o, sv);
    applyAt<T>(param, scratch, o + w, sv);
    applyAt<T>(param, scratch, o + 2 * w, sv);
    applyAt<T>(param, scratch, o + 3 * w, sv);
  }
  for (; o < end; o += w) applyAt<T>(param, scratch, o, sv);
  return o;
}

// @ts-ignore: decorator
@inline function applyAt<T>(param: usize, scratch: usize, o: usize, s: T): void {
  st<T>(param, o, add<T>(ld<T>(param, o), mul<T>(ld<T>(scratch, o), s)));
}
