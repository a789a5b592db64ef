// Running averages of the params: the EMA of get_ema_multi_avg_fn and the SWA equal average of AveragedModel
// (torch.optim.swa_utils, use_buffers=False), as one SIMD read-modify-write pass over the averages per
// contiguous run of params (assembly/transforms/average.ts; pure-TS reference below, bit-identical).
//
//   first update():  avg = param                                     (PyTorch copies when n_averaged == 0)
//   EMA (decay β):   avg = lerp(avg, param, w), w = f32(1 − β):  avg + w·(param − avg)        if w < 0.5
//                                                                 param + (w − 1)·(param − avg) otherwise
//   SWA:             avg = avg + (param − avg) / f32(n_averaged + 1)
//
// torch's CPU lerp fuses the multiply-add (FMA) where gradstep rounds twice: EMA averages agree within the
// optimizer tolerance, SWA (sub, div, add, as torch) bit for bit.
import { checkBackend, invalid } from "../core/options.js";
import { Optimizer } from "../core/optimizer.js";
import { floatsOf, isFloat32Array } from "../core/state-dict.js";
import type { ParamLike } from "../core/spec.js";
import { defaults as initDefaults } from "../runtime/loader.js";
import { Param, ParamStore } from "../runtime/store.js";
import type { BackendName } from "../runtime/types.js";
import { paramList } from "./clip.js";

/** Kernel flags of average_f32 (the averaging kernel). */
export const AVG_FROM_PARAM = 1;
export const AVG_DIVIDE = 2;

/**
 * The reference of average_f32: avg[i] ← avg + c·d (flags 0), param + c·d (AVG_FROM_PARAM) or avg + d/c
 * (AVG_DIVIDE), with d = param − avg; every operation rounded to f32 in the kernel's order.
 */
export function averageRef(avg: Float32Array, param: Float32Array, c: number, flags: number): void {
  const f = Math.fround, cf = f(c);
  const n = avg.length;
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = param[i]! - avg[i]!;
  if (flags & AVG_DIVIDE) {
    for (let i = 0; i < n; i++) avg[i] = avg[i]! + f(d[i]! / cf);
  } else {
    const base = flags & AVG_FROM_PARAM ? param : avg;
    for (let i = 0; i < n; i++) avg[i] = base[i]! + f(cf * d[i]!);
  }
}

/** The kernel's coefficient and flags for update number n + 1 (n ≥ 1 averaged so far), as torch computes them in f32. */
export function averageCoefficient(decay: number | undefined, n: number): { c: number; flags: number } {
  if (decay === undefined) return { c: Math.fround(n + 1), flags: AVG_DIVIDE };
  const w = Math.fround(1 - decay);
  return w < 0.5 ? { c: w, flags: 0 } : { c: Math.fround(w - 1), flags: AVG_FROM_PARAM };
}

/**
 * A state dict's averages and count, checked against an average of `decay` (undefined: SWA) over params of
 * `lengths` (loadStateDict's checks, shared with gradstep/webgpu's GpuAveragedParams): throws on any mismatch.
 */
export function checkAveragedState(dict: AveragedParamsState, decay: number | undefined, lengths: readonly number[], where: string): { n: number; values: Float32Array[] } {
  if (dict === null || typeof dict !== "object") throw new TypeError(`${where}: expected a state dict object`);
  const keys = ["format", "kind", "decay", "nAveraged", "averages"];
  for (const k of Object.keys(dict)) if (!keys.includes(k)) throw new TypeError(`${where}: unknown key "${k}"`);
  for (const k of keys) if (!Object.hasOwn(dict, k)) throw new TypeError(`${where}: missing key "${k}"`);
  if (dict.format !== AVERAGED_STATE_FORMAT) throw new TypeError(`${where}: unsupported format ${JSON.stringify(dict.format)} (expected ${AVERAGED_STATE_FORMAT})`);
  const kind = decay === undefined ? "swa" : "ema";
  if (dict.kind !== kind || dict.decay !== (decay ?? null)) {
    throw new TypeError(`${where}: the dict is of ${dict.kind === "ema" ? `an EMA with decay ${String(dict.decay)}` : `kind ${JSON.stringify(dict.kind)}`}, this is ${kind === "ema" ? `an EMA with decay ${decay}` : "an SWA average"}`);
  }
  if (!Number.isSafeInteger(dict.nAveraged) || dict.nAveraged < 0) invalid(where, "nAveraged", dict.nAveraged, "an integer >= 0");
  if (!Array.isArray(dict.averages) || dict.averages.length !== lengths.length) {
    throw new RangeError(`${where}: expected ${lengths.length} averages, got ${Array.isArray(dict.averages) ? dict.averages.length : typeof dict.averages}`);
  }
  return { n: dict.nAveraged, values: dict.averages.map((a, i) => asFloat32(a, lengths[i]!, `${where}: averages[${i}]`)) };
}

/** Checks the `decay` option (undefined: SWA). */
export function checkDecay(where: string, decay: unknown): void {
  if (decay !== undefined && (typeof decay !== "number" || !(decay >= 0 && decay <= 1))) invalid(where, "decay", decay, "a number in [0, 1]");
}

/** Whether `x` is a GpuParamStore or one of its params (gradstep/webgpu; told apart by `deviceKind`). */
function onGpu(x: unknown): boolean {
  const o = x as { deviceKind?: unknown; store?: { deviceKind?: unknown } } | null;
  return o?.deviceKind === "webgpu" || o?.store?.deviceKind === "webgpu";
}

/** The options of {@link AveragedParams}. */
export interface AveragedParamsOptions {
  /** EMA decay in [0, 1] (0.999 is usual). Leave it out for the SWA equal average. */
  decay?: number;
  /** Backend of the update: "auto" (default) = the one init() chose, "simd", "scalar" or "js" (the reference). */
  backend?: "auto" | BackendName;
  /**
   * Update after every step of this optimizer that changes the params (skipped steps, skipNonFinite, do not
   * count), as if update() were called after each: the same bits. The params must be some of the optimizer's.
   * A step refuses to run (changing nothing) while the averages are swapped in. Not a fused epilogue: the
   * update is still its own SIMD pass over the params and averages (fusing it into the step's single pass
   * would change every optimizer kernel); what it saves is the call and the bookkeeping. detach() stops it.
   */
  optimizer?: Optimizer<object>;
}

/** What AveragedParams.stateDict() returns. Averages are copies; JSON keeps them as index-keyed objects. */
export interface AveragedParamsState {
  /** The layout version, AVERAGED_STATE_FORMAT. */
  format: number;
  /** "ema" or "swa". */
  kind: "ema" | "swa";
  /** The EMA decay, or null for SWA. */
  decay: number | null;
  /** Updates so far (PyTorch's n_averaged). */
  nAveraged: number;
  /** One array per param, in order. */
  averages: Float32Array[];
}

/** The `format` AveragedParams.stateDict() writes. */
export const AVERAGED_STATE_FORMAT = 1;

/** A contiguous stretch of store params and their (contiguous) averages: one kernel call. */
interface Run { store: ParamStore; valuePtr: number; avgPtr: number; n: number }

/** Where the average of one param lives: in its store (byte offset) or, for a foreign param, in a JS array. */
interface Slot { param: ParamLike; length: number; store?: ParamStore; avgPtr: number; own?: Float32Array }

function backendOf(b: AveragedParamsOptions["backend"]): BackendName {
  if (b === undefined || b === "auto") {
    try {
      return initDefaults().backend;
    } catch {
      return "js";
    }
  }
  return b;
}

/** A saved averages buffer as a Float32Array, read by the one state decoder every state dict uses (floatsOf). */
function asFloat32(v: unknown, length: number, where: string): Float32Array {
  const out = floatsOf(v, where, length);
  if (out === undefined) throw new TypeError(`${where} is not an array of numbers (got ${v === null ? "null" : typeof v})`);
  if (out.length !== length) throw new RangeError(`${where} has ${out.length} values, the param has ${length}`);
  return out;
}

/**
 * Running averages of params: an exponential moving average (`{ decay }`, PyTorch's
 * `AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay))`) or the SWA equal average (no decay,
 * `AveragedModel(model)`). Call update() after each optimizer step (the first call copies the params).
 * Averages of store params live in the same store (one allocation), and each contiguous run of params is
 * averaged by one SIMD kernel call; averages of foreign params are plain Float32Arrays.
 *
 * @example
 * const ema = new AveragedParams(store.params, { decay: 0.999 });
 * for (const batch of data) { backward(batch); opt.step(); ema.update(); }
 * ema.swap(); evaluate(); ema.swap();       // evaluate with the averages, then go back to training
 */
export class AveragedParams {
  /** The averaged params, in order. */
  readonly params: readonly ParamLike[];
  /** The EMA decay, or undefined for the SWA average. */
  readonly decay: number | undefined;
  /** The backend the averaging kernels run on. */
  readonly backend: BackendName;
  readonly #slots: Slot[];
  readonly #runs: Run[] = [];
  #n = 0;
  #swapped = false;
  #views: Float32Array[] = [];
  #detach: (() => void) | undefined;
  #viewBuffers: (ArrayBufferLike | undefined)[] = [];

  constructor(params: Iterable<ParamLike> | ParamStore | ParamLike, options: AveragedParamsOptions = {}) {
    if (options === null || typeof options !== "object" || Array.isArray(options)) throw new TypeError("AveragedParams: options must be an object");
    for (const k of Object.keys(options)) {
      if (k !== "decay" && k !== "backend" && k !== "optimizer") throw new TypeError(`AveragedParams: unknown option "${k}" (expected decay, backend, optimizer)`);
    }
    const { decay, backend, optimizer } = options;
    if (optimizer !== undefined) {
      if (!(optimizer instanceof Optimizer)) throw new TypeError("AveragedParams: optimizer must be a gradstep optimizer");
      if (optimizer.disposed) throw new Error("AveragedParams: the optimizer has been disposed");
    }
    checkDecay("AveragedParams", decay);
    if (backend !== undefined) checkBackend("AveragedParams", backend);
    const given = params instanceof ParamStore || params instanceof Param || !(Symbol.iterator in Object(params)) ? params : [...params as Iterable<ParamLike>];
    if (onGpu(given) || (Array.isArray(given) && given.some(onGpu))) {
      throw new TypeError("AveragedParams: GPU params (a GpuParamStore's): use GpuAveragedParams of gradstep/webgpu, whose averages live on the GPU");
    }
    const list = paramList(given, "AveragedParams");
    if (list.length === 0) throw new Error("AveragedParams: got an empty parameter list");
    list.forEach((p, i) => {
      if (!(p instanceof Param) && (!isFloat32Array(p.value) || p.value.length !== p.grad.length)) {
        throw new TypeError(`AveragedParams: params[${i}].value must be a Float32Array as long as its grad`);
      }
      if (list.indexOf(p) !== i) throw new Error(`AveragedParams: params[${i}] appears more than once`);
    });
    if (optimizer !== undefined) {
      const stepped = new Set(optimizer.paramGroups.flatMap((g) => g.params));
      const i = list.findIndex((p) => !stepped.has(p));
      if (i >= 0) throw new Error(`AveragedParams: params[${i}] is not a param of the optimizer it follows`);
    }
    this.decay = decay;
    this.backend = backendOf(backend);
    this.params = Object.freeze(list);

    // One allocation per store holds the averages of its params, in param order.
    const totals = new Map<ParamStore, number>();
    for (const p of list) if (p instanceof Param) totals.set(p.store, (totals.get(p.store) ?? 0) + p.length);
    const bases = new Map<ParamStore, number>();
    for (const [store, n] of totals) bases.set(store, store.alloc(n)); // may throw out of memory: nothing else changed
    this.#slots = list.map((p) => {
      if (!(p instanceof Param)) return { param: p, length: p.value.length, avgPtr: 0, own: new Float32Array(p.value.length) };
      const at = bases.get(p.store)!;
      bases.set(p.store, at + 4 * p.length);
      return { param: p, length: p.length, store: p.store, avgPtr: at };
    });
    for (const s of this.#slots) {
      if (!s.store) continue;
      const last = this.#runs.at(-1), p = s.param as Param;
      if (last && last.store === s.store && last.valuePtr + 4 * last.n === p.valuePtr && last.avgPtr + 4 * last.n === s.avgPtr) last.n += s.length;
      else this.#runs.push({ store: s.store, valuePtr: p.valuePtr, avgPtr: s.avgPtr, n: s.length });
    }
    if (optimizer !== undefined) {
      this.#detach = optimizer._addEpilogue({ check: () => this.#checkUpdate(), run: () => this.update() });
    }
  }

  /** Whether an optimizer's steps update the averages (the `optimizer` option, until detach()). */
  get following(): boolean {
    return this.#detach !== undefined;
  }

  /** Stops updating after the optimizer's steps (the `optimizer` option); update() still works. */
  detach(): void {
    this.#detach?.();
    this.#detach = undefined;
  }

  #checkUpdate(): void {
    this.#assertUsable("update");
    if (this.#swapped) throw new Error("AveragedParams.update: the params hold the averages (swapped): call swap() again before training and updating");
  }

  /** Updates so far (PyTorch's n_averaged). */
  get nAveraged(): number {
    return this.#n;
  }

  /** Whether swap() has put the averages into the params (until the next swap()). */
  get swapped(): boolean {
    return this.#swapped;
  }

  /**
   * The averages, one Float32Array per param in order (live views into the store for store params; zeros
   * before the first update). While swapped, they hold the training values.
   */
  get averages(): Float32Array[] {
    this.#assertUsable("averages");
    return this.#slots.map((_, i) => this.#avg(i));
  }

  #avg(i: number): Float32Array {
    const s = this.#slots[i]!;
    if (s.own) return s.own;
    const buffer = s.store!.buffer;
    if (this.#viewBuffers[i] !== buffer) {
      this.#views[i] = s.store!.view(s.avgPtr, s.length);
      this.#viewBuffers[i] = buffer;
    }
    return this.#views[i]!;
  }

  #assertUsable(where: string): void {
    for (const s of this.#slots) {
      if (s.store?.disposed) throw new Error(`AveragedParams.${where}: param "${(s.param as Param).name}" belongs to a disposed ParamStore`);
    }
    this.#slots.forEach((s, i) => {
      if (!s.store && (!isFloat32Array(s.param.value) || s.param.value.length !== s.length)) {
        throw new RangeError(`AveragedParams.${where}: params[${i}].value is no longer a Float32Array of length ${s.length}`);
      }
    });
  }

  /**
   * Folds the params' current values into the averages (after optimizer.step()). The first call copies
   * them, as PyTorch's update_parameters does.
   */
  update(): void {
    this.#checkUpdate();
    if (this.#n === 0) {
      for (let i = 0; i < this.#slots.length; i++) this.#avg(i).set(this.#slots[i]!.param.value);
    } else {
      const { c, flags } = averageCoefficient(this.decay, this.#n);
      for (let i = 0; i < this.#slots.length; i++) {
        const s = this.#slots[i]!;
        if (s.own) averageRef(s.own, s.param.value, c, flags);
        else if (this.backend === "js") averageRef(this.#avg(i), s.param.value, c, flags);
      }
      if (this.backend !== "js") {
        for (const r of this.#runs) r.store.kernels(this.backend).average_f32!(r.avgPtr, r.valuePtr, r.n, c, flags);
      }
    }
    this.#n++;
  }

  /** Checks `params` against the averaged ones: the same count and lengths. */
  #checkTargets(params: readonly ParamLike[], where: string): void {
    if (params.length !== this.#slots.length) {
      throw new RangeError(`AveragedParams.${where}: got ${params.length} params, the averages are of ${this.#slots.length}`);
    }
    params.forEach((p, i) => {
      const n = p instanceof Param ? p.length : isFloat32Array(p.value) ? p.value.length : -1;
      if (n !== this.#slots[i]!.length) {
        throw new RangeError(`AveragedParams.${where}: params[${i}] has ${n < 0 ? "no Float32Array value" : `length ${n}`}, its average has ${this.#slots[i]!.length}`);
      }
    });
  }

  /**
   * Copies the averages into the values of `params` (default: the averaged params themselves, for the final
   * model; or another model of the same shapes).
   */
  copyTo(params: Iterable<ParamLike> | ParamStore | ParamLike = this.params): void {
    this.#assertUsable("copyTo");
    const list = paramList(params, "AveragedParams.copyTo");
    this.#checkTargets(list, "copyTo");
    if (this.#n === 0) throw new Error("AveragedParams.copyTo: no average yet (call update() after a step first)");
    list.forEach((p, i) => p.value.set(this.#swapped ? this.#slots[i]!.param.value : this.#avg(i)));
  }

  /**
   * Exchanges the params' values and the averages in place: call it before evaluating with the averages and
   * again after, to go back to training (update() refuses to run while swapped).
   */
  swap(): void {
    this.#assertUsable("swap");
    if (this.#n === 0) throw new Error("AveragedParams.swap: no average yet (call update() after a step first)");
    for (let i = 0; i < this.#slots.length; i++) {
      const v = this.#slots[i]!.param.value, a = this.#avg(i);
      const t = v.slice();
      v.set(a);
      a.set(t);
    }
    this.#swapped = !this.#swapped;
  }

  /** The averages (copies, wherever they are while swapped), the kind, decay and update count. */
  stateDict(): AveragedParamsState {
    this.#assertUsable("stateDict");
    return {
      format: AVERAGED_STATE_FORMAT,
      kind: this.decay === undefined ? "swa" : "ema",
      decay: this.decay ?? null,
      nAveraged: this.#n,
      averages: this.#slots.map((s, i) => (this.#swapped ? s.param.value : this.#avg(i)).slice()),
    };
  }

  /**
   * Restores a stateDict() of an AveragedParams of the same kind and decay over params of the same lengths
   * (Float32Arrays, arrays of numbers, or what JSON made of them). Everything is checked first: a dict that
   * does not fit throws and changes nothing.
   */
  loadStateDict(dict: AveragedParamsState): void {
    this.#assertUsable("loadStateDict");
    const where = "AveragedParams.loadStateDict";
    if (this.#swapped) throw new Error(`${where}: the params hold the averages (swapped): call swap() first`);
    const { n, values } = checkAveragedState(dict, this.decay, this.#slots.map((s) => s.length), where);
    values.forEach((v, i) => this.#avg(i).set(v));
    this.#n = n;
  }
}
