/**
 * L-BFGS (Liu & Nocedal 1989, "On the limited memory BFGS method for large scale optimization",
 * https://doi.org/10.1007/BF01589116) — PyTorch's `torch.optim.LBFGS` (2.13, torch/optim/lbfgs.py, itself after
 * minFunc), line for line, with `_strong_wolfe` and `_cubic_interpolate`. One param group; f32 params.
 *
 *   per step(closure):  f, g ← closure()                        (loss and the flat gradient of every param)
 *     repeat ≤ maxIter:  y ← g − g_prev;  s ← t·d;  if y·s > 1e-10: push (y, s, ρ = 1/(y·s)) (≤ historySize),
 *                        H ← y·s / y·y
 *                        q ← −g; for i newest→oldest: αᵢ ← ρᵢ·sᵢ·q; q ← q − αᵢ·yᵢ
 *                        d ← H·q; for i oldest→newest: βᵢ ← ρᵢ·yᵢ·d; d ← d + (αᵢ − βᵢ)·sᵢ
 *                        (first iteration ever: d ← −g, t ← min(1, 1/‖g‖₁)·lr; later t ← lr)
 *                        stop if g·d > −toleranceChange
 *                        θ ← θ + t·d with t from the strong-Wolfe line search (lineSearchFn "strong_wolfe") or
 *                        fixed; f, g ← closure()
 *                        stop at maxIter, maxEval evaluations, max|g| ≤ toleranceGrad, max|t·d| ≤ toleranceChange
 *                        or |f − f_prev| < toleranceChange
 *     returns the first loss (torch's `orig_loss`)
 *
 * Defaults: lr 1, maxIter 20, maxEval ⌊maxIter·5/4⌋ (null), toleranceGrad 1e-7, toleranceChange 1e-9,
 * historySize 100, lineSearchFn null | "strong_wolfe". State (PyTorch's names, on the first param):
 * `func_evals`, `n_iter`, `d`, `t`, `old_dirs`, `old_stps`, `ro`, `H_diag`, `prev_flat_grad`, `prev_loss`, `al`.
 *
 * Kind "closure": the step calls the closure several times, so it cannot be one fused kernel call per run. The
 * vectors (the flat gradient, d, the history, the line search's gradients) live in the store's Wasm memory; the
 * vector work is Wasm (dot products and axpy: assembly/optim/lbfgs.ts; max|g| and ‖g‖₁: assembly/reduce/) and
 * the gathers are one memory copy per contiguous segment of params. The scalars follow torch's dtypes exactly:
 * what torch keeps as a Python float (the loss, lr, t before the line search touches it) is an f64 here; what it
 * keeps as a 0-dim f32 tensor (every dot product, ρ, α, β, H_diag, g·d, and t once it mixes with them) is an f32
 * (class F32), with torch's mixed-type rules: a Python float meeting a tensor is rounded to f32 first,
 * `x / tensor` is `reciprocal(tensor) · x`, comparisons involving a tensor are made in f32. Those rules are
 * lbfgs-torch-scalars.ts, the strong-Wolfe line search lbfgs-line-search.ts, the vector kernels lbfgs-vectors.ts.
 *
 * A closure that throws, or returns something other than a number, aborts the step and changes nothing: params
 * and state are restored to what they were before step() (history slots written during the step are fresh
 * buffers, so this costs one copy of the params per step and at most min(maxIter, historySize) extra slots).
 *
 * @example
 * await init();
 * const store = new ParamStore();
 * const w = store.param("w", new Float32Array([-1.5, 2]));
 * const opt = new LBFGS([w], { lineSearchFn: "strong_wolfe" });
 * const loss = opt.step(() => {               // Rosenbrock
 *   const [x, y] = w.value;
 *   w.grad[0] = -2 * (1 - x!) - 400 * x! * (y! - x! * x!);
 *   w.grad[1] = 200 * (y! - x! * x!);
 *   return (1 - x!) ** 2 + 100 * (y! - x! * x!) ** 2;
 * });
 */
import { invalidMessage, located, nonNegative, num, rejectUnknown, type Rule, show } from "../core/options.js";
import { checkOptionsArgument, checkParamMemory, groupInputs, parseGroup } from "../core/params.js";
import { layoutGroup, type GroupLayout } from "../core/layout.js";
import { floatsOf, numberOf, STATE_DICT_FORMAT, type StateDict } from "../core/state-dict.js";
import { type ClosureSpec, isDeviceParam, type OptimizerSpec, type OptionsInput, type ParamGroup, type ParamGroupInput, type ParamLike } from "../core/spec.js";
import type { OptimizerOptions, ParamsInput } from "../core/optimizer.js";
import { checkClassName, OptimizerBase, resolveBackend } from "../core/optimizer-base.js";
import { reduceRange } from "../core/reduce.js";
import type { BackendName } from "../runtime/types.js";
import type { ParamStore } from "../runtime/store.js";
import { type LineSearchIO, strongWolfe } from "./lbfgs-line-search.js";
import { div, F32, f32, gt, le, mul, pyMin, type S, sub, T, valueOf } from "./lbfgs-torch-scalars.js";
import { type Vectors, vectorsOf } from "./lbfgs-vectors.js";
import { lbfgs_axpy_dot_f32, lbfgs_axpy_f32, lbfgs_dot_f32, lbfgs_maxabs_f32, lbfgs_scale_f32 } from "./lbfgs.reference.js";

/** LBFGS's line search: null (a fixed step of lr) or "strong_wolfe" (PyTorch's strong-Wolfe search). */
export type LBFGSLineSearchFn = null | "strong_wolfe";

/** The options of {@link LBFGS}, each with its default (PyTorch's where PyTorch has the optimizer). */
export interface LBFGSOptions {
  /** Learning rate γ. @defaultValue 1 */
  lr: number;
  /** Maximal iterations per step. @defaultValue 20 */
  maxIter: number;
  /**
   * null: ⌊maxIter·5/4⌋ (resolved at construction, as torch).
   * @defaultValue null
   */
  maxEval: number | null;
  /** Stop when max|g| ≤ this. @defaultValue 1e-7 */
  toleranceGrad: number;
  /** Stop when the step or the change of loss is below this. @defaultValue 1e-9 */
  toleranceChange: number;
  /** Update history kept (pairs of vectors). @defaultValue 100 */
  historySize: number;
  /** Null (fixed step) or "strong_wolfe". @defaultValue null */
  lineSearchFn: LBFGSLineSearchFn;
}

/** `closure()` recomputes the loss and the gradients (zero them first: gradients are read, not accumulated). */
export type LBFGSClosure = () => number;

const positiveInt = num((x) => Number.isSafeInteger(x) && x >= 1, "an integer >= 1");
const RULES: { readonly [K in keyof LBFGSOptions]: Rule } = {
  lr: nonNegative,
  maxIter: positiveInt,
  maxEval: (v, key) => { if (v !== null) positiveInt(v, key); },
  toleranceGrad: nonNegative,
  toleranceChange: nonNegative,
  historySize: positiveInt,
  lineSearchFn: (v, key) => {
    if (v !== null && v !== "strong_wolfe") throw new TypeError(invalidMessage(key, v, 'null or "strong_wolfe"'));
  },
};

const DEFAULTS: LBFGSOptions = {
  lr: 1, maxIter: 20, maxEval: null, toleranceGrad: 1e-7, toleranceChange: 1e-9, historySize: 100, lineSearchFn: null,
};

/** The registry's description of LBFGS (a closure-kind entry: its own step, no per-run kernel). */
export const LBFGS_SPEC: ClosureSpec<LBFGSOptions> = {
  name: "LBFGS",
  kind: "closure",
  defaults: DEFAULTS,
  rules: RULES,
  kernels: ["lbfgs_dot_f32", "lbfgs_axpy_f32", "lbfgs_scale_f32", "lbfgs_axpy_dot_f32", "lbfgs_maxabs_f32"],
  reference: { lbfgs_dot_f32, lbfgs_axpy_f32, lbfgs_scale_f32, lbfgs_axpy_dot_f32, lbfgs_maxabs_f32 },
};

/** The state torch keeps on its first param, vectors as byte offsets into the store. */
interface State {
  funcEvals?: number;
  nIter?: number;
  d: number;
  t?: S;
  oldDirs?: number[];
  oldStps?: number[];
  ro?: F32[];
  hDiag?: S;
  prev: number;
  prevLoss?: number;
  /** Entries of `al` set so far (torch's list is [None] * history_size until written). */
  al?: (F32 | undefined)[];
}

const cloneState = (s: State): State => ({
  ...s, oldDirs: s.oldDirs?.slice(), oldStps: s.oldStps?.slice(), ro: s.ro?.slice(), al: s.al?.slice(),
});

const EXTRA_OPTIONS = ["backend"];

/** Work buffers (byte offsets of n floats each); d and prev_flat_grad have two each, the step writes the one its committed state does not hold. */
type Buffers = Record<"flat" | "q" | "backup" | "x" | "gNew" | "gPrev" | "b0" | "b1" | "dA" | "dB" | "prevA" | "prevB", number>;

/** PyTorch's `torch.optim.LBFGS`: `opt.step(() => { ...recompute loss and grads...; return loss; })`. */
export class LBFGS extends OptimizerBase<StateDict, Record<string, never>> {
  /** The options, defaults filled in (LBFGS has one param group). */
  readonly defaults: LBFGSOptions;
  /** The backend this optimizer runs on. */
  readonly backend: BackendName;
  readonly store: ParamStore;
  #groups: readonly (LBFGSOptions & { readonly params: readonly ParamLike[] })[];
  readonly #layout: GroupLayout;
  readonly #n: number;
  #vec: Vectors;
  #state: State = { d: 0, prev: 0 };
  // Work buffers (byte offsets, allocated at the first step): the flat gradient, the two-loop's q, the params at
  // step start (rollback) and at the line search's start, the line search's gradients, the spare d and prev.
  #buf: Buffers | null = null;
  /** History slots (n floats each) ever allocated; a slot is free when no committed or working list holds it. */
  readonly #slots: number[] = [];

  constructor(params: ParamsInput<LBFGSOptions>, options: OptionsInput<LBFGSOptions> & Pick<OptimizerOptions, "backend" | "className"> = {}) {
    const name = "LBFGS";
    super(name);
    checkOptionsArgument(name, options, "lr");
    rejectUnknown(name, options, RULES, EXTRA_OPTIONS, ["className"]);
    const { backend = "auto", className, ...hyper } = options as Record<string, unknown>;
    checkClassName(name, className);
    this.backend = resolveBackend(name, backend);
    const defaults = resolve({ ...DEFAULTS, ...hyper } as LBFGSOptions, name);
    const groups = groupInputs(name, params);
    if (groups.length !== 1) throw new Error(`${name} doesn't support per-parameter options (parameter groups): got ${groups.length} groups, expected 1`);
    const where = `${name}: param group 0`;
    const { params: ps, own } = parseGroup(where, groups[0], RULES);
    checkParamMemory(name, [ps]);
    if (ps.some(isDeviceParam)) throw new TypeError(`${name} is not supported on webgpu params yet (its closure steps read the params on the host)`);
    const group = resolve({ ...defaults, ...own } as LBFGSOptions, where);
    this.defaults = defaults;
    this.store = this.storeOf([ps as ParamLike[]]);
    this.#layout = layoutGroup(this.store, { buffers: [], kind: "elementwise" } as unknown as OptimizerSpec<unknown>, ps as ParamLike[]);
    this.#n = this.#layout.slots.reduce((s, x) => s + x.param.length, 0);
    this.#vec = vectorsOf(this.store, this.backend, this.#n);
    const sealed = Object.seal(Object.defineProperty(group, "params", { value: Object.freeze(ps), enumerable: true }));
    this.#groups = Object.freeze([sealed as LBFGSOptions & { readonly params: readonly ParamLike[] }]);
  }

  /** The one param group (`params` plus every option); options may be edited in place between steps. */
  get paramGroups(): readonly ParamGroup<LBFGSOptions>[] {
    return this.#groups;
  }

  /** LBFGS has one group (torch raises too). */
  addParamGroup(_group: ParamGroupInput<LBFGSOptions>): never {
    throw new Error("LBFGS doesn't support per-parameter options (parameter groups)");
  }

  /** The group's options, checked (a bad edit throws here, before anything changes). */
  #options(): LBFGSOptions & { maxEval: number } {
    return resolve(this.#groups[0]!, "LBFGS: param group 0") as LBFGSOptions & { maxEval: number };
  }

  /** The work buffers (the line search's five only once a step uses it). May throw (out of memory): changes no value. */
  #allocate(lineSearch: boolean): Buffers {
    const n = this.#n, a = () => this.store.alloc(n);
    const buf = this.#buf ??= { flat: a(), q: a(), backup: a(), dA: a(), dB: a(), prevA: a(), prevB: a(), x: 0, gNew: 0, gPrev: 0, b0: 0, b1: 0 };
    if (lineSearch && !buf.x) Object.assign(buf, { gNew: a(), gPrev: a(), b0: a(), b1: a(), x: a() });
    return buf;
  }

  // ---- params and the flat vector (segments of the store: one copy or one kernel call each) ----

  #copyIn(dst: number, which: "valuePtr" | "gradPtr"): void {
    const f = this.store.f32;
    let at = dst / 4;
    for (const seg of this.#layout.segments) {
      const src = seg[which] / 4;
      f.copyWithin(at, src, src + seg.n);
      at += seg.n;
    }
  }
  #copyOut(src: number): void {
    const f = this.store.f32;
    let at = src / 4;
    for (const seg of this.#layout.segments) {
      f.copyWithin(seg.valuePtr / 4, at, at + seg.n);
      at += seg.n;
    }
  }
  /** params ← base + t·d, base = the flat vector at `base` or (null) the params: torch's `_add_grad` on params that hold it. */
  #addGrad(base: number | null, t: S, d: number): void {
    let at = 0;
    const tf = f32(t);
    for (const seg of this.#layout.segments) {
      if (seg.n > 0) this.#vec.axpy(seg.valuePtr, base === null ? seg.valuePtr : base + 4 * at, d + 4 * at, tf, seg.n);
      at += seg.n;
    }
  }
  #syncForeignValues(): void {
    for (const s of this.#layout.slots) if (s.foreign) s.src.value.set(s.param.value);
  }
  /** One closure evaluation: the loss (checked), then the gradient gathered into `into`. */
  #evaluate(closure: LBFGSClosure, into: number): number {
    this.#syncForeignValues();
    const loss = closure();
    if (typeof loss !== "number") {
      throw new TypeError(`LBFGS.step: the closure must return the loss as a number, got ${loss === null ? "null" : typeof loss}`);
    }
    for (const s of this.#layout.slots) if (s.foreign) s.param.grad.set(s.src.grad);
    this.#copyIn(into, "gradPtr");
    return loss;
  }
  #maxAbs(ptr: number): F32 {
    return this.#vec.maxAbs(ptr);
  }
  /** The line search's view of this optimizer: params at x + t·d, evaluated, the gradient into `gNew`. */
  #lineSearchIO(closure: LBFGSClosure, x: number, d: number): LineSearchIO {
    const n = this.#n, gNew = this.#buf!.gNew;
    return {
      vectors: this.#vec,
      copy: (dst, src) => this.store.f32.copyWithin(dst / 4, src / 4, src / 4 + n),
      evaluate: (t) => {
        this.#addGrad(x, t, d);
        const loss = this.#evaluate(closure, gNew);
        this.#copyOut(x);
        return loss;
      },
    };
  }

  /**
   * One optimization step (torch's `LBFGS.step(closure)`): calls `closure` up to maxEval times and returns the
   * loss of its first call. A closure that throws (or returns a non-number) aborts the step with nothing changed.
   */
  step(closure: LBFGSClosure): number {
    this.assertUsable();
    if (typeof closure !== "function") throw new TypeError(`LBFGS.step: expected a closure () => loss, got ${closure === null ? "null" : typeof closure}`);
    const o = this.#options();
    const buf = this.#allocate(o.lineSearchFn !== null);
    for (const s of this.#layout.slots) if (s.foreign) s.param.value.set(s.src.value);
    this.#copyIn(buf.backup, "valuePtr");
    const committed = cloneState(this.#state);
    const held = new Set([...(committed.oldDirs ?? []), ...(committed.oldStps ?? [])]);
    try {
      const loss = this.#run(closure, o, buf, committed, held);
      this.#syncForeignValues();
      return loss;
    } catch (e) {
      this.#state = committed;
      this.#copyOut(buf.backup);
      this.#syncForeignValues();
      throw e;
    }
  }

  /** A history slot no committed or working list holds (allocated when none is free). */
  #freeSlot(held: Set<number>, st: State, busy: number): number {
    const used = new Set([...held, ...(st.oldDirs ?? []), ...(st.oldStps ?? []), busy]);
    for (const s of this.#slots) if (!used.has(s)) return s;
    const s = this.store.alloc(this.#n);
    this.#slots.push(s);
    return s;
  }

  #run(closure: LBFGSClosure, o: LBFGSOptions & { maxEval: number }, buf: Buffers, committed: State, held: Set<number>): number {
    const v = this.#vec, { lr, maxIter, maxEval, toleranceGrad, toleranceChange, historySize } = o;
    const st = cloneState(committed);
    this.#state = st; // restored to `committed` if anything below throws
    st.funcEvals ??= 0;
    st.nIter ??= 0;
    const flat = buf.flat;
    const origLoss = this.#evaluate(closure, flat);
    let loss = origLoss;
    let currentEvals = 1;
    st.funcEvals += 1;
    let optCond = le(this.#maxAbs(flat), toleranceGrad);
    if (optCond) return origLoss;

    // Vectors written during the step go to buffers the committed state does not use.
    const dTarget = committed.d === buf.dA ? buf.dB : buf.dA;
    const prevTarget = committed.prev === buf.prevA ? buf.prevB : buf.prevA;
    let d = st.d, t = st.t, oldDirs = st.oldDirs, oldStps = st.oldStps, ro = st.ro, hDiag = st.hDiag;
    let prev = st.prev, prevLoss = st.prevLoss;
    let nIter = 0;
    while (nIter < maxIter) {
      nIter++;
      st.nIter++;
      if (st.nIter === 1) {
        v.scale(dTarget, flat, -1);
        d = dTarget;
        oldDirs = [];
        oldStps = [];
        ro = [];
        hDiag = 1;
      } else {
        const s = this.#freeSlot(held, st, 0);
        v.scale(s, d, f32(t!));
        const y = this.#freeSlot(held, st, s);
        const ys = v.axpyDot(y, flat, prev, s, -1); // y ← g − g_prev (a + (−1)·b is exactly a − b); y·s
        if (gt(ys, 1e-10)) {
          // torch: `if len(old_dirs) == history_size: pop(0)`. `while >=` is the same unless historySize was edited
          // below the history's length (torch then grows the list past it and fails on `al`; here it shrinks).
          while (oldDirs!.length >= historySize) {
            oldDirs!.shift();
            oldStps!.shift();
            ro!.shift();
          }
          oldDirs!.push(y);
          oldStps!.push(s);
          ro!.push(div(1.0, ys) as F32);
          hDiag = div(ys, v.dot(y, y));
        }
        st.oldDirs = oldDirs; st.oldStps = oldStps; // the slots they hold are busy from here on
        const numOld = oldDirs!.length;
        st.al ??= [];
        const al = st.al;
        const q = buf.q;
        // The two loops, each update fused with the next dot product (the same bits as torch's order of calls).
        v.scale(q, flat, -1);
        let dot = numOld ? v.dot(oldStps![numOld - 1]!, q) : T(0);
        for (let i = numOld - 1; i >= 0; i--) {
          al[i] = mul(dot, ro![i]!) as F32;
          if (i > 0) dot = v.axpyDot(q, q, oldDirs![i]!, oldStps![i - 1]!, -al[i]!.v);
          else v.axpy(q, q, oldDirs![i]!, -al[i]!.v);
        }
        v.scale(dTarget, q, f32(hDiag!));
        d = dTarget;
        dot = numOld ? v.dot(oldDirs![0]!, d) : T(0);
        for (let i = 0; i < numOld; i++) {
          const c = f32(sub(al[i]!, mul(dot, ro![i]!)));
          if (i < numOld - 1) dot = v.axpyDot(d, d, oldStps![i]!, oldDirs![i + 1]!, c);
          else v.axpy(d, d, oldStps![i]!, c);
        }
      }
      st.d = d; st.oldDirs = oldDirs; st.oldStps = oldStps; st.ro = ro; st.hDiag = hDiag;
      this.store.f32.copyWithin(prevTarget / 4, flat / 4, flat / 4 + this.#n);
      prev = st.prev = prevTarget;
      prevLoss = st.prevLoss = loss;

      if (st.nIter === 1) {
        const sumAbs = T(reduceRange(this.store, this.backend, flat, this.#n).sumAbs);
        t = mul(pyMin(1.0, div(1.0, sumAbs)), lr);
      } else {
        t = lr;
      }
      st.t = t;
      const gtd = v.dot(flat, d);
      if (gt(gtd, -toleranceChange)) break;

      let lsFuncEvals = 0;
      if (o.lineSearchFn !== null) {
        this.#copyIn(buf.x, "valuePtr");
        const r = strongWolfe(this.#lineSearchIO(closure, buf.x, d), buf, t, d, loss, gtd, toleranceChange, maxEval - currentEvals);
        loss = r.loss;
        t = st.t = r.t;
        lsFuncEvals = r.evals;
        this.#addGrad(buf.x, t, d);
        optCond = le(this.#maxAbs(flat), toleranceGrad);
      } else {
        this.#addGrad(null, t, d);
        if (nIter !== maxIter) {
          loss = this.#evaluate(closure, flat);
          optCond = le(this.#maxAbs(flat), toleranceGrad);
          lsFuncEvals = 1;
        }
      }
      currentEvals += lsFuncEvals;
      st.funcEvals += lsFuncEvals;

      if (nIter === maxIter) break;
      if (currentEvals >= maxEval) break;
      if (optCond) break;
      // d.mul(t).abs().max(): rounding is monotonic, so it is max|d|·|t| rounded once.
      if (le(T(this.#maxAbs(d).v * Math.abs(f32(t))), toleranceChange)) break;
      if (Math.abs(loss - prevLoss) < toleranceChange) break;
    }
    return origLoss;
  }

  /** Sets every gradient to zero (what a closure does first). */
  zeroGrad(): void {
    this.assertUsable();
    const f = this.store.f32;
    for (const seg of this.#layout.segments) f.fill(0, seg.gradPtr / 4, seg.gradPtr / 4 + seg.n);
    for (const s of this.#layout.slots) if (s.foreign) s.src.grad.fill(0);
  }

  /** The constructor options with defaults filled in (maxEval resolved) and `className`: a JSON-safe copy. */
  getConfig(): LBFGSOptions & {
    /** "LBFGS": fromConfig() checks it. */
    className: string;
  } {
    return { ...this.defaults, className: "LBFGS" };
  }

  /**
   * PyTorch's layout: the state on param 0 (`func_evals`, `n_iter`, `d`, `t`, `old_dirs` and `old_stps` as the
   * history stacked oldest first (k·n floats), `ro`, `H_diag`, `prev_flat_grad`, `prev_loss`, `al`), copies.
   */
  stateDict(): StateDict {
    this.assertUsable();
    const st = this.#state, n = this.#n, f = this.store.f32;
    const vec = (ptr: number) => f.slice(ptr / 4, ptr / 4 + n);
    const stack = (ptrs: number[]) => {
      const out = new Float32Array(ptrs.length * n);
      ptrs.forEach((p, i) => out.set(f.subarray(p / 4, p / 4 + n), i * n));
      return out;
    };
    const e: Record<string, number | Float32Array> = {};
    if (st.funcEvals !== undefined) e.func_evals = st.funcEvals;
    if (st.nIter !== undefined) e.n_iter = st.nIter;
    if (st.d) e.d = vec(st.d);
    if (st.t !== undefined) e.t = valueOf(st.t);
    if (st.oldDirs) e.old_dirs = stack(st.oldDirs);
    if (st.oldStps) e.old_stps = stack(st.oldStps);
    if (st.ro) e.ro = Float32Array.from(st.ro, (x) => x.v);
    if (st.hDiag !== undefined) e.H_diag = valueOf(st.hDiag);
    if (st.prev) e.prev_flat_grad = vec(st.prev);
    if (st.prevLoss !== undefined) e.prev_loss = st.prevLoss;
    if (st.al) e.al = Float32Array.from(st.al, (x) => x?.v ?? 0);
    const g = this.#groups[0]!;
    const { params, ...options } = g;
    return {
      format: STATE_DICT_FORMAT, optimizer: "LBFGS",
      state: Object.keys(e).length ? { 0: e } : {},
      paramGroups: [{ ...structuredClone(options), params: params.map((_, i) => i) }],
    };
  }

  /** A stateDict() of an LBFGS over the same params. */
  protected planLoad(dict: StateDict, load: Record<string, never> | undefined): () => void {
    const where = "LBFGS.loadStateDict";
    // Its state is f32 only: no stateDtype to convert to, and no other load option.
    if (load !== undefined && (load === null || typeof load !== "object" || Reflect.ownKeys(load).length > 0)) {
      throw new TypeError(`${where}: takes no options (its state is f32 only), got ${typeof load === "object" && load !== null ? Reflect.ownKeys(load).map(String).join(", ") : show(load)}`);
    }
    const groups = dict.paramGroups;
    if (!Array.isArray(groups) || groups.length !== 1) throw new RangeError(`${where}: expected 1 param group`);
    const { params: ids, ...options } = groups[0]!;
    const count = this.#groups[0]!.params.length;
    if (!Array.isArray(ids) || ids.length !== count) throw new RangeError(`${where}: the dict has ${Array.isArray(ids) ? ids.length : "no"} params, this optimizer ${count}`);
    rejectUnknown(`${where}: param group 0`, options, RULES, []);
    const opts = resolve({ ...DEFAULTS, ...options } as LBFGSOptions, `${where}: param group 0`);
    const state = dict.state ?? {};
    const keys = Object.keys(state);
    if (keys.some((k) => k !== "0")) throw new RangeError(`${where}: LBFGS keeps its state on param 0, got state for param ${keys.find((k) => k !== "0")}`);
    const e = (state[0] ?? {}) as Record<string, unknown>;
    const KEYS = ["func_evals", "n_iter", "d", "t", "old_dirs", "old_stps", "ro", "H_diag", "prev_flat_grad", "prev_loss", "al"];
    for (const k of Object.keys(e)) if (!KEYS.includes(k)) throw new RangeError(`${where}: unknown state key "${k}"`);
    const n = this.#n;
    // Counts are integers; t, H_diag and prev_loss any number (a NaN loss makes prev_loss NaN: still the state).
    const number = (k: string, integer = false): number | undefined => {
      if (e[k] === undefined) return undefined;
      const x = numberOf(e[k], `${where}: state "${k}"`);
      if (integer && (!Number.isSafeInteger(x) || x < 0)) throw new TypeError(`${where}: state "${k}" must be an integer >= 0, got ${show(x)}`);
      return x;
    };
    const array = (k: string, length?: (len: number) => boolean, what = `${n} floats`): Float32Array | undefined => {
      if (e[k] === undefined) return undefined;
      const a = floatsOf(e[k], `${where}: state "${k}"`);
      if (!a) throw new TypeError(`${where}: state "${k}" must be a Float32Array (or an array of numbers)`);
      if (!(length ? length(a.length) : a.length === n)) throw new RangeError(`${where}: state "${k}" has ${a.length} floats, expected ${what}`);
      return a;
    };
    const funcEvals = number("func_evals", true), nIter = number("n_iter", true), t = number("t"), hDiag = number("H_diag"), prevLoss = number("prev_loss");
    const d = array("d"), prev = array("prev_flat_grad"), ro = array("ro", (l) => l <= opts.historySize, `at most historySize = ${opts.historySize}`);
    const k = ro?.length ?? 0;
    const dirs = array("old_dirs", (l) => l === k * n, `ro.length · ${n} = ${k * n}`), stps = array("old_stps", (l) => l === k * n, `${k * n}`);
    const al = array("al", (l) => l <= opts.historySize, `at most historySize = ${opts.historySize}`);
    if ((ro === undefined) !== (dirs === undefined) || (ro === undefined) !== (stps === undefined)) {
      throw new RangeError(`${where}: state "old_dirs", "old_stps" and "ro" go together`);
    }
    // Allocation can still fail (out of memory); it changes no value. Then nothing can fail.
    const buf = this.#allocate(false);
    const need = 2 * k - this.#slots.length;
    for (let i = 0; i < need; i++) this.#slots.push(this.store.alloc(n));
    return () => {
      const f = this.store.f32;
      const st: State = { d: 0, prev: 0, funcEvals, nIter, prevLoss };
      if (t !== undefined) st.t = t;
      if (hDiag !== undefined) st.hDiag = hDiag;
      if (d) { f.set(d, buf.dA / 4); st.d = buf.dA; }
      if (prev) { f.set(prev, buf.prevA / 4); st.prev = buf.prevA; }
      if (ro) {
        st.ro = Array.from(ro, (x) => new F32(x));
        st.oldDirs = this.#slots.slice(0, k);
        st.oldStps = this.#slots.slice(k, 2 * k);
        for (let i = 0; i < k; i++) {
          f.set(dirs!.subarray(i * n, (i + 1) * n), st.oldDirs[i]! / 4);
          f.set(stps!.subarray(i * n, (i + 1) * n), st.oldStps[i]! / 4);
        }
      }
      if (al) st.al = Array.from(al, (x) => new F32(x));
      this.#state = st;
      Object.assign(this.#groups[0]!, options);
    };
  }
}

function resolve(o: LBFGSOptions, where: string): LBFGSOptions {
  try {
    for (const key of Object.keys(RULES) as (keyof LBFGSOptions)[]) RULES[key](o[key], key);
  } catch (e) {
    throw located(where, e);
  }
  return { ...o, maxEval: o.maxEval ?? Math.floor((o.maxIter * 5) / 4) };
}
