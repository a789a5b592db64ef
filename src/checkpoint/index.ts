// Checkpoint files: params, optimizer state and scheduler state in one safetensors file (readable by Python's
// `safetensors` package: every tensor is F32 with its param's shape; everything else is JSON in the string
// metadata). loadCheckpoint checks the whole file first and restores bit-exactly; a file that does not fit
// throws a clear error and changes nothing (params, optimizer and scheduler keep their values).
import type { ParamLike } from "../core/spec.js";
import { isFloat32Array, type StateDict, type StateValue } from "../core/state-dict.js";
import { Param, ParamStore } from "../runtime/store.js";
import { decodeSafetensors, encodeSafetensors, type Tensor } from "./safetensors.js";

/** Anything with PyTorch-style state dicts (optimizers, schedulers, GradScaler, AveragedParams...). */
export interface Stateful<D = unknown> { stateDict(): D; loadStateDict(dict: D): void }

export interface CheckpointParts {
  /** The params whose values to save/restore: a whole store (by param name) or a list (by index). */
  params?: ParamStore | readonly ParamLike[];
  /** An optimizer: its state buffers become tensors, the rest JSON metadata. */
  optimizer?: Stateful<StateDict>;
  /** A scheduler (or anything with stateDict/loadStateDict of JSON-safe data). */
  scheduler?: Stateful;
}

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

/**
 * Saves params, optimizer and scheduler state as a safetensors file. `metadata` adds string entries of your
 * own (read back by loadCheckpoint). Example:
 * `writeFileSync("ckpt.safetensors", saveCheckpoint({ params: store, optimizer: opt, scheduler: sched }))`.
 */
export function saveCheckpoint(parts: CheckpointParts, metadata: Record<string, string> = {}): Uint8Array {
  if (parts === null || typeof parts !== "object") throw new TypeError("saveCheckpoint: expected { params, optimizer, scheduler }");
  const tensors = new Map<string, Tensor>();
  const meta: Record<string, string> = { [K_FORMAT]: CHECKPOINT_FORMAT };
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== "string") throw new TypeError(`saveCheckpoint: metadata.${k} must be a string`);
  }
  if (Object.keys(metadata).length > 0) meta[K_USER] = JSON.stringify(metadata);
  if (parts.params !== undefined) {
    for (const [name, p] of paramEntries(parts.params)) tensors.set(name, { dtype: "F32", shape: shapeOf(p), data: Float32Array.from(p.value) });
  }
  if (parts.optimizer !== undefined) {
    const dict = parts.optimizer.stateDict();
    const state: Record<string, Record<string, unknown>> = {};
    for (const [id, entry] of Object.entries(dict.state)) {
      const out: Record<string, unknown> = {};
      for (const [key, v] of Object.entries(entry)) {
        const name = `optimizer.state.${id}.${key}`;
        // Low-precision state in its stored form: bf16 bits as BF16 (Python reads torch.bfloat16), int8 codes as U8.
        const tensor: Tensor | undefined = isFloat32Array(v) ? { dtype: "F32", shape: [v.length], data: v }
          : v instanceof Uint16Array ? { dtype: "BF16", shape: [v.length], data: v }
          : v instanceof Uint8Array ? { dtype: "U8", shape: [v.length], data: v } : undefined;
        if (tensor) {
          tensors.set(name, tensor);
          out[key] = { tensor: name };
        } else {
          out[key] = v;
        }
      }
      state[id] = out;
    }
    meta[K_OPT] = JSON.stringify({ ...dict, state });
  }
  if (parts.scheduler !== undefined) meta[K_SCHED] = JSON.stringify(parts.scheduler.stateDict());
  return encodeSafetensors(tensors, meta);
}

/**
 * Restores what saveCheckpoint saved into the given params, optimizer and scheduler (each optional; each
 * given part must be in the file). Everything is checked before anything changes. Returns your metadata.
 */
export function loadCheckpoint(bytes: Uint8Array, parts: CheckpointParts): { metadata: Record<string, string> } {
  if (parts === null || typeof parts !== "object") throw new TypeError("loadCheckpoint: expected { params, optimizer, scheduler }");
  const { tensors, metadata } = decodeSafetensors(bytes);
  const bad = (msg: string) => new Error(`loadCheckpoint: ${msg}`);
  if (metadata[K_FORMAT] !== CHECKPOINT_FORMAT) throw bad(`not a gradstep checkpoint (format ${JSON.stringify(metadata[K_FORMAT] ?? null)})`);
  const json = (key: string): unknown => {
    try {
      return JSON.parse(metadata[key]!);
    } catch {
      throw bad(`its ${key} metadata is not JSON`);
    }
  };

  // Params: every one present with its shape.
  const values: Array<[ParamLike, Float32Array]> = [];
  if (parts.params !== undefined) {
    const entries = paramEntries(parts.params);
    const saved = [...tensors.keys()].filter((k) => k.startsWith("param."));
    if (saved.length !== entries.length) throw bad(`the file has ${saved.length} params, ${entries.length} were given`);
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
  // Optimizer: the dict with its tensors put back.
  let dict: StateDict | undefined;
  if (parts.optimizer !== undefined) {
    if (metadata[K_OPT] === undefined) throw bad("the file has no optimizer state");
    const raw = json(K_OPT) as StateDict & { state: Record<string, Record<string, unknown>> };
    if (raw === null || typeof raw !== "object" || raw.state === null || typeof raw.state !== "object") throw bad("its optimizer metadata is not a state dict");
    const state: StateDict["state"] = {};
    for (const [id, entry] of Object.entries(raw.state)) {
      if (entry === null || typeof entry !== "object") throw bad(`optimizer state ${id} is not an object`);
      const out: Record<string, StateValue> = {};
      for (const [key, v] of Object.entries(entry)) {
        if (v !== null && typeof v === "object" && typeof (v as { tensor?: unknown }).tensor === "string") {
          const t = tensors.get((v as { tensor: string }).tensor);
          if (!t) throw bad(`missing tensor "${(v as { tensor: string }).tensor}"`);
          out[key] = t.data;
        } else {
          out[key] = v as number;
        }
      }
      state[Number(id)] = out;
    }
    dict = { ...raw, state };
  }
  let sched: unknown;
  if (parts.scheduler !== undefined) {
    if (metadata[K_SCHED] === undefined) throw bad("the file has no scheduler state");
    sched = json(K_SCHED);
  }

  // Apply: each load checks itself and changes nothing when it throws; a later failure undoes the earlier.
  const before = dict && parts.optimizer ? parts.optimizer.stateDict() : undefined;
  if (dict) parts.optimizer!.loadStateDict(dict);
  if (parts.scheduler !== undefined) {
    try {
      parts.scheduler.loadStateDict(sched);
    } catch (e) {
      if (before) parts.optimizer!.loadStateDict(before);
      throw e;
    }
  }
  for (const [p, v] of values) p.value.set(v);
  return { metadata: metadata[K_USER] !== undefined ? json(K_USER) as Record<string, string> : {} };
}
