// Gradient clipping with PyTorch's shape (torch.nn.utils.clip_grad_norm_ / clip_grad_value_), over store
// params and foreign params. One read-only SIMD pass gives every param's norm parts, one more scales (or
// clamps) the grads in place. The optimizer's `maxGradNorm` option does the same without rewriting the
// grads (the factor goes into the step's gradient prologue) and gives the same numbers.
import { invalid } from "../core/options.js";
import { checkNormType, clipCoefficient, type NormType, scaledMaxFinite, scaledSumSqFinite, sumPow, totalNorm } from "../core/norms.js";
import { ALL, type Reduction, reduceRange, reduceRef, SUM_SQ } from "../core/reduce.js";
import type { ParamLike } from "../core/spec.js";
import { isFloat32Array } from "../core/state-dict.js";
import { defaults as initDefaults } from "../runtime/loader.js";
import { Param, ParamStore } from "../runtime/store.js";
import type { BackendName } from "../runtime/types.js";

/** The options of {@link clipGradNorm}(). */
export interface ClipGradNormOptions {
  /** 2 (default), 1, Infinity, or any p > 0. */
  normType?: NormType;
  /** Throw (changing nothing) when the total norm is NaN or ±Infinity. Default false, like PyTorch. */
  errorIfNonfinite?: boolean;
}

function backendOf(): BackendName {
  try {
    return initDefaults().backend;
  } catch {
    return "js";
  }
}

/** The params argument as a list, checked. */
export function paramList(params: Iterable<ParamLike> | ParamStore | ParamLike, where: string): ParamLike[] {
  const list = params instanceof ParamStore ? params.params
    : params instanceof Param || (params !== null && typeof params === "object" && "grad" in params && !(Symbol.iterator in params))
      ? [params as ParamLike] : [...(params as Iterable<ParamLike>)];
  list.forEach((p, i) => {
    if (p instanceof Param) {
      if (p.store.disposed) throw new Error(`${where}: param "${p.name}" belongs to a disposed ParamStore`);
    } else if (p === null || typeof p !== "object" || !isFloat32Array((p as { grad?: unknown }).grad)) {
      throw new TypeError(`${where}: params[${i}] is not a param (expected a store Param or { value, grad } Float32Arrays)`);
    }
  });
  return list;
}

/** Σx², Σ|x|, max|x| of one param's gradient (the same bits on every backend). */
export function gradReduction(p: ParamLike, backend: BackendName, mode = ALL): Reduction {
  if (p instanceof Param) return reduceRange(p.store, backend, p.gradPtr, p.length, mode);
  const out = new Float64Array(3);
  reduceRef(p.grad, out, 0, mode);
  return { sumSq: out[0]!, sumAbs: out[1]!, maxAbs: out[2]! };
}

/**
 * Whether every gradient element of `p` times `scale`, f32(g·f32(scale)), is finite (scale 1: the gradient
 * itself). Σx² alone answers when it bounds every element well enough (core/norms); when it does not
 * (±Inf, NaN, squares that overflow f32 above |x| ≈ 1.8e19, a scale near overflow), max|x|, which is exact, decides.
 */
export function gradFinite(p: ParamLike, backend: BackendName, scale = 1): boolean {
  return scaledSumSqFinite(gradReduction(p, backend, SUM_SQ).sumSq, scale) || scaledMaxFinite(gradReduction(p, backend, ALL).maxAbs, scale);
}

/** The total gradient norm of `params` (f32, as PyTorch returns it), without changing anything. */
export function gradNorm(params: Iterable<ParamLike> | ParamStore | ParamLike, normType: NormType = 2): number {
  checkNormType(normType, "gradNorm");
  const list = paramList(params, "gradNorm");
  const backend = backendOf();
  const parts = list.map((p) => gradReduction(p, backend, normType === 2 ? SUM_SQ : ALL));
  return totalNorm(parts, normType, normType === 1 || normType === 2 || normType === Infinity ? undefined : list.map((p) => sumPow(p.grad, normType)));
}

/** g *= s in f32, in place (the scale_f32 kernel for store params, a JS loop otherwise). */
export function scaleGrad(p: ParamLike, s: number, backend: BackendName): void {
  if (p instanceof Param && backend !== "js") p.store.kernels(backend).scale_f32!(p.gradPtr, p.length, s);
  else {
    const g = p.grad, f = Math.fround(s);
    for (let i = 0; i < g.length; i++) g[i] = g[i]! * f;
  }
}

/**
 * Scales the gradients of `params` in place so that their total norm is at most `maxNorm`, and returns the
 * total norm before clipping — torch.nn.utils.clip_grad_norm_. Grads are multiplied by
 * min(1, maxNorm / (norm + 1e-6)) in f32. Like PyTorch, squares and absolute values are summed in f32, in
 * gradstep's fixed blocked order (core/reduce: at most 16 terms per f32 partial, the partials folded in
 * f64), the same bits on every backend; the norm agrees with PyTorch's within a few f32 ulps.
 *
 * @example
 * const norm = clipGradNorm(store, 1.0); opt.step();
 */
export function clipGradNorm(params: Iterable<ParamLike> | ParamStore | ParamLike, maxNorm: number,
    options: ClipGradNormOptions = {}): number {
  if (typeof maxNorm !== "number" || !(maxNorm >= 0)) invalid("clipGradNorm", "maxNorm", maxNorm, "a number >= 0");
  if (options === null || typeof options !== "object") throw new TypeError("clipGradNorm: options must be an object");
  const { normType = 2, errorIfNonfinite = false } = options;
  checkNormType(normType, "clipGradNorm");
  const list = paramList(params, "clipGradNorm");
  const norm = gradNorm(list, normType);
  if (errorIfNonfinite && !Number.isFinite(norm)) {
    throw new RangeError(`clipGradNorm: the total norm of order ${normType} of the gradients is ${norm}, so it cannot be clipped (errorIfNonfinite)`);
  }
  const coef = clipCoefficient(maxNorm, norm);
  if (coef !== 1) {
    const backend = backendOf();
    for (const p of list) scaleGrad(p, coef, backend);
  }
  return norm;
}

/** Clamps every gradient element of `params` to [-clipValue, clipValue] in place — torch.nn.utils.clip_grad_value_. */
export function clipGradValue(params: Iterable<ParamLike> | ParamStore | ParamLike, clipValue: number): void {
  if (typeof clipValue !== "number" || !(clipValue >= 0)) invalid("clipGradValue", "clipValue", clipValue, "a number >= 0");
  const list = paramList(params, "clipGradValue");
  const backend = backendOf();
  const hi = Math.fround(clipValue), lo = -hi;
  for (const p of list) {
    if (p instanceof Param && backend !== "js") p.store.kernels(backend).clamp_f32!(p.gradPtr, p.length, lo, hi);
    else {
      const g = p.grad;
      for (let i = 0; i < g.length; i++) g[i] = Math.min(Math.max(g[i]!, lo), hi);
    }
  }
}
