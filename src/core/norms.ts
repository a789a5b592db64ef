// Gradient norms as PyTorch's clip_grad_norm_ computes them, shared by the free functions (src/transforms/)
// and the optimizer's fused pre-pass, so that both give the same bits: per param, Σx² / Σ|x| / max|x| from
// the reduction kernels (src/core/reduce.ts), combined in param order in f64, the norm rounded to f32 (torch
// holds it in an f32 tensor), then torch's clip coefficient in f32.
import type { Reduction } from "./reduce.js";

export type NormType = number; // 2, 1, Infinity, or any p > 0

/** Checks a norm type: a finite p > 0 or Infinity. */
export function checkNormType(normType: unknown, where: string): asserts normType is number {
  if (typeof normType !== "number" || !(normType > 0)) {
    throw new RangeError(`${where}: invalid normType ${String(normType)} (expected a number > 0, or Infinity)`);
  }
}

/** max(t, m) where a NaN on either side gives NaN (Math.max does; kept explicit as the norm's rule). */
export function foldMax(t: number, m: number): number {
  return Number.isNaN(m) || Number.isNaN(t) ? Number.NaN : Math.max(t, m);
}

/** Σ|x|^p of some f32s, for norm types other than 1, 2 and ∞ (plain JS, f64: the kernels reduce only Σx², Σ|x|, max|x|). */
export function sumPow(g: Float32Array, p: number): number {
  let s = 0;
  for (let i = 0; i < g.length; i++) s += Math.abs(g[i]!) ** p;
  return s;
}

/** The norm of `normType` from totals over every tensor (in order), rounded to f32 as torch holds it. */
export function normOf(normType: NormType, sumSq: number, sumAbs: number, maxAbs: number, sumPowP: number): number {
  if (normType === 2) return Math.fround(Math.sqrt(sumSq));
  if (normType === 1) return Math.fround(sumAbs);
  if (normType === Infinity) return Math.fround(maxAbs);
  return Math.fround(sumPowP ** (1 / normType));
}

/**
 * The total norm of per-tensor reductions (in order), rounded to f32. For p other than 1, 2 and ∞ the caller
 * supplies Σ|x|^p per tensor in `sumPows`.
 */
export function totalNorm(parts: readonly Reduction[], normType: NormType, sumPows?: readonly number[]): number {
  let sq = 0, abs = 0, max = 0, pow = 0;
  for (const r of parts) {
    sq += r.sumSq;
    abs += r.sumAbs;
    max = foldMax(max, r.maxAbs);
  }
  for (const x of sumPows ?? []) pow += x;
  return normOf(normType, sq, abs, max, pow);
}

/** torch: clip_coef = max_norm / (total_norm + 1e-6), clamped to at most 1, all in f32. */
export function clipCoefficient(maxNorm: number, norm: number): number {
  const f = Math.fround;
  const coef = f(f(maxNorm) / f(f(norm) + f(1e-6)));
  return coef > 1 ? 1 : coef; // NaN stays NaN (torch's clamp)
}

/**
 * Whether every f32(g·f32(scale)) is finite, for the f32s g whose max|g| (exact, from a reduction) is `maxAbs`:
 * the product of two f32s is exact in f64 and rounding to f32 is monotonic in |x|, so the largest |g| decides.
 * This is the gradient the kernels' prologue computes (g times the step's scale, in f32).
 */
export function scaledMaxFinite(maxAbs: number, scale: number): boolean {
  return Number.isFinite(Math.fround(maxAbs * Math.abs(Math.fround(scale))));
}

/**
 * scaledMaxFinite decided from Σg² alone (a reduction's sumSq), without reading max|g|: true means no element
 * overflows; false means "not decided" (read max|g| and ask scaledMaxFinite). The bound: an element of
 * |g| >= 2^-63 has a normal f32 square, within 2^-24 of g², and the blocked f32/f64 sums of non-negative terms
 * never fall below a term, so |g| <= sqrt(Σg²)·(1 + 2^-20); an element below 2^-63 times any finite f32 stays
 * below 2^65. NaN and Infinity in Σg² (or in the bound) answer false.
 */
export function scaledSumSqFinite(sumSq: number, scale: number): boolean {
  return scaledMaxFinite(Math.max(Math.sqrt(sumSq) * (1 + 2 ** -20), 2 ** -63), scale);
}
