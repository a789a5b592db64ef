// The registry optimizers (elementwise and per-tensor): construction (options, groups), addParamGroup, step,
// zeroGrad, configs, state save/load. What every optimizer class shares (LBFGS and Lookahead too: the store,
// backend, dispose, fromConfig, the state-dict envelope) is OptimizerBase (optimizer-base.ts). The parts live
// beside it: option rules (options.ts), memory layout of groups (layout.ts), the step plan (plan.ts), state dicts
// (state-dict.ts). Each optimizer file only supplies an OptimizerSpec (spec.ts).
import { boolean, checkBackend, invalid, located, rejectUnknown } from "./options.js";
import { checkOptionsArgument, checkParamMemory, groupInputs, parseGroup } from "./params.js";
import { buildRuns, ensureBuffers, type GroupLayout, layoutGroup, segmentBytes, type Slot, slotStates } from "./layout.js";
import { dtypeOf, f32OnlyMessage } from "./lowp.js";
import { checkNormType } from "./norms.js";
import { GroupRecord, OptionTable, ownArrays } from "./option-table.js";
import { type PlannedGroup, prepareStep, type StepContext } from "./plan.js";
import { runStep } from "./execute.js";
import type { Transforms } from "./prepass.js";
import { storeBackend } from "./store-backends.js";
import { type Backend, deviceStore, type DeviceStore } from "./backend.js";
import type { Memory } from "./layout.js";
import { type AnyParam, isDeviceParam, type OptimizerSpec, type OptionsInput, type ParamGroup, type ParamGroupInput, type StateDtype } from "./spec.js";
import { applyLoad, loadGlobal, planLoad, saveGlobal, saveState, type StateDict } from "./state-dict.js";
import { GlobalState } from "./global.js";
import { checkClassName, OptimizerBase, resolveBackend } from "./optimizer-base.js";
import { defaults as initDefaults } from "../runtime/loader.js";
import type { BackendName } from "../runtime/types.js";
import { Param, ParamStore } from "../runtime/store.js";

export type { AnyParam, DeviceParam, ForeignParam, OptimizerSpec, OptionsInput, ParamGroup, ParamGroupInput, ParamLike, SharedOptions, StateDtype } from "./spec.js";
export { isFloat32Array, STATE_DICT_FORMAT, type StateDict } from "./state-dict.js";

/**
 * Options of every optimizer besides its own (`<Name>Options`): backend, verification and the fused gradient
 * transforms.
 */
export interface OptimizerOptions {
  /** Backend for this optimizer: "auto" (default) = the one init() chose, or "webgpu" for GpuParamStore params (their only backend). */
  backend?: "auto" | BackendName | "webgpu";
  /** Check every step against the pure-TS reference; throw (and restore) on the first bit difference. */
  verify?: boolean;
  /** The class a config is from (getConfig() writes it); construction checks that it names this class. */
  className?: string;
  /**
   * Clip the global norm of all gradients (every group) to this before each step, like calling
   * `clipGradNorm(params, maxGradNorm, { normType })` first, with the same numbers, but fused: the
   * gradients are read once more and never rewritten (the factor goes into the step's gradient prologue).
   * Infinity clips nothing (torch's clip_grad_norm_(max_norm=inf)); getConfig() writes it "Infinity".
   */
  maxGradNorm?: number | "Infinity";
  /** The norm `maxGradNorm` clips: 2 (default), 1, Infinity (or "Infinity", as getConfig() writes it) or any p > 0. */
  normType?: number | "Infinity";
  /**
   * Skip a step whose gradients hold NaN or ±Infinity: no param, no state and no step count changes, and
   * `skippedSteps` counts it. Detected in the same read-only pre-pass as the norm.
   */
  skipNonFinite?: boolean;
  /**
   * Clamp every gradient element to [-clipValue, clipValue] before each step, like calling
   * `clipGradValue(params, clipValue)` first, with the same bits, but fused into the step's gradient prologue
   * (no extra pass; the grads are never rewritten). Order in the prologue: the step's `gradScale` (GradScaler's
   * unscaling, 1/k) and maxGradNorm's factor first, then this clamp (torch: unscale_, clip, step), then
   * maximize and weight decay. Infinity clamps nothing; getConfig() writes it "Infinity".
   */
  clipValue?: number | "Infinity";
}

/**
 * The transform options as getConfig() writes them: JSON has no Infinity (JSON.stringify writes null), so a
 * transform option that is Infinity, meaningful for all three, is the string "Infinity", which the constructor
 * reads back.
 */
export interface TransformsConfig {
  /** OptimizerOptions.maxGradNorm. */
  maxGradNorm?: number | "Infinity";
  /** OptimizerOptions.normType. */
  normType?: number | "Infinity";
  /** OptimizerOptions.skipNonFinite. */
  skipNonFinite?: boolean;
  /** OptimizerOptions.clipValue. */
  clipValue?: number | "Infinity";
}

/** A transform option from a config: "Infinity" is Infinity. */
const fromConfig = <T>(v: T): Exclude<T, "Infinity"> | number => (v === "Infinity" ? Infinity : v as Exclude<T, "Infinity">);
/** A transform option for a config (see TransformsConfig). */
const toConfig = (v: number): number | "Infinity" => (v === Infinity ? "Infinity" : v);

/** Options of one step() call. */
export interface StepOptions {
  /**
   * Multiplies every gradient by this in the step's gradient prologue, without rewriting the grads: 1/k to
   * average k accumulated micro-batches, 1/scale to unscale a loss-scaled backward (GradScaler does).
   */
  gradScale?: number;
}

/**
 * Work that follows every step that changed the params (AveragedParams with `{ optimizer }`): `check` runs in
 * the step's first phase with everything else that can fail, `run` after the kernels.
 */
export interface StepEpilogue { check(): void; run(): void }

/** What an optimizer is constructed over: params, param groups, a whole store, or one param. */
export type ParamsInput<O> = Iterable<AnyParam> | Iterable<ParamGroupInput<O>> | ParamStore | AnyParam;

/** Options of the whole optimizer besides the spec's (`className` is accepted but never listed: getConfig() writes it). */
const EXTRA_OPTIONS = ["backend", "verify", "maxGradNorm", "normType", "skipNonFinite", "clipValue"];
const HIDDEN_OPTIONS = ["className"];

/**
 * The base of every registry optimizer (Adam, SGD, ...): construction from params or param groups, `step()`,
 * `zeroGrad()`, param groups, state dicts and configs, each with PyTorch's semantics. Construct a subclass, never
 * this.
 */
export abstract class Optimizer<O extends object> extends OptimizerBase<StateDict, LoadOptions> {
  /** The options groups inherit when they don't set their own. */
  readonly defaults: O;
  /** The backend this optimizer runs on: the `backend` option's (or init()'s choice), or "webgpu" for params of a GpuParamStore. */
  readonly backend: BackendName | "webgpu";
  /** Whether every step is checked against the pure-TS reference (the `verify` option, else init()'s). */
  readonly verify: boolean;
  /** The store holding the params and the state buffers this optimizer steps: a ParamStore, or the GpuParamStore of GPU params. */
  readonly store: Memory;
  readonly #spec: OptimizerSpec<O>;
  readonly #options: OptionTable<O>;
  readonly #planned: PlannedGroup<O>[] = [];
  #backendImpl: Backend | undefined;
  readonly #foreign: Slot[] = [];
  #groups: readonly ParamGroup<O>[] = Object.freeze([]);
  #context: StepContext<O>;
  readonly #transforms: Transforms;
  #skipped = 0;
  #epilogues: StepEpilogue[] = [];
  /** The global scalars (specs with `global`: Prodigy's d), set from the first group at construction. */
  readonly #global: GlobalState | undefined;

  protected constructor(spec: OptimizerSpec<O>, params: ParamsInput<O>, options: OptionsInput<O> & OptimizerOptions = {}) {
    super(spec.name);
    this.#spec = spec;
    this.#options = new OptionTable(spec);
    checkOptionsArgument(spec.name, options, Object.hasOwn(spec.rules, "lr") ? "lr" : undefined);
    rejectStateDtype(spec, options);
    rejectUnknown(spec.name, options, spec.rules, EXTRA_OPTIONS, HIDDEN_OPTIONS);
    const { backend = "auto", verify, className, maxGradNorm: maxIn, normType: normIn = 2, skipNonFinite = false, clipValue: clipIn, ...hyper } = options;
    const maxGradNorm = fromConfig(maxIn), normType = fromConfig(normIn), clipValue = fromConfig(clipIn);
    if (maxGradNorm !== undefined && (typeof maxGradNorm !== "number" || !(maxGradNorm >= 0))) invalid(spec.name, "maxGradNorm", maxGradNorm, "a number >= 0");
    if (clipValue !== undefined && (typeof clipValue !== "number" || !(clipValue >= 0))) invalid(spec.name, "clipValue", clipValue, "a number >= 0");
    checkNormType(normType, spec.name);
    boolean(spec.name, "skipNonFinite", skipNonFinite);
    checkClassName(spec.name, className);
    const defaults = ownArrays({ ...spec.defaults, ...hyper }) as O;
    try {
      this.#options.validate(defaults);
    } catch (e) {
      throw located(spec.name, e);
    }
    if (backend !== "webgpu") checkBackend(spec.name, backend); // "webgpu" is checked against the params below
    if (verify !== undefined) boolean(spec.name, "verify", verify);
    this.verify = verify ?? defaultVerify();
    this.defaults = defaults;
    this.#transforms = Object.freeze({ maxGradNorm, normType, skipNonFinite, clipValue });

    // Normalise and validate every group before allocating anything.
    const groups = (groupInputs(spec.name, params) as ParamGroupInput<O>[]).map((g, gi) => this.#normaliseGroup(g, gi));
    checkParamMemory(spec.name, groups.map((g) => g.params));
    const device = deviceOf(spec.name, groups.map((g) => g.params), this.#transforms, backend);
    this.store = device ?? this.storeOf(groups.map((g) => g.params));
    // Device params need no Wasm: the backend is their store's, init() or not.
    this.backend = device ? device.deviceKind : resolveBackend(spec.name, backend);
    if (spec.global) {
      this.#global = new GlobalState(spec.global);
      spec.global.init(this.#global.values, groups[0]!);
    }
    this.#context = this.#makeContext();
    for (const g of groups) this.#addGroup(g);
  }

  /**
   * Param groups: `params` plus every option. Edit options in place (a scheduler sets `lr`): the next step()
   * checks them. The list and each group's `params` are frozen and groups are sealed (a typo such as
   * `group.learning_rate = 5` throws in strict code, and so does deleting an option): add groups with addParamGroup.
   */
  get paramGroups(): readonly ParamGroup<O>[] {
    return this.#groups;
  }

  #makeContext(): StepContext<O> {
    return {
      spec: this.#spec, options: this.#options, store: this.store, backend: this.#runner(), groups: this.#groups,
      planned: this.#planned, foreign: this.#foreign, transforms: this.#transforms, decision: { skip: false, gradScale: 1 },
      global: this.#global,
    };
  }

  #normaliseGroup(g: ParamGroupInput<O>, gi: number): ParamGroup<O> {
    const where = `${this.#spec.name}: param group ${gi}`;
    const { params, own } = parseGroup(where, g, this.#spec.rules, (g) => {
      rejectStateDtype(this.#spec, g);
      const whole = Object.keys(g).find((k) => EXTRA_OPTIONS.includes(k) || HIDDEN_OPTIONS.includes(k));
      if (whole !== undefined) {
        throw new TypeError(`${where}: "${whole}" is an option of the whole optimizer, not of a group (pass it in the options, the second argument)`);
      }
    });
    const group = ownArrays(Object.assign(new GroupRecord(), this.defaults, own)) as Record<string, unknown>;
    try {
      this.#options.validate(group as O);
    } catch (e) {
      throw located(where, e);
    }
    Object.defineProperty(group, "params", { value: Object.freeze(params), enumerable: true, writable: false, configurable: false });
    return Object.seal(group) as ParamGroup<O>;
  }

  /** Adds a param group (PyTorch's add_param_group): options not given are taken from `defaults`. */
  addParamGroup(group: ParamGroupInput<O>): void {
    this.assertUsable();
    const g = this.#normaliseGroup(group, this.#groups.length);
    checkParamMemory(this.#spec.name, [...this.#groups.map((x) => x.params), g.params]);
    for (const p of g.params as readonly AnyParam[]) {
      if ((p instanceof Param || isDeviceParam(p)) && p.store !== this.store) throw new Error(`${this.#spec.name}: params come from a different store`);
      if (deviceStore(this.store) && !isDeviceParam(p)) throw new Error(`${this.#spec.name}: a group of host params added to an optimizer of device params (one store per optimizer)`);
    }
    this.#addGroup(g);
  }

  #addGroup(group: ParamGroup<O>): void {
    const nb = this.#spec.buffers.length;
    const layout = layoutGroup(this.store, this.#spec, group.params, dtypeOf(group));
    for (const s of layout.slots) if (s.foreign) this.#foreign.push(s);
    this.#build(layout, layout.slots.map(() => 0), layout.slots.map(() => new Array<boolean>(nb).fill(false)));
    const rebuild = () => {
      const { steps, ready } = slotStates(layout);
      this.#build(layout, steps, ready);
    };
    this.#planned.push({ layout, validated: this.#options.snapshot(group), change: 0, unplanned: true, rebuild });
    this.#groups = Object.freeze([...this.#groups, group]);
    this.#context = this.#makeContext();
    if (this.#spec.eager) {
      ensureBuffers(this.store, this.#spec, layout, group);
      for (const r of layout.runs) r.ready.fill(true);
    }
  }

  #build(layout: GroupLayout, steps: readonly number[], ready: readonly boolean[][]): void {
    buildRuns(layout, steps, ready, this.#spec, this.#runner());
  }

  /** What executes this optimizer's launches (core/backend), made on first use. */
  #runner(): Backend {
    const dev = deviceStore(this.store);
    return (this.#backendImpl ??= dev ? dev.backend(this.#spec.name, this.verify) : storeBackend(this.store as ParamStore, this.backend as BackendName, this.verify));
  }

  /**
   * Performs one optimization step over every group. Everything is checked (edited options, foreign arrays,
   * state allocation) before the first kernel runs: a step that throws has changed no param and no state.
   */
  step(options?: StepOptions): void {
    this.assertUsable();
    let gradScale = 1;
    if (options !== undefined) {
      if (options === null || typeof options !== "object") throw new TypeError(`${this.#spec.name}.step: options must be an object`);
      rejectUnknown(`${this.#spec.name}.step`, options, {}, ["gradScale"]);
      gradScale = options.gradScale ?? 1;
      // The kernels multiply by f32(gradScale): 1e39 is finite here but Infinity there (every gradient ±Inf or NaN).
      if (typeof gradScale !== "number" || !Number.isFinite(Math.fround(gradScale))) {
        throw new RangeError(`${this.#spec.name}.step: invalid gradScale ${String(gradScale)} (expected a number that is finite in f32, |gradScale| at most about 3.4e38)`);
      }
    }
    this.store.assertThreads();
    const epilogues = this.#epilogues;
    for (let i = 0; i < epilogues.length; i++) epilogues[i]!.check();
    const decision = prepareStep(this.#context, gradScale);
    if (decision.skip) {
      this.#skipped++;
      return;
    }
    runStep(this.#context, decision.gradScale);
    for (let i = 0; i < epilogues.length; i++) epilogues[i]!.run();
  }

  /**
   * @internal Runs `e` after every step that changes the params (not after skipped ones); returns the function
   * that removes it. AveragedParams uses it for `{ optimizer }`.
   */
  _addEpilogue(e: StepEpilogue): () => void {
    this.assertUsable();
    this.#epilogues = [...this.#epilogues, e];
    return () => { this.#epilogues = this.#epilogues.filter((x) => x !== e); };
  }

  /** @internal What executes this optimizer's launches: gradstep/webgpu's toolkit reaches its device buffers through it. */
  _backend(): Backend {
    this.assertUsable();
    return this.#runner();
  }

  /** Steps skipped because their gradients were not finite (skipNonFinite). */
  get skippedSteps(): number {
    return this.#skipped;
  }

  /** Whether step() skips steps with non-finite gradients (and the clipping it does), as configured. */
  get transforms(): Transforms {
    return this.#transforms;
  }

  /** Sets every gradient to zero (PyTorch's zero_grad(set_to_none=False)). */
  zeroGrad(): void {
    this.assertUsable();
    const dev = deviceStore(this.store);
    for (const p of this.#planned) {
      for (const seg of p.layout.segments) {
        if (dev) dev.fill(seg.gradPtr, seg.n, 0);
        else (this.store as ParamStore).f32.fill(0, seg.gradPtr / 4, seg.gradPtr / 4 + seg.n);
      }
    }
    for (const s of this.#foreign) s.src.grad.fill(0);
  }

  /**
   * The options, as given to the constructor with defaults filled in, and `className`: a copy, JSON-safe
   * (for logging and fromConfig).
   */
  getConfig(): O & {
    /** The class the config is from: fromConfig() checks it. */
    className: string;
  } & TransformsConfig {
    const t = this.#transforms;
    return {
      ...structuredClone(this.defaults), className: this.#spec.name,
      ...(t.maxGradNorm !== undefined ? { maxGradNorm: toConfig(t.maxGradNorm), normType: toConfig(t.normType) } : {}),
      ...(t.skipNonFinite ? { skipNonFinite: true } : {}),
      ...(t.clipValue !== undefined ? { clipValue: toConfig(t.clipValue) } : {}),
    };
  }

  /**
   * The optimizer's state: PyTorch's layout (`state` keyed by param index across groups, `paramGroups` with
   * options and param indices) and state names (`step`, `exp_avg`, ...). Buffers are copies. It survives
   * structuredClone as is, and JSON too (buffers come back as index-keyed objects, which loadStateDict accepts,
   * as long as they hold no NaN or ±Infinity; checkpoints keep everything).
   */
  stateDict(): StateDict {
    this.assertUsable();
    const dict = saveState(this.#spec, this.#planned.map((p) => p.layout), this.#groups, this.store);
    if (this.#global) dict.global = saveGlobal(this.#spec.global!.state, this.#global.values);
    return dict;
  }

  /**
   * stateDict() for every store: over device params (GpuParamStore) the state is read back from the device first
   * (after every step queued before the call); over a ParamStore it is stateDict() itself.
   */
  async stateDictAsync(): Promise<StateDict> {
    this.assertUsable();
    const dev = deviceStore(this.store);
    if (!dev) return this.stateDict();
    await dev.download(this.#planned.flatMap((p) => p.layout.segments.flatMap((s) => s.buffers.filter((b) => b !== 0))));
    try {
      return this.stateDict();
    } finally {
      dev.closeHost(false);
    }
  }

  /** loadStateDict() (a device store's state is uploaded: nothing to wait for); for symmetry with stateDictAsync. */
  async loadStateDictAsync(dict: StateDict, options?: LoadOptions): Promise<void> {
    this.loadStateDict(dict, options);
  }

  /** The same count and lengths of params, group by group; `options.stateDtype` converts the state. */
  protected planLoad(dict: StateDict, options: LoadOptions | undefined): () => void {
    const spec = this.#spec;
    if (options !== undefined) {
      if (options === null || typeof options !== "object") throw new TypeError(`${spec.name}.loadStateDict: options must be an object`);
      rejectUnknown(`${spec.name}.loadStateDict`, options, {}, ["stateDtype"]);
    }
    const layouts = this.#planned.map((p) => p.layout);
    const plans = planLoad(spec, layouts, this.#groups, dict, (o) => this.#options.validate(o), this.defaults, options);
    const global = spec.global && loadGlobal(spec.name, spec.global.state, dict);
    // Allocation can still fail (out of memory); it changes no value. Then nothing can fail.
    const names = spec.buffers.map((b) => b.name);
    plans.forEach((plan, gi) => {
      const present = new Set(plan.ready.flatMap((r) => names.filter((_, i) => r[i])));
      ensureBuffers(this.store, spec, layouts[gi]!, plan.o, present, false);
    });
    const dev = deviceStore(this.store);
    return () => {
      // A device store's state is written through zeroed host copies (applyLoad writes every byte of every
      // buffer it touches), then uploaded.
      dev?.openHost();
      plans.forEach((plan, gi) => {
        if (global && gi === 0) this.#global!.values.set(global);
        Object.assign(this.#groups[gi]!, plan.options);
        this.#options.commit(this.#groups[gi]!, this.#planned[gi]!.validated);
        applyLoad(spec, layouts[gi]!, plan, this.store);
        this.#build(layouts[gi]!, plan.steps, plan.ready);
      });
      dev?.closeHost(true);
    };
  }

  /**
   * Bytes of optimizer state this optimizer has allocated (every state buffer of every group, in its stored
   * form; int8 counts its per-block absmax). `store.bytesUsed` counts the whole store.
   */
  get stateBytes(): number {
    let bytes = 0;
    for (const p of this.#planned) {
      for (const seg of p.layout.segments) for (const b of seg.buffers) if (b) bytes += segmentBytes(p.layout.dtype, seg);
    }
    return bytes;
  }

  /** @internal Each run of group gi: its launch's byte offsets (param, state buffers..., grad), length and ready flags. */
  _runs(gi: number): { offsets: ArrayLike<number>; n: number; ready: readonly boolean[] }[] {
    return this.#planned[gi]!.layout.runs.map((r) => ({ offsets: r.launch.offsets, n: r.n, ready: r.ready }));
  }

  /** @internal Per slot of group gi: steps and ready flags (tests). */
  _slotStates(gi: number): ReturnType<typeof slotStates> {
    return slotStates(this.#planned[gi]!.layout);
  }
}

/** Options of loadStateDict(). */
export interface LoadOptions {
  /**
   * Convert the saved state to this dtype (and set every group's `stateDtype` to it); by default the state
   * keeps the dtype it was saved in. f32 → bf16 rounds to nearest even; → int8 quantizes per block of 256.
   */
  stateDtype?: StateDtype;
}

/**
 * The device store of `lists` (every group's params) when they are a device store's params, checked: all of
 * one device store, and no transform the device pre-pass lacks; undefined for host params.
 */
function deviceOf(name: string, lists: readonly (readonly AnyParam[])[], t: Transforms, backend: unknown): DeviceStore | undefined {
  const all = lists.flat();
  const devices = all.filter(isDeviceParam);
  if (devices.length === 0) return undefined;
  if (devices.length !== all.length) throw new TypeError(`${name}: a mix of device params (GpuParamStore) and host params (one store per optimizer)`);
  const stores = new Set(devices.map((p) => p.store));
  if (stores.size > 1) throw new Error(`${name}: params come from ${stores.size} different stores (use one store per optimizer)`);
  const store = deviceStore(devices[0]!.store)!;
  if (store.disposed) throw new Error(`${name}: the params' ${store.deviceKind} store has been disposed`);
  if (backend !== "auto" && backend !== store.deviceKind) {
    throw new TypeError(`${name}: backend "${String(backend)}" cannot step ${store.deviceKind} params (leave backend "auto")`);
  }
  if (t.maxGradNorm !== undefined && t.normType !== 2 && t.normType !== 1 && t.normType !== Infinity) {
    throw new TypeError(`${name}: maxGradNorm with normType ${t.normType} is not supported on ${store.deviceKind} yet (normType 1, 2 or Infinity)`);
  }
  return store;
}

/** A clear error for `stateDtype` on an optimizer whose state is f32 only. */
function rejectStateDtype<O>(spec: OptimizerSpec<O>, o: object): void {
  if (!spec.lowp && Object.hasOwn(o, "stateDtype")) {
    throw new TypeError(f32OnlyMessage(spec as OptimizerSpec<unknown>));
  }
}

function defaultVerify(): boolean {
  try {
    return initDefaults().verify;
  } catch {
    return false;
  }
}
