// What the tuning tools share: option tables (checked before anything runs; RangeError for a value out of
// range, TypeError for a wrong type or an unknown key), Lightning's smoothed loss, the params of an optimizer
// or a store, and the JSON-safe form of a number that may be NaN or ±Infinity.
import type { ParamLike } from "../core/spec.js";
import { ParamStore } from "../runtime/store.js";

/** One option: its default and the test a given value must pass (`expected` words the error). */
export interface OptionRule { readonly default: unknown; readonly ok: (v: unknown) => boolean; readonly expected: string }

const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
export const rule = {
  num: (d: number, ok: (x: number) => boolean, expected: string): OptionRule => ({ default: d, ok: (v) => isNum(v) && ok(v), expected }),
  int: (d: number, min: number): OptionRule => ({ default: d, ok: (v) => isNum(v) && Number.isInteger(v) && v >= min, expected: `an integer >= ${min}` }),
  oneOf: (d: string, values: readonly string[]): OptionRule => ({ default: d, ok: (v) => typeof v === "string" && values.includes(v), expected: `one of ${values.map((s) => JSON.stringify(s)).join(", ")}` }),
  bool: (d: boolean): OptionRule => ({ default: d, ok: (v) => typeof v === "boolean", expected: "a boolean" }),
};

function show(v: unknown): string {
  return typeof v === "string" ? JSON.stringify(v) : typeof v === "function" ? "a function" : v !== null && typeof v === "object" ? "an object" : String(v);
}

/** `options` checked against `table` (unknown keys rejected), with defaults filled in. */
export function readOptions<T>(where: string, options: unknown, table: Record<string, OptionRule>): T {
  if (options === undefined) options = {};
  if (options === null || typeof options !== "object" || Array.isArray(options)) throw new TypeError(`${where}: options must be an object, got ${show(options)}`);
  for (const key of Reflect.ownKeys(options)) {
    if (typeof key !== "string" || !Object.hasOwn(table, key)) {
      throw new TypeError(`${where}: unknown option ${String(typeof key === "string" ? JSON.stringify(key) : key)} (expected one of ${Object.keys(table).join(", ")})`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const [key, r] of Object.entries(table)) {
    const given = (options as Record<string, unknown>)[key], v = given === undefined ? r.default : given;
    if (!r.ok(v)) {
      const msg = `${where}: invalid ${key}: ${show(v)} (expected ${r.expected})`;
      // A value of the right type out of range is a RangeError (a null default stands for a number).
      throw typeof v === (r.default === null ? "number" : typeof r.default) ? new RangeError(msg) : new TypeError(msg);
    }
    out[key] = v;
  }
  return out as T;
}

/**
 * Lightning's smoothed loss (its `_LRCallback`): avg ← β·avg + (1 − β)·loss, divided by 1 − β^(t + lag) at
 * the t-th loss (1-based). Lightning reads the step count after the optimizer step, so its lr finder divides
 * by 1 − β^(t+1) (lag 1: the first smoothed losses are biased low, about half the loss at t = 1);
 * ConvergenceMonitor uses the textbook correction (lag 0).
 */
export class SmoothedLoss {
  avg = 0;
  count = 0;
  constructor(readonly beta: number, readonly lag: number) {}

  push(loss: number): number {
    this.avg = this.beta * this.avg + (1 - this.beta) * loss;
    this.count++;
    return this.avg / (1 - this.beta ** (this.count + this.lag));
  }
}

/** The params of a ParamStore or a list of params (store Params or `{ value, grad }` Float32Arrays). */
export function paramsOf(where: string, params: ParamStore | readonly ParamLike[]): ParamLike[] {
  const list = params instanceof ParamStore ? params.params : Array.isArray(params) ? [...params] : null;
  if (list === null) throw new TypeError(`${where}: params must be a ParamStore or an array of params`);
  list.forEach((p, i) => {
    if (p === null || typeof p !== "object" || !(p.value instanceof Float32Array) || !(p.grad instanceof Float32Array)) {
      throw new TypeError(`${where}: params[${i}] is not a param (expected a store Param or { value, grad } Float32Arrays)`);
    }
  });
  return list;
}

/** A number as JSON keeps it: NaN and ±Infinity as the strings "nan", "inf", "-inf" (the fixtures' spelling). */
export function jsonNumber(x: number): number | string {
  return Number.isNaN(x) ? "nan" : x === Infinity ? "inf" : x === -Infinity ? "-inf" : x;
}

/** The inverse of jsonNumber; undefined when `v` is neither a number nor one of its strings. */
export function fromJsonNumber(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  return v === "nan" ? NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : undefined;
}

/** A Float32Array's bytes (little-endian, as every platform gradstep runs on) in base64. */
export function f32ToBase64(a: Float32Array): string {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** The inverse of f32ToBase64; null for a string that is not the base64 of whole float32 values. */
export function base64ToF32(s: string): Float32Array | null {
  let bin: string;
  try {
    bin = atob(s);
  } catch {
    return null;
  }
  if (bin.length % 4 !== 0) return null;
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}
