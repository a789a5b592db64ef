// How a param group lies in memory: its params (slots) are cut into segments of params that are contiguous
// in the store (values and grads each), and each segment into runs of slots with equal step and equal
// state-buffer flags; one kernel call steps one run (tensor-kind optimizers: one run per param). State
// buffers are allocated per segment, so a run's state is contiguous too.
import type { KernelFn } from "./abi.js";
import { DTYPE_BYTES, type OptimizerSpec, type ParamLike, type Run } from "./spec.js";
import { Param, type ParamStore } from "../runtime/store.js";

export interface Slot {
  src: ParamLike; param: Param; foreign: boolean; seg: Segment; index: number; offset: number;
  shape: readonly number[];
}
export interface Segment {
  slots: Slot[]; valuePtr: number; gradPtr: number; n: number; buffers: number[];
  /**
   * Per state buffer, the float offset of each slot's part in the segment's buffer (prefix sums of
   * BufferSpec.length, by default the params' lengths); entry `slots.length` is the buffer's total length.
   */
  bufferAt: number[][];
  /** The pre-pass's per-slot lengths and results, made at its first use. */
  lengths?: number[]; reduced?: Float64Array;
}
export interface LayoutRun extends Run { readonly seg: Segment }
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
}

/** Lays out `params` (store params, or foreign ones that get a copy in `store`) as segments. */
export function layoutGroup<O>(store: ParamStore, spec: OptimizerSpec<O>, params: readonly ParamLike[]): GroupLayout {
  const slots: Slot[] = [];
  const segments: Segment[] = [];
  let seg: Segment | undefined;
  for (const src of params) {
    const foreign = !(src instanceof Param);
    const param = foreign ? store.allocParam("(copy)", src.value.length) : src;
    if (!seg || param.valuePtr !== seg.valuePtr + 4 * seg.n || param.gradPtr !== seg.gradPtr + 4 * seg.n) {
      seg = {
        slots: [], valuePtr: param.valuePtr, gradPtr: param.gradPtr, n: 0, buffers: new Array<number>(spec.buffers.length).fill(0),
        bufferAt: spec.buffers.map(() => [0]),
      };
      segments.push(seg);
    }
    const shape = foreign ? (src.shape ? Object.freeze([...src.shape]) : Object.freeze([param.length])) : param.shape;
    const slot: Slot = { src, param, foreign, seg, index: seg.slots.length, offset: seg.n, shape };
    seg.slots.push(slot);
    seg.n += param.length;
    spec.buffers.forEach((b, i) => {
      const at = seg!.bufferAt[i]!;
      at.push(at[at.length - 1]! + (b.length ? b.length(shape) : param.length));
    });
    slots.push(slot);
  }
  const perTensor = spec.kind === "tensor";
  return { segments, runs: [], slots, params, perTensor, scratch: 0, scratchFloats: 0, hasScratch: perTensor && spec.scratchFloats !== undefined };
}

/** Where slot `s`'s part of state buffer `i` starts (floats from the segment buffer's start) and its length. */
export function bufferPart(s: Slot, i: number): { at: number; length: number } {
  const at = s.seg.bufferAt[i]!;
  return { at: at[s.index]!, length: at[s.index + 1]! - at[s.index]! };
}

/** Splits each segment into runs of slots with equal step and equal ready flags (per slot, in order). */
export function buildRuns(g: GroupLayout, steps: readonly number[], ready: readonly boolean[][],
    kernelFor: (n: number, bufferLengths: number[]) => KernelFn): void {
  g.runs = [];
  let k = 0;
  for (const seg of g.segments) {
    let start = 0;
    for (let i = 1; i <= seg.slots.length; i++) {
      const a = k + start, b = k + i;
      if (i < seg.slots.length && !g.perTensor && steps[a] === steps[b] && ready[a]!.every((x, j) => x === ready[b]![j])) continue;
      const first = seg.slots[start]!;
      const n = seg.slots.slice(start, i).reduce((s, x) => s + x.param.length, 0);
      g.runs.push({
        ptrs: [], n, step: steps[a]!, ready: ready[a]!.slice(), seg, first: start, count: i - start, offset: first.offset,
        shape: g.perTensor ? first.shape : Object.freeze([n]),
        kernel: kernelFor(n, seg.bufferAt.map((at) => at[i]! - at[start]!)),
      });
      start = i;
    }
    k += seg.slots.length;
  }
  for (const r of g.runs) setPointers(g, r);
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

function setPointers(g: GroupLayout, r: LayoutRun): void {
  const o = 4 * r.offset, at = r.seg.bufferAt;
  r.ptrs.length = 0;
  r.ptrs.push(r.seg.valuePtr + o, ...r.seg.buffers.map((b, i) => (b ? b + 4 * at[i]![r.first]! : 0)));
  if (g.hasScratch) r.ptrs.push(g.scratch);
  r.ptrs.push(r.seg.gradPtr + o);
}

/**
 * Allocates the state buffers that options `o` need (and those named in `extra`) for every segment of `g`,
 * filled with their start value, and the scratch area. Allocation-free when everything needed exists
 * (step() calls it after a structural edit). May throw (out of memory); it changes no existing value.
 */
export function ensureBuffers<O>(store: ParamStore, spec: OptimizerSpec<O>, g: GroupLayout, o: O,
    extra?: ReadonlySet<string>): void {
  const buffers = spec.buffers;
  for (let i = 0; i < buffers.length; i++) {
    const b = buffers[i]!;
    if (!b.needed(o) && !(extra?.has(b.name) ?? false)) continue;
    for (let s = 0; s < g.segments.length; s++) {
      const seg = g.segments[s]!;
      const length = seg.bufferAt[i]![seg.slots.length]!;
      if (seg.buffers[i] || length === 0) continue; // length 0: no param of the segment has this buffer
      const ptr = store.allocBytes(length * DTYPE_BYTES[b.dtype ?? "f32"]);
      const fill = b.fill?.(o) ?? 0;
      if (fill !== 0) store.f32.fill(fill, ptr / 4, ptr / 4 + length);
      seg.buffers[i] = ptr;
      for (const r of g.runs) if (r.seg === seg) setPointers(g, r);
    }
  }
  if (g.hasScratch) {
    let floats = 0;
    for (const s of g.slots) floats = Math.max(floats, spec.scratchFloats!(s.shape, o));
    if (floats > g.scratchFloats) {
      g.scratch = store.alloc(floats);
      g.scratchFloats = floats;
      for (const r of g.runs) setPointers(g, r);
    }
  }
}
