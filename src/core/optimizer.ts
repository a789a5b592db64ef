// The machinery every optimizer shares: param groups, validation, state allocation, one kernel call per
// contiguous run, backends (simd / scalar / js reference), verify mode, the copy path for foreign arrays,
// and stateDict/loadStateDict. Each optimizer file only supplies an OptimizerSpec (options, state buffers,
// step scalars, kernel call).
import { type Rules, rejectUnknown, validate } from "./options.js";
import { KERNEL_SIGNATURES, type KernelFn, type KernelName } from "./abi.js";
import { type BackendName, defaults as initDefaults } from "../runtime/loader.js";
import { REFERENCE } from "../optim/reference.js";
import { Param, ParamStore } from "../runtime/store.js";

/** A param whose arrays live outside any store: copied in before and out after every step (slower). */
export interface ForeignParam { value: Float32Array; grad: Float32Array }
export type ParamLike = Param | ForeignParam;
export type ParamGroup<O> = O & { params: ParamLike[] };
export type ParamGroupInput<O> = Partial<O> & { params: Iterable<ParamLike> };

export interface OptimizerOptions {
  /** Backend for this optimizer: "auto" (default) = the one init() chose. */
  backend?: "auto" | BackendName;
  /** Check every step against the pure-TS reference; throw (and restore) on the first bit difference. */
  verify?: boolean;
}

/** A state buffer: PyTorch's name, when it is needed, what it starts as. */
export interface BufferSpec<O> {
  readonly name: string;
  needed(o: O): boolean;
  fill?(o: O): number;
}

/** A contiguous range of params (of one segment) that one kernel call updates. */
export interface Run {
  /** Byte pointers in kernel order: param, state buffers (0 = none), grad. */
  readonly ptrs: number[];
  readonly n: number;
  /** Steps already taken (PyTorch's state["step"]); the next step uses t = step + 1. */
  step: number;
  /** Per state buffer: holds state (PyTorch would have it in the state dict). */
  readonly ready: boolean[];
  readonly seg: Segment;
  readonly first: number; // index of the first slot in seg.slots
  readonly count: number;
  readonly offset: number; // elements from the segment start
  /** The kernel for this run's size (threaded only for runs over the store's thread gate). */
  readonly kernel: KernelFn;
}

export interface OptimizerSpec<O> {
  readonly name: string;
  readonly defaults: O;
  readonly rules: Rules<O>;
  /** Checks across options, after the per-option rules. */
  check?(o: O): void;
  /**
   * Whether option sets `a` and `b` are equal: every option compared by name (arrays element-wise). step()
   * calls it on every call to skip validation when no option changed, so it is written out per optimizer
   * (plain property loads: no allocation, a few ns) rather than looped over keys; test/errors.test.ts
   * checks that it sees a change to every option.
   */
  same(a: O, b: O): boolean;
  readonly kernel: KernelName;
  /** State buffers in the kernel's pointer order (between param and grad). */
  readonly buffers: readonly BufferSpec<O>[];
  /** PyTorch keeps state["step"]. */
  readonly hasStep: boolean;
  /** State is created at construction, as PyTorch's Adagrad does. */
  readonly eager?: boolean;
  /**
   * One kernel call for `run` with group options `o`, the same for every backend (Wasm, threaded, the pure-TS
   * reference). Step scalars (bias corrections, lr decay) are computed here, once per call, in f64, and go
   * from locals straight into the call: never through a reused object, whose fields V8 may box (a step must
   * allocate nothing on the JS heap).
   */
  launch(kernel: KernelFn, run: Run, o: O, gradScale: number): void;
}

interface Slot { src: ParamLike; param: Param; foreign: boolean; seg: Segment; index: number; offset: number }
interface Segment { slots: Slot[]; valuePtr: number; gradPtr: number; n: number; buffers: number[] }
interface GroupState<O> { segments: Segment[]; runs: Run[]; slots: Slot[]; validated?: O }

/** Saved optimizer state; structured-clone-able, PyTorch's state names. */
export interface StateDict {
  format: number;
  optimizer: string;
  state: Record<number, Record<string, number | Float32Array>>;
  paramGroups: Array<Record<string, unknown> & { params: number[] }>;
}

export const STATE_DICT_FORMAT = 1;
const EMPTY = new Float32Array(0);

/** A Float32Array, also one from another realm (an iframe, a vm context, a host's structuredClone). */
export function isFloat32Array(x: unknown): x is Float32Array {
  return ArrayBuffer.isView(x) && Object.prototype.toString.call(x) === "[object Float32Array]";
}

/** `o` with its array options (betas) copied: groups, defaults and the caller never share one to edit in place. */
function ownArrays<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (Array.isArray(o[k])) (o as Record<string, unknown>)[k] = [...(o[k] as unknown[])];
  return o;
}

function isForeign(p: unknown): p is ForeignParam {
  return p !== null && typeof p === "object" && "value" in p && "grad" in p;
}

export abstract class Optimizer<O extends object> {
  /** Param groups: `params` plus every option; edit options in place (e.g. a scheduler setting `lr`). */
  readonly paramGroups: ParamGroup<O>[] = [];
  /** The options groups inherit when they don't set their own. */
  readonly defaults: O;
  /** The backend this optimizer runs on. */
  readonly backend: BackendName;
  readonly verify: boolean;
  readonly store: ParamStore;
  readonly #spec: OptimizerSpec<O>;
  readonly #groups: GroupState<O>[] = [];
  readonly #ownsStore: boolean;
  readonly #foreign: Slot[] = [];
  readonly #changed: boolean[] = [];
  #disposed = false;

  protected constructor(spec: OptimizerSpec<O>, params: Iterable<ParamLike> | Iterable<ParamGroupInput<O>>,
      options: Partial<O> & OptimizerOptions = {}) {
    this.#spec = spec;
    if (options === null || typeof options !== "object") throw new TypeError(`${spec.name}: options must be an object`);
    rejectUnknown(spec.name, options, spec.rules, ["backend", "verify"]);
    const { backend = "auto", verify, ...hyper } = options;
    const defaults = ownArrays({ ...spec.defaults, ...hyper }) as O;
    validate(spec.rules, defaults);
    spec.check?.(defaults);
    if (!["auto", "simd", "scalar", "js"].includes(backend)) {
      throw new TypeError(`${spec.name}: invalid backend ${JSON.stringify(backend)} (expected auto, simd, scalar or js)`);
    }
    if (verify !== undefined && typeof verify !== "boolean") throw new TypeError(`${spec.name}: invalid verify ${String(verify)} (expected a boolean)`);
    this.backend = backend === "auto" ? initDefaults().backend : backend;
    this.verify = verify ?? defaultVerify();
    this.defaults = defaults;

    // Normalise and validate every group before allocating anything.
    const inputs = [...(params ?? [])] as unknown[];
    if (inputs.length === 0) throw new Error(`${spec.name}: got an empty parameter list`);
    const groupInputs = (inputs.every((g) => g !== null && typeof g === "object" && "params" in g)
      ? inputs : [{ params: inputs }]) as ParamGroupInput<O>[];
    const groups = groupInputs.map((g, gi) => this.#normaliseGroup(g, gi));
    const seen = new Set<ParamLike>();
    const stores = new Set<ParamStore>();
    for (const g of groups) {
      for (const p of g.params) {
        if (seen.has(p)) throw new Error(`${spec.name}: some parameters appear more than once (a param may be in only one group, once)`);
        seen.add(p);
        if (p instanceof Param) stores.add(p.store);
      }
    }
    if (stores.size > 1) throw new Error(`${spec.name}: params come from ${stores.size} different ParamStores (use one store per optimizer)`);
    const [shared] = stores;
    this.#ownsStore = shared === undefined;
    this.store = shared ?? new ParamStore();
    for (const g of groups) this.#addGroup(g);
  }

  #normaliseGroup(g: ParamGroupInput<O>, gi: number): ParamGroup<O> {
    const where = `${this.#spec.name} param group ${gi}`;
    rejectUnknown(where, g, this.#spec.rules, ["params"]);
    if (g.params === null || typeof g.params !== "object" || !(Symbol.iterator in g.params)) {
      throw new TypeError(`${where}: params must be an array of params`);
    }
    const params = [...g.params];
    params.forEach((p, i) => {
      if (p instanceof Param) {
        if (p.store.disposed) throw new Error(`${where}: param "${p.name}" belongs to a disposed ParamStore`);
      } else if (isForeign(p)) {
        if (!isFloat32Array(p.value) || !isFloat32Array(p.grad)) {
          throw new TypeError(`${where}: params[${i}].value and .grad must be Float32Arrays`);
        }
        if (p.value.length !== p.grad.length) {
          throw new RangeError(`${where}: params[${i}] has value length ${p.value.length} but grad length ${p.grad.length}`);
        }
      } else {
        throw new TypeError(`${where}: params[${i}] is not a param (expected a store Param or { value, grad } Float32Arrays)`);
      }
    });
    const { params: _ignored, ...own } = g;
    const group = { ...ownArrays({ ...this.defaults, ...own }), params } as ParamGroup<O>;
    validate(this.#spec.rules, group);
    this.#spec.check?.(group);
    return group;
  }

  /** Adds a param group (PyTorch's add_param_group): options not given are taken from `defaults`. */
  addParamGroup(group: ParamGroupInput<O>): void {
    this.#assertUsable();
    const g = this.#normaliseGroup(group, this.paramGroups.length);
    const known = new Set(this.paramGroups.flatMap((x) => x.params));
    for (const p of g.params) {
      if (known.has(p)) throw new Error(`${this.#spec.name}: some parameters appear in more than one parameter group`);
      if (p instanceof Param && p.store !== this.store) throw new Error(`${this.#spec.name}: params come from a different ParamStore`);
    }
    this.#addGroup(g);
  }

  #addGroup(group: ParamGroup<O>): void {
    const slots: Slot[] = [];
    const segments: Segment[] = [];
    let seg: Segment | undefined;
    const nb = this.#spec.buffers.length;
    for (const src of group.params) {
      const foreign = !(src instanceof Param);
      const param = foreign ? this.store.allocParam("(copy)", src.value.length) : src;
      if (!seg || param.valuePtr !== seg.valuePtr + 4 * seg.n || param.gradPtr !== seg.gradPtr + 4 * seg.n) {
        seg = { slots: [], valuePtr: param.valuePtr, gradPtr: param.gradPtr, n: 0, buffers: new Array<number>(nb).fill(0) };
        segments.push(seg);
      }
      const slot: Slot = { src, param, foreign, seg, index: seg.slots.length, offset: seg.n };
      seg.slots.push(slot);
      seg.n += param.length;
      slots.push(slot);
      if (foreign) this.#foreign.push(slot);
    }
    const state: GroupState<O> = { segments, runs: [], slots };
    this.#groups.push(state);
    this.paramGroups.push(group);
    this.#rebuildRuns(state, slots.map(() => 0), slots.map(() => new Array<boolean>(nb).fill(false)));
    if (this.#spec.eager) {
      this.#ensureBuffers(this.#groups.length - 1);
      for (const r of state.runs) r.ready.fill(true);
    }
  }

  /** Splits each segment into runs of slots with equal step and equal ready flags. */
  #rebuildRuns(g: GroupState<O>, steps: number[], ready: boolean[][]): void {
    g.runs = [];
    let k = 0;
    for (const seg of g.segments) {
      let start = 0;
      for (let i = 1; i <= seg.slots.length; i++) {
        const a = k + start, b = k + i;
        if (i < seg.slots.length && steps[a] === steps[b] && ready[a]!.every((x, j) => x === ready[b]![j])) continue;
        const first = seg.slots[start]!;
        const n = seg.slots.slice(start, i).reduce((s, x) => s + x.param.length, 0);
        g.runs.push({
          ptrs: [], n, step: steps[a]!, ready: ready[a]!.slice(), seg, first: start, count: i - start, offset: first.offset,
          kernel: this.#kernelFor(n),
        });
        start = i;
      }
      k += seg.slots.length;
    }
    for (const r of g.runs) this.#setPointers(r);
  }

  #setPointers(r: Run): void {
    const o = 4 * r.offset;
    r.ptrs.length = 0;
    r.ptrs.push(r.seg.valuePtr + o, ...r.seg.buffers.map((b) => (b ? b + o : 0)), r.seg.gradPtr + o);
  }

  /**
   * Allocates the state buffers that options `o` need (and those named in `extra`) for every segment of
   * group `gi`, filled with their start value. May throw (out of memory); it changes no existing value.
   */
  #ensureBuffers(gi: number, o: O = this.paramGroups[gi]!, extra: ReadonlySet<string> = new Set()): void {
    const g = this.#groups[gi]!;
    this.#spec.buffers.forEach((b, i) => {
      if (!b.needed(o) && !extra.has(b.name)) return;
      for (const seg of g.segments) {
        if (seg.buffers[i]) continue;
        const ptr = this.store.alloc(seg.n);
        const fill = b.fill?.(o) ?? 0;
        if (fill !== 0) this.store.f32.fill(fill, ptr / 4, ptr / 4 + seg.n);
        seg.buffers[i] = ptr;
        for (const r of g.runs) if (r.seg === seg) this.#setPointers(r);
      }
    });
  }

  /**
   * The kernel for a run of n floats: the backend's (the Wasm export, or split across the store's threads
   * when n reaches their gate; the pure-TS reference over views for "js"), checked against the reference
   * after every call with verify.
   */
  #kernelFor(n: number): KernelFn {
    const name = this.#spec.kernel;
    const store = this.store;
    const sig = KERNEL_SIGNATURES[name];
    const np = sig.pointers.length;
    const reference = REFERENCE[name];
    const fast: KernelFn = this.backend === "js"
      ? (...args) => {
        const f32 = store.f32;
        const a: unknown[] = args.slice();
        for (let i = 0; i < np; i++) a[i] = args[i] ? f32.subarray(args[i]! / 4, args[i]! / 4 + n) : EMPTY;
        reference(...a);
      }
      : store.kernel(this.backend, name, n);
    if (!this.verify) return fast;
    return (...args) => {
      const before = args.slice(0, np).map((p) => (p ? store.f32.slice(p / 4, p / 4 + n) : EMPTY));
      fast(...args);
      const expected = before.map((b) => b.slice());
      reference(...expected, ...args.slice(np));
      for (let i = 0; i < np - 1; i++) {
        const p = args[i]!;
        if (!p) continue;
        const got = new Uint32Array(store.buffer, p, n), want = new Uint32Array(expected[i]!.buffer, 0, n);
        for (let j = 0; j < n; j++) {
          if (got[j] === want[j] || (Number.isNaN(store.f32[p / 4 + j]) && Number.isNaN(expected[i]![j]))) continue;
          before.forEach((b, k) => { if (args[k] && k < np - 1) store.f32.set(b, args[k]! / 4); });
          throw new Error(`verify: ${this.backend} ${name} differs from the reference at ${sig.pointers[i]}[${j}]: ` +
            `${store.f32[p / 4 + j]} (0x${got[j]!.toString(16)}) vs ${expected[i]![j]} (0x${want[j]!.toString(16)}); the step was undone`);
        }
      }
    };
  }

  /** Whether dispose() was called on this optimizer (or its store was disposed): it can no longer step. */
  get disposed(): boolean {
    return this.#disposed || this.store.disposed;
  }

  #assertUsable(): void {
    if (this.#disposed) throw new Error(`${this.#spec.name} has been disposed`);
    if (this.store.disposed) throw new Error(`${this.#spec.name}: its ParamStore has been disposed`);
  }

  /**
   * Performs one optimization step over every group. Everything is validated (options, foreign arrays,
   * state allocation) before the first kernel runs: a step that throws has changed no param and no state.
   */
  step(): void {
    this.#assertUsable();
    this.store.assertThreads();
    const spec = this.#spec;
    for (let gi = 0; gi < this.paramGroups.length; gi++) {
      const g = this.paramGroups[gi]!;
      if (g.params.length !== this.#groups[gi]!.slots.length) {
        throw new Error(`${spec.name}: param group ${gi} changed its params after construction (use addParamGroup)`);
      }
      this.#changed[gi] = !this.#unchanged(gi);
      if (!this.#changed[gi]) continue;
      validate(spec.rules, g);
      spec.check?.(g);
    }
    // Indexed loops on the per-step path: no iterator objects, so a step allocates nothing on the JS heap.
    const foreign = this.#foreign;
    for (let i = 0; i < foreign.length; i++) {
      const s = foreign[i]!;
      const { value, grad } = s.src;
      if (!isFloat32Array(value) || !isFloat32Array(grad)) {
        throw new TypeError(`${spec.name}: a foreign param's value and grad must stay Float32Arrays`);
      }
      if (value.length !== s.param.length || grad.length !== s.param.length) {
        throw new RangeError(`${spec.name}: a foreign param changed length (value ${value.length}, grad ${grad.length}, expected ${s.param.length})`);
      }
    }
    for (let gi = 0; gi < this.#groups.length; gi++) {
      if (!this.#changed[gi]) continue;
      this.#ensureBuffers(gi);
      this.#snapshot(gi);
    }

    for (let i = 0; i < foreign.length; i++) {
      foreign[i]!.param.value.set(foreign[i]!.src.value);
      foreign[i]!.param.grad.set(foreign[i]!.src.grad);
    }
    const nb = spec.buffers.length;
    for (let gi = 0; gi < this.#groups.length; gi++) {
      const o = this.paramGroups[gi]!;
      const runs = this.#groups[gi]!.runs;
      for (let ri = 0; ri < runs.length; ri++) {
        const r = runs[ri]!;
        spec.launch(r.kernel, r, o, 1);
        r.step++;
        for (let i = 0; i < nb; i++) if (r.seg.buffers[i] && spec.buffers[i]!.needed(o)) r.ready[i] = true;
      }
    }
    for (let i = 0; i < foreign.length; i++) foreign[i]!.src.value.set(foreign[i]!.param.value);
  }

  /**
   * Whether group gi's options are those last validated (and its state allocated for): then step() skips
   * validation, which keeps the fixed cost of a step small.
   */
  #unchanged(gi: number): boolean {
    const snap = this.#groups[gi]!.validated;
    return snap !== undefined && this.#spec.same(this.paramGroups[gi]!, snap);
  }

  /** Remembers group gi's options as validated; arrays (betas) are copied, a scheduler may edit them in place. */
  #snapshot(gi: number): void {
    this.#groups[gi]!.validated = ownArrays({ ...this.paramGroups[gi]! } as Record<string, unknown>) as O;
  }

  /** Sets every gradient to zero (PyTorch's zero_grad(set_to_none=False)). */
  zeroGrad(): void {
    this.#assertUsable();
    const f32 = this.store.f32;
    for (const g of this.#groups) for (const seg of g.segments) f32.fill(0, seg.gradPtr / 4, seg.gradPtr / 4 + seg.n);
    for (const s of this.#foreign) s.src.grad.fill(0);
  }

  /** The options, as given to the constructor with defaults filled in: a copy, JSON-safe (for logging and fromConfig). */
  getConfig(): O {
    return structuredClone(this.defaults);
  }

  /**
   * An optimizer of this class over `params`, configured by a config saved with getConfig() (validated like
   * constructor options). Example: `const opt = Adam.fromConfig(store.params, JSON.parse(saved))`.
   */
  static fromConfig<P, C, T>(this: new (params: P, options?: C) => T, params: P, config: C): T {
    return new this(params, config);
  }

  /**
   * The optimizer's state: PyTorch's layout (`state` keyed by param index across groups, `paramGroups` with
   * options and param indices) and state names (`step`, `exp_avg`, ...). Buffers are copies.
   */
  stateDict(): StateDict {
    this.#assertUsable();
    const spec = this.#spec;
    const state: StateDict["state"] = {};
    const paramGroups: StateDict["paramGroups"] = [];
    let id = 0;
    this.#groups.forEach((g, gi) => {
      const ids: number[] = [];
      for (const r of g.runs) {
        for (let k = 0; k < r.count; k++) {
          const slot = r.seg.slots[r.first + k]!;
          const entry: Record<string, number | Float32Array> = {};
          spec.buffers.forEach((b, i) => {
            if (r.ready[i] && r.seg.buffers[i]) {
              const at = (r.seg.buffers[i]! + 4 * slot.offset) / 4;
              entry[b.name] = this.store.f32.slice(at, at + slot.param.length);
            }
          });
          const has = Object.keys(entry).length > 0;
          if (spec.hasStep && (has || r.step > 0)) entry.step = r.step;
          if (Object.keys(entry).length > 0) state[id] = entry;
          ids.push(id++);
        }
      }
      const { params: _p, ...options } = this.paramGroups[gi]!;
      paramGroups.push({ ...structuredClone(options), params: ids });
    });
    return { format: STATE_DICT_FORMAT, optimizer: spec.name, state, paramGroups };
  }

  /**
   * Restores state saved by stateDict() of the same optimizer class over the same params (the same count
   * and lengths, group by group). Everything is checked first: a dict that does not fit throws and changes
   * nothing. Resuming is bit-exact.
   */
  loadStateDict(dict: StateDict): void {
    this.#assertUsable();
    const spec = this.#spec;
    const bad = (msg: string) => new Error(`${spec.name}.loadStateDict: ${msg}`);
    if (dict === null || typeof dict !== "object") throw bad("expected a state dict object");
    if (dict.format !== STATE_DICT_FORMAT) throw bad(`unsupported format ${String(dict.format)} (expected ${STATE_DICT_FORMAT})`);
    if (dict.optimizer !== spec.name) throw bad(`the state dict is from ${String(dict.optimizer)}, not ${spec.name}`);
    if (!Array.isArray(dict.paramGroups) || dict.paramGroups.length !== this.paramGroups.length) {
      throw bad(`the state dict has ${Array.isArray(dict.paramGroups) ? dict.paramGroups.length : "no"} param groups, this optimizer has ${this.paramGroups.length}`);
    }
    if (dict.state === null || typeof dict.state !== "object") throw bad("missing state");
    const names = spec.buffers.map((b) => b.name);
    const used = new Set<string>();
    const plans = this.paramGroups.map((group, gi) => {
      const saved = dict.paramGroups[gi]!;
      const g = this.#groups[gi]!;
      if (saved === null || typeof saved !== "object") throw bad(`param group ${gi} is not an object`);
      if (!Array.isArray(saved.params) || saved.params.length !== g.slots.length) {
        throw bad(`param group ${gi} has ${Array.isArray(saved.params) ? saved.params.length : "no"} params, this optimizer has ${g.slots.length}`);
      }
      const options: Record<string, unknown> = {};
      for (const key of Object.keys(spec.rules)) {
        if (!(key in saved)) throw bad(`param group ${gi} is missing "${key}"`);
        options[key] = structuredClone(saved[key]);
      }
      rejectUnknown(`${spec.name}.loadStateDict: param group ${gi}`, saved, spec.rules, ["params"]);
      const o = { ...group, ...options } as ParamGroup<O>;
      validate(spec.rules, o);
      spec.check?.(o);
      const steps: number[] = [], ready: boolean[][] = [], data: (Float32Array | undefined)[][] = [];
      g.slots.forEach((slot, k) => {
        const id = saved.params[k]!;
        if (!Number.isSafeInteger(id) || used.has(String(id))) throw bad(`param group ${gi} has an invalid or repeated param id ${String(id)}`);
        used.add(String(id));
        const entry = (dict.state as Record<string, Record<string, unknown>>)[id];
        if (entry !== undefined && (entry === null || typeof entry !== "object")) throw bad(`state of param ${id} is not an object`);
        for (const key of Object.keys(entry ?? {})) {
          if (!names.includes(key) && !(spec.hasStep && key === "step")) throw bad(`state of param ${id} has an unknown key "${key}"`);
        }
        const step = entry?.step ?? 0;
        if (spec.hasStep && entry && !("step" in entry)) throw bad(`state of param ${id} is missing "step"`);
        if (!Number.isSafeInteger(step) || (step as number) < 0) throw bad(`state of param ${id} has an invalid step ${String(step)}`);
        const row = spec.buffers.map((b) => {
          const v = entry?.[b.name];
          const required = spec.eager || (spec.hasStep && (step as number) > 0);
          if (v === undefined) {
            if (required && b.needed(o)) throw bad(`state of param ${id} is missing "${b.name}"`);
            return undefined;
          }
          if (!isFloat32Array(v) && !(Array.isArray(v) && v.every((x) => typeof x === "number"))) {
            throw bad(`state of param ${id}: "${b.name}" must be a Float32Array`);
          }
          if (v.length !== slot.param.length) {
            throw bad(`state of param ${id}: "${b.name}" has length ${v.length}, the param has ${slot.param.length}`);
          }
          return isFloat32Array(v) ? v : Float32Array.from(v as number[]);
        });
        if (spec.eager && entry === undefined) throw bad(`state of param ${id} is missing`);
        steps.push(step as number);
        ready.push(row.map((v) => v !== undefined));
        data.push(row);
      });
      return { o, options, steps, ready, data };
    });
    const known = new Set(Object.keys(dict.state));
    for (const id of used) known.delete(id);
    if (known.size > 0) throw bad(`state for unknown param ids ${[...known].join(", ")}`);

    // Allocation can still fail (out of memory); it changes no value. Then nothing can fail.
    plans.forEach((plan, gi) => {
      const present = new Set(plan.ready.flatMap((r) => names.filter((_, i) => r[i])));
      this.#ensureBuffers(gi, plan.o, present);
    });
    plans.forEach((plan, gi) => {
      Object.assign(this.paramGroups[gi]!, plan.options);
      const g = this.#groups[gi]!;
      const f32 = this.store.f32;
      g.slots.forEach((slot, k) => {
        spec.buffers.forEach((b, i) => {
          const ptr = slot.seg.buffers[i];
          if (!ptr) return;
          const at = (ptr + 4 * slot.offset) / 4;
          const v = plan.data[k]![i];
          if (v) f32.set(v, at);
          else f32.fill(b.fill?.(plan.o) ?? 0, at, at + slot.param.length);
        });
      });
      this.#rebuildRuns(g, plan.steps, plan.ready);
    });
  }

  /** Releases the optimizer (and the private store it made for foreign params, if any). */
  dispose(): void {
    this.#disposed = true;
    if (this.#ownsStore) this.store.dispose();
  }
}

function defaultVerify(): boolean {
  try {
    return initDefaults().verify;
  } catch {
    return false;
  }
}
