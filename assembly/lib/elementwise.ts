// The loop of every elementwise kernel, written once: its fast paths, the SIMD body (four v128 steps a turn,
// then one at a time) and the f32 tail. A kernel's element rule comes in as a type, as in
// assembly/lib/trust-ratio.ts: `R` is a class whose @inline methods the driver calls on `changetype<R>(0)`, so
// the rule is inlined into each loop at compile time and no object exists. A rule has:
//
//   at<T, S>(o, param, grad, a, b, c, d, s0, ..., s13, f, sr, mix): void
//     the step of the lanes at byte offset o (T = v128: four lanes of the SIMD body; f32: one, the tail and the
//     whole scalar build). a..d: its state buffers in its kernel's order; s0..s13: its scalars in its kernel's
//     order (an optimizer's up to gradScale), splatted to T; the parameters it leaves unread carry a `_` prefix
//     (`_d`, `_s12`). f: the flag word, a constant in a fast path; S, sr, mix: how state is stored (S = f32;
//     u16 = bf16 converted in registers by lds/sts of assembly/lib/lowp.ts, with stochastic rounding when sr),
//     only for a rule that reads its state through lds/sts (Adam).
//   fast(i: i32): i32 (optional)
//     its fast paths: the i-th flag combination (i = 0..5) that gets a loop of its own, or NONE. In that loop
//     every flag test of the rule is a constant, and the branches it does not take are compiled out. A path
//     marked `| F32_STATE` is not specialised for bf16 state converted in registers. Without it: defaultFast.
//   state(k: i32): i32 (only a rule with bf16 / int8 state: assembly/lib/lowp.ts lowp)
//     state buffer k's int8 map (SIGNED or UNSIGNED), | the flag without which the rule never touches it.
//
// An exported rule class of assembly/optim/<id>.ts is its optimizer's kernel: scripts/build-wasm.mjs writes
// `<id>_f32(param, <its buffers>, grad, n, <its scalars>, flags)` calling elementwise<Rule, f32>, and with
// state(k) the twins `<id>_bf16` and `<id>_i8` (lowp<Rule, u16 | u8>, or elementwise<Rule, u16> for a rule that
// reads its state through lds/sts). Every buffer points at n f32s (or their bf16 / int8 form), at any byte
// alignment, and no two overlap; a buffer the flags leave untouched may be 0.
//
// Scalars enter as f32 and are splatted once per call, before the loop; those a rule leaves unread cost
// nothing (the optimizer drops them). A step that clips values has CLIP in its flag word (set by the caller),
// which no fast path holds: it takes the general loop, where gradInFlags clamps.
//
// The defaults are resolved at compile time (isDefined), not by a base class: AssemblyScript makes a method that a
// subclass overrides virtual, and a call of the inherited default would then read the class id of the object
// at changetype<R>(0) (address 0 - 8) at run time.
import { GRAD_SCALE, end1, end4, end16, splat } from "./common";
import { F32_FLAGS, STOCHASTIC, seedMix } from "./lowp";

/** A rule's fast(i) past the end of its list. */
// @ts-ignore: decorator
@inline export const NONE: i32 = -1;
/** Marks a fast path of a rule's list that only f32 state gets (not bf16 in registers: a loop costs binary). */
// @ts-ignore: decorator
@inline export const F32_STATE: i32 = 1 << 30;

/** The fast paths of a rule without fast(i): the plain step, and with a gradient scale (clipping, GradScaler, ...). */
// @ts-ignore: decorator
@inline function defaultFast(i: i32): i32 {
  return i == 0 ? 0 : i == 1 ? GRAD_SCALE : NONE;
}
/** A rule's state(k): buffer k's int8 map (the signed one, or the unsigned one for values >= 0), | its flag. */
// @ts-ignore: decorator
@inline export const SIGNED: i32 = 1 << 16;
// @ts-ignore: decorator
@inline export const UNSIGNED: i32 = 0;

/** Fast path i of rule R for state stored as S, without its mark; NONE where there is none. */
// @ts-ignore: decorator
@inline function fastPath<R, S>(i: i32): i32 {
  const f = isDefined(changetype<R>(0).fast) ? changetype<R>(0).fast(i) : defaultFast(i);
  return f == NONE || ((f & F32_STATE) != 0 && sizeof<S>() != 4) ? NONE : f & ~F32_STATE;
}

/**
 * The f32 kernel of rule R over n elements (S = f32), or R's kernel on bf16 state converted in registers (S =
 * u16: the flags' stochastic-rounding bits and seed are read here, the rule sees F32_FLAGS). Not inlined: an
 * `<algo>_f32` export and its low-precision twins (assembly/lib/lowp.ts, once per block) call one copy.
 */
export function elementwise<R, S>(param: usize, grad: usize, n: i32, flags0: i32, a: usize = 0, b: usize = 0,
    c: usize = 0, d: usize = 0, s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0, s4: f32 = 0, s5: f32 = 0,
    s6: f32 = 0, s7: f32 = 0, s8: f32 = 0, s9: f32 = 0, s10: f32 = 0, s11: f32 = 0, s12: f32 = 0, s13: f32 = 0): void {
  const flags = sizeof<S>() == 4 ? flags0 : flags0 & F32_FLAGS;
  const sr = sizeof<S>() == 2 && (flags0 & STOCHASTIC) != 0, mix = seedMix(flags0);
  const f0 = fastPath<R, S>(0), f1 = fastPath<R, S>(1), f2 = fastPath<R, S>(2), f3 = fastPath<R, S>(3);
  const f4 = fastPath<R, S>(4), f5 = fastPath<R, S>(5);
  if (f0 != NONE && flags == f0) {
    loop<R, S>(param, grad, n, f0, a, b, c, d, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, sr, mix);
  } else if (f1 != NONE && flags == f1) {
    loop<R, S>(param, grad, n, f1, a, b, c, d, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, sr, mix);
  } else if (f2 != NONE && flags == f2) {
    loop<R, S>(param, grad, n, f2, a, b, c, d, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, sr, mix);
  } else if (f3 != NONE && flags == f3) {
    loop<R, S>(param, grad, n, f3, a, b, c, d, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, sr, mix);
  } else if (f4 != NONE && flags == f4) {
    loop<R, S>(param, grad, n, f4, a, b, c, d, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, sr, mix);
  } else if (f5 != NONE && flags == f5) {
    loop<R, S>(param, grad, n, f5, a, b, c, d, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, sr, mix);
  } else {
    loop<R, S>(param, grad, n, flags, a, b, c, d, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, sr, mix);
  }
}

/** One loop over n elements with flag word f: the SIMD body, then the f32 tail (the whole run in the scalar build). */
// @ts-ignore: decorator
@inline function loop<R, S>(param: usize, grad: usize, n: i32, f: i32, a: usize, b: usize, c: usize, d: usize,
    s0: f32, s1: f32, s2: f32, s3: f32, s4: f32, s5: f32, s6: f32, s7: f32, s8: f32, s9: f32, s10: f32, s11: f32,
    s12: f32, s13: f32, sr: bool, mix: u32): void {
  let o: usize = 0;
  if (ASC_FEATURE_SIMD) {
    o = span<R, S, v128>(param, grad, o, end16(n), end4(n), f, a, b, c, d, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9,
      s10, s11, s12, s13, sr, mix);
  }
  span<R, S, f32>(param, grad, o, o, end1(n), f, a, b, c, d, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12,
    s13, sr, mix);
}

/** Steps bytes [o, end): for v128, four at a time up to `end16` (unrolled four times); then one at a time. */
// @ts-ignore: decorator
@inline function span<R, S, T>(param: usize, grad: usize, o: usize, end16: usize, end: usize, f: i32, a: usize,
    b: usize, c: usize, d: usize, s0: f32, s1: f32, s2: f32, s3: f32, s4: f32, s5: f32, s6: f32, s7: f32, s8: f32,
    s9: f32, s10: f32, s11: f32, s12: f32, s13: f32, sr: bool, mix: u32): usize {
  const r = changetype<R>(0);
  const v0 = splat<T>(s0), v1 = splat<T>(s1), v2 = splat<T>(s2), v3 = splat<T>(s3), v4 = splat<T>(s4);
  const v5 = splat<T>(s5), v6 = splat<T>(s6), v7 = splat<T>(s7), v8 = splat<T>(s8), v9 = splat<T>(s9);
  const v10 = splat<T>(s10), v11 = splat<T>(s11), v12 = splat<T>(s12), v13 = splat<T>(s13);
  const w: usize = sizeof<T>();
  // No unrolled f32 loop: the f32 span (the tail; the scalar build's whole run) starts at its end16, and Binaryen
  // would keep that loop, never entered (~1 KB a kernel).
  if (isVector<T>()) for (; o < end16; o += 4 * w) {
    r.at<T, S>(o, param, grad, a, b, c, d, v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, f, sr, mix);
    r.at<T, S>(o + w, param, grad, a, b, c, d, v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, f, sr, mix);
    r.at<T, S>(o + 2 * w, param, grad, a, b, c, d, v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, f, sr, mix);
    r.at<T, S>(o + 3 * w, param, grad, a, b, c, d, v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, f, sr, mix);
  }
  for (; o < end; o += w) {
    r.at<T, S>(o, param, grad, a, b, c, d, v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, f, sr, mix);
  }
  return o;
}
