// The seam between the step plan and what runs kernels. The plan (src/core/plan.ts and the files beside it)
// decides *what* a step does and describes it as launches; a backend decides *where*: it owns the memory the
// buffers live in and executes launches there. Above this file everything is offsets into that memory, never
// pointers or views, so a backend whose memory is not the host's (WebGPU: one GPU buffer per role, the same
// offsets) plugs in without any change to the specs (src/optim/) or the plan.
import type { KernelFn } from "../abi/index.js";
import type { StateDtype } from "./spec.js";
import type { BackendName } from "../runtime/types.js";

/**
 * One kernel call, described: which kernel, over which buffers, with which step scalars and flags. The plan
 * allocates one per run when it lays the run out (plan time) and rewrites its numbers in place every step, so
 * a step allocates nothing; a backend reads it.
 *
 * Everything sits in one Float64Array in the kernel's ABI order (abi/index): offsets, n, scalars,
 * gradScale, flags — what a Wasm backend passes as the call's arguments, what a GPU backend copies into a
 * uniform buffer. `offsets`, `scalars` are views of it.
 */
export class Launch {
  /** The kernel's id: its export name (`adam_f32`, or a low-precision twin `adam_bf16`), the same on every backend. */
  readonly kernel: string;
  /** Offsets, n, scalars, gradScale, flags (the ABI's argument order). */
  readonly args: Float64Array;
  /**
   * Byte offsets into the backend's memory, in the kernel's order: param, state buffers (0 = this launch has
   * none), the scratch area (tensor kinds that need one), grad.
   */
  readonly offsets: Float64Array;
  /** Bytes each offset covers (param and grad: 4n; state: its stored bytes; scratch: its size). */
  readonly bytes: Float64Array;
  /** The spec's step scalars, in the kernel's order (OptimizerSpec.scalars), written by stepScalars. */
  readonly scalars: Float64Array;
  /** How state buffers are stored ("f32", or "bf16"/"int8": their offsets and bytes are not floats). */
  readonly dtype: StateDtype;
  /** Whether the kernel needs the whole tensor (tensor kind): never split across threads or workgroups by n. */
  readonly perTensor: boolean;
  /** What the backend bound to this launch at plan time (the Wasm backend: the function it calls). */
  handle: unknown;
  readonly #n: number;
  readonly #gradScale: number;

  constructor(kernel: string, offsets: number, scalars: number, dtype: StateDtype, perTensor: boolean) {
    this.kernel = kernel;
    this.args = new Float64Array(offsets + 1 + scalars + 2);
    this.offsets = this.args.subarray(0, offsets);
    this.bytes = new Float64Array(offsets);
    this.scalars = this.args.subarray(offsets + 1, offsets + 1 + scalars);
    this.dtype = dtype;
    this.perTensor = perTensor;
    this.#n = offsets;
    this.#gradScale = offsets + 1 + scalars;
  }

  /** Elements the launch steps. */
  get n(): number { return this.args[this.#n]!; }
  set n(v: number) { this.args[this.#n] = v; }
  /** The gradient prologue's scale (1 = none; GRAD_SCALE in flags when not). */
  get gradScale(): number { return this.args[this.#gradScale]!; }
  set gradScale(v: number) { this.args[this.#gradScale] = v; }
  get flags(): number { return this.args[this.args.length - 1]!; }
  set flags(v: number) { this.args[this.args.length - 1] = v; }
}

/**
 * What a backend implements. Created per optimizer over the store whose memory holds its buffers.
 *
 * - `bind` (plan time, may allocate): make a launch executable here — look its kernel up (a Wasm export, the
 *   worker pool's split of it, the pure-TS reference; a GPU pipeline) and keep what it needs in `handle`.
 *   The `reference` is the kernel's pure-TS twin (backends that run or check against it use it).
 * - `execute` (every step, must not allocate): run one launch with the offsets, scalars and flags it holds
 *   now. Launches run in the order they are executed; a backend may queue them (a GPU backend records them
 *   into one command buffer) as long as everything it queued is done before the host reads or writes the
 *   buffers again (`sync`).
 * - `reduceSegments` / `reduceRange`: the read-only reductions the plan's pre-pass needs (Σx², Σ|x|, max|x|
 *   per tensor or over a range: clipping norms, non-finite detection), in the fixed order of core/reduce
 *   so that every backend gives the same bits. They answer synchronously, into arrays the caller owns. A
 *   backend whose memory the host cannot read without waiting (WebGPU) does not have to answer them: the
 *   plan asks only when a transform needs them (maxGradNorm, skipNonFinite), and such a backend would keep
 *   the whole pre-pass on the device instead — reduce, turn the norm into the clip coefficient and the
 *   non-finite test into a flag in a device buffer, and have its kernels read gradScale and "skip" from that
 *   buffer rather than from the launch (PyTorch's fused kernels take `grad_scale` and `found_inf` the same
 *   way), so that the CPU never waits. The launch's gradScale is then only the user's part of the scale.
 *   One host read stays outside this interface: a clip norm of a type other than 1, 2 or ∞ sums |g|^p over
 *   `param.grad` (core/prepass); a device backend would add that sum to its reductions.
 * - `setValueClip`: the value clip's bounds [-f32(v), f32(v)] for the launches that follow; a launch clamps
 *   every gradient element to them in its prologue when its flags have CLIP (undefined: nothing to write).
 */
export interface Backend {
  readonly name: BackendName | "webgpu";
  /**
   * `spec`: the optimizer's spec (a device backend builds its kernel from the kernel's element rule: generated
   * from the Wasm rule for an elementwise kernel, the spec's `wgsl` for a per-tensor one; it refuses a kernel
   * without one).
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  bind(l: Launch, reference: (...args: any[]) => void, bufferNames: readonly string[], spec: BoundSpec): void;
  execute(l: Launch): void;
  reduceSegments(offset: number, lengths: readonly number[], out: Float64Array, mode: number): void;
  /** Σx², Σ|x|, max|x| of n floats at `offset` into out[0..3). */
  reduceRange(offset: number, n: number, out: Float64Array, mode: number): void;
  setValueClip(v: number | undefined): void;
  /** Waits for every queued launch (no-op for backends that execute at once). */
  sync(): void;
  /**
   * A device backend's own pre-pass (see above): queues the reduction of every gradient of `planned` and the
   * decision (clip coefficient times `gradScale`, skip) into a device buffer that the launches of this step read.
   * Present: the plan never calls reduceSegments/reduceRange and decides nothing on the host.
   */
  prePass?(planned: readonly { readonly layout: { readonly segments: readonly GradRange[] } }[], t: PrePassTransforms, gradScale: number): void;
  /**
   * A device backend's schedule-free eval()/train() (ScheduleFreeOptimizer's, on a device store): the
   * n params at `valuePtr` become x = f32(y − f32(c·z)) / β1 (`toEval`) or y = f32(β1·x) + f32(c·z), with z at
   * `zPtr`; queued.
   */
  scheduleFreeSwap?(valuePtr: number, zPtr: number, n: number, toEval: boolean, beta1: number, c: number): void;
}

/** A contiguous range of gradients (a layout segment): n floats at byte offset gradPtr. */
export interface GradRange { readonly gradPtr: number; readonly n: number }
/** The transforms a pre-pass serves (the optimizer's Transforms). */
export interface PrePassTransforms { readonly maxGradNorm?: number; readonly normType: number; readonly skipNonFinite: boolean }

/** What a backend may read of the spec of the launches it binds. */
export interface BoundSpec {
  readonly name: string;
  readonly scalars: readonly string[];
  readonly kind?: "elementwise" | "tensor";
  /** The f32 kernel's name (`<algo>_f32`): an elementwise kernel's WGSL rule is found by it. */
  readonly kernel: string;
  /** A per-tensor kernel's WGSL; absent: it has no WebGPU kernel yet. */
  readonly wgsl?: string;
}

/**
 * A store whose memory is a device's, not the host's (a GpuParamStore of gradstep/webgpu). Its params carry it
 * as `store`; an optimizer over them runs on the backend it makes. Offsets are addresses in the store's own
 * address space, laid out by the same rules as a ParamStore's; the host reaches the bytes only through host
 * copies opened for state I/O (state dicts), never during a step.
 */
export interface DeviceStore {
  /** What kind of device: the backend's name. */
  readonly deviceKind: "webgpu";
  /** Whether the store was disposed (its buffers destroyed). */
  readonly disposed: boolean;
  // The members below are the optimizer core's, not a user's: @internal keeps them out of the published
  // declarations, where a GpuParamStore (whose implementations of them are @internal too) must fit this type.
  /** @internal Reserves `floats` zero-filled f32s; returns their address. */
  alloc(floats: number): number;
  /** @internal Reserves `bytes` zero-filled bytes (at an `align` boundary); returns their address. */
  allocBytes(bytes: number, align?: number): number;
  /** @internal The backend that executes launches over this store (one per optimizer; `name`: the optimizer's). */
  backend(name: string, verify: boolean): Backend;
  /** @internal Queues writing `value` into `floats` f32s at `ptr` (state buffers that start at a value other than 0). */
  fill(ptr: number, floats: number, value: number): void;
  /** @internal Opens host copies of the allocations at `ptrs`, read back from the device (resolves when they are). */
  download(ptrs: readonly number[]): Promise<void>;
  /** @internal Opens zeroed host copies, for writes that cover what they touch (a state load). */
  openHost(): void;
  /** @internal The host copy of bytes [ptr, ptr + bytes); throws a clear error when no host copy is open. */
  hostBytes(ptr: number, bytes: number): Uint8Array;
  /** @internal Closes the host copies; `upload`: queues writing the ones that were touched back to the device. */
  closeHost(upload: boolean): void;
  /** @internal Throws if the store's threads have gone down (a ParamStore's worker pool; a device store has none). */
  assertThreads(): void;
}

/** `store` as a device store, or undefined for a ParamStore (the host's memory). */
export function deviceStore(store: unknown): DeviceStore | undefined {
  return store !== null && typeof store === "object" && typeof (store as Partial<DeviceStore>).deviceKind === "string"
    ? store as DeviceStore : undefined;
}

/**
 * Calls `f` with the arguments in `a` (a launch's args), at a call site of the arguments' count: a site that
 * always sees one kernel (one optimizer in a process) stays monomorphic, so V8 passes the doubles unboxed, as
 * a call written out by hand. Function.prototype.apply would box every double it passes.
 */
export function invoke(f: KernelFn, a: Float64Array): void {
  switch (a.length) {
    case 8: f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!); return;
    case 9: f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!); return;
    case 10: f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!); return;
    case 11: f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!); return;
    case 12: f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!); return;
    case 13: f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!, a[12]!); return;
    case 14: f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!, a[12]!, a[13]!); return;
    case 15:
      f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!, a[12]!, a[13]!, a[14]!);
      return;
    case 16:
      f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!, a[12]!, a[13]!, a[14]!, a[15]!);
      return;
    case 17:
      f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!, a[12]!, a[13]!, a[14]!, a[15]!,
        a[16]!);
      return;
    case 18:
      f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!, a[12]!, a[13]!, a[14]!, a[15]!,
        a[16]!, a[17]!);
      return;
    case 19:
      f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!, a[12]!, a[13]!, a[14]!, a[15]!,
        a[16]!, a[17]!, a[18]!);
      return;
    case 20:
      f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!, a[12]!, a[13]!, a[14]!, a[15]!,
        a[16]!, a[17]!, a[18]!, a[19]!);
      return;
    case 21:
      f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!, a[12]!, a[13]!, a[14]!, a[15]!,
        a[16]!, a[17]!, a[18]!, a[19]!, a[20]!);
      return;
    case 22:
      f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!, a[12]!, a[13]!, a[14]!, a[15]!,
        a[16]!, a[17]!, a[18]!, a[19]!, a[20]!, a[21]!);
      return;
    default:
      throw new RangeError(`a kernel of ${a.length} arguments (invoke in src/core/backend.ts takes 8 to 22: add a case)`);
  }
}
