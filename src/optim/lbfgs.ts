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
 * (class F32 below), with torch's mixed-type rules: a Python float meeting a tensor is rounded to f32 first,
 * `x / tensor` is `reciprocal(tensor) · x`, comparisons involving a tensor are made in f32.
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
import { located, nonNegative, rejectUnknown, type Rule } from "../core/options.js";
import { checkOptionsArgument, checkParam, checkParamMemory, groupInputs } from "../core/params.js";
import { layoutGroup, type GroupLayout } from "../core/layout.js";
import { floatsOf, isFloat32Array, numberOf, STATE_DICT_FORMAT, type StateDict } from "../core/state-dict.js";
import type { ClosureSpec, OptimizerSpec, OptionsInput, ParamGroupInput, ParamLike } from "../core/spec.js";
import type { OptimizerOptions, ParamsInput } from "../core/optimizer.js";
import { reduceRange } from "../core/reduce.js";
import { defaults as initDefaults } from "../runtime/loader.js";
import type { BackendName } from "../runtime/types.js";
import { Param, ParamStore } from "../runtime/store.js";
import { lbfgs_axpy_dot_f32, lbfgs_axpy_f32, lbfgs_dot_f32, lbfgs_maxabs_f32, lbfgs_scale_f32 } from "./lbfgs.reference.js";

export type LBFGSLineSearchFn = null | "strong_wolfe";

export interface LBFGSOptions {
  lr: number;
  maxIter: number;
  /** null: ⌊maxIter·5/4⌋ (resolved at construction, as torch). */
  maxEval: number | null;
  toleranceGrad: number;
  toleranceChange: number;
  historySize: number;
  lineSearchFn: LBFGSLineSearchFn;
}

/** `closure()` recomputes the loss and the gradients (zero them first: gradients are read, not accumulated). */
export type LBFGSClosure = () => number;

const show = (v: unknown): string => (typeof v === "string" ? JSON.stringify(v) : String(v));

function integer(min: number): Rule {
  return (v, key) => {
    if (typeof v !== "number") throw new TypeError(`Invalid ${key}: ${show(v)} (expected a number)`);
    if (!Number.isSafeInteger(v) || v < min) throw new RangeError(`Invalid ${key}: ${show(v)} (expected an integer >= ${min})`);
  };
}
const positiveInt = integer(1);
const RULES: { readonly [K in keyof LBFGSOptions]: Rule } = {
  lr: nonNegative,
  maxIter: positiveInt,
  maxEval: (v, key) => { if (v !== null) positiveInt(v, key); },
  toleranceGrad: nonNegative,
  toleranceChange: nonNegative,
  historySize: positiveInt,
  lineSearchFn: (v, key) => {
    if (v !== null && v !== "strong_wolfe") throw new TypeError(`Invalid ${key}: ${show(v)} (expected null or "strong_wolfe")`);
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

// ---- torch's scalar types ---------------------------------------------------------------------------------
// A Python float is a JS number (f64); a 0-dim f32 tensor is an F32. Ops follow torch: float∘float in f64;
// anything with a tensor in f32, a float operand rounded to f32 first; `float / tensor` = reciprocal·float.

class F32 {
  constructor(readonly v: number) {}
}
type S = number | F32;
const isT = (x: S): x is F32 => typeof x !== "number";
const f32 = (x: S): number => (isT(x) ? x.v : Math.fround(x));
const T = (x: number): F32 => new F32(Math.fround(x));
const add = (a: S, b: S): S => (isT(a) || isT(b) ? T(f32(a) + f32(b)) : a + b);
const sub = (a: S, b: S): S => (isT(a) || isT(b) ? T(f32(a) - f32(b)) : a - b);
const mul = (a: S, b: S): S => (isT(a) || isT(b) ? T(f32(a) * f32(b)) : a * b);
function div(a: S, b: S): S {
  if (!isT(a) && !isT(b)) return a / b;
  if (!isT(a)) return T(Math.fround(1 / f32(b)) * Math.fround(a)); // Tensor.__rtruediv__: reciprocal() * other
  return T(a.v / f32(b));
}
const abs = (a: S): S => (isT(a) ? new F32(Math.abs(a.v)) : Math.abs(a));
const sqrtT = (a: S): S => (isT(a) ? T(Math.sqrt(a.v)) : Math.sqrt(a));
const sq = (a: S): S => mul(a, a); // pow(x, 2) is x·x in torch
const lt = (a: S, b: S): boolean => (isT(a) || isT(b) ? f32(a) < f32(b) : a < b);
const le = (a: S, b: S): boolean => (isT(a) || isT(b) ? f32(a) <= f32(b) : a <= b);
const gt = (a: S, b: S): boolean => lt(b, a);
const ge = (a: S, b: S): boolean => le(b, a);
const pyMin = (a: S, b: S): S => (lt(b, a) ? b : a); // Python's min/max keep the first of equals
const pyMax = (a: S, b: S): S => (gt(b, a) ? b : a);
const num = (x: S): number => (isT(x) ? x.v : x);

/** torch's `_cubic_interpolate` (from minFunc's polyinterp), in torch's scalar types. */
function cubicInterpolate(x1: S, f1: number, g1: S, x2: S, f2: number, g2: S, bounds?: [S, S]): S {
  const [xminBound, xmaxBound] = bounds ?? (le(x1, x2) ? [x1, x2] : [x2, x1]);
  const d1 = sub(add(g1, g2), div(3 * (f1 - f2), sub(x1, x2)));
  const d2Square = sub(sq(d1), mul(g1, g2));
  if (ge(d2Square, 0)) {
    const d2 = sqrtT(d2Square);
    const minPos = le(x1, x2)
      ? sub(x2, mul(sub(x2, x1), div(sub(add(g2, d2), d1), add(sub(g2, g1), mul(2, d2)))))
      : sub(x1, mul(sub(x1, x2), div(sub(add(g1, d2), d1), add(sub(g1, g2), mul(2, d2)))));
    return pyMin(pyMax(minPos, xminBound), xmaxBound);
  }
  return div(add(xminBound, xmaxBound), 2.0);
}

// ---- the flat vectors --------------------------------------------------------------------------------------

interface Vectors {
  /** f32(a·b): an f32 tensor in torch. */
  dot(a: number, b: number): F32;
  axpy(out: number, a: number, b: number, alpha: number, n?: number): void;
  scale(out: number, x: number, alpha: number): void;
  /** out ← a + alpha·b, then f32(out·c): one pass, the same bits as axpy then dot. */
  axpyDot(out: number, a: number, b: number, c: number, alpha: number): F32;
  /** max|x| (torch's `x.abs().max()`, an f32 tensor). */
  maxAbs(x: number): F32;
}

function vectorsOf(store: ParamStore, backend: BackendName, n: number): Vectors {
  if (backend === "js") {
    const v = (ptr: number, len = n) => store.f32.subarray(ptr / 4, ptr / 4 + len);
    return {
      dot: (a, b) => T(lbfgs_dot_f32(v(a), v(b), n)),
      axpy: (out, a, b, alpha, len = n) => lbfgs_axpy_f32(v(out, len), v(a, len), v(b, len), len, alpha),
      scale: (out, x, alpha) => lbfgs_scale_f32(v(out), v(x), n, alpha),
      axpyDot: (out, a, b, c, alpha) => T(lbfgs_axpy_dot_f32(v(out), v(a), v(b), v(c), n, alpha)),
      maxAbs: (x) => new F32(lbfgs_maxabs_f32(v(x), n)),
    };
  }
  const k = store.kernels(backend) as unknown as {
    lbfgs_dot_f32(a: number, b: number, n: number): number;
    lbfgs_axpy_f32(out: number, a: number, b: number, n: number, alpha: number): void;
    lbfgs_scale_f32(out: number, x: number, n: number, alpha: number): void;
    lbfgs_axpy_dot_f32(out: number, a: number, b: number, c: number, n: number, alpha: number): number;
    lbfgs_maxabs_f32(x: number, n: number): number;
  };
  return {
    dot: (a, b) => T(k.lbfgs_dot_f32(a, b, n)),
    axpy: (out, a, b, alpha, len = n) => k.lbfgs_axpy_f32(out, a, b, len, alpha),
    scale: (out, x, alpha) => k.lbfgs_scale_f32(out, x, n, alpha),
    axpyDot: (out, a, b, c, alpha) => T(k.lbfgs_axpy_dot_f32(out, a, b, c, n, alpha)),
    maxAbs: (x) => new F32(k.lbfgs_maxabs_f32(x, n)),
  };
}

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
const C1 = 1e-4, C2 = 0.9;

/** PyTorch's `torch.optim.LBFGS`: `opt.step(() => { ...recompute loss and grads...; return loss; })`. */
export class LBFGS {
  readonly defaults: LBFGSOptions;
  readonly backend: BackendName;
  readonly store: ParamStore;
  #groups: readonly (LBFGSOptions & { readonly params: readonly ParamLike[] })[];
  readonly #layout: GroupLayout;
  readonly #n: number;
  readonly #ownsStore: boolean;
  #vec: Vectors;
  #disposed = false;
  #state: State = { d: 0, prev: 0 };
  // Work buffers (byte offsets, allocated at the first step): the flat gradient, the two-loop's q, the params at
  // step start (rollback) and at the line search's start, the line search's gradients, the spare d and prev.
  #buf: Buffers | null = null;
  /** History slots (n floats each) ever allocated; a slot is free when no committed or working list holds it. */
  readonly #slots: number[] = [];

  constructor(params: ParamsInput<LBFGSOptions>, options: OptionsInput<LBFGSOptions> & Pick<OptimizerOptions, "backend" | "className"> = {}) {
    const name = "LBFGS";
    checkOptionsArgument(name, options, "lr");
    rejectUnknown(name, options, RULES, EXTRA_OPTIONS, ["className"]);
    const { backend = "auto", className, ...hyper } = options as Record<string, unknown>;
    if (className !== undefined && className !== name) {
      throw new TypeError(`${name}: the config is from ${JSON.stringify(className)}, not ${name} (use ${String(className)}.fromConfig)`);
    }
    if (!["auto", "simd", "scalar", "js"].includes(backend as string)) {
      throw new TypeError(`${name}: invalid backend ${JSON.stringify(backend)} (expected auto, simd, scalar or js)`);
    }
    const defaults = resolve({ ...DEFAULTS, ...hyper } as LBFGSOptions, name);
    const groups = groupInputs(name, params);
    if (groups.length !== 1) throw new Error(`${name} doesn't support per-parameter options (parameter groups): got ${groups.length} groups, expected 1`);
    const g = groups[0]!;
    const where = `${name}: param group 0`;
    if (g === null || typeof g !== "object") throw new TypeError(`${where}: expected { params, ...options }`);
    rejectUnknown(where, g, RULES, ["params"]);
    const { params: list, ...own } = g as ParamGroupInput<LBFGSOptions>;
    if (list === null || typeof list !== "object" || !(Symbol.iterator in list)) throw new TypeError(`${where}: params must be an array of params`);
    const ps = [...list];
    if (ps.length === 0) throw new Error(`${name}: got an empty parameter list`);
    ps.forEach((p, i) => checkParam(where, p, i));
    checkParamMemory(name, [ps]);
    const stores = new Set(ps.filter((p) => p instanceof Param).map((p) => p.store));
    if (stores.size > 1) throw new Error(`${name}: params come from ${stores.size} different ParamStores (use one store per optimizer)`);
    const group = resolve({ ...defaults, ...own } as LBFGSOptions, where);
    this.backend = backend === "auto" ? initDefaults().backend : (backend as BackendName);
    this.defaults = defaults;
    const [shared] = stores;
    this.#ownsStore = shared === undefined;
    this.store = shared ?? new ParamStore();
    this.#layout = layoutGroup(this.store, { buffers: [], kind: "elementwise" } as unknown as OptimizerSpec<unknown>, ps);
    this.#n = this.#layout.slots.reduce((s, x) => s + x.param.length, 0);
    this.#vec = vectorsOf(this.store, this.backend, this.#n);
    const sealed = Object.seal(Object.defineProperty(group, "params", { value: Object.freeze(ps), enumerable: true }));
    this.#groups = Object.freeze([sealed as LBFGSOptions & { readonly params: readonly ParamLike[] }]);
  }

  /** The one param group (`params` plus every option); options may be edited in place between steps. */
  get paramGroups(): readonly (LBFGSOptions & { readonly params: readonly ParamLike[] })[] {
    return this.#groups;
  }

  get disposed(): boolean {
    return this.#disposed || this.store.disposed;
  }

  /** LBFGS has one group (torch raises too). */
  addParamGroup(_group: ParamGroupInput<LBFGSOptions>): never {
    throw new Error("LBFGS doesn't support per-parameter options (parameter groups)");
  }

  #assertUsable(): void {
    if (this.#disposed) throw new Error("LBFGS has been disposed");
    if (this.store.disposed) throw new Error("LBFGS: its ParamStore has been disposed");
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

  /**
   * One optimization step (torch's `LBFGS.step(closure)`): calls `closure` up to maxEval times and returns the
   * loss of its first call. A closure that throws (or returns a non-number) aborts the step with nothing changed.
   */
  step(closure: LBFGSClosure): number {
    this.#assertUsable();
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
        const r = this.#strongWolfe(closure, buf, t, d, loss, gtd, toleranceChange, maxEval - currentEvals);
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

  /** torch's `_strong_wolfe` with `obj_func` = `_directional_evaluate`; leaves the chosen gradient in `flat`. */
  #strongWolfe(closure: LBFGSClosure, buf: Buffers, t0: S, d: number, f: number, gtd: S,
      toleranceChange: number, maxLs: number): { loss: number; t: S; evals: number } {
    const v = this.#vec, n = this.#n, { flat, x, gNew, gPrev } = buf;
    const B = [buf.b0, buf.b1];
    const copy = (dst: number, src: number) => { if (dst !== src) this.store.f32.copyWithin(dst / 4, src / 4, src / 4 + n); };
    const obj = (t: S): number => {
      this.#addGrad(x, t, d);
      const loss = this.#evaluate(closure, gNew);
      this.#copyOut(x);
      return loss;
    };
    let t = t0;
    const dNorm = this.#maxAbs(d);
    let fNew = obj(t);
    let lsFuncEvals = 1;
    let gtdNew: S = v.dot(gNew, d);

    let tPrev: S = 0, fPrev = f, gPrevPtr = flat, gtdPrev: S = gtd;
    let done = false;
    let lsIter = 0;
    let bracket: S[] = [], bracketF: number[] = [], bracketGtd: S[] = [];
    while (lsIter < maxLs) {
      if (gt(fNew, add(f, mul(mul(C1, t), gtd))) || (lsIter > 1 && fNew >= fPrev)) {
        bracket = [tPrev, t]; bracketF = [fPrev, fNew]; copy(B[0]!, gPrevPtr); copy(B[1]!, gNew); bracketGtd = [gtdPrev, gtdNew];
        break;
      }
      if (le(abs(gtdNew), mul(-C2, gtd))) {
        bracket = [t]; bracketF = [fNew]; copy(B[0]!, gNew);
        done = true;
        break;
      }
      if (ge(gtdNew, 0)) {
        bracket = [tPrev, t]; bracketF = [fPrev, fNew]; copy(B[0]!, gPrevPtr); copy(B[1]!, gNew); bracketGtd = [gtdPrev, gtdNew];
        break;
      }
      const minStep = add(t, mul(0.01, sub(t, tPrev)));
      const maxStep = mul(t, 10);
      const tmp = t;
      t = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, [minStep, maxStep]);
      tPrev = tmp;
      fPrev = fNew;
      copy(gPrev, gNew);
      gPrevPtr = gPrev;
      gtdPrev = gtdNew;
      fNew = obj(t);
      lsFuncEvals++;
      gtdNew = v.dot(gNew, d);
      lsIter++;
    }
    if (lsIter === maxLs) {
      bracket = [0, t]; bracketF = [f, fNew]; copy(B[0]!, flat); copy(B[1]!, gNew);
    }

    let insufProgress = false;
    let [low, high] = bracketF[0]! <= bracketF[bracketF.length - 1]! ? [0, 1] : [1, 0];
    while (!done && lsIter < maxLs) {
      if (lt(mul(abs(sub(bracket[1]!, bracket[0]!)), dNorm), toleranceChange)) break;
      t = cubicInterpolate(bracket[0]!, bracketF[0]!, bracketGtd[0]!, bracket[1]!, bracketF[1]!, bracketGtd[1]!);
      const bMax = pyMax(bracket[0]!, bracket[1]!), bMin = pyMin(bracket[0]!, bracket[1]!);
      const eps = mul(0.1, sub(bMax, bMin));
      if (lt(pyMin(sub(bMax, t), sub(t, bMin)), eps)) {
        if (insufProgress || ge(t, bMax) || le(t, bMin)) {
          t = lt(abs(sub(t, bMax)), abs(sub(t, bMin))) ? sub(bMax, eps) : add(bMin, eps);
          insufProgress = false;
        } else {
          insufProgress = true;
        }
      } else {
        insufProgress = false;
      }
      fNew = obj(t);
      lsFuncEvals++;
      gtdNew = v.dot(gNew, d);
      lsIter++;
      if (gt(fNew, add(f, mul(mul(C1, t), gtd))) || fNew >= bracketF[low]!) {
        bracket[high] = t; bracketF[high] = fNew; copy(B[high]!, gNew); bracketGtd[high] = gtdNew;
        [low, high] = bracketF[0]! <= bracketF[1]! ? [0, 1] : [1, 0];
      } else {
        if (le(abs(gtdNew), mul(-C2, gtd))) {
          done = true;
        } else if (ge(mul(gtdNew, sub(bracket[high]!, bracket[low]!)), 0)) {
          bracket[high] = bracket[low]!; bracketF[high] = bracketF[low]!; copy(B[high]!, B[low]!); bracketGtd[high] = bracketGtd[low]!;
        }
        bracket[low] = t; bracketF[low] = fNew; copy(B[low]!, gNew); bracketGtd[low] = gtdNew;
      }
    }
    copy(flat, B[low]!);
    return { loss: bracketF[low]!, t: bracket[low]!, evals: lsFuncEvals };
  }

  /** Sets every gradient to zero (what a closure does first). */
  zeroGrad(): void {
    this.#assertUsable();
    const f = this.store.f32;
    for (const seg of this.#layout.segments) f.fill(0, seg.gradPtr / 4, seg.gradPtr / 4 + seg.n);
    for (const s of this.#layout.slots) if (s.foreign) s.src.grad.fill(0);
  }

  /** The constructor options with defaults filled in (maxEval resolved) and `className`: a JSON-safe copy. */
  getConfig(): LBFGSOptions & { className: string } {
    return { ...this.defaults, className: "LBFGS" };
  }

  /** An LBFGS over `params` configured by a getConfig() result. */
  static fromConfig(params: ParamsInput<LBFGSOptions>, config: OptionsInput<LBFGSOptions> & { className?: string }): LBFGS {
    return new LBFGS(params, config);
  }

  /**
   * PyTorch's layout: the state on param 0 (`func_evals`, `n_iter`, `d`, `t`, `old_dirs` and `old_stps` as the
   * history stacked oldest first (k·n floats), `ro`, `H_diag`, `prev_flat_grad`, `prev_loss`, `al`), copies.
   */
  stateDict(): StateDict {
    this.#assertUsable();
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
    if (st.t !== undefined) e.t = num(st.t);
    if (st.oldDirs) e.old_dirs = stack(st.oldDirs);
    if (st.oldStps) e.old_stps = stack(st.oldStps);
    if (st.ro) e.ro = Float32Array.from(st.ro, (x) => x.v);
    if (st.hDiag !== undefined) e.H_diag = num(st.hDiag);
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

  /** Restores a stateDict() of an LBFGS over the same params; checks everything first (a misfit changes nothing). */
  loadStateDict(dict: StateDict, load?: Record<string, never>): void {
    this.#assertUsable();
    const where = "LBFGS.loadStateDict";
    // Its state is f32 only: no stateDtype to convert to, and no other load option.
    if (load !== undefined && (load === null || typeof load !== "object" || Reflect.ownKeys(load).length > 0)) {
      throw new TypeError(`${where}: takes no options (its state is f32 only), got ${typeof load === "object" && load !== null ? Reflect.ownKeys(load).map(String).join(", ") : show(load)}`);
    }
    if (dict === null || typeof dict !== "object") throw new TypeError(`${where}: expected a state dict`);
    if (dict.optimizer !== "LBFGS") throw new TypeError(`${where}: the dict is from ${JSON.stringify(dict.optimizer)}, not LBFGS`);
    if (dict.format !== STATE_DICT_FORMAT) throw new RangeError(`${where}: unknown format ${String(dict.format)}`);
    const groups = dict.paramGroups;
    if (!Array.isArray(groups) || groups.length !== 1) throw new RangeError(`${where}: expected 1 param group`);
    const { params: ids, ...options } = groups[0]!;
    const count = this.#groups[0]!.params.length;
    if (!Array.isArray(ids) || ids.length !== count) throw new RangeError(`${where}: the dict has ${Array.isArray(ids) ? ids.length : "no"} params, this optimizer ${count}`);
    rejectUnknown(`${where}: param group 0`, options, RULES, []);
    const opts = { ...DEFAULTS, ...options } as LBFGSOptions;
    for (const key of Object.keys(RULES) as (keyof LBFGSOptions)[]) RULES[key](opts[key], key);
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
    // Nothing can fail below but allocation (which changes no value).
    const buf = this.#allocate(false);
    const need = 2 * k - this.#slots.length;
    for (let i = 0; i < need; i++) this.#slots.push(this.store.alloc(n));
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
  }

  /** Releases the optimizer (and the private store it made for foreign params, if any). */
  dispose(): void {
    this.#disposed = true;
    if (this.#ownsStore) this.store.dispose();
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
