// The step's read-only pre-pass and the scalars it decides: when a transform needs them (maxGradNorm,
// skipNonFinite), the backend's reductions over every gradient give the global norm and its finiteness, from
// which the step's gradient scale (the user's times the clip coefficient) and whether to skip it follow.
import type { Backend } from "./backend.js";
import type { GroupLayout } from "./layout.js";
import { clipCoefficient, foldMax, normOf, scaledMaxFinite, scaledSumSqFinite, sumPow as sumPowOf } from "./norms.js";
import { ALL, SUM_SQ } from "./reduce.js";

/** Optimizer-level gradient transforms, folded into the step (see OptimizerOptions). */
export interface Transforms {
  /** Clip the global gradient norm (over all groups) to this, like clip_grad_norm_ before step(). */
  readonly maxGradNorm?: number;
  /** The norm maxGradNorm clips (p: 2, 1, Infinity or any p > 0). */
  readonly normType: number;
  /** Skip (and count) a step whose gradients hold NaN or ±Infinity: nothing changes. */
  readonly skipNonFinite: boolean;
  /** Clamp every gradient element to [-clipValue, clipValue] in the prologue, like clip_grad_value_ before step(). */
  readonly clipValue?: number;
}

/** What phase 1 decided for a step (one object per optimizer, rewritten by every prepareStep). */
export interface StepDecision {
  /** Skip the step (skipNonFinite and a non-finite scaled gradient): nothing changes, skippedSteps counts it. */
  skip: boolean;
  /** The gradient scale of the kernels' prologue: the user's gradScale times the clip coefficient. */
  gradScale: number;
}

/** The groups a pre-pass reads, in order. */
type Planned = readonly { readonly layout: GroupLayout }[];

/** Whether the step needs the pre-pass (the gradients must then be in the store before decideStep). */
export function needsPrePass(t: Transforms): boolean {
  return t.maxGradNorm !== undefined || t.skipNonFinite;
}

/** The pre-pass's totals over every gradient: Σx², max|x| (exact when `hasMax`: the reduction read it) and the norm. */
interface PrePass { sumSq: number; maxAbs: number; hasMax: boolean; norm: number }
const pre: PrePass = { sumSq: 0, maxAbs: 0, hasMax: false, norm: 0 };
const range = new Float64Array(3);

/**
 * The read-only pre-pass (only when a transform needs it): per param, Σx², Σ|x|, max|x| of its gradient
 * (one reduction call per segment; Σx² alone for norm 2), combined in param order exactly as clipGradNorm does
 * (core/norms), into `pre` with the total norm of `normType` (+Inf also when finite squares overflow
 * f32, as PyTorch's).
 */
function gradPrePass(backend: Backend, planned: Planned, normType: number): PrePass {
  let sumSq = 0, sumAbs = 0, maxAbs = 0, sumPow = 0;
  const general = normType !== 1 && normType !== 2 && normType !== Infinity;
  for (let gi = 0; gi < planned.length; gi++) {
    const segments = planned[gi]!.layout.segments;
    for (let s = 0; s < segments.length; s++) {
      const seg = segments[s]!;
      const lengths = (seg.lengths ??= seg.slots.map((x) => x.param.length));
      const out = (seg.reduced ??= new Float64Array(3 * lengths.length));
      backend.reduceSegments(seg.gradPtr, lengths, out, normType === 2 ? SUM_SQ : ALL);
      for (let k = 0; k < lengths.length; k++) {
        sumSq += out[3 * k]!;
        sumAbs += out[3 * k + 1]!;
        maxAbs = foldMax(maxAbs, out[3 * k + 2]!);
        if (general) sumPow += sumPowOf(seg.slots[k]!.param.grad, normType);
      }
    }
  }
  pre.sumSq = sumSq;
  pre.maxAbs = maxAbs;
  pre.hasMax = normType !== 2;
  pre.norm = normOf(normType, sumSq, sumAbs, maxAbs, sumPow);
  return pre;
}

/**
 * Whether every gradient element the kernels will use, f32(g·f32(scale)), is finite: g itself (NaN, ±Inf) and
 * a finite g that the scale pushes past the f32 range. Decided from max|g| when the pre-pass read it, else from
 * Σg² when that bounds every element well enough (core/norms); only when neither does (squares that
 * overflow f32, a non-finite element, a scale that nearly overflows the largest): one more read for max|g|.
 */
function scaledGradsFinite(backend: Backend, planned: Planned, p: PrePass, scale: number): boolean {
  if (p.hasMax) return scaledMaxFinite(p.maxAbs, scale);
  if (scaledSumSqFinite(p.sumSq, scale)) return true;
  for (let gi = 0; gi < planned.length; gi++) {
    const segments = planned[gi]!.layout.segments;
    for (let s = 0; s < segments.length; s++) {
      const seg = segments[s]!;
      backend.reduceRange(seg.gradPtr, seg.n, range, ALL);
      if (!scaledMaxFinite(range[2]!, scale)) return false;
    }
  }
  return true;
}


/**
 * Writes the step's decision into `d`: skip it (skipNonFinite and a non-finite scaled gradient), else run it
 * with the gradient scale (the user's `gradScale` times the clip coefficient; a NaN norm gives a NaN
 * coefficient, which the kernels apply, as clipGradNorm then step() does).
 */
export function decideStep(backend: Backend, planned: Planned, t: Transforms, gradScale: number, d: StepDecision): void {
  d.skip = false;
  d.gradScale = gradScale;
  if (!needsPrePass(t)) return;
  if (backend.prePass) { // a device's pre-pass: reduced and decided there, read by the step's launches
    backend.prePass(planned, t, gradScale);
    return;
  }
  // Without clipping the pre-pass only needs Σx² (its finiteness); gradPrePass reads Σx² alone for norm 2.
  const p = gradPrePass(backend, planned, t.maxGradNorm === undefined ? 2 : t.normType);
  if (t.maxGradNorm !== undefined) {
    // With a user gradScale too, the norm is that of the scaled gradients (computed in f64, then f32).
    const coef = clipCoefficient(t.maxGradNorm, gradScale === 1 ? p.norm : Math.fround(p.norm * Math.abs(gradScale)));
    d.gradScale = coef === 1 ? gradScale : gradScale === 1 ? coef : Math.fround(gradScale * coef);
  }
  if (t.skipNonFinite && !scaledGradsFinite(backend, planned, p, d.gradScale)) d.skip = true;
}
