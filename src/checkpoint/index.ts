// Checkpoint files: params, optimizer state and scheduler state in one safetensors file (readable by Python's
// `safetensors` package: params are F32 with their shape, state buffers F32, BF16 or U8; everything else is
// JSON in the string metadata). loadCheckpoint checks the whole file first and restores bit-exactly; a file that does not fit
// throws a clear error and changes nothing (params, optimizer and scheduler keep their values).
import type { ParamLike } from "../core/spec.js";
import { boolean, rejectUnknown } from "../core/options.js";
import { isFloat32Array } from "../core/state-dict.js";
import { Param, ParamStore } from "../runtime/store.js";
import { decodeSafetensors, encodeSafetensors, type Tensor } from "./safetensors.js";

/** Anything with PyTorch-style state dicts (optimizers, schedulers, GradScaler, AveragedParams...). */
export interface Stateful<D = unknown> {
  /** Its state, structured-clone-able. */
  stateDict(): D;
  /** Restores a stateDict() (all or nothing). */
  loadStateDict(dict: D): void;
}

/** What a checkpoint holds: params, and optionally an optimizer and its scheduler. */
export interface CheckpointParts {
  /** The params whose values to save/restore: a whole store (by param name) or a list (by index). */
  params?: ParamStore | readonly ParamLike[];
  /** An optimizer (or Lookahead): its state buffers become tensors, the rest JSON metadata. */
  optimizer?: Stateful;
  /** A scheduler of that optimizer (or anything with stateDict/loadStateDict of JSON-safe data). */
  scheduler?: Stateful;
}

/** Options of loadCheckpoint(). */
export interface CheckpointLoadOptions {
  /**
   * Restore the optimizer from a file that also holds scheduler state without restoring that state (the
   * schedule then goes on from wherever the given scheduler, if any, is). Without it, such a load throws:
   * resuming an optimizer without its schedule is usually a silent restart of the schedule.
   */
  ignoreScheduler?: boolean;
}

/** The `format` metadata entry every checkpoint file carries: loadCheckpoint rejects another. */
export const CHECKPOINT_FORMAT = "gradstep-checkpoint-1";
const K_FORMAT = "format", K_OPT = "optimizer", K_SCHED = "scheduler", K_USER = "user";

function paramEntries(params: ParamStore | readonly ParamLike[]): Array<[string, ParamLike]> {
  if (params instanceof ParamStore) return params.params.map((p) => [`param.${p.name}`, p]);
  if (!Array.isArray(params)) throw new TypeError("checkpoint: params must be a ParamStore or an array of params");
  return params.map((p, i) => [`param.${i}`, p]);
}

function shapeOf(p: ParamLike): readonly number[] {
  return p instanceof Param ? p.shape : p.shape ?? [p.value.length];
}

/** A scheduler given with an optimizer must be that optimizer's (or, for a wrapper such as Lookahead, its inner one's). */
function checkSchedulerOf(where: string, parts: CheckpointParts): void {
  if (parts.scheduler === undefined || parts.optimizer === undefined) return;
  const target = (parts.scheduler as { optimizer?: unknown }).optimizer;
  if (target === undefined) return;
  if (target !== parts.optimizer && target !== (parts.optimizer as { inner?: unknown }).inner) {
    throw new Error(`${where}: the scheduler is another optimizer's (its optimizer is not the one given)`);
  }
}

/**
 * A state dict in the checkpoint's JSON: every typed array becomes a tensor of its own (named by its path, e.g.
 * `optimizer.state.0.exp_avg`) and `{ tensor: name }` in the JSON; a non-finite number, which JSON cannot
 * hold, becomes `{ number: "NaN" | "Infinity" | "-Infinity" }`.
 */
function encodeValue(v: unknown, name: string, tensors: Map<string, Tensor>): unknown {
  if (typeof v === "number") return Number.isFinite(v) ? v : { number: String(v) };
  if (ArrayBuffer.isView(v)) {
    // Low-precision state in its stored form: bf16 bits as BF16 (Python reads torch.bfloat16), int8 codes as U8.
    const tensor: Tensor | undefined = isFloat32Array(v) ? { dtype: "F32", shape: [v.length], data: v }
      : v instanceof Uint16Array ? { dtype: "BF16", shape: [v.length], data: v }
      : v instanceof Uint8Array ? { dtype: "U8", shape: [v.length], data: v } : undefined;
    if (!tensor) throw new TypeError(`saveCheckpoint: "${name}" is a ${Object.prototype.toString.call(v).slice(8, -1)} (a checkpoint holds Float32Array, Uint16Array and Uint8Array state)`);
    tensors.set(name, tensor);
    return { tensor: name };
  }
  if (Array.isArray(v)) return v.map((x, i) => encodeValue(x, `${name}.${i}`, tensors));
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encodeValue(x, `${name}.${k}`, tensors)]));
  }
  return v;
}

/** encodeValue reversed: `{ tensor }` → the tensor's data (which must exist; `used` collects it), `{ number }` → the number. */
function decodeValue(v: unknown, tensors: ReadonlyMap<string, Tensor>, used: Set<string>, bad: (msg: string) => Error): unknown {
  if (Array.isArray(v)) return v.map((x) => decodeValue(x, tensors, used, bad));
  if (v === null || typeof v !== "object") return v;
  const keys = Object.keys(v);
  const only = keys.length === 1 ? (v as Record<string, unknown>)[keys[0]!] : undefined;
  if (keys[0] === "tensor" && typeof only === "string") {
    const t = tensors.get(only);
    if (!t || only.startsWith("param.")) throw bad(`missing tensor "${only}"`);
    if (used.has(only)) throw bad(`tensor "${only}" is referred to twice`);
    used.add(only);
    return t.data.slice();
  }
  if (keys[0] === "number" && typeof only === "string") {
    if (!NON_FINITE.includes(only)) throw bad(`{ "number": ${JSON.stringify(only)} } is not NaN, Infinity or -Infinity`);
    return Number(only);
  }
  // Object.fromEntries keeps a "__proto__" key as data, where the state dict's checks see (and reject) it.
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decodeValue(x, tensors, used, bad)]));
}
const NON_FINITE = ["NaN", "Infinity", "-Infinity"];

/**
 * Saves params, optimizer and scheduler state as a safetensors file. `metadata` adds string entries of your
 * own (read back by loadCheckpoint). A scheduler must be the given optimizer's. Example:
 * `writeFileSync("ckpt.safetensors", saveCheckpoint({ params: store, optimizer: opt, scheduler: sched }))`.
 */
export function saveCheckpoint(parts: CheckpointParts, metadata: Record<string, string> = {}): Uint8Array {
  if (parts === null || typeof parts !== "object") throw new TypeError("saveCheckpoint: expected { params, optimizer, scheduler }");
  checkSchedulerOf("saveCheckpoint", parts);
  const tensors = new Map<string, Tensor>();
  const meta: Record<string, string> = { [K_FORMAT]: CHECKPOINT_FORMAT };
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== "string") throw new TypeError(`saveCheckpoint: metadata.${k} must be a string`);
  }
  if (Object.keys(metadata).length > 0) meta[K_USER] = JSON.stringify(metadata);
  if (parts.params !== undefined) {
    for (const [name, p] of paramEntries(parts.params)) tensors.set(name, { dtype: "F32", shape: shapeOf(p), data: Float32Array.from(p.value) });
  }
  if (parts.optimizer !== undefined) meta[K_OPT] = JSON.stringify(encodeValue(parts.optimizer.stateDict(), K_OPT, tensors));
  if (parts.scheduler !== undefined) meta[K_SCHED] = JSON.stringify(encodeValue(parts.scheduler.stateDict(), K_SCHED, tensors));
  return encodeSafetensors(tensors, meta);
}

/**
 * Restores what saveCheckpoint saved into the given params, optimizer and scheduler (each optional; each
 * given part must be in the file, and a file with scheduler state restores an optimizer only with its
 * scheduler or `{ ignoreScheduler: true }`). The whole file is checked before anything changes (every part,
 * also those not restored, and your metadata); a part that does not fit throws and changes nothing.
 * Returns your metadata.
 */
export function loadCheckpoint(bytes: Uint8Array, parts: CheckpointParts, options: CheckpointLoadOptions = {}): {
  /** Your string metadata (saveCheckpoint's `metadata`; gradstep's own entries left out). */
  metadata: Record<string, string>;
} {
  if (parts === null || typeof parts !== "object") throw new TypeError("loadCheckpoint: expected { params, optimizer, scheduler }");
  if (options === null || typeof options !== "object") throw new TypeError("loadCheckpoint: options must be an object");
  rejectUnknown("loadCheckpoint", options, {}, ["ignoreScheduler"]);
  const { ignoreScheduler = false } = options;
  boolean("loadCheckpoint", "ignoreScheduler", ignoreScheduler);
  checkSchedulerOf("loadCheckpoint", parts);
  const { tensors, metadata } = decodeSafetensors(bytes);
  const bad = (msg: string) => new Error(`loadCheckpoint: ${msg}`);
  if (metadata[K_FORMAT] !== CHECKPOINT_FORMAT) throw bad(`not a gradstep checkpoint (format ${JSON.stringify(metadata[K_FORMAT] ?? null)})`);
  const json = (key: string): unknown => {
    if (metadata[key] === undefined) return undefined;
    try {
      return JSON.parse(metadata[key]!);
    } catch {
      throw bad(`its ${key} metadata is not JSON`);
    }
  };

  // Every part of the file, decoded and checked, whether it is restored or not.
  const user = json(K_USER) ?? {};
  if (user === null || typeof user !== "object" || Array.isArray(user) || Object.values(user).some((v) => typeof v !== "string")) {
    throw bad("its user metadata is not an object of strings");
  }
  const used = new Set<string>();
  const dict = json(K_OPT), sched = json(K_SCHED);
  if (dict !== undefined && (dict === null || typeof dict !== "object" || Array.isArray(dict))) throw bad("its optimizer metadata is not a state dict");
  const saved = { optimizer: decodeValue(dict, tensors, used, bad), scheduler: decodeValue(sched, tensors, used, bad) };
  const unused = [...tensors.keys()].find((k) => !k.startsWith("param.") && !used.has(k));
  if (unused !== undefined) throw bad(`tensor "${unused}" is neither a param nor part of a saved state`);

  // Params: every one present with its shape.
  const values: Array<[ParamLike, Float32Array]> = [];
  if (parts.params !== undefined) {
    const entries = paramEntries(parts.params);
    const count = [...tensors.keys()].filter((k) => k.startsWith("param.")).length;
    if (count !== entries.length) throw bad(`the file has ${count} params, ${entries.length} were given`);
    for (const [name, p] of entries) {
      const t = tensors.get(name);
      if (!t) throw bad(`missing tensor "${name}"`);
      const shape = shapeOf(p);
      if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
        throw bad(`"${name}" has shape [${t.shape.join(", ")}], the param has [${shape.join(", ")}]`);
      }
      if (t.dtype !== "F32") throw bad(`"${name}" has dtype ${t.dtype}, a param is F32`);
      values.push([p, t.data]);
    }
  }
  if (parts.optimizer !== undefined && dict === undefined) throw bad("the file has no optimizer state");
  if (parts.scheduler !== undefined && sched === undefined) throw bad("the file has no scheduler state");
  if (parts.optimizer !== undefined && parts.scheduler === undefined && sched !== undefined && !ignoreScheduler) {
    throw bad("the file has scheduler state: pass the optimizer's scheduler to restore it (or { ignoreScheduler: true } to keep the given schedule)");
  }

  // Apply: each load checks itself and changes nothing when it throws; a later failure undoes the earlier.
  const before = parts.optimizer?.stateDict();
  parts.optimizer?.loadStateDict(saved.optimizer);
  if (parts.scheduler !== undefined) {
    try {
      parts.scheduler.loadStateDict(saved.scheduler);
    } catch (e) {
      if (before !== undefined) parts.optimizer!.loadStateDict(before);
      throw e;
    }
  }
  for (const [p, v] of values) p.value.set(v);
  return { metadata: { ...(user as Record<string, string>) } };
}
