// Read-only reductions for the step plan's pre-pass (clipping, non-finite detection) and the free functions
// clipGradNorm / gradNorm: one pass gives Σx², Σ|x| and max|x| of n f32s.
// Preconditions: x points at n f32s (any alignment); out points at 3 f64s per result (8-byte aligned).
// Order (the same in the SIMD build, the scalar build and reduceRef in src/core/reduce.ts), for Σx² and Σ|x|
// alike: x is cut into blocks of 256 elements (the last may be shorter); within a block, the term of element i
// (x_i² rounded to f32, or |x_i|) is added in f32 to partial i mod 16, in index order (16 terms per partial);
// at the end of the block each partial k is added to its f64 total t_k and restarts at 0. The blocks are
// folded in the order A_0, B_0, A_1, B_1, … where A is the first ceil(nb/2) of the nb blocks and B the rest
// (blockAt), so that the SIMD build reads two streams at once. The result is e + o with
// e = ((t0 + t2) + (t4 + t6)) + ((t8 + t10) + (t12 + t14)) and o the same over the odd totals. This is PyTorch's own precision (it sums the squares in f32), with a
// bound on the rounding: every partial sums at most 16 terms, so Σx² is within 16 f32 ulps·Σx² of the exact
// sum (relative 9.6e-7) and the norm within half that, whatever n. The f32 lanes run at memory speed where
// f64 promotions did not (the pre-pass cost a third of an Adam step).
// max|x| is exact; it is NaN if any element is NaN (then Σx² is NaN too). Σx² is NaN exactly when an element
// is NaN, and +Inf when one is ±Inf or when squares overflow f32 (|x| above about 1.8e19, as in PyTorch):
// the plan tells the two apart with max|x| (src/core/plan.ts).
// A chunk of 16 elements that runs past n is read as zeros: adding +0 to a partial (≥ +0 or NaN) changes
// nothing, so the padded SIMD tail rounds exactly as the element-by-element order above.
// Why two streams: the pre-pass of a fused clip reads the grads from memory just before the step; one stream
// read 1M floats in ~0.107 ms here, two interleaved streams in ~0.083 ms (see the README's toolkit bench).

const BLOCK_BYTES: usize = 1024; // 256 floats: 16 terms per partial

/** The floats at byte offsets o .. o+12 of x that lie before `end`, zeros for the others. */
// @ts-ignore: decorator
@inline function tailLanes(x: usize, o: usize, end: usize): v128 {
  let v = f32x4.splat(0);
  if (o < end) v = f32x4.replace_lane(v, 0, load<f32>(x + o));
  if (o + 4 < end) v = f32x4.replace_lane(v, 1, load<f32>(x + o + 4));
  if (o + 8 < end) v = f32x4.replace_lane(v, 2, load<f32>(x + o + 8));
  if (o + 12 < end) v = f32x4.replace_lane(v, 3, load<f32>(x + o + 12));
  return v;
}
/** The f32 lanes 0, 1 of x added to the f64 pair acc. */
// @ts-ignore: decorator
@inline function lo64(acc: v128, x: v128): v128 { return f64x2.add(acc, f64x2.promote_low_f32x4(x)); }
/** The f32 lanes 2, 3 of x added to the f64 pair acc. */
// @ts-ignore: decorator
@inline function hi64(acc: v128, x: v128): v128 {
  return f64x2.add(acc, f64x2.promote_low_f32x4(i8x16.shuffle(x, x, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7)));
}
/** e + o of 8 f64 pairs (t0,t1) .. (t14,t15): see the header. */
// @ts-ignore: decorator
@inline function tree(t0: v128, t1: v128, t2: v128, t3: v128, t4: v128, t5: v128, t6: v128, t7: v128): f64 {
  const s = f64x2.add(f64x2.add(f64x2.add(t0, t1), f64x2.add(t2, t3)), f64x2.add(f64x2.add(t4, t5), f64x2.add(t6, t7)));
  return f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
}
/** Pseudo-max: m < y ? y : m (a NaN y leaves m; the caller turns max|x| into NaN from Σx²). */
// @ts-ignore: decorator
@inline function pmax32(m: f32, y: f32): f32 { return m < y ? y : m; }

/** acc + v*v, lane by lane in f32. */
// @ts-ignore: decorator
@inline function addSq(acc: v128, v: v128): v128 { return f32x4.add(acc, f32x4.mul(v, v)); }

/**
 * The block folded q-th: the fold order visits the two halves of the blocks alternately, A_0, B_0, A_1, B_1, …
 * (A: blocks [0, h), B: blocks [h, nb), h = ceil(nb / 2)), so that the kernel can read two streams at once.
 */
// @ts-ignore: decorator
@inline function blockAt(q: i32, h: i32): i32 { return (q & 1) == 0 ? q >> 1 : h + (q >> 1); }

// @ts-ignore: decorator
@inline function reduceSimd(x: usize, n: i32, out: usize, all: bool, signed: bool): void {
  const zero = f32x4.splat(0);
  // s: Σx² partials 0-3, 4-7, 8-11, 12-15 of the current block; a: the same for Σ|x|; S, A: f64 totals in pairs.
  let s0 = zero, s1 = zero, s2 = zero, s3 = zero, a0 = zero, a1 = zero, a2 = zero, a3 = zero, mx = zero;
  let S0 = f64x2.splat(0), S1 = S0, S2 = S0, S3 = S0, S4 = S0, S5 = S0, S6 = S0, S7 = S0;
  let A0 = S0, A1 = S0, A2 = S0, A3 = S0, A4 = S0, A5 = S0, A6 = S0, A7 = S0;
  const end = <usize>n << 2, nb = (n + 255) >> 8, h = (nb + 1) >> 1;
  for (let q = 0; q < nb;) {
    const a = x + (<usize>blockAt(q, h) << 10);
    const b = x + (<usize>(h + (q >> 1)) << 10);
    if (!all && q + 1 < nb && b + BLOCK_BYTES <= x + end) {
      // A_j and B_j both whole: one loop reads both (two streams keep more reads in flight: ~25 % faster from
      // memory than one), each into its own partials; A_j is folded first, as the order says.
      let u0 = zero, u1 = zero, u2 = zero, u3 = zero;
      for (let o: usize = 0; o < BLOCK_BYTES; o += 64) {
        s0 = addSq(s0, v128.load(a + o)); s1 = addSq(s1, v128.load(a + o + 16));
        s2 = addSq(s2, v128.load(a + o + 32)); s3 = addSq(s3, v128.load(a + o + 48));
        u0 = addSq(u0, v128.load(b + o)); u1 = addSq(u1, v128.load(b + o + 16));
        u2 = addSq(u2, v128.load(b + o + 32)); u3 = addSq(u3, v128.load(b + o + 48));
      }
      S0 = lo64(S0, s0); S1 = hi64(S1, s0); S2 = lo64(S2, s1); S3 = hi64(S3, s1);
      S4 = lo64(S4, s2); S5 = hi64(S5, s2); S6 = lo64(S6, s3); S7 = hi64(S7, s3);
      S0 = lo64(S0, u0); S1 = hi64(S1, u0); S2 = lo64(S2, u1); S3 = hi64(S3, u1);
      S4 = lo64(S4, u2); S5 = hi64(S5, u2); S6 = lo64(S6, u3); S7 = hi64(S7, u3);
      s0 = zero; s1 = zero; s2 = zero; s3 = zero;
      q += 2;
      continue;
    }
    // One block alone: whole 16-float chunks, then the last block's zero-padded chunk, then the fold.
    const len = min<usize>(x + end - a, BLOCK_BYTES), stop = len & ~63;
    let o: usize = 0;
    if (all) {
      for (; o < stop; o += 64) {
        const v0 = v128.load(a + o), v1 = v128.load(a + o + 16), v2 = v128.load(a + o + 32), v3 = v128.load(a + o + 48);
        s0 = addSq(s0, v0); s1 = addSq(s1, v1); s2 = addSq(s2, v2); s3 = addSq(s3, v3);
        const w0 = f32x4.abs(v0), w1 = f32x4.abs(v1), w2 = f32x4.abs(v2), w3 = f32x4.abs(v3);
        a0 = f32x4.add(a0, signed ? v0 : w0); a1 = f32x4.add(a1, signed ? v1 : w1);
        a2 = f32x4.add(a2, signed ? v2 : w2); a3 = f32x4.add(a3, signed ? v3 : w3);
        mx = f32x4.pmax(mx, f32x4.pmax(f32x4.pmax(w0, w1), f32x4.pmax(w2, w3)));
      }
    } else {
      for (; o < stop; o += 64) {
        s0 = addSq(s0, v128.load(a + o)); s1 = addSq(s1, v128.load(a + o + 16));
        s2 = addSq(s2, v128.load(a + o + 32)); s3 = addSq(s3, v128.load(a + o + 48));
      }
    }
    if (o < len) {
      const v0 = tailLanes(a, o, len), v1 = tailLanes(a, o + 16, len), v2 = tailLanes(a, o + 32, len), v3 = tailLanes(a, o + 48, len);
      s0 = addSq(s0, v0); s1 = addSq(s1, v1); s2 = addSq(s2, v2); s3 = addSq(s3, v3);
      if (all) {
        const w0 = f32x4.abs(v0), w1 = f32x4.abs(v1), w2 = f32x4.abs(v2), w3 = f32x4.abs(v3);
        a0 = f32x4.add(a0, signed ? v0 : w0); a1 = f32x4.add(a1, signed ? v1 : w1);
        a2 = f32x4.add(a2, signed ? v2 : w2); a3 = f32x4.add(a3, signed ? v3 : w3);
        mx = f32x4.pmax(mx, f32x4.pmax(f32x4.pmax(w0, w1), f32x4.pmax(w2, w3)));
      }
    }
    S0 = lo64(S0, s0); S1 = hi64(S1, s0); S2 = lo64(S2, s1); S3 = hi64(S3, s1);
    S4 = lo64(S4, s2); S5 = hi64(S5, s2); S6 = lo64(S6, s3); S7 = hi64(S7, s3);
    s0 = zero; s1 = zero; s2 = zero; s3 = zero;
    if (all) {
      A0 = lo64(A0, a0); A1 = hi64(A1, a0); A2 = lo64(A2, a1); A3 = hi64(A3, a1);
      A4 = lo64(A4, a2); A5 = hi64(A5, a2); A6 = lo64(A6, a3); A7 = hi64(A7, a3);
      a0 = zero; a1 = zero; a2 = zero; a3 = zero;
    }
    q++;
  }
  const sq = tree(S0, S1, S2, S3, S4, S5, S6, S7);
  store<f64>(out, sq);
  if (all) {
    const m = pmax32(pmax32(f32x4.extract_lane(mx, 0), f32x4.extract_lane(mx, 1)), pmax32(f32x4.extract_lane(mx, 2), f32x4.extract_lane(mx, 3)));
    store<f64>(out + 8, tree(A0, A1, A2, A3, A4, A5, A6, A7));
    store<f64>(out + 16, sq != sq ? NaN : <f64>m);
  } else {
    store<f64>(out + 8, 0);
    store<f64>(out + 16, 0);
  }
}

// The scalar build: the same order with 16 f32 partials and 16 f64 totals in locals. `sqr` selects the term:
// TERM_SQ (Σx²), TERM_ABS (Σ|x|) or TERM_X (Σx).
const TERM_SQ = 0, TERM_ABS = 1, TERM_X = 2;
// @ts-ignore: decorator
@inline function term(e: f32, sqr: i32): f32 { return sqr == TERM_SQ ? e * e : sqr == TERM_ABS ? Mathf.abs(e) : e; }

// @ts-ignore: decorator
@inline function reduceScalarOne(x: usize, n: i32, sqr: i32): f64 {
  let q0: f32 = 0, q1: f32 = 0, q2: f32 = 0, q3: f32 = 0, q4: f32 = 0, q5: f32 = 0, q6: f32 = 0, q7: f32 = 0;
  let q8: f32 = 0, q9: f32 = 0, q10: f32 = 0, q11: f32 = 0, q12: f32 = 0, q13: f32 = 0, q14: f32 = 0, q15: f32 = 0;
  let t0: f64 = 0, t1: f64 = 0, t2: f64 = 0, t3: f64 = 0, t4: f64 = 0, t5: f64 = 0, t6: f64 = 0, t7: f64 = 0;
  let t8: f64 = 0, t9: f64 = 0, t10: f64 = 0, t11: f64 = 0, t12: f64 = 0, t13: f64 = 0, t14: f64 = 0, t15: f64 = 0;
  const end = <usize>n << 2, nb = (n + 255) >> 8, h = (nb + 1) >> 1;
  for (let q = 0; q < nb; q++) {
    const a = x + (<usize>blockAt(q, h) << 10);
    const blockEnd = a + min<usize>(x + end - a, BLOCK_BYTES), stop = a + ((blockEnd - a) & ~63);
    let o = a;
    for (; o < stop; o += 64) {
      q0 += term(load<f32>(o), sqr); q1 += term(load<f32>(o + 4), sqr);
      q2 += term(load<f32>(o + 8), sqr); q3 += term(load<f32>(o + 12), sqr);
      q4 += term(load<f32>(o + 16), sqr); q5 += term(load<f32>(o + 20), sqr);
      q6 += term(load<f32>(o + 24), sqr); q7 += term(load<f32>(o + 28), sqr);
      q8 += term(load<f32>(o + 32), sqr); q9 += term(load<f32>(o + 36), sqr);
      q10 += term(load<f32>(o + 40), sqr); q11 += term(load<f32>(o + 44), sqr);
      q12 += term(load<f32>(o + 48), sqr); q13 += term(load<f32>(o + 52), sqr);
      q14 += term(load<f32>(o + 56), sqr); q15 += term(load<f32>(o + 60), sqr);
    }
    // The last block's elements past its 16-float chunks go to partials 0..14 in order (the SIMD build's padded chunk).
    for (let j = 0; o < blockEnd; o += 4, j++) {
      const t = term(load<f32>(o), sqr);
      if (j == 0) q0 += t; else if (j == 1) q1 += t; else if (j == 2) q2 += t; else if (j == 3) q3 += t;
      else if (j == 4) q4 += t; else if (j == 5) q5 += t; else if (j == 6) q6 += t; else if (j == 7) q7 += t;
      else if (j == 8) q8 += t; else if (j == 9) q9 += t; else if (j == 10) q10 += t; else if (j == 11) q11 += t;
      else if (j == 12) q12 += t; else if (j == 13) q13 += t; else q14 += t;
    }
    t0 += q0; t1 += q1; t2 += q2; t3 += q3; t4 += q4; t5 += q5; t6 += q6; t7 += q7;
    t8 += q8; t9 += q9; t10 += q10; t11 += q11; t12 += q12; t13 += q13; t14 += q14; t15 += q15;
    q0 = 0; q1 = 0; q2 = 0; q3 = 0; q4 = 0; q5 = 0; q6 = 0; q7 = 0; q8 = 0; q9 = 0; q10 = 0; q11 = 0; q12 = 0; q13 = 0; q14 = 0; q15 = 0;
  }
  return (((t0 + t2) + (t4 + t6)) + ((t8 + t10) + (t12 + t14))) + (((t1 + t3) + (t5 + t7)) + ((t9 + t11) + (t13 + t15)));
}

// @ts-ignore: decorator
@inline function reduceScalar(x: usize, n: i32, out: usize, all: bool, signed: bool): void {
  const sq = reduceScalarOne(x, n, TERM_SQ);
  store<f64>(out, sq);
  if (all) {
    let m: f32 = 0;
    const end = <usize>n << 2;
    for (let o: usize = 0; o < end; o += 4) m = pmax32(m, Mathf.abs(load<f32>(x + o)));
    store<f64>(out + 8, reduceScalarOne(x, n, signed ? TERM_X : TERM_ABS));
    store<f64>(out + 16, sq != sq ? NaN : <f64>m);
  } else {
    store<f64>(out + 8, 0);
    store<f64>(out + 16, 0);
  }
}

// @ts-ignore: decorator
@inline function reduceOne(x: usize, n: i32, out: usize, mode: i32): void {
  const all = mode != 1, signed = mode == 2;
  if (ASC_FEATURE_SIMD) reduceSimd(x, n, out, all, signed);
  else reduceScalar(x, n, out, all, signed);
}

/**
 * Σx², Σ|x|, max|x| of x[0..n) into out[0..3) (f64). `mode` 0: all three; 1: Σx² only (Σ|x| and max|x| are
 * then written as 0 — what 2-norm clipping and non-finite checks need, at about half the work); 2: Σx in place
 * of Σ|x| (the signed sum a global reduction between passes needs: Prodigy's Σg·(θ0 − θ)), same order. Σx² is
 * the same bits in every mode.
 */
export function reduce_f32(x: usize, n: i32, out: usize, mode: i32): void {
  if (mode == 1) reduceOne(x, n, out, 1);
  else if (mode == 2) reduceOne(x, n, out, 2);
  else reduceOne(x, n, out, 0);
}

/**
 * Per tensor of a run: `lengths` points at `count` i32 tensor lengths laid out back to back from x; writes
 * Σx², Σ|x|, max|x| of tensor k to out[3k..3k+3) (f64), `mode` as in reduce_f32. One call for all tensors.
 */
export function reduce_seg_f32(x: usize, lengths: usize, count: i32, out: usize, mode: i32): void {
  for (let k = 0; k < count; k++) {
    const n = load<i32>(lengths + (<usize>k << 2));
    if (mode == 1) reduceOne(x, n, out + <usize>k * 24, 1);
    else if (mode == 2) reduceOne(x, n, out + <usize>k * 24, 2);
    else reduceOne(x, n, out + <usize>k * 24, 0);
    x += <usize>n << 2;
  }
}
