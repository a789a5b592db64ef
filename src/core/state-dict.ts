// Saving and restoring optimizer state: PyTorch's layout (`state` keyed by param index across groups,
// `paramGroups` with options and param indices) and state names (`step`, `exp_avg`, ...). Loading checks
// everything first and applies only when nothing can fail any more: a dict that does not fit changes nothing.
import { rejectUnknown } from "./options.js";
import { bufferPart, type GroupLayout } from "./layout.js";
import type { OptimizerSpec, ParamGroup } from "./spec.js";
import type { ParamStore } from "../runtime/store.js";

/** Saved optimizer state; structured-clone-able, PyTorch's state names. */
export interface StateDict {
  format: number;
  optimizer: string;
  state: Record<number, Record<string, number | Float32Array>>;
  paramGroups: Array<Record<string, unknown> & { params: number[] }>;
}

export const STATE_DICT_FORMAT = 1;

/** A Float32Array, also one from another realm (an iframe, a vm context, a host's structuredClone). */
export function isFloat32Array(x: unknown): x is Float32Array {
  return ArrayBuffer.isView(x) && Object.prototype.toString.call(x) === "[object Float32Array]";
}

/**
 * A state buffer as saved: a Float32Array, or the forms it takes through JSON — an array of numbers, or the
 * index-keyed object `JSON.stringify` makes of a Float32Array. Returns undefined for anything else.
 * Non-finite values do not survive JSON (they become null): such a buffer is rejected with a clear message.
 */
function asFloat32(v: unknown, length: number, where: string): Float32Array | undefined {
  if (isFloat32Array(v)) return v;
  let values: unknown[];
  if (Array.isArray(v)) values = v;
  else if (v !== null && typeof v === "object" && Object.keys(v).length === length &&
      Object.keys(v).every((k, i) => k === String(i))) values = Object.values(v);
  else return undefined;
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (typeof x !== "number") {
      throw new TypeError(`${where}[${i}] is ${x === null ? "null (NaN and ±Infinity do not survive JSON: save a checkpoint instead)" : typeof x}, expected a number`);
    }
    out[i] = x;
  }
  return out;
}

export function saveState<O>(spec: OptimizerSpec<O>, layouts: readonly GroupLayout[],
    groups: readonly ParamGroup<O>[], store: ParamStore): StateDict {
  const state: StateDict["state"] = {};
  const paramGroups: StateDict["paramGroups"] = [];
  let id = 0;
  layouts.forEach((g, gi) => {
    const ids: number[] = [];
    for (const r of g.runs) {
      for (let k = 0; k < r.count; k++) {
        const slot = r.seg.slots[r.first + k]!;
        const entry: Record<string, number | Float32Array> = {};
        spec.buffers.forEach((b, i) => {
          const { at, length } = bufferPart(slot, i);
          if (r.ready[i] && r.seg.buffers[i] && length > 0) {
            const from = r.seg.buffers[i]! / 4 + at;
            entry[b.name] = store.f32.slice(from, from + length);
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

/** What loading a dict will do to one group, computed (and checked) before anything changes. */
export interface GroupLoad<O> {
  o: ParamGroup<O>;
  options: Record<string, unknown>;
  steps: number[];
  ready: boolean[][];
  data: (Float32Array | undefined)[][];
}

/** Checks `dict` against the optimizer and returns the per-group plan; throws (changing nothing) if it does not fit. */
export function planLoad<O>(spec: OptimizerSpec<O>, layouts: readonly GroupLayout[], groups: readonly ParamGroup<O>[],
    dict: StateDict, validateGroup: (o: ParamGroup<O>) => void, defaults: O): GroupLoad<O>[] {
  const bad = (msg: string) => new Error(`${spec.name}.loadStateDict: ${msg}`);
  if (dict === null || typeof dict !== "object") throw bad("expected a state dict object");
  if (dict.format !== STATE_DICT_FORMAT) throw bad(`unsupported format ${String(dict.format)} (expected ${STATE_DICT_FORMAT})`);
  if (dict.optimizer !== spec.name) throw bad(`the state dict is from ${String(dict.optimizer)}, not ${spec.name}`);
  if (!Array.isArray(dict.paramGroups) || dict.paramGroups.length !== groups.length) {
    throw bad(`the state dict has ${Array.isArray(dict.paramGroups) ? dict.paramGroups.length : "no"} param groups, this optimizer has ${groups.length}`);
  }
  if (dict.state === null || typeof dict.state !== "object") throw bad("missing state");
  const names = spec.buffers.map((b) => b.name);
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
    validateGroup(o);
    const steps: number[] = [], ready: boolean[][] = [], data: (Float32Array | undefined)[][] = [];
    g.slots.forEach((slot, k) => {
      const id = saved.params[k]!;
      if (!Number.isSafeInteger(id) || used.has(String(id))) throw bad(`param group ${gi} has an invalid or repeated param id ${String(id)}`);
      used.add(String(id));
      const entry = Object.hasOwn(dict.state, id) ? (dict.state as Record<string, Record<string, unknown>>)[id] : undefined;
      if (entry !== undefined && (entry === null || typeof entry !== "object")) throw bad(`state of param ${id} is not an object`);
      for (const key of Object.keys(entry ?? {})) {
        if (!names.includes(key) && !(spec.hasStep && key === "step")) throw bad(`state of param ${id} has an unknown key "${key}"`);
      }
      if (spec.hasStep && entry && !Object.hasOwn(entry, "step")) throw bad(`state of param ${id} is missing "step"`);
      const step = entry && Object.hasOwn(entry, "step") ? entry.step : 0;
      // The largest step the optimizer can still take and save: it refuses to step past MAX_SAFE_INTEGER.
      if (!Number.isSafeInteger(step) || (step as number) < 0) {
        throw bad(`state of param ${id} has an invalid step ${String(step)} (expected an integer from 0 to ${Number.MAX_SAFE_INTEGER})`);
      }
      const row = spec.buffers.map((b, i) => {
        const v = entry && Object.hasOwn(entry, b.name) ? entry[b.name] : undefined;
        const required = spec.eager || (spec.hasStep && (step as number) > 0);
        const { length } = bufferPart(slot, i);
        const shape = () => `a param of shape [${slot.shape.join(", ")}]`;
        if (v === undefined) {
          if (required && b.needed(o) && length > 0) throw bad(`state of param ${id} is missing "${b.name}"`);
          return undefined;
        }
        if (length === 0) throw bad(`state of param ${id} has "${b.name}", which ${shape()} does not have`);
        let arr: Float32Array | undefined;
        try {
          arr = asFloat32(v, length, `state of param ${id}: "${b.name}"`);
        } catch (e) {
          throw bad((e as Error).message);
        }
        if (!arr) throw bad(`state of param ${id}: "${b.name}" must be a Float32Array (or an array of numbers)`);
        if (arr.length !== length) {
          throw bad(`state of param ${id}: "${b.name}" has length ${arr.length}, ` +
            (b.length ? `expected ${length} for ${shape()}` : `the param has ${length}`));
        }
        return arr;
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
  return plans;
}

/** Writes a checked plan's buffers (after they were allocated). Cannot fail. */
export function applyLoad<O>(spec: OptimizerSpec<O>, g: GroupLayout, plan: GroupLoad<O>, store: ParamStore): void {
  const f32 = store.f32;
  g.slots.forEach((slot, k) => {
    spec.buffers.forEach((b, i) => {
      const ptr = slot.seg.buffers[i];
      if (!ptr) return;
      const { at, length } = bufferPart(slot, i);
      const from = ptr / 4 + at;
      const v = plan.data[k]![i];
      if (v) f32.set(v, from);
      else f32.fill(b.fill?.(plan.o) ?? 0, from, from + length);
    });
  });
}
