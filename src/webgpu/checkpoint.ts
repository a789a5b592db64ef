// Checkpoints of GPU params and optimizers: saveCheckpoint/loadCheckpoint (src/checkpoint) with the reads a GPU
// needs. The file is the same as a ParamStore's (params by name from a store, by index from a list), so a
// checkpoint saved on the GPU loads into a Wasm optimizer and back.
import { type CheckpointLoadOptions, loadCheckpoint, saveCheckpoint, type Stateful } from "../checkpoint/index.js";
import { ParamStore } from "../runtime/store.js";
import type { GpuParam, GpuParamStore } from "./store.js";

/** An optimizer over GPU params (stateDictAsync reads its state back), or anything Stateful. */
export type AsyncStateful = Stateful & {
  /** The state dict, read back from the GPU after every step queued before the call (a GPU optimizer's). */
  stateDictAsync?(): Promise<unknown>;
};

/** What saveCheckpointAsync saves and loadCheckpointAsync restores; each part is optional. */
export interface GpuCheckpointParts {
  /** A whole GpuParamStore (by param name) or a list of GPU params (by index). */
  params?: GpuParamStore | readonly GpuParam[];
  /** An optimizer over those params: its state (read back from the GPU) and options. */
  optimizer?: AsyncStateful;
  /** A learning-rate scheduler of that optimizer. */
  scheduler?: Stateful;
}

/** The params as a host ParamStore of the same names, shapes and (`values`) values, and the GPU params in order. */
async function hostCopy(params: GpuParamStore | readonly GpuParam[], values: boolean): Promise<{ host: ParamStore; gpu: GpuParam[] }> {
  const list = Array.isArray(params) ? params as readonly GpuParam[] : (params as GpuParamStore).params;
  const host = new ParamStore({ shared: false });
  for (const p of list) host.param(p.name, values ? await p.read() : p.length, { shape: p.shape });
  return { host, gpu: [...list] };
}

/** The checkpoint's parts for src/checkpoint: host params, and the optimizer seen through its state read back. */
async function hostParts(parts: GpuCheckpointParts, values: boolean): Promise<{ parts: Parameters<typeof saveCheckpoint>[0]; host?: ParamStore; gpu: GpuParam[] }> {
  if (parts === null || typeof parts !== "object") throw new TypeError("expected { params, optimizer, scheduler }");
  const copy = parts.params === undefined ? undefined : await hostCopy(parts.params, values);
  const opt = parts.optimizer;
  // The optimizer's state, read now: what saveCheckpoint writes, and what loadCheckpoint restores if its
  // scheduler part fails after the optimizer was loaded. `inner`: the scheduler given is this optimizer's.
  const state = opt?.stateDictAsync ? await opt.stateDictAsync() : opt?.stateDict();
  const optimizer = opt && { stateDict: () => state, loadStateDict: (d: unknown) => opt.loadStateDict(d), inner: opt };
  const host = copy?.host;
  return {
    parts: { ...(host && { params: Array.isArray(parts.params) ? host.params : host }), ...(optimizer && { optimizer }), ...(parts.scheduler && { scheduler: parts.scheduler }) },
    host, gpu: copy?.gpu ?? [],
  };
}

/**
 * saveCheckpoint for GPU params and an optimizer over them: their values and state are read back (after every
 * step queued before the call), then saved as saveCheckpoint saves a ParamStore's.
 */
export async function saveCheckpointAsync(parts: GpuCheckpointParts, metadata: Record<string, string> = {}): Promise<Uint8Array> {
  const h = await hostParts(parts, true);
  try {
    return saveCheckpoint(h.parts, metadata);
  } finally {
    h.host?.dispose();
  }
}

/**
 * loadCheckpoint into GPU params and an optimizer over them: the whole file is checked first (a part that does
 * not fit throws and changes nothing), then the state is uploaded and the params written (queued).
 */
export async function loadCheckpointAsync(bytes: Uint8Array, parts: GpuCheckpointParts, options: CheckpointLoadOptions = {}): Promise<{
  /** Your string metadata (saveCheckpointAsync's `metadata`; gradstep's own entries left out). */
  metadata: Record<string, string>;
}> {
  const h = await hostParts(parts, false);
  try {
    const out = loadCheckpoint(bytes, h.parts, options);
    const values = h.host?.params ?? [];
    h.gpu.forEach((p, i) => p.write(values[i]!.value));
    return out;
  } finally {
    h.host?.dispose();
  }
}
