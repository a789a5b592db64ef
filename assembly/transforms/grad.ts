// Element-wise passes over gradients for the free functions clipGradNorm / clipGradValue (the fused
// optimizer path folds the scale into its gradient prologue instead).
// Preconditions: x points at n f32s, any alignment.
import { ld, st, splat, mul, minv, maxv, end1, end4 } from "../lib/common";

// @ts-ignore: decorator
@inline function scaleSpan<T>(x: usize, o: usize, end: usize, s: f32): usize {
  const v = splat<T>(s);
  for (; o < end; o += sizeof<T>()) st<T>(x, o, mul<T>(ld<T>(x, o), v));
  return o;
}

/** x *= s (f32). */
export function scale_f32(x: usize, n: i32, s: f32): void {
  let o: usize = 0;
  if (ASC_FEATURE_SIMD) o = scaleSpan<v128>(x, o, end4(n), s);
  scaleSpan<f32>(x, o, end1(n), s);
}

// @ts-ignore: decorator
@inline function clampSpan<T>(x: usize, o: usize, end: usize, lo: f32, hi: f32): usize {
  const l = splat<T>(lo), h = splat<T>(hi);
  for (; o < end; o += sizeof<T>()) st<T>(x, o, minv<T>(maxv<T>(ld<T>(x, o), l), h));
  return o;
}

/** x = min(max(x, lo), hi) (NaN stays NaN, like torch.clamp). */
export function clamp_f32(x: usize, n: i32, lo: f32, hi: f32): void {
  let o: usize = 0;
  if (ASC_FEATURE_SIMD) o = clampSpan<v128>(x, o, end4(n), lo, hi);
  clampSpan<f32>(x, o, end1(n), lo, hi);
}
