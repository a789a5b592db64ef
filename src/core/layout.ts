// How a param group lies in memory: its params (slots) are cut into segments of params that are contiguous
// in the store (values and grads each), and each segment into runs of slots with equal step and equal
// state-buffer flags; one kernel call steps one run (tensor-kind optimizers: one run per param). State
// buffers are allocated per segment, so a run's state is contiguous too.
import { type Backend, deviceStore, type DeviceStore, Launch } from "./backend.js";
import { decodeState, dtypeOf, encodeState, kernelName, lowpReference, Q8_BLOCK, Q8_BLOCK_BYTES, signedOf, stateBytes } from "./lowp.js";
import { type ForeignParam, isDeviceParam, type OptimizerSpec, type ParamLike, type Run, type StateDtype } from "./spec.js";
import { Param, type ParamStore } from "../runtime/store.js";

/** The memory an optimizer's params and state buffers live in: a ParamStore (Wasm memory) or a device store (a GpuParamStore). */
export type Memory = ParamStore | DeviceStore;

export interface Slot {
  src: ParamLike;
  /**
   * The store's param: src itself, or the copy of a foreign one. A device param (DeviceParam) sits here too,
   * read only for its pointers, length and shape: value and grad are read on the host paths alone (foreign
   * copies, the host pre-pass, LBFGS), which never run over a device store.
   */
  param: Param; foreign: boolean; seg: Segment; index: number; offset: number;
  shape: readonly number[];
  /** int8 blocks before this param in its segment (each param's blocks start at its first element). */
  block: number;
}
export interface Segment {
  slots: Slot[]; valuePtr: number; gradPtr: number; n: number; buffers: number[];
  /**
   * Per state buffer, the float offset of each slot's part in the segment's buffer (prefix sums of
   * BufferSpec.length, by default the params' lengths); entry `slots.length` is the buffer's total length.
   */
  bufferAt: number[][];
  /** int8 blocks of all its params. */
  blocks: number;
  /** The pre-pass's per-slot lengths and results, made at its first use. */
  lengths?: number[]; reduced?: Float64Array;
}
export interface LayoutRun extends Run {
  readonly seg: Segment;
  /** This run's kernel call, made once here and rewritten in place every step (core/backend). */
  readonly launch: Launch;
}
export interface GroupLayout {
  segments: Segment[];
  runs: LayoutRun[];
  slots: Slot[];
  /** The group's frozen params array, as handed out in paramGroups[i].params. */
  params: readonly ParamLike[];
  /** One call per param (tensor-kind optimizers). */
  perTensor: boolean;
  /** Tensor kind with scratch: the scratch area (byte offset, 0 until planned) and its size in floats. */
  scratch: number;
  scratchFloats: number;
  hasScratch: boolean;
  /** The dtype its state buffers are stored in (the group's stateDtype once planned). */
  dtype: StateDtype;
}

/** Lays out `params` (store params, or foreign ones that get a copy in `store`) as segments. */
export function layoutGroup<O>(store: Memory, spec: OptimizerSpec<O>, params: readonly ParamLike[],
    dtype: StateDtype = "f32"): GroupLayout {
  const slots: Slot[] = [];
  const segments: Segment[] = [];
  let seg: Segment | undefined;
  for (const src of params) {
    const foreign = !(src instanceof Param) && !isDeviceParam(src);
    // A device store holds only its own params (the optimizer refuses foreign ones over it).
    const param = foreign ? (store as ParamStore).allocParam("(copy)", (src as ForeignParam).value.length) : src as Param;
    if (!seg || param.valuePtr !== seg.valuePtr + 4 * seg.n || param.gradPtr !== seg.gradPtr + 4 * seg.n) {
      seg = {
        slots: [], valuePtr: param.valuePtr, gradPtr: param.gradPtr, n: 0, blocks: 0,
        buffers: new Array<number>(spec.buffers.length).fill(0), bufferAt: spec.buffers.map(() => [0]),
      };
      segments.push(seg);
    }
    const shape = foreign ? ((src as ForeignParam).shape ? Object.freeze([...(src as ForeignParam).shape!]) : Object.freeze([param.length])) : param.shape;
    const slot: Slot = { src, param, foreign, seg, index: seg.slots.length, offset: seg.n, shape, block: seg.blocks };
    seg.slots.push(slot);
    seg.n += param.length;
    spec.buffers.forEach((b, i) => {
      const at = seg!.bufferAt[i]!;
      at.push(at[at.length - 1]! + (b.length ? b.length(shape) : param.length));
    });
    seg.blocks += Math.ceil(param.length / Q8_BLOCK);
    slots.push(slot);
  }
  const perTensor = spec.kind === "tensor";
  return { segments, runs: [], slots, params, perTensor, scratch: 0, scratchFloats: 0, hasScratch: perTensor && spec.scratchFloats !== undefined, dtype };
}

/** Where slot `s`'s part of state buffer `i` starts (floats from the segment buffer's start) and its length. */
export function bufferPart(s: Slot, i: number): { at: number; length: number } {
  const at = s.seg.bufferAt[i]!;
  return { at: at[s.index]!, length: at[s.index + 1]! - at[s.index]! };
}

/**
 * Splits each segment into runs of slots with equal step and equal ready flags (per slot, in order), each with
 * its launch bound to `backend`.
 */
export function buildRuns<O>(g: GroupLayout, steps: readonly number[], ready: readonly boolean[][],
    spec: OptimizerSpec<O>, backend: Backend): void {
  g.runs = [];
  const s = spec as OptimizerSpec<unknown>, kernel = kernelName(s, g.dtype), reference = lowpReference(s, g.dtype);
  const names = spec.buffers.map((b) => b.name), offsets = spec.buffers.length + 2 + (g.hasScratch ? 1 : 0);
  let k = 0;
  for (const seg of g.segments) {
    let start = 0;
    for (let i = 1; i <= seg.slots.length; i++) {
      const a = k + start, b = k + i;
      // int8 state: one run per param, so that every param's blocks start at its first element.
      if (i < seg.slots.length && !g.perTensor && g.dtype !== "int8" && steps[a] === steps[b] && ready[a]!.every((x, j) => x === ready[b]![j])) continue;
      const first = seg.slots[start]!;
      const n = seg.slots.slice(start, i).reduce((s, x) => s + x.param.length, 0);
      const launch = new Launch(kernel, offsets, spec.scalars.length, g.dtype, g.perTensor);
      launch.n = n;
      g.runs.push({
        n, step: steps[a]!, ready: ready[a]!.slice(), seg, first: start, count: i - start, offset: first.offset,
        shape: g.perTensor ? first.shape : Object.freeze([n]), launch,
      });
      backend.bind(launch, reference, names, s);
      start = i;
    }
    k += seg.slots.length;
  }
  for (const r of g.runs) setOffsets(g, r);
}

/** Per slot of `g`, in order: its run's step and ready flags. */
export function slotStates(g: GroupLayout): { steps: number[]; ready: boolean[][] } {
  const steps: number[] = [], ready: boolean[][] = [];
  for (const r of g.runs) {
    for (let k = 0; k < r.count; k++) {
      steps.push(r.step);
      ready.push(r.ready.slice());
    }
  }
  return { steps, ready };
}

/** Byte offset of `slot`'s state in a buffer of its segment stored as `dtype`. */
export function stateOffset(dtype: StateDtype, slot: Slot): number {
  return dtype === "f32" ? 4 * slot.offset : dtype === "bf16" ? 2 * slot.offset : Q8_BLOCK_BYTES * slot.block;
}

/** Bytes of one state buffer of `seg` stored as `dtype`. */
export function segmentBytes(dtype: StateDtype, seg: Segment): number {
  return dtype === "int8" ? Q8_BLOCK_BYTES * seg.blocks : stateBytes(dtype, seg.n);
}

/** Writes the byte offsets (and the bytes each covers) of `r`'s buffers into its launch. */
function setOffsets(g: GroupLayout, r: LayoutRun): void {
  // f32: each slot's part at its prefix sum (BufferSpec.length); bf16/int8 (elementwise only): by the dtype's stride.
  const o = 4 * r.offset, at = r.seg.bufferAt, slot = r.seg.slots[r.first]!, end = r.first + r.count;
  const { offsets, bytes } = r.launch, last = offsets.length - 1;
  offsets[0] = r.seg.valuePtr + o;
  bytes[0] = 4 * r.n;
  r.seg.buffers.forEach((b, i) => {
    offsets[i + 1] = b ? b + (g.dtype === "f32" ? 4 * at[i]![r.first]! : stateOffset(g.dtype, slot)) : 0;
    bytes[i + 1] = g.dtype === "f32" ? 4 * (at[i]![end]! - at[i]![r.first]!) : stateBytes(g.dtype, r.n);
  });
  if (g.hasScratch) {
    offsets[last - 1] = g.scratch;
    bytes[last - 1] = 4 * g.scratchFloats;
  }
  offsets[last] = r.seg.gradPtr + o;
  bytes[last] = 4 * r.n;
}

/**
 * The stored bytes of `slot`'s part of state buffer `i` at `ptr` (a segment buffer of g's dtype): f32 at the
 * part's prefix sum and length (BufferSpec.length), bf16/int8 (elementwise optimizers only, whose parts are the
 * params' lengths) by the dtype's stride.
 */
export function slotBytes(store: Memory, dtype: StateDtype, ptr: number, slot: Slot, i: number): Uint8Array {
  const dev = deviceStore(store);
  const bytes = (at: number, n: number) => (dev ? dev.hostBytes(at, n) : new Uint8Array((store as ParamStore).buffer, at, n));
  if (dtype === "f32") {
    const { at, length } = bufferPart(slot, i);
    return bytes(ptr + 4 * at, 4 * length);
  }
  return bytes(ptr + stateOffset(dtype, slot), stateBytes(dtype, slot.param.length));
}

/**
 * Allocates the state buffers that options `o` need (and those named in `extra`) for every segment of `g`,
 * filled with their start value, and the scratch area. Allocation-free when everything needed exists
 * (step() calls it after a structural edit). May throw (out of memory); it changes no existing value.
 * When `o` asks for another state dtype than g's buffers hold, the buffers are re-allocated in the new dtype
 * and their values converted (`keep` false: not converted, as loadStateDict overwrites them); returns true
 * then (the runs must be rebuilt: their kernel changed).
 */
export function ensureBuffers<O>(store: Memory, spec: OptimizerSpec<O>, g: GroupLayout, o: O,
    extra?: ReadonlySet<string>, keep = true): boolean {
  const buffers = spec.buffers;
  const dtype = dtypeOf(o);
  const changed = dtype !== g.dtype;
  if (changed) {
    // Allocate everything first (may throw), then convert: no value changes before nothing can fail.
    const fresh = g.segments.map((seg) => seg.buffers.map((p) => (p ? store.allocBytes(segmentBytes(dtype, seg)) : 0)));
    g.segments.forEach((seg, s) => {
      seg.buffers.forEach((p, i) => {
        if (!p) return;
        const signed = signedOf(buffers[i]!);
        for (const slot of seg.slots) {
          if (keep) {
            const values = decodeState(g.dtype, slotBytes(store, g.dtype, p, slot, i), slot.param.length, signed);
            encodeState(dtype, values, slot.param.length, slotBytes(store, dtype, fresh[s]![i]!, slot, i), signed);
          }
        }
        seg.buffers[i] = fresh[s]![i]!;
      });
    });
    g.dtype = dtype;
  }
  for (let i = 0; i < buffers.length; i++) {
    const b = buffers[i]!;
    if (!b.needed(o) && !(extra?.has(b.name) ?? false)) continue;
    for (let s = 0; s < g.segments.length; s++) {
      const seg = g.segments[s]!;
      const length = seg.bufferAt[i]![seg.slots.length]!;
      if (seg.buffers[i] || length === 0) continue; // length 0: no param of the segment has this buffer
      const ptr = store.allocBytes(dtype === "f32" ? 4 * length : segmentBytes(dtype, seg));
      const fill = b.fill?.(o) ?? 0;
      if (fill !== 0) {
        const dev = deviceStore(store);
        if (dev && dtype === "f32") dev.fill(ptr, length, fill);
        else if (dev) { // encoded on a host copy of the new (zeroed) buffer, then uploaded whole
          dev.openHost();
          for (const slot of seg.slots) fillState(store, dtype, ptr, slot, i, fill, signedOf(b));
          dev.closeHost(true);
        } else if (dtype === "f32") (store as ParamStore).f32.fill(fill, ptr / 4, ptr / 4 + length);
        else for (const slot of seg.slots) fillState(store, dtype, ptr, slot, i, fill, signedOf(b));
      }
      seg.buffers[i] = ptr;
      for (const r of g.runs) if (r.seg === seg) setOffsets(g, r);
    }
  }
  if (g.hasScratch) {
    let floats = 0;
    for (const s of g.slots) floats = Math.max(floats, spec.scratchFloats!(s.shape, o));
    if (floats > g.scratchFloats) {
      g.scratch = store.alloc(floats);
      g.scratchFloats = floats;
      for (const r of g.runs) setOffsets(g, r);
    }
  }
  if (changed) for (const r of g.runs) setOffsets(g, r);
  return changed;
}

/** Writes `value` into every element of `slot`'s part of state buffer `i` (at `ptr`, stored as `dtype`). */
export function fillState(store: Memory, dtype: StateDtype, ptr: number, slot: Slot, i: number, value: number, signed: boolean): void {
  const n = bufferPart(slot, i).length;
  encodeState(dtype, new Float32Array(n).fill(value), n, slotBytes(store, dtype, ptr, slot, i), signed);
}
