// What an optimizer is constructed over, checked before anything is allocated: the params argument (params,
// param groups, a ParamStore or one param), each param, and the memory the params use. The step-kind Optimizer
// and the closure-kind LBFGS both parse with these, so they refuse the same inputs with the same messages.
import { rejectUnknown } from "./options.js";
import { type AnyParam, type ForeignParam, isDeviceParam, type ParamLike } from "./spec.js";
import { isFloat32Array } from "./state-dict.js";
import { checkShape, Param, ParamStore } from "../runtime/store.js";

/** A `{ value, grad }` object (its arrays are checked by checkParam). */
export function isForeign(p: unknown): p is ForeignParam {
  return p !== null && typeof p === "object" && "value" in p && "grad" in p;
}

const EXPECTED = "expected store params (store.param(name, init)) or { value, grad } Float32Array pairs";

/** `x` for a message: "a number", "null", "an array", "a Float32Array", "an object", "a Variable". */
function what(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  if (Array.isArray(x)) return "an array";
  if (ArrayBuffer.isView(x) || x instanceof ArrayBuffer) return `a ${Object.prototype.toString.call(x).slice(8, -1)}`;
  if (typeof x !== "object") return `a ${typeof x}`;
  const proto: unknown = Object.getPrototypeOf(x);
  const ctor = proto === null || proto === Object.prototype ? undefined : (proto as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof ctor === "string" && ctor !== "" ? `a ${ctor}` : "an object";
}

/** Why `x`, which is neither a param nor a param group, is not a param. */
function notAParam(x: unknown): string {
  if (ArrayBuffer.isView(x) || x instanceof ArrayBuffer) {
    return `got ${what(x)}, values without their gradient (${EXPECTED}, e.g. { value: w, grad: dw })`;
  }
  if (x !== null && typeof x === "object" && ("value" in x || "grad" in x)) {
    return `got an object with "${"value" in x ? "value" : "grad"}" but no "${"value" in x ? "grad" : "value"}" (${EXPECTED})`;
  }
  return `got ${what(x)} (${EXPECTED}, or param groups { params, ...options })`;
}

/**
 * Whether `x` is a param group: an object that is no param and no array-like, with `params` or plain (a plain
 * object without `params` is a group that forgot them: the group check says so).
 */
function isGroup(x: unknown): boolean {
  if (x === null || typeof x !== "object" || x instanceof Param || isDeviceParam(x) || isForeign(x) || "value" in x || "grad" in x) return false;
  if (Array.isArray(x) || ArrayBuffer.isView(x) || x instanceof ArrayBuffer) return false;
  const proto: unknown = Object.getPrototypeOf(x);
  return Object.hasOwn(x, "params") || proto === Object.prototype || proto === null;
}

/**
 * Throws unless the options argument is an object, saying what a number (`lr`, the option a bare number is
 * probably meant as, as tfjs's `tf.train.adam(0.01)` takes it) or an array of params is doing there.
 */
export function checkOptionsArgument(name: string, options: unknown, lr?: string): asserts options is object {
  if (options !== null && typeof options === "object" && !Array.isArray(options)) return;
  const hint = typeof options === "number" && lr !== undefined ? ` (got ${options}: for a learning rate, pass { ${lr}: ${options} })`
    : Array.isArray(options) ? " (got an array: params go first, options second)" : ` (got ${what(options)})`;
  throw new TypeError(`${name}: options must be an object${hint}`);
}

/** The params argument as a list of param group inputs, each still to be checked (checkParam, checkParamMemory). */
export function groupInputs(name: string, params: unknown): unknown[] {
  if (params instanceof ParamStore) return [{ params: params.params }];
  if (params instanceof Param || isDeviceParam(params) || (isForeign(params) && !(Symbol.iterator in params))) return [{ params: [params] }];
  if (params === null || typeof params !== "object" || !(Symbol.iterator in params) || ArrayBuffer.isView(params)) {
    throw new TypeError(`${name}: ${notParams(name, params)}`);
  }
  const inputs = [...(params as Iterable<unknown>)];
  if (inputs.length === 0) throw new Error(`${name}: got an empty parameter list`);
  const groups = inputs.map(isGroup);
  if (groups.every(Boolean)) return inputs;
  inputs.forEach((x, i) => {
    if (!groups[i] && !(x instanceof Param) && !isDeviceParam(x) && !isForeign(x)) throw new TypeError(`${name}: params[${i}] is not a param: ${notAParam(x)}`);
  });
  if (groups.some(Boolean)) throw new TypeError(`${name}: mix of params and param groups (pass either params or groups { params, ...options })`);
  return [{ params: inputs }];
}

/** What is wrong with a params argument that is neither iterable nor one param. */
function notParams(name: string, x: unknown): string {
  if (ArrayBuffer.isView(x)) return `params is ${notAParam(x).slice(4)}`;
  if (x !== null && typeof x === "object") {
    if ("value" in x || "grad" in x) return `params is not a param: ${notAParam(x)}`;
    if (Object.hasOwn(x, "params")) return "got one param group: pass groups in an array, [{ params, ...options }]";
    const keys = Object.keys(x);
    if (keys.length) return `got an object with keys ${keys.join(", ")} as params: options go second, new ${name}(params, { ${keys.join(", ")} })`;
  }
  return `expected params (an array of params or of param groups, a ParamStore, or one param), got ${x === null ? "null" : typeof x}`;
}

/**
 * One param group input checked (`where` names the group): an object with `params` (params, each checked) and
 * options named in `rules`; `first` runs on the object before the rest (what else the optimizer refuses in a
 * group). Returns the params and the group's own options.
 */
export function parseGroup(where: string, g: unknown, rules: object, first?: (g: object) => void): { params: AnyParam[]; own: Record<string, unknown> } {
  if (g === null || typeof g !== "object") throw new TypeError(`${where}: expected { params, ...options }`);
  first?.(g);
  rejectUnknown(where, g, rules, ["params"]);
  if (!Object.hasOwn(g, "params")) throw new TypeError(`${where}: missing "params" (expected { params: [...], ...options })`);
  const { params: list, ...own } = g as { params: unknown };
  if (list === null || typeof list !== "object" || !(Symbol.iterator in list)) throw new TypeError(`${where}: params must be an array of params`);
  const params = [...(list as Iterable<unknown>)];
  if (params.length === 0) throw new Error(`${where}: has no params`);
  params.forEach((p, i) => checkParam(where, p, i));
  return { params: params as AnyParam[], own };
}

/** Throws unless `p`, entry `i` of a group's params (`where` names the group), is a usable param. */
export function checkParam(where: string, p: unknown, i: number): asserts p is AnyParam {
  if (isDeviceParam(p)) {
    if (p.store.disposed) throw new Error(`${where}: param "${p.name}" belongs to a disposed ${p.store.deviceKind} store`);
  } else if (p instanceof Param) {
    if (!Param.isParam(p)) {
      throw new TypeError(`${where}: params[${i}] is a Proxy of a Param or an object inheriting from one, not the Param (pass the Param itself)`);
    }
    if (p.store.disposed) throw new Error(`${where}: param "${p.name}" belongs to a disposed ParamStore`);
  } else if (isForeign(p)) {
    if (!isFloat32Array(p.value) || !isFloat32Array(p.grad)) {
      throw new TypeError(`${where}: params[${i}].value and .grad must be Float32Arrays`);
    }
    if (p.value.length !== p.grad.length) {
      throw new RangeError(`${where}: params[${i}] has value length ${p.value.length} but grad length ${p.grad.length}`);
    }
    if (p.shape !== undefined) checkShape(p.shape, p.value.length, `${where}: params[${i}]`);
  } else {
    throw new TypeError(`${where}: params[${i}] is not a param: ${notAParam(p)}`);
  }
}

/** The bytes one of a param's arrays covers in its buffer. */
interface Span { start: number; end: number; g: number; i: number; part: "value" | "grad"; p: ParamLike }

/**
 * Throws when a param appears twice, or when params' arrays share memory where the step writes: two values over
 * the same floats (one update would be lost), or a grad over a value (the step would overwrite a gradient it
 * reads). Grads may share memory (tied gradients are only read). Overlapping views of one buffer count too, and
 * so does a store param passed again as `{ value, grad }`. `groups`: every group's params, in order.
 */
export function checkParamMemory(name: string, groups: readonly (readonly AnyParam[])[]): void {
  const at = (g: number, i: number) => (groups.length > 1 ? `param group ${g} params[${i}]` : `params[${i}]`);
  const seen = new Map<AnyParam, string>();
  groups.forEach((ps, g) => ps.forEach((p, i) => {
    const prev = seen.get(p);
    if (prev !== undefined) throw new Error(`${name}: ${at(g, i)} appears more than once (also ${prev}; a param may be in only one group, once)`);
    seen.set(p, at(g, i));
  }));
  // Store params never overlap each other: only buffers that hold a foreign array need looking at.
  const spans = new Map<ArrayBufferLike, Span[]>();
  const foreignBuffers = new Set<ArrayBufferLike>();
  groups.forEach((ps, g) => ps.forEach((p, i) => {
    if (isDeviceParam(p)) return; // in a device's memory, which no host array can alias
    for (const part of ["value", "grad"] as const) {
      const a = p[part];
      if (a.byteLength === 0) continue;
      if (!(p instanceof Param)) foreignBuffers.add(a.buffer);
      const list = spans.get(a.buffer) ?? [];
      list.push({ start: a.byteOffset, end: a.byteOffset + a.byteLength, g, i, part, p });
      spans.set(a.buffer, list);
    }
  }));
  for (const buffer of foreignBuffers) {
    const list = spans.get(buffer)!.sort((a, b) => a.start - b.start);
    // Sweep in start order, keeping the value and the span of any kind that reach furthest: a span that starts
    // before one of them ends overlaps it.
    let value: Span | undefined, any: Span | undefined;
    for (const s of list) {
      const hit = value && s.start < value.end ? value : s.part === "value" && any && s.start < any.end ? any : undefined;
      if (hit) throw new Error(overlapMessage(name, hit, s, (x) => at(x.g, x.i)));
      if (s.part === "value" && (!value || s.end > value.end)) value = s;
      if (!any || s.end > any.end) any = s;
    }
  }
}

function overlapMessage(name: string, a: Span, b: Span, at: (s: Span) => string): string {
  const why = a.part === "value" && b.part === "value" ? "one of the two updates would be lost" : "the step would overwrite a gradient it reads";
  if (a.p === b.p) return `${name}: ${at(a)}'s grad shares memory with its value (${why}): give the grad an array of its own`;
  const store = [a, b].find((s) => s.p instanceof Param);
  const again = store ? `; ${at(store)} is store param "${(store.p as Param).name}": pass it once, not also as { value, grad }` : "";
  return `${name}: ${at(a)}.${a.part} and ${at(b)}.${b.part} share memory (${why})${again}`;
}
