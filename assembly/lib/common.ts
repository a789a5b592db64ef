// Shared element-wise building blocks, written once and generic over the lane type T: `f32` (the scalar
// tail, and the whole scalar build) or `v128` (four f32 lanes, the SIMD main loop). Each optimizer writes its
// element rule once with these (`adamAt<T>`), and its loop instantiates the rule for both types, so the SIMD
// body and the scalar tail perform the same operations in the same order and round identically.
// `isVector<T>()` is a compile-time constant: each instantiation compiles only its own branch. Everything
// here is @inline: kernels stay single fused passes with no calls in the loop.

/** Flag bits passed in the last kernel argument. Mirrored in src/abi/index.ts (test/abi.test.ts compares every bit). */
export const MAXIMIZE: i32 = 1;
export const WEIGHT_DECAY: i32 = 2; // coupled (L2) weight decay: g += wd * p
export const DECOUPLED: i32 = 4;    // decoupled weight decay: p *= 1 - lr * wd (before the moments)
export const MOMENTUM: i32 = 8;
export const NESTEROV: i32 = 16;
export const INIT_BUFFER: i32 = 32; // first step: the buffer is written before it is read
export const AMSGRAD: i32 = 64;
export const CENTERED: i32 = 128;
export const GRAD_SCALE: i32 = 256; // the gradient prologue multiplies by gradScale (clipping, unscaling, 1/k)
export const TFJS: i32 = 512;       // flavor "tfjs": TensorFlow.js's formulas and operation order (tfjsMoment, tfjsEma2)
/**
 * The step clips values: the prologue clamps g to the bounds at CLIP_AT (after the scale, before maximize). Set
 * by the caller on every kernel call of such a step (src/core/plan.ts). Bit 31, above the stochastic-rounding
 * seed of assembly/lib/lowp.ts.
 */
export const CLIP: i32 = 1 << 31;

// ---- lane operations -------------------------------------------------------------------------------------

// @ts-ignore: decorator
@inline export function ld<T>(ptr: usize, o: usize): T {
  if (isVector<T>()) return <T>v128.load(ptr + o); else return <T>load<f32>(ptr + o);
}
// @ts-ignore: decorator
@inline export function st<T>(ptr: usize, o: usize, x: T): void {
  if (isVector<T>()) v128.store(ptr + o, <v128>x); else store<f32>(ptr + o, <f32>x);
}
// @ts-ignore: decorator
@inline export function splat<T>(x: f32): T {
  if (isVector<T>()) return <T>f32x4.splat(x); else return <T>x;
}
// @ts-ignore: decorator
@inline export function add<T>(a: T, b: T): T {
  if (isVector<T>()) return <T>f32x4.add(<v128>a, <v128>b); else return <T>(<f32>a + <f32>b);
}
// @ts-ignore: decorator
@inline export function sub<T>(a: T, b: T): T {
  if (isVector<T>()) return <T>f32x4.sub(<v128>a, <v128>b); else return <T>(<f32>a - <f32>b);
}
// @ts-ignore: decorator
@inline export function mul<T>(a: T, b: T): T {
  if (isVector<T>()) return <T>f32x4.mul(<v128>a, <v128>b); else return <T>(<f32>a * <f32>b);
}
// @ts-ignore: decorator
@inline export function div<T>(a: T, b: T): T {
  if (isVector<T>()) return <T>f32x4.div(<v128>a, <v128>b); else return <T>(<f32>a / <f32>b);
}
// @ts-ignore: decorator
@inline export function sqrt<T>(a: T): T {
  if (isVector<T>()) return <T>f32x4.sqrt(<v128>a); else return <T>Mathf.sqrt(<f32>a);
}
/** Wasm f32.max / f32x4.max: NaN-propagating. */
// @ts-ignore: decorator
@inline export function maxv<T>(a: T, b: T): T {
  if (isVector<T>()) return <T>f32x4.max(<v128>a, <v128>b); else return <T>max<f32>(<f32>a, <f32>b);
}
// @ts-ignore: decorator
@inline export function neg<T>(a: T): T {
  if (isVector<T>()) return <T>f32x4.neg(<v128>a); else return <T>(-<f32>a);
}

/** Wasm f32.min / f32x4.min: NaN-propagating. */
// @ts-ignore: decorator
@inline export function minv<T>(a: T, b: T): T {
  if (isVector<T>()) return <T>f32x4.min(<v128>a, <v128>b); else return <T>min<f32>(<f32>a, <f32>b);
}
// @ts-ignore: decorator
@inline export function absv<T>(a: T): T {
  if (isVector<T>()) return <T>f32x4.abs(<v128>a); else return <T>Mathf.abs(<f32>a);
}
/**
 * The cube root of x >= 0 in f32 operations only, so that the Wasm builds, the reference (reference-ops.ts cbrt)
 * and WGSL (driver.ts cbrt3) give the same bits: Wasm and WGSL have no cube root, and f64 is not in WGSL. A
 * first guess from the bits (i/3 as six shifts, exact in every backend, plus the constant that makes cbrt(1)
 * exact), then three Newton steps y − (y − x/y²)/3: within 1 ulp of the correctly rounded root (91 % exact).
 * Below the smallest normal the result is x·0 (cbrt(1e-38) ≈ 2e-13 is far below any eps it is added to); +∞
 * gives +∞, NaN gives NaN.
 */
// @ts-ignore: decorator
@inline export function cbrt<T>(x: T): T {
  let y: T;
  if (isVector<T>()) {
    const i = <v128>x;
    y = <T>i32x4.add(i32x4.add(i32x4.add(i32x4.shr_u(i, 2), i32x4.shr_u(i, 4)), i32x4.add(i32x4.shr_u(i, 6),
      i32x4.shr_u(i, 8))), i32x4.add(i32x4.add(i32x4.shr_u(i, 10), i32x4.shr_u(i, 12)), i32x4.splat(CBRT_MAGIC)));
  } else {
    const i = reinterpret<u32>(<f32>x);
    y = <T>reinterpret<f32>(((i >>> 2) + (i >>> 4)) + ((i >>> 6) + (i >>> 8)) + (((i >>> 10) + (i >>> 12)) + CBRT_MAGIC));
  }
  const three = splat<T>(3);
  for (let k = 0; k < 3; k++) y = sub<T>(y, div<T>(sub<T>(y, div<T>(x, mul<T>(y, y))), three));
  return selectLt<T>(x, splat<T>(1.17549435e-38), mul<T>(x, splat<T>(0)), selectGt<T>(x, splat<T>(3.40282347e38), x, y));
}
/** 0x3f800000 − the six shifts of 0x3f800000: cbrt's first guess of 1 is 1. */
const CBRT_MAGIC: u32 = 0x2a56a800;

/** x > y ? a : b, lane by lane (false when either is NaN). */
// @ts-ignore: decorator
@inline export function selectGt<T>(x: T, y: T, a: T, b: T): T {
  if (isVector<T>()) return <T>v128.bitselect(<v128>a, <v128>b, f32x4.gt(<v128>x, <v128>y));
  else return <f32>x > <f32>y ? a : b;
}
/** x < y ? a : b, lane by lane (false when either is NaN). */
// @ts-ignore: decorator
@inline export function selectLt<T>(x: T, y: T, a: T, b: T): T {
  if (isVector<T>()) return <T>v128.bitselect(<v128>a, <v128>b, f32x4.lt(<v128>x, <v128>y));
  else return <f32>x < <f32>y ? a : b;
}
/** torch.sign: -1, 0 (keeping the sign of zero) or 1; NaN stays NaN. */
// @ts-ignore: decorator
@inline export function sign<T>(x: T): T {
  const zero = splat<T>(0), one = splat<T>(1);
  return selectGt<T>(x, zero, one, selectLt<T>(x, zero, neg<T>(one), x));
}

// ---- shared pieces of optimizer rules ----------------------------------------------------------------------

/**
 * The bounds of the optimizer's `clipValue` (clip_grad_value_ fused into the step), in every store's memory:
 * bytes 0..15 are never allocated (src/runtime/store.ts), so the words written once per step serve the kernel
 * on every thread with no kernel signature changing. At CLIP_AT: lo, then hi (f32), written by the step plan
 * (src/core/plan.ts); read by calls whose flags have CLIP.
 */
export const CLIP_AT: usize = 4;

/**
 * The gradient prologue every optimizer starts from, in PyTorch's order: the step's gradient scale (clip
 * factor, loss-scale inverse, 1/k of accumulation — what PyTorch does to .grad before step()), then the value
 * clip (torch.clamp(g, -clipValue, clipValue), as clip_grad_value_ after unscaling), then the maximize flip,
 * then coupled weight decay. The switches are the flags' GRAD_SCALE, CLIP, MAXIMIZE, WEIGHT_DECAY (constants
 * where a kernel specialises its loops on them).
 */
// @ts-ignore: decorator
@inline export function gradIn<T>(g: T, p: T, scale: T, wd: T, scaled: bool, clip: bool, maximize: bool, l2: bool): T {
  return prologue<T>(g, p, scale, wd, scaled || clip, scaled, clip, maximize, l2);
}

/**
 * gradIn with its switches read from an elementwise rule's flag word f (a constant in a fast path); `has`: the
 * switches the rule has (a constant: the others compile out even in its general loop).
 */
// @ts-ignore: decorator
@inline export function gradInFlags<T>(g: T, p: T, scale: T, wd: T, f: i32,
    has: i32 = GRAD_SCALE | CLIP | MAXIMIZE | WEIGHT_DECAY): T {
  return prologue<T>(g, p, scale, wd, (f & (has & (GRAD_SCALE | CLIP))) != 0, (f & (has & GRAD_SCALE)) != 0,
    (f & (has & CLIP)) != 0, (f & (has & MAXIMIZE)) != 0, (f & (has & WEIGHT_DECAY)) != 0);
}

/**
 * gradIn, `scaledOrClip` being scaled || clip. One test guards the scale and the clip: a loop whose flags are not
 * constant (a general loop) then skips both with one taken branch a vector when neither is on. Tested apart, the
 * two cost V8's code two taken branches a vector (8 instructions more a turn of 16 floats), and centered RMSprop
 * and AdamW with AMSGrad, which take the general loop, ran 3–6 % slower.
 */
// @ts-ignore: decorator
@inline function prologue<T>(g: T, p: T, scale: T, wd: T, scaledOrClip: bool, scaled: bool, clip: bool,
    maximize: bool, l2: bool): T {
  if (scaledOrClip) {
    if (scaled) g = mul<T>(g, scale);
    if (clip) g = clampp<T>(g, splat<T>(load<f32>(CLIP_AT)), splat<T>(load<f32>(CLIP_AT + 4)));
  }
  if (maximize) g = neg<T>(g);
  if (l2) g = add<T>(g, mul<T>(wd, p));
  return g;
}

/** torch.lerp(a, b, w) for w < 0.5: a + w * (b - a). */
// @ts-ignore: decorator
@inline export function lerp<T>(a: T, b: T, w: T): T {
  return add<T>(a, mul<T>(w, sub<T>(b, a)));
}

/** torch.lerp(a, b, w): a + w·(b − a) when |w| < 0.5 (`small`), else b − (b − a)·(1 − w) (wComp = 1 − w in f32). */
// @ts-ignore: decorator
@inline export function torchLerp<T>(a: T, b: T, w: T, wComp: T, small: bool): T {
  return small ? lerp<T>(a, b, w) : sub<T>(b, mul<T>(sub<T>(b, a), wComp));
}

/** Second-moment update v*beta + ((1-beta)*g)*g, PyTorch's mul_(beta).addcmul_(g, g, value=1-beta). */
// @ts-ignore: decorator
@inline export function ema2<T>(v: T, g: T, beta: T, omBeta: T): T {
  return add<T>(mul<T>(v, beta), mul<T>(mul<T>(omBeta, g), g));
}

/** p - (s*x)/d: PyTorch's addcdiv_(x, d, value=-s). */
// @ts-ignore: decorator
@inline export function subScaledDiv<T>(p: T, s: T, x: T, d: T): T {
  return sub<T>(p, div<T>(mul<T>(s, x), d));
}

/** TensorFlow.js's first moment m*beta + g*(1-beta), in its order (tfjs-core adam/rmsprop optimizers). */
// @ts-ignore: decorator
@inline export function tfjsMoment<T>(m: T, g: T, beta: T, betaComp: T): T {
  return add<T>(mul<T>(m, beta), mul<T>(g, betaComp));
}
/** TensorFlow.js's second moment v*beta + square(g)*(1-beta): g squared first, unlike PyTorch's ema2. */
// @ts-ignore: decorator
@inline export function tfjsEma2<T>(v: T, g: T, beta: T, betaComp: T): T {
  return add<T>(mul<T>(v, beta), mul<T>(mul<T>(g, g), betaComp));
}

/** The byte length of the vector part of n floats, and of all of them. */
// @ts-ignore: decorator
@inline export function end4(n: i32): usize { return <usize>(n & ~3) << 2; }
// @ts-ignore: decorator
@inline export function end16(n: i32): usize { return <usize>(n & ~15) << 2; }
// @ts-ignore: decorator
@inline export function end1(n: i32): usize { return <usize>n << 2; }

// ---- Optax's moment forms (Optax optimizers: Lion, AdaBelief, Yogi, Adan, AdEMAMix) ----------------------

/** Optax's update_moment (order 1): (1-beta)*g + beta*m, in that order. */
// @ts-ignore: decorator
@inline export function optaxMoment<T>(m: T, g: T, beta: T, betaComp: T): T {
  return add<T>(mul<T>(betaComp, g), mul<T>(beta, m));
}
/** Optax's update_moment_per_elem_norm (order 2): (1-beta)*(g*g) + beta*v, in that order. */
// @ts-ignore: decorator
@inline export function optaxMoment2<T>(v: T, g: T, beta: T, betaComp: T): T {
  return add<T>(mul<T>(betaComp, mul<T>(g, g)), mul<T>(beta, v));
}

// ---- per-tensor norms inside a kernel (LAMB, LARS) ----------------------------------------------------------
// Σx² of a tensor in a fixed order, the same in the SIMD build, the scalar build and the reference (sumSqBlocked
// in src/core/reference-ops.ts): element i's square, rounded to f32, is added in f32 to partial i mod 8 in
// index order; at every multiple of 128 elements (16 terms per partial) and at the end, each f32 partial is added
// to its f64 total and restarts at 0; the result is ((t0 + t1) + (t2 + t3)) + ((t4 + t5) + (t6 + t7)) in f64.
// Why not f64 throughout, as assembly/reduce/norms.ts: the promotions cost LAMB about half an Adam step at
// 1K-float tensors; blocks of 16 f32 terms keep the relative error of a norm under 1e-6 (a trust ratio needs
// far less), and Optax itself sums these squares in f32. Squares overflow f32 above |x| ≈ 1.8e19 (as in Optax).
// A v128 at element 8k holds partials 0..3, one at 8k+4 partials 4..7.

/** The f32 lanes 0, 1 of x added to the f64 pair acc. */
// @ts-ignore: decorator
@inline export function addLo64(acc: v128, x: v128): v128 {
  return f64x2.add(acc, f64x2.promote_low_f32x4(x));
}
/** The f32 lanes 2, 3 of x added to the f64 pair acc. */
// @ts-ignore: decorator
@inline export function addHi64(acc: v128, x: v128): v128 {
  return f64x2.add(acc, f64x2.promote_low_f32x4(i8x16.shuffle(x, x, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7)));
}
/** acc + x*x, lane by lane in f32. */
// @ts-ignore: decorator
@inline export function addSq<T>(acc: T, x: T): T { return add<T>(acc, mul<T>(x, x)); }

/** Σx² of x[0..n) in the blocked order above, as one read-only pass (Adafactor's ‖θ‖² and ‖U‖²). */
// @ts-ignore: decorator
@inline export function sumSqBlocked(x: usize, n: i32): f64 {
  let t0: f64 = 0, t1: f64 = 0, t2: f64 = 0, t3: f64 = 0, t4: f64 = 0, t5: f64 = 0, t6: f64 = 0, t7: f64 = 0;
  let q0: f32 = 0, q1: f32 = 0, q2: f32 = 0, q3: f32 = 0, q4: f32 = 0, q5: f32 = 0, q6: f32 = 0, q7: f32 = 0;
  let o: usize = 0;
  const endBlocks = <usize>(n & ~127) << 2, end8 = <usize>(n & ~7) << 2, end = <usize>n << 2;
  if (ASC_FEATURE_SIMD) {
    const zero = f32x4.splat(0);
    let t01 = f64x2.splat(0), t23 = f64x2.splat(0), t45 = f64x2.splat(0), t67 = f64x2.splat(0);
    let qa = zero, qb = zero;
    while (o < end8) {
      const stop = o < endBlocks ? o + 512 : end8;
      for (; o < stop; o += 32) { qa = addSq<v128>(qa, v128.load(x + o)); qb = addSq<v128>(qb, v128.load(x + o + 16)); }
      if (o <= endBlocks) { // a whole block of 128: into the f64 totals (the last, partial block waits for the tail)
        t01 = addLo64(t01, qa); t23 = addHi64(t23, qa); t45 = addLo64(t45, qb); t67 = addHi64(t67, qb);
        qa = zero; qb = zero;
      }
    }
    t0 = f64x2.extract_lane(t01, 0); t1 = f64x2.extract_lane(t01, 1); t2 = f64x2.extract_lane(t23, 0); t3 = f64x2.extract_lane(t23, 1);
    t4 = f64x2.extract_lane(t45, 0); t5 = f64x2.extract_lane(t45, 1); t6 = f64x2.extract_lane(t67, 0); t7 = f64x2.extract_lane(t67, 1);
    q0 = f32x4.extract_lane(qa, 0); q1 = f32x4.extract_lane(qa, 1); q2 = f32x4.extract_lane(qa, 2); q3 = f32x4.extract_lane(qa, 3);
    q4 = f32x4.extract_lane(qb, 0); q5 = f32x4.extract_lane(qb, 1); q6 = f32x4.extract_lane(qb, 2); q7 = f32x4.extract_lane(qb, 3);
  } else {
    while (o < end8) {
      const stop = o < endBlocks ? o + 512 : end8;
      for (; o < stop; o += 32) {
        q0 = addSq<f32>(q0, load<f32>(x + o)); q1 = addSq<f32>(q1, load<f32>(x + o + 4));
        q2 = addSq<f32>(q2, load<f32>(x + o + 8)); q3 = addSq<f32>(q3, load<f32>(x + o + 12));
        q4 = addSq<f32>(q4, load<f32>(x + o + 16)); q5 = addSq<f32>(q5, load<f32>(x + o + 20));
        q6 = addSq<f32>(q6, load<f32>(x + o + 24)); q7 = addSq<f32>(q7, load<f32>(x + o + 28));
      }
      if (o <= endBlocks) {
        t0 += q0; t1 += q1; t2 += q2; t3 += q3; t4 += q4; t5 += q5; t6 += q6; t7 += q7;
        q0 = 0; q1 = 0; q2 = 0; q3 = 0; q4 = 0; q5 = 0; q6 = 0; q7 = 0;
      }
    }
  }
  // The tail: elements 8k..n-1 go to partials 0..(n mod 8)-1 of the last block, in order.
  if (o < end) { q0 = addSq<f32>(q0, load<f32>(x + o)); o += 4; }
  if (o < end) { q1 = addSq<f32>(q1, load<f32>(x + o)); o += 4; }
  if (o < end) { q2 = addSq<f32>(q2, load<f32>(x + o)); o += 4; }
  if (o < end) { q3 = addSq<f32>(q3, load<f32>(x + o)); o += 4; }
  if (o < end) { q4 = addSq<f32>(q4, load<f32>(x + o)); o += 4; }
  if (o < end) { q5 = addSq<f32>(q5, load<f32>(x + o)); o += 4; }
  if (o < end) q6 = addSq<f32>(q6, load<f32>(x + o));
  t0 += q0; t1 += q1; t2 += q2; t3 += q3; t4 += q4; t5 += q5; t6 += q6; t7 += q7;
  return ((t0 + t1) + (t2 + t3)) + ((t4 + t5) + (t6 + t7));
}

// ---- max and clamp via pmax/pmin ---------------------------------------------------------------------------
// x64 lowers f32x4.max/min (NaN-propagating, -0 < +0) to about 8 instructions each; f32x4.pmax/pmin are one.
// These keep NaN propagation exactly and differ from maxv/minv only in the order of a ±0 tie.

/** max(a, b), NaN if either is NaN: maxv except that a ±0 tie gives b (use where no operand can be -0). */
// @ts-ignore: decorator
@inline export function maxp<T>(a: T, b: T): T {
  if (isVector<T>()) {
    const r = f32x4.pmax(<v128>b, <v128>a); // b < a ? a : b — b when b is NaN
    return <T>v128.bitselect(<v128>a, r, f32x4.ne(<v128>a, <v128>a)); // a when a is NaN
  } else return <f32>a != <f32>a ? a : (<f32>b < <f32>a ? a : b);
}
/** torch.clamp(x, lo, hi) for bounds lo <= hi that are not NaN: x < lo ? lo : (hi < x ? hi : x); NaN x stays NaN. */
// @ts-ignore: decorator
@inline export function clampp<T>(x: T, lo: T, hi: T): T {
  if (isVector<T>()) return <T>f32x4.pmin(f32x4.pmax(<v128>x, <v128>lo), <v128>hi); // pmax(x, lo) = x < lo ? lo : x
  else {
    const y = <f32>x < <f32>lo ? lo : x;
    return <f32>hi < <f32>y ? hi : y;
  }
}
