// The step plan. A step is: (1) check edited options (scalar edits: a range check; structural edits: also
// re-plan, i.e. allocate the state buffers the new options need), foreign arrays and step counts — everything
// that can fail, before anything changes; (2) the step scalars, in f64: the gradient scale of the prologue
// (1 unless a transform sets it) and each optimizer's own (bias corrections...) inside its launch(); (3) one
// fused kernel pass per run. Per-step code uses indexed loops and no closures: a step allocates nothing.
import { CLIP_AT, type KernelFn, PROLOGUE_ONE } from "./abi.js";
import { ensureBuffers, type GroupLayout, type Slot } from "./layout.js";
import { located, sameValue, type Rule } from "./options.js";
import { clipCoefficient, foldMax, normOf, scaledMaxFinite, scaledSumSqFinite, sumPow as sumPowOf } from "./norms.js";
import { ALL, reduceRange, reduceSegments, SUM_SQ } from "./reduce.js";
import { valueClip } from "./reference-ops.js";
import { isStructural, type OptimizerSpec, type ParamGroup } from "./spec.js";
import { kernelName, lowpReference, stateBytes } from "./lowp.js";
import { isFloat32Array } from "./state-dict.js";
import type { BackendName } from "../runtime/types.js";
import type { ParamStore } from "../runtime/store.js";

const EMPTY = new Float32Array(0);
const NONE = 0, SCALAR = 1, STRUCTURAL = 2;
/** What #takeSecond did with the second hot option (else: the length of the array option it took). */
const NOT_HOT = -2, SCALAR_TAKEN = -1, UNCHANGED = 0;

/** `o` with its array options (betas) copied: groups, defaults and the caller never share one to edit in place. */
export function ownArrays<T extends object>(o: T): T {
  for (const k of Object.keys(o)) {
    const v = (o as Record<string, unknown>)[k];
    if (Array.isArray(v)) (o as Record<string, unknown>)[k] = [...(v as unknown[])];
  }
  return o;
}

/**
 * The class of param groups and of their validated copies, only so that V8 gives their fields a map tree of
 * their own: a plain object whose first key is `lr` shares its `lr` field with every literal `{ lr: ... }` in
 * the process (the optimizers' rule tables hold a function there), so the field is stored tagged and every lr
 * a scheduler writes is boxed, 16 B of heap per edit; in a tree of their own it holds doubles in place.
 */
export class GroupRecord {}

/** The options of one optimizer as a table: names, rules and kinds, in a fixed order. */
export class OptionTable<O> {
  readonly keys: readonly string[];
  readonly #rules: readonly Rule[];
  readonly #structural: readonly boolean[];
  /** Per option: whether its default is an array (compared element-wise; the others by identity). */
  readonly #arrays: readonly boolean[];
  /** The scalar option that changed at the last edit (a scheduler's lr), or -1. */
  #hot = -1;
  /** The one other option that changed with it (momentum, or betas: momentum-cycling schedulers), or -1. */
  #hot2 = -1;
  /** An array option's validated elements while the fast path tries new ones (betas: 2 or 3). */
  readonly #old = new Float64Array(4);
  readonly #spec: OptimizerSpec<O>;

  constructor(spec: OptimizerSpec<O>) {
    this.#spec = spec;
    this.keys = Object.keys(spec.rules);
    this.#rules = this.keys.map((k) => (spec.rules as Record<string, Rule>)[k]!);
    this.#structural = this.keys.map((k) => isStructural(spec, k as keyof O & string));
    this.#arrays = this.keys.map((k) => Array.isArray((spec.defaults as Record<string, unknown>)[k]));
  }

  /** Checks every option of `o` (construction, addParamGroup, loadStateDict). */
  validate(o: O): void {
    for (let i = 0; i < this.keys.length; i++) this.#rules[i]!((o as Record<string, unknown>)[this.keys[i]!], this.keys[i]!);
    this.#spec.check?.(o);
  }

  /**
   * Checks the options of `g` that differ from the validated copy `snap`: NONE when nothing changed, else
   * SCALAR or STRUCTURAL (a structural option changed: the state buffers must be re-planned). When all
   * checks pass, `snap` takes the new values (only the changed ones are written: a scheduler's lr edit
   * costs one compare, one range check and one store). Allocates nothing unless a check fails.
   */
  revalidate(g: O, snap: O): number {
    if (this.#spec.same(g, snap)) return NONE;
    const gv = g as Record<string, unknown>;
    const sv = snap as Record<string, unknown>;
    const keys = this.keys, arrays = this.#arrays;
    // Fast path for what a scheduler does: the options edited last time (lr; lr and momentum or betas when it
    // cycles momentum) changed again, and nothing else did (the spec's own same() says so once they are taken
    // over). A load, a range check and a store each, at call sites of their own: no loop over keys, whose keyed
    // loads V8 cannot make monomorphic (they box every double they read).
    if (this.#hot >= 0) {
      const kind = this.#revalidateHot(g, snap);
      if (kind !== NONE) return kind;
    }
    let kind = SCALAR;
    let changed = 0; // bit i: option i changed (32 options at most per optimizer)
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const v = gv[key], w = sv[key];
      if (v === w || (arrays[i] && sameValue(v, w))) continue;
      this.#rules[i]!(v, key);
      changed |= 1 << i;
      if (this.#structural[i]) kind = STRUCTURAL;
    }
    this.#spec.check?.(g);
    // One scalar option changed, or two of which one is scalar: they are the hot ones for the next step.
    const first = 31 - Math.clz32(changed), rest = changed & ~(1 << first), second = 31 - Math.clz32(rest);
    const two = changed !== 0 && (rest & (rest - 1)) === 0;
    this.#hot = !two ? -1 : !arrays[first] ? first : rest !== 0 && !arrays[second] ? second : -1;
    this.#hot2 = this.#hot < 0 || rest === 0 ? -1 : this.#hot === first ? second : first;
    for (let i = 0; changed !== 0; i++, changed >>>= 1) {
      if (!(changed & 1)) continue;
      if (arrays[i]) this.#commitKey(keys[i]!, gv, sv);
      else sv[keys[i]!] = gv[keys[i]!];
    }
    return kind;
  }

  /**
   * revalidate's fast path: NONE when it does not apply (the hot options are not all that changed, or one is
   * not of its usual kind), with `snap` as it was; else SCALAR or STRUCTURAL, the new values committed. Throws
   * (snap unchanged) when a value fails its rule or the spec's check. No local holds "a number or something
   * else" (V8 would box the number): the second option's old value waits in #old.
   */
  #revalidateHot(g: O, snap: O): number {
    const gv = g as Record<string, unknown>, sv = snap as Record<string, unknown>;
    const hot = this.#hot, key = this.keys[hot]!, v = gv[key], old = sv[key];
    if (typeof v !== "number" || typeof old !== "number") return NONE;
    if (v !== old) this.#rules[hot]!(v, key);
    const second = this.#hot2 >= 0 ? this.#takeSecond(gv, sv) : UNCHANGED;
    if (second === NOT_HOT) return NONE;
    sv[key] = v;
    if (this.#spec.same(g, snap)) {
      try {
        this.#spec.check?.(g);
        return (v !== old && this.#structural[hot]) || (second !== UNCHANGED && this.#structural[this.#hot2]) ? STRUCTURAL : SCALAR;
      } catch (e) {
        sv[key] = old;
        this.#undoSecond(sv, second);
        throw e;
      }
    }
    sv[key] = old;
    this.#undoSecond(sv, second);
    return NONE;
  }

  /**
   * Checks and commits the second hot option: NOT_HOT (nothing written) if it is not a number or an array of
   * the validated length; UNCHANGED; SCALAR_TAKEN (its old value in #old[0]); or the array's length (its old
   * elements in #old).
   */
  #takeSecond(gv: Record<string, unknown>, sv: Record<string, unknown>): number {
    const i = this.#hot2, key = this.keys[i]!;
    if (this.#arrays[i]) {
      const a = gv[key], w = sv[key] as number[];
      if (!Array.isArray(a) || a.length !== w.length || a.length > this.#old.length) return NOT_HOT;
      if (sameValue(a, w)) return UNCHANGED;
      this.#rules[i]!(a, key);
      for (let j = 0; j < w.length; j++) { this.#old[j] = w[j]!; w[j] = a[j] as number; }
      return w.length;
    }
    const v = gv[key], old = sv[key];
    if (typeof v !== "number" || typeof old !== "number") return NOT_HOT;
    if (v === old) return UNCHANGED;
    this.#rules[i]!(v, key);
    this.#old[0] = old;
    sv[key] = v;
    return SCALAR_TAKEN;
  }

  #undoSecond(sv: Record<string, unknown>, second: number): void {
    if (second === UNCHANGED) return;
    const key = this.keys[this.#hot2]!;
    if (second === SCALAR_TAKEN) sv[key] = this.#old[0]!;
    else for (let j = 0; j < second; j++) (sv[key] as number[])[j] = this.#old[j]!;
  }

  #commitKey(key: string, gv: Record<string, unknown>, sv: Record<string, unknown>): void {
    const v = gv[key], w = sv[key];
    if (Array.isArray(v)) {
      if (Array.isArray(w) && w.length === v.length) for (let j = 0; j < v.length; j++) w[j] = v[j];
      else sv[key] = [...v];
    } else {
      sv[key] = v;
    }
  }

  /** Copies the options of `g` into `snap` in place (array elements too; a new array only if its length changed). */
  commit(g: O, snap: O): void {
    const gv = g as Record<string, unknown>, sv = snap as Record<string, unknown>;
    for (let i = 0; i < this.keys.length; i++) this.#commitKey(this.keys[i]!, gv, sv);
  }

  /** A validated copy of the options of `g` (allocates: construction and re-plans only). */
  snapshot(g: O): O {
    const out = new GroupRecord() as Record<string, unknown>;
    for (const key of this.keys) {
      const v = (g as Record<string, unknown>)[key];
      out[key] = Array.isArray(v) ? [...v] : v;
    }
    return out as O;
  }
}

/**
 * Per group: its layout, the options last validated for it, what the current step found changed, and whether
 * its state buffers still have to be planned (a new group allocates its state at its first step, as PyTorch).
 */
export interface PlannedGroup<O> {
  layout: GroupLayout; validated: O; change: number; unplanned: boolean;
  /** Rebuilds the group's runs (same steps and ready flags) after its state dtype changed. */
  rebuild(): void;
}

/** Optimizer-level gradient transforms, folded into the step (see OptimizerOptions). */
export interface Transforms {
  /** Clip the global gradient norm (over all groups) to this, like clip_grad_norm_ before step(). */
  readonly maxGradNorm?: number;
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

export interface StepContext<O> {
  readonly spec: OptimizerSpec<O>;
  readonly options: OptionTable<O>;
  readonly store: ParamStore;
  readonly backend: BackendName;
  readonly groups: readonly ParamGroup<O>[];
  readonly planned: readonly PlannedGroup<O>[];
  readonly foreign: readonly Slot[];
  readonly transforms: Transforms;
  readonly decision: StepDecision;
}

/** The pre-pass's totals over every gradient: Σx², max|x| (exact when `hasMax`: the reduction read it) and the norm. */
interface PrePass { sumSq: number; maxAbs: number; hasMax: boolean; norm: number }
const pre: PrePass = { sumSq: 0, maxAbs: 0, hasMax: false, norm: 0 };

/**
 * The read-only pre-pass (only when a transform needs it): per param, Σx², Σ|x|, max|x| of its gradient
 * (one reduction call per segment; Σx² alone for norm 2), combined in param order exactly as clipGradNorm does
 * (src/core/norms.ts), into `pre` with the total norm of `normType` (+Inf also when finite squares overflow
 * f32, as PyTorch's).
 */
function gradPrePass<O>(c: StepContext<O>, normType: number): PrePass {
  let sumSq = 0, sumAbs = 0, maxAbs = 0, sumPow = 0;
  const general = normType !== 1 && normType !== 2 && normType !== Infinity;
  for (let gi = 0; gi < c.planned.length; gi++) {
    const segments = c.planned[gi]!.layout.segments;
    for (let s = 0; s < segments.length; s++) {
      const seg = segments[s]!;
      const lengths = (seg.lengths ??= seg.slots.map((x) => x.param.length));
      const out = (seg.reduced ??= new Float64Array(3 * lengths.length));
      reduceSegments(c.store, c.backend, seg.gradPtr, lengths, out, normType === 2 ? SUM_SQ : ALL);
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
 * Σg² when that bounds every element well enough (src/core/norms.ts); only when neither does (squares that
 * overflow f32, a non-finite element, a scale that nearly overflows the largest): one more read for max|g|.
 */
function scaledGradsFinite<O>(c: StepContext<O>, p: PrePass, scale: number): boolean {
  if (p.hasMax) return scaledMaxFinite(p.maxAbs, scale);
  if (scaledSumSqFinite(p.sumSq, scale)) return true;
  for (let gi = 0; gi < c.planned.length; gi++) {
    const segments = c.planned[gi]!.layout.segments;
    for (let s = 0; s < segments.length; s++) {
      const seg = segments[s]!;
      if (!scaledMaxFinite(reduceRange(c.store, c.backend, seg.gradPtr, seg.n, ALL).maxAbs, scale)) return false;
    }
  }
  return true;
}

/**
 * Phase 1: everything that can fail. Throws with nothing changed. Returns the step's decision: skip it
 * (skipNonFinite and a non-finite scaled gradient), else run it with the gradient scale (the user's
 * `gradScale` times the clip coefficient; a NaN norm gives a NaN coefficient, which the kernels apply, as
 * clipGradNorm then step() does).
 */
export function prepareStep<O>(c: StepContext<O>, gradScale: number): StepDecision {
  const name = c.spec.name;
  for (let gi = 0; gi < c.planned.length; gi++) {
    const g = c.groups[gi]!, p = c.planned[gi]!;
    if (g.params !== p.layout.params) {
      throw new Error(`${name}: param group ${gi} changed its params after construction (use addParamGroup)`);
    }
    // A structural edit is committed to the snapshot at once: the group stays marked for a re-plan until its
    // buffers exist, even if this step throws later.
    try {
      p.change = c.options.revalidate(g, p.validated);
    } catch (e) {
      throw located(`${name}: param group ${gi}`, e);
    }
    if (p.change === STRUCTURAL) p.unplanned = true;
    const runs = p.layout.runs;
    for (let ri = 0; ri < runs.length; ri++) {
      if (runs[ri]!.step >= Number.MAX_SAFE_INTEGER) {
        throw new RangeError(`${name}: param group ${gi} has taken ${runs[ri]!.step} steps, the most a step count can hold`);
      }
    }
  }
  const foreign = c.foreign;
  for (let i = 0; i < foreign.length; i++) {
    const s = foreign[i]!;
    const { value, grad } = s.src;
    if (!isFloat32Array(value) || !isFloat32Array(grad)) {
      throw new TypeError(`${name}: a foreign param's value and grad must stay Float32Arrays`);
    }
    if (value.length !== s.param.length || grad.length !== s.param.length) {
      throw new RangeError(`${name}: a foreign param changed length (value ${value.length}, grad ${grad.length}, expected ${s.param.length})`);
    }
  }
  // The pre-pass reads gradients in the store: foreign ones are copied in first (a copy changes nothing the
  // user can see; runStep copies them again).
  const t = c.transforms, d = c.decision;
  d.skip = false;
  d.gradScale = gradScale;
  if (t.maxGradNorm !== undefined || t.skipNonFinite) {
    // Without clipping the pre-pass only needs Σx² (its finiteness); gradPrePass reads Σx² alone for norm 2.
    for (let i = 0; i < foreign.length; i++) foreign[i]!.param.grad.set(foreign[i]!.src.grad);
    const p = gradPrePass(c, t.maxGradNorm === undefined ? 2 : t.normType);
    if (t.maxGradNorm !== undefined) {
      // With a user gradScale too, the norm is that of the scaled gradients (computed in f64, then f32).
      const coef = clipCoefficient(t.maxGradNorm, gradScale === 1 ? p.norm : Math.fround(p.norm * Math.abs(gradScale)));
      d.gradScale = coef === 1 ? gradScale : gradScale === 1 ? coef : Math.fround(gradScale * coef);
    }
    if (t.skipNonFinite && !scaledGradsFinite(c, p, d.gradScale)) {
      d.skip = true;
      return d;
    }
  }
  // Re-plans may allocate (and fail with out of memory); they change no value.
  for (let gi = 0; gi < c.planned.length; gi++) {
    const p = c.planned[gi]!;
    if (p.unplanned) {
      if (ensureBuffers(c.store, c.spec, p.layout, c.groups[gi]!)) p.rebuild();
      p.unplanned = false;
    }
  }
  return d;
}

/**
 * Phases 2 and 3: copy foreign params in, one kernel call per run, copy them out. Cannot fail. With clipValue,
 * the value clip is armed around the kernel calls (the CLIP_AT words of the store's memory, which the kernels
 * on every thread read, and the reference's copy) and the step passes GRAD_SCALE, with PROLOGUE_ONE (exactly 1
 * in f32) when nothing else scales the gradients.
 */
export function runStep<O>(c: StepContext<O>, gradScale: number): void {
  const clip = c.transforms.clipValue;
  if (clip === undefined) {
    runKernels(c, gradScale);
    return;
  }
  armClip(c.store, clip);
  try {
    runKernels(c, gradScale === 1 ? PROLOGUE_ONE : gradScale);
  } finally {
    disarmClip(c.store);
  }
}

/** Sets the value clip [-f32(v), f32(v)] for the kernels (store memory) and the references. */
function armClip(store: ParamStore, v: number): void {
  const hi = Math.fround(v), f32 = store.f32, at = CLIP_AT / 4;
  f32[at + 1] = -hi;
  f32[at + 2] = hi;
  f32[at] = 1;
  valueClip.lo = -hi;
  valueClip.hi = hi;
  valueClip.on = true;
}

function disarmClip(store: ParamStore): void {
  if (!store.disposed) store.f32[CLIP_AT / 4] = 0;
  valueClip.on = false;
}

function runKernels<O>(c: StepContext<O>, gradScale: number): void {
  const spec = c.spec, foreign = c.foreign;
  for (let i = 0; i < foreign.length; i++) {
    foreign[i]!.param.value.set(foreign[i]!.src.value);
    foreign[i]!.param.grad.set(foreign[i]!.src.grad);
  }
  const nb = spec.buffers.length;
  for (let gi = 0; gi < c.planned.length; gi++) {
    const o = c.groups[gi]!;
    const runs = c.planned[gi]!.layout.runs;
    for (let ri = 0; ri < runs.length; ri++) {
      const r = runs[ri]!;
      spec.launch(r.kernel, r, o, gradScale);
      r.step++;
      for (let i = 0; i < nb; i++) if (r.seg.buffers[i] && spec.buffers[i]!.needed(o)) r.ready[i] = true;
    }
  }
  for (let i = 0; i < foreign.length; i++) foreign[i]!.src.value.set(foreign[i]!.param.value);
}

/**
 * The kernel for a run of n floats on `backend`: the Wasm export (split across the store's threads when n
 * reaches their gate), or the pure-TS reference over views for "js"; with `verify`, checked against the
 * reference after every call (and undone on a difference). `bufferLengths`: floats of each state buffer in the run.
 */
export function kernelFor<O>(spec: OptimizerSpec<O>, store: ParamStore, backend: BackendName, verify: boolean,
    n: number, layout: GroupLayout, bufferLengths: readonly number[]): KernelFn {
  const dtype = layout.dtype, lowp = dtype !== "f32";
  const name = kernelName(spec as OptimizerSpec<unknown>, dtype);
  const scratch = layout.hasScratch ? 1 : 0;
  const np = spec.buffers.length + 2 + scratch;
  // param and grad cover n floats, the state buffers their own lengths, the scratch area (before grad) its size;
  // low-precision state pointers cover their stored bytes.
  const len = (i: number) => (i === 0 || i === np - 1 ? n : scratch && i === np - 2 ? layout.scratchFloats : bufferLengths[i - 1]!);
  const isState = (i: number) => lowp && i > 0 && i < np - 1;
  const reference = lowpReference(spec as OptimizerSpec<unknown>, dtype);
  const view = (i: number, p: number) => (isState(i)
    ? new Uint8Array(store.buffer, p, stateBytes(dtype, n)) : store.f32.subarray(p / 4, p / 4 + len(i)));
  const fast: KernelFn = backend === "js"
    ? (...args) => {
      const a: unknown[] = args.slice();
      for (let i = 0; i < np; i++) a[i] = args[i] ? view(i, args[i]!) : EMPTY;
      reference(...a);
    }
    : layout.perTensor ? store.kernels(backend)[name as never] as KernelFn : store.kernel(backend, name as never, n);
  if (!verify) return fast;
  const pointerNames = ["param", ...spec.buffers.map((b) => b.name), ...(scratch ? ["scratch"] : []), "grad"];
  const bytes = (i: number, p: number) => (isState(i) ? view(i, p) : new Uint8Array(store.buffer, p, 4 * len(i)));
  return (...args) => {
    const before = args.slice(0, np).map((p, i) => (p ? bytes(i, p).slice() : new Uint8Array(0)));
    fast(...args);
    const expected = before.map((b) => b.slice());
    const views = expected.map((b, i) => (isState(i) || b.length === 0 ? b : new Float32Array(b.buffer)));
    reference(...views.map((v, i) => (args[i] ? v : EMPTY)), ...args.slice(np));
    for (let i = 0; i < np - 1; i++) {
      const p = args[i]!;
      if (!p) continue;
      const got = bytes(i, p), want = expected[i]!;
      const w = isState(i) ? 1 : 4;
      for (let j = 0; j < got.length; j += w) {
        let same = true;
        for (let k = 0; k < w; k++) same &&= got[j + k] === want[j + k];
        if (same) continue;
        if (!isState(i)) {
          const a = store.f32[p / 4 + j / 4]!, b = new Float32Array(want.buffer)[j / 4]!;
          if (Number.isNaN(a) && Number.isNaN(b)) continue;
        }
        before.forEach((b, k) => { if (args[k] && k < np - 1) new Uint8Array(store.buffer, args[k]!, b.length).set(b); });
        const at = isState(i) ? `byte ${j}` : `${j / 4}`;
        throw new Error(`verify: ${backend} ${name} differs from the reference at ${pointerNames[i]}[${at}]` +
          (isState(i) ? "" : `: ${store.f32[p / 4 + j / 4]} vs ${new Float32Array(want.buffer)[j / 4]}`) + "; the step was undone");
      }
    }
  };
}
