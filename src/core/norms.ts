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

/**
 * The total norm of per-tensor reductions (in order), rounded to f32. For p other than 1, 2 and ∞ the caller
 * supplies Σ|x|^p per tensor in `sumPow` (the kernels reduce only Σx², Σ|x| and max|x|).
 */
export function totalNorm(parts: readonly Reduction[], normType: NormType, sumPow?: readonly number[]): number {
  let t = 0;
  if (normType === Infinity) {
    for (const r of parts) t = Number.isNaN(r.maxAbs) || Number.isNaN(t) ? Number.NaN : Math.max(t, r.maxAbs);
    return Math.fround(t);
  }
  if (normType === 2) {
    for (const r of parts) t += r.sumSq;
    return Math.fround(Math.sqrt(t));
  }
  if (normType === 1) {
    for (const r of parts) t += r.sumAbs;
    return Math.fround(t);
  }
  for (const s of sumPow ?? []) t += s;
  return Math.fround(t ** (1 / normType));
}

/** torch: clip_coef = max_norm / (total_norm + 1e-6), clamped to at most 1, all in f32. */
export function clipCoefficient(maxNorm: number, norm: number): number {
  const f = Math.fround;
  const coef = f(f(maxNorm) / f(f(norm) + f(1e-6)));
  return coef > 1 ? 1 : coef; // NaN stays NaN (torch's clamp)
}
