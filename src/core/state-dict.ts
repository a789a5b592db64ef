// Saving and restoring optimizer state: PyTorch's layout (`state` keyed by param index across groups,
// `paramGroups` with options and param indices) and state names (`step`, `exp_avg`, ...). Loading checks
// everything first and applies only when nothing can fail any more: a dict that does not fit changes nothing.
import { located, rejectUnknown } from "./options.js";
import { bufferPart, type GroupLayout, type Memory, slotBytes, type Slot } from "./layout.js";
import { decodeState, dtypeOf, encodeState, f32OnlyMessage, Q8_BLOCK, Q8_BLOCK_BYTES, signedOf, STATE_DTYPES } from "./lowp.js";
import type { OptimizerSpec, ParamGroup, StateDtype } from "./spec.js";

/**
 * A saved state buffer: a Float32Array (stateDtype "f32"), the bf16 bits as a Uint16Array ("bf16"), or the int8
 * codes as a Uint8Array with the per-block absmax as a Float32Array under `<name>_absmax` ("int8").
 */
/** One state entry: a number (`step`) or a buffer (f32, or bf16 / int8 when stateDtype says so). */
export type StateValue = number | Float32Array | Uint16Array | Uint8Array;

/** Saved optimizer state; structured-clone-able, PyTorch's state names. */
export interface StateDict {
  /** The layout version, STATE_DICT_FORMAT: loadStateDict rejects another. */
  format: number;
  /** The class that saved it ("Adam"): loadStateDict rejects another class's state. */
  optimizer: string;
  /** Per param, by its index across all groups (PyTorch's numbering): its state by PyTorch's names (`step`, `exp_avg`, ...). */
  state: Record<number, Record<string, StateValue>>;
  /** Per group: its options and its params' indices, as in PyTorch's `param_groups`. */
  paramGroups: Array<Record<string, unknown> & {
    /** The indices of the group's params (into `state`). */
    params: number[];
  }>;
  /** The optimizer-wide scalars of an optimizer whose step has global reductions (Prodigy's `estim_lr`). */
  global?: Record<string, number>;
}

/** The `format` stateDict() writes (the layout version). */
export const STATE_DICT_FORMAT = 1;

/** A Float32Array, also one from another realm (an iframe, a vm context, a host's structuredClone). */
export function isFloat32Array(x: unknown): x is Float32Array {
  return ArrayBuffer.isView(x) && Object.prototype.toString.call(x) === "[object Float32Array]";
}

/** Why a null stands where a number was: what JSON makes of NaN and ±Infinity. */
export const JSON_NON_FINITE = "null (NaN and ±Infinity do not survive JSON: save a checkpoint instead)";

/**
 * A float buffer of saved state as given: a Float32Array, or the forms it takes through JSON — an array of
 * numbers, or the index-keyed object `JSON.stringify` makes of a Float32Array (of `length` elements when given).
 * Returns undefined for anything else. Non-finite values do not survive JSON (they become null): such a buffer
 * is rejected with a clear message. Every state dict (optimizers, LBFGS, Lookahead) reads its buffers here.
 */
export function floatsOf(v: unknown, where: string, length?: number): Float32Array | undefined {
  if (isFloat32Array(v)) return v;
  let values: unknown[];
  if (Array.isArray(v)) values = v;
  else if (v !== null && typeof v === "object" && (length === undefined || Object.keys(v).length === length) &&
      Object.keys(v).every((k, i) => k === String(i))) values = Object.values(v);
  else return undefined;
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = numberOf(values[i], `${where}[${i}]`);
  return out;
}

/** A number of saved state, any value (NaN included); a null is what JSON made of a non-finite one. */
export function numberOf(x: unknown, where: string): number {
  if (typeof x !== "number") throw new TypeError(`${where} is ${x === null ? JSON_NON_FINITE : typeof x}, expected a number`);
  return x;
}

export function saveState<O>(spec: OptimizerSpec<O>, layouts: readonly GroupLayout[],
    groups: readonly ParamGroup<O>[], store: Memory): StateDict {
  const state: StateDict["state"] = {};
  const paramGroups: StateDict["paramGroups"] = [];
  let id = 0;
  layouts.forEach((g, gi) => {
    const ids: number[] = [];
    for (const r of g.runs) {
      for (let k = 0; k < r.count; k++) {
        const slot = r.seg.slots[r.first + k]!;
        const entry: Record<string, StateValue> = {};
        spec.buffers.forEach((b, i) => {
          const { length } = bufferPart(slot, i);
          if (r.ready[i] && r.seg.buffers[i] && length > 0 && !b.transient) {
            saveBuffer(entry, b.name, g.dtype, slotBytes(store, g.dtype, r.seg.buffers[i]!, slot, i), length);
          }
        });
        const has = Object.keys(entry).length > 0;
        if (spec.hasStep && (has || r.step > 0)) entry.step = r.step;
        if (Object.keys(entry).length > 0) state[id] = entry;
        ids.push(id++);
      }
    }
    const { params: _p, ...options } = groups[gi]!;
    paramGroups.push({ ...structuredClone(options), params: ids });
  });
  return { format: STATE_DICT_FORMAT, optimizer: spec.name, state, paramGroups };
}

/** The stored form of one buffer into `entry` (copies). */
function saveBuffer(entry: Record<string, StateValue>, name: string, dtype: StateDtype, bytes: Uint8Array, n: number): void {
  if (dtype === "f32") entry[name] = new Float32Array(bytes.slice().buffer);
  else if (dtype === "bf16") entry[name] = new Uint16Array(bytes.slice().buffer);
  else {
    const blocks = Math.ceil(n / Q8_BLOCK), codes = new Uint8Array(n), absmax = new Float32Array(blocks);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let k = 0; k < blocks; k++) {
      absmax[k] = view.getFloat32(k * Q8_BLOCK_BYTES, true);
      const at = k * Q8_BLOCK_BYTES + 4, len = Math.min(Q8_BLOCK, n - k * Q8_BLOCK);
      codes.set(bytes.subarray(at, at + len), k * Q8_BLOCK);
    }
    entry[name] = codes;
    entry[`${name}_absmax`] = absmax;
  }
}

/** A saved buffer in its stored form (what stateBytes of its dtype holds), checked. */
function loadBuffer(entry: Record<string, unknown>, name: string, dtype: StateDtype, n: number, where: string,
    expected = `the param has ${n}`): Uint8Array | undefined {
  const v = entry[name];
  if (dtype === "f32") {
    const arr = floatsOf(v, `${where}: "${name}"`, n);
    if (!arr) throw new TypeError(`${where}: "${name}" must be a Float32Array (or an array of numbers)`);
    if (arr.length !== n) throw new RangeError(`${where}: "${name}" has length ${arr.length}, ${expected}`);
    return new Uint8Array(arr.buffer, arr.byteOffset, 4 * n);
  }
  const ints = (x: unknown, Ctor: Uint16ArrayConstructor | Uint8ArrayConstructor, what: string): Uint16Array | Uint8Array => {
    if (ArrayBuffer.isView(x) && Object.prototype.toString.call(x) === `[object ${Ctor.name}]`) return x as Uint16Array | Uint8Array;
    const max = Ctor === Uint16Array ? 0xffff : 0xff;
    // Through JSON: an array of integers, or the index-keyed object JSON.stringify makes of a typed array.
    const values = Array.isArray(x) ? x : x !== null && typeof x === "object" && !ArrayBuffer.isView(x) ? Object.values(x) : undefined;
    if (!values || !values.every((e) => Number.isInteger(e) && e >= 0 && e <= max)) {
      throw new TypeError(`${where}: "${what}" must be a ${Ctor.name} (state saved with stateDtype "${dtype}")`);
    }
    return Ctor.from(values as number[]);
  };
  if (dtype === "bf16") {
    const h = ints(v, Uint16Array, name);
    if (h.length !== n) throw new RangeError(`${where}: "${name}" has length ${h.length}, ${expected}`);
    return new Uint8Array(h.slice().buffer);
  }
  const codes = ints(v, Uint8Array, name);
  if (codes.length !== n) throw new RangeError(`${where}: "${name}" has length ${codes.length}, ${expected}`);
  const blocks = Math.ceil(n / Q8_BLOCK);
  const absmax = floatsOf(entry[`${name}_absmax`], `${where}: "${name}_absmax"`, blocks);
  if (!absmax || absmax.length !== blocks) {
    throw new RangeError(`${where}: "${name}_absmax" must be a Float32Array of ${blocks} block maxima (int8 state)`);
  }
  // A block's maximum |x| is finite and >= 0; NaN marks a block that held a non-finite value (src/core/lowp.ts).
  const wrong = absmax.findIndex((m) => !(m >= 0 && m < Infinity) && !Number.isNaN(m));
  if (wrong !== -1) {
    throw new RangeError(`${where}: "${name}_absmax"[${wrong}] is ${absmax[wrong]} (a block maximum is finite and >= 0, or NaN)`);
  }
  const out = new Uint8Array(blocks * Q8_BLOCK_BYTES), view = new DataView(out.buffer);
  for (let k = 0; k < blocks; k++) {
    view.setFloat32(k * Q8_BLOCK_BYTES, absmax[k]!, true);
    const len = Math.min(Q8_BLOCK, n - k * Q8_BLOCK);
    out.set(codes.subarray(k * Q8_BLOCK, k * Q8_BLOCK + len), k * Q8_BLOCK_BYTES + 4);
  }
  return out;
}

/** What loading a dict will do to one group, computed (and checked) before anything changes. */
export interface GroupLoad<O> {
  o: ParamGroup<O>;
  options: Record<string, unknown>;
  steps: number[];
  ready: boolean[][];
  /** Per slot, per buffer: the saved stored form (in `from`), or undefined. */
  data: (Uint8Array | undefined)[][];
  /** The dtype the dict holds; plan.o.stateDtype is the one to store (they differ when converting). */
  from: StateDtype;
}

/**
 * Checks `dict` (its envelope already checked: checkEnvelope) against the optimizer and returns the per-group
 * plan; throws (changing nothing) if it does not fit.
 */
export function planLoad<O>(spec: OptimizerSpec<O>, layouts: readonly GroupLayout[], groups: readonly ParamGroup<O>[],
    dict: StateDict, validateGroup: (o: ParamGroup<O>) => void, defaults: O, load?: { stateDtype?: StateDtype }): GroupLoad<O>[] {
  const bad = (msg: string) => new Error(`${spec.name}.loadStateDict: ${msg}`);
  if (!Array.isArray(dict.paramGroups) || dict.paramGroups.length !== groups.length) {
    throw bad(`the state dict has ${Array.isArray(dict.paramGroups) ? dict.paramGroups.length : "no"} param groups, this optimizer has ${groups.length}`);
  }
  if (dict.state === null || typeof dict.state !== "object") throw bad("missing state");
  // Ids exactly as stateDict() writes them: "00", "1.0" or " 1" would name (or merge into) another param.
  const badId = Object.keys(dict.state).find((k) => !/^(0|[1-9][0-9]*)$/.test(k));
  if (badId !== undefined) throw bad(`state has an invalid param id ${JSON.stringify(badId)} (expected 0, 1, 2, ... as stateDict() writes them)`);
  const names = spec.buffers.filter((b) => !b.transient).map((b) => b.name);
  const to = load?.stateDtype;
  if (to !== undefined) {
    if (!spec.lowp && to !== "f32") throw bad(f32OnlyMessage(spec as OptimizerSpec<unknown>));
    if (!STATE_DTYPES.includes(to)) throw bad(`invalid stateDtype ${JSON.stringify(to)} (expected "f32", "bf16" or "int8")`);
  }
  const used = new Set<string>();
  const plans = groups.map((group, gi) => {
    const saved = dict.paramGroups[gi]!;
    const g = layouts[gi]!;
    if (saved === null || typeof saved !== "object") throw bad(`param group ${gi} is not an object`);
    if (!Array.isArray(saved.params) || saved.params.length !== g.slots.length) {
      throw bad(`param group ${gi} has ${Array.isArray(saved.params) ? saved.params.length : "no"} params, this optimizer has ${g.slots.length}`);
    }
    const options: Record<string, unknown> = {};
    // An option the dict lacks (saved before the option existed) takes the optimizer's default, as PyTorch's
    // Optimizer.__setstate__ does with setdefault.
    for (const key of Object.keys(spec.rules)) {
      options[key] = structuredClone(Object.hasOwn(saved, key) ? saved[key] : (defaults as Record<string, unknown>)[key]);
    }
    rejectUnknown(`${spec.name}.loadStateDict: param group ${gi}`, saved, spec.rules, ["params"]);
    const o = { ...group, ...options } as ParamGroup<O>;
    try {
      validateGroup(o);
    } catch (e) {
      throw located(`${spec.name}.loadStateDict: param group ${gi}`, e);
    }
    const from = dtypeOf(o);
    if (to !== undefined && spec.lowp) (o as unknown as { stateDtype: StateDtype }).stateDtype = options.stateDtype = to;
    const steps: number[] = [], ready: boolean[][] = [], data: (Uint8Array | undefined)[][] = [];
    const keys = new Set([...names, ...(from === "int8" ? names.map((x) => `${x}_absmax`) : [])]);
    g.slots.forEach((slot, k) => {
      const id = saved.params[k]!;
      if (!Number.isSafeInteger(id) || id < 0 || used.has(String(id))) throw bad(`param group ${gi} has an invalid or repeated param id ${String(id)}`);
      used.add(String(id));
      const entry = Object.hasOwn(dict.state, id) ? (dict.state as Record<string, Record<string, unknown>>)[id] : undefined;
      if (entry !== undefined && (entry === null || typeof entry !== "object")) throw bad(`state of param ${id} is not an object`);
      for (const key of Object.keys(entry ?? {})) {
        if (!keys.has(key) && !(spec.hasStep && key === "step")) throw bad(`state of param ${id} has an unknown key "${key}"`);
      }
      if (spec.hasStep && entry && !Object.hasOwn(entry, "step")) throw bad(`state of param ${id} is missing "step"`);
      const step = entry && Object.hasOwn(entry, "step") ? entry.step : 0;
      // The largest step the optimizer can still take and save: it refuses to step past MAX_SAFE_INTEGER.
      if (!Number.isSafeInteger(step) || (step as number) < 0) {
        throw bad(`state of param ${id} has an invalid step ${String(step)} (expected an integer from 0 to ${Number.MAX_SAFE_INTEGER})`);
      }
      const row = spec.buffers.map((b, i) => {
        const v = entry && Object.hasOwn(entry, b.name) && !b.transient ? entry[b.name] : undefined;
        const required = spec.eager || (spec.hasStep && (step as number) > 0);
        const { length } = bufferPart(slot, i);
        const shape = () => `a param of shape [${slot.shape.join(", ")}]`;
        if (v === undefined) {
          if (required && b.needed(o) && length > 0 && !b.transient) throw bad(`state of param ${id} is missing "${b.name}"`);
          return undefined;
        }
        if (length === 0) throw bad(`state of param ${id} has "${b.name}", which ${shape()} does not have`);
        try {
          return loadBuffer(entry as Record<string, unknown>, b.name, from, length, `state of param ${id}`,
            b.length ? `expected ${length} for ${shape()}` : `the param has ${length}`);
        } catch (e) {
          throw bad((e as Error).message);
        }
      });
      if (spec.eager && entry === undefined) throw bad(`state of param ${id} is missing`);
      steps.push(step as number);
      ready.push(row.map((v) => v !== undefined));
      data.push(row);
    });
    return { o, options, steps, ready, data, from };
  });
  const known = new Set(Object.keys(dict.state));
  for (const id of used) known.delete(id);
  if (known.size > 0) throw bad(`state for unknown param ids ${[...known].join(", ")}`);
  return plans;
}

/** Writes a checked plan's buffers (after they were allocated, in the plan's dtype). Cannot fail. */
export function applyLoad<O>(spec: OptimizerSpec<O>, g: GroupLayout, plan: GroupLoad<O>, store: Memory): void {
  const to = g.dtype;
  g.slots.forEach((slot: Slot, k) => {
    spec.buffers.forEach((b, i) => {
      const ptr = slot.seg.buffers[i];
      if (!ptr) return;
      const n = bufferPart(slot, i).length, signed = signedOf(b);
      const dst = slotBytes(store, to, ptr, slot, i);
      const v = plan.data[k]![i];
      if (v && plan.from === to) dst.set(v);
      else if (v) encodeState(to, decodeState(plan.from, v, n, signed), n, dst, signed);
      else encodeState(to, new Float32Array(n).fill(b.fill?.(plan.o) ?? 0), n, dst, signed);
    });
  });
}

/** The state dict's `global` entry: the spec's global scalars by name (a copy). */
export function saveGlobal(names: readonly string[], values: Float64Array): Record<string, number> {
  return Object.fromEntries(names.map((k, i) => [k, values[i]!]));
}

/** The global scalars of `dict`, checked (every name, a number each, nothing else); throws changing nothing. */
export function loadGlobal(name: string, names: readonly string[], dict: StateDict): Float64Array {
  const where = `${name}.loadStateDict: global`;
  const g: unknown = dict.global;
  if (g === null || typeof g !== "object") throw new TypeError(`${where} is missing (expected { ${names.join(", ")} })`);
  const unknown = Object.keys(g).find((k) => !names.includes(k));
  if (unknown !== undefined) throw new TypeError(`${where} has an unknown key "${unknown}" (expected ${names.join(", ")})`);
  return Float64Array.from(names, (k) => {
    if (!Object.hasOwn(g, k)) throw new TypeError(`${where} is missing "${k}"`);
    return numberOf((g as Record<string, unknown>)[k], `${where}.${k}`);
  });
}
