// GpuParamStore: params, grads and optimizer state in GPU buffers, for trainers whose forward and backward run
// on the GPU (their WGSL writes the grads in place; nothing crosses to the CPU during a step). The optimizers'
// step plan addresses memory by byte offsets (src/core/backend.ts); here an offset is an address in the store's
// own address space, where every allocation is one GPUBuffer at a base address: params are packed into blocks
// as in a ParamStore (values of a block in one buffer, its grads in another), so params created one after
// another are contiguous in both and one dispatch steps the whole run. State buffers are allocated per segment,
// as on Wasm. Ownership is explicit: dispose() destroys every buffer the store made.
// An external param (store.external) is a range of a GPUBuffer its caller owns (a tfjs variable's): it gets an
// address range of its own, never contiguous with another, so it is its own run (one dispatch, binding the
// caller's buffers; its state stays in the store's buffers). The caller may rebind it to other buffers between
// steps (GpuParam.bind): the launch notices and binds them (src/webgpu/backend.ts).
import type { Backend, DeviceStore } from "../core/backend.js";
import { checkParamArgs, checkShape } from "../runtime/store.js";
import { WebGpuBackend } from "./backend.js";
import { type Allocation, COPY_DST, COPY_SRC, type GPU, type GPUBuffer, type GPUDevice, type GpuMemory, MAP_MODE_READ, MAP_READ, STORAGE } from "./gpu.js";

// A ParamStore's block rules (src/runtime/store.ts): a block of params holds at least MIN_BLOCK floats, later
// blocks grow with the params up to MAX_BLOCK, so N floats of params take about log2(N / 16K) + 1 dispatches.
const MIN_BLOCK = 16384;
const MAX_BLOCK = 1 << 20;
/** Every allocation starts on this boundary of the address space (WebGPU's storage offset alignment). */
const ALIGN = 256;

interface Block { values: Allocation; grads: Allocation; capacity: number; used: number }

/** Options of `GpuParamStore.create()`. */
export interface GpuParamStoreOptions {
  /** The device to allocate on. Default: one requested from `navigator.gpu` (the adapter's largest buffer limits). */
  device?: GPUDevice;
  /** Floats to reserve for params up front (one block, so one dispatch for params that fit). */
  capacity?: number;
}

/** Options of `store.param()`. */
export interface GpuParamOptions {
  /** Tensor shape; the product must equal the length. Default `[length]`. */
  shape?: readonly number[];
}

/** Where an external param's value and grad live: `store.external(name, options)`, `param.bind(options)`. */
export interface GpuBinding {
  /** The GPUBuffer holding the values, read and written in place: `STORAGE` usage at least (bound whole). */
  buffer?: GPUBuffer;
  /** Byte offset of the values in `buffer`, a multiple of 4. Default 0 (bind: the current one). */
  offset?: number;
  /**
   * The GPUBuffer holding the grads, only read: `STORAGE` usage at least, never `buffer` itself. Default
   * (external): a grad buffer of the store's own, like a packed param's.
   */
  gradBuffer?: GPUBuffer;
  /** Byte offset of the grads in `gradBuffer`, a multiple of 4. Default 0 (bind: the current one). */
  gradOffset?: number;
}

/** Options of `store.external()`: the param's size and where it lives. */
export interface GpuExternalOptions extends GpuBinding {
  /** The GPUBuffer holding the values, read and written in place: `STORAGE` usage at least (bound whole). */
  buffer: GPUBuffer;
  /** Number of floats. Default: the product of `shape` (one of the two is needed). */
  length?: number;
  /** Tensor shape; the product must equal the length. Default `[length]`. */
  shape?: readonly number[];
}

const BINDING_KEYS = ["buffer", "offset", "gradBuffer", "gradOffset"];

/**
 * Throws unless `offset` and `length` floats fit `buffer`, which a launch can bind as a storage buffer on a
 * device whose largest binding is `maxBinding` bytes. (Whether the buffer was destroyed, WebGPU cannot tell
 * before a submit: docs/webgpu.md, "External params".)
 */
function checkBinding(where: string, role: "buffer" | "gradBuffer", buffer: unknown, offset: unknown, length: number, maxBinding: number): void {
  const b = buffer as Partial<GPUBuffer> | null | undefined;
  if (b === null || typeof b !== "object" || typeof b.size !== "number" || typeof b.usage !== "number" || typeof b.mapAsync !== "function") {
    throw new TypeError(`${where}: ${role} must be a GPUBuffer`);
  }
  const key = role === "buffer" ? "offset" : "gradOffset";
  if (!Number.isSafeInteger(offset) || (offset as number) < 0 || (offset as number) % 4 !== 0) {
    throw new RangeError(`${where}: invalid ${key} ${String(offset)} (expected a multiple of 4, >= 0)`);
  }
  if ((b.usage & STORAGE) === 0) throw new TypeError(`${where}: ${role} has usage ${b.usage}, without STORAGE (GPUBufferUsage.STORAGE: a launch binds it as a storage buffer)`);
  if ((offset as number) + 4 * length > b.size) {
    throw new RangeError(`${where}: ${role} of ${b.size} bytes is too small for ${length} floats at ${key} ${String(offset)}`);
  }
  if (b.size > maxBinding) throw new RangeError(`${where}: ${role} of ${b.size} bytes exceeds the device's maxStorageBufferBindingSize (${maxBinding}; a launch binds the whole buffer)`);
}

/**
 * `x`, or a copy of it when it views shared memory (a ParamStore's Wasm memory): Dawn's writeBuffer aborts the
 * process on a SharedArrayBuffer.
 */
function unshared(x: Float32Array): Float32Array {
  return x.buffer instanceof ArrayBuffer ? x : x.slice();
}

/** Two bindings of one launch may not alias when one of them is written (WebGPU's rule). */
function checkDistinct(where: string, buffer: GPUBuffer, gradBuffer: GPUBuffer): void {
  if (buffer === gradBuffer) {
    throw new TypeError(`${where}: gradBuffer is the value buffer; they must be two buffers (a launch writes the values and reads the grads, and WebGPU forbids a written binding aliasing another)`);
  }
}

/** A trainable tensor whose value and grad live in GPU buffers. */
export class GpuParam {
  /** The store that holds it. */
  readonly store: GpuParamStore;
  /** Its name, unique in its store (the checkpoint key). */
  readonly name: string;
  /** Number of floats. */
  readonly length: number;
  /** Tensor shape (its product is `length`). */
  readonly shape: readonly number[];
  /** Address of the values in the store's address space (what the optimizers' launches hold). */
  readonly valuePtr: number;
  /** Address of the grads in the store's address space. */
  readonly gradPtr: number;
  readonly #values: Allocation;
  readonly #grads: Allocation;
  readonly #maxBinding: number;

  /** @internal */
  constructor(store: GpuParamStore, name: string, length: number, shape: readonly number[], values: Allocation, grads: Allocation,
      valuePtr: number, gradPtr: number) {
    this.store = store;
    this.name = name;
    this.length = length;
    this.shape = Object.freeze([...shape]);
    this.#values = values;
    this.#grads = grads;
    this.valuePtr = valuePtr;
    this.gradPtr = gradPtr;
    this.#maxBinding = store.device.limits.maxStorageBufferBindingSize;
  }

  /** The GPUBuffer holding the values (shared with the other params of its block; an external param's: its caller's). */
  get buffer(): GPUBuffer { this.#check(); return this.#values.buffer; }
  /** Byte offset of the values in `buffer`. */
  get offset(): number { return this.valuePtr - this.#values.base + this.#values.offset; }
  /** The GPUBuffer holding the grads; a trainer's WGSL writes them in place at `gradOffset`. */
  get gradBuffer(): GPUBuffer { this.#check(); return this.#grads.buffer; }
  /** Byte offset of the grads in `gradBuffer`. */
  get gradOffset(): number { return this.gradPtr - this.#grads.base + this.#grads.offset; }
  /** Whether its values live in a buffer its caller owns (`store.external()`), stepped in place. */
  get external(): boolean { return this.#values.external; }

  /**
   * Rebinds an external param to other buffers (or offsets) for the steps queued from now on; what is left out
   * stays as it is. Nothing is copied: the next step reads and writes the new buffers, whose values and grads
   * are the param's from then on. The optimizer's state stays where it is. Checked like `store.external()`'s
   * buffers; on an error nothing changes. A step over a new buffer pair makes a bind group (cached: a launch
   * keeps its last few).
   */
  bind(to: GpuBinding): void {
    this.#check();
    const where = `param "${this.name}".bind`;
    if (!this.external) throw new TypeError(`${where}: only an external param (store.external()) can be rebound; a packed param's buffers are the store's`);
    if (to === null || typeof to !== "object") throw new TypeError(`${where}: expected an object { buffer?, offset?, gradBuffer?, gradOffset? }`);
    for (const k of Object.keys(to)) if (!BINDING_KEYS.includes(k)) throw new TypeError(`${where}: unknown option "${k}" (expected ${BINDING_KEYS.join(", ")})`);
    const v = this.#values, g = this.#grads;
    if (!g.external && (to.gradBuffer !== undefined || to.gradOffset !== undefined)) {
      throw new TypeError(`${where}: its grads are in the store's own buffer (store.external() was given no gradBuffer); they cannot be rebound`);
    }
    const buffer = to.buffer ?? v.buffer, offset = to.offset ?? v.offset, gradBuffer = to.gradBuffer ?? g.buffer, gradOffset = to.gradOffset ?? g.offset;
    checkBinding(where, "buffer", buffer, offset, this.length, this.#maxBinding);
    if (g.external) {
      checkBinding(where, "gradBuffer", gradBuffer, gradOffset, this.length, this.#maxBinding);
      checkDistinct(where, buffer, gradBuffer);
    }
    v.buffer = buffer; v.offset = offset;
    g.buffer = gradBuffer; g.offset = gradOffset;
  }

  /** Queues writing the values (length floats). */
  write(values: Float32Array): void {
    this.#check();
    this.#checkLength(values, "write");
    this.#checkUsage(this.#values, COPY_DST, "write");
    this.store.device.queue.writeBuffer(this.#values.buffer, this.offset, unshared(values));
  }

  /** Queues writing the grads (length floats): for tests and small models (a GPU trainer writes them in WGSL). */
  writeGrad(grad: Float32Array): void {
    this.#check();
    this.#checkLength(grad, "writeGrad");
    this.#checkUsage(this.#grads, COPY_DST, "writeGrad");
    this.store.device.queue.writeBuffer(this.#grads.buffer, this.gradOffset, unshared(grad));
  }

  /** The values, read back after everything queued so far (a copy). */
  async read(): Promise<Float32Array> {
    this.#check();
    this.#checkUsage(this.#values, COPY_SRC, "read");
    return new Float32Array(await this.store.readBytes(this.#values.buffer, this.offset, 4 * this.length));
  }

  /** The grads, read back after everything queued so far (a copy). */
  async readGrad(): Promise<Float32Array> {
    this.#check();
    this.#checkUsage(this.#grads, COPY_SRC, "readGrad");
    return new Float32Array(await this.store.readBytes(this.#grads.buffer, this.gradOffset, 4 * this.length));
  }

  /** An external buffer may lack the copy usages that the host's reads and writes need (a step needs only STORAGE). */
  #checkUsage(a: Allocation, usage: number, where: string): void {
    if ((a.buffer.usage & usage) === 0) {
      throw new TypeError(`param "${this.name}".${where}: its buffer has usage ${a.buffer.usage}, without ${usage === COPY_SRC ? "COPY_SRC" : "COPY_DST"}`);
    }
  }

  #checkLength(x: Float32Array, where: string): void {
    if (!(x instanceof Float32Array)) throw new TypeError(`param "${this.name}".${where}: expected a Float32Array`);
    if (x.length !== this.length) throw new RangeError(`param "${this.name}".${where}: got ${x.length} floats, the param has ${this.length}`);
  }

  #check(): void {
    if (this.store.disposed) throw new Error(`param "${this.name}": its GpuParamStore has been disposed`);
  }
}

/**
 * Params, grads and optimizer state in GPU buffers of one GPUDevice.
 *
 * @example
 * const store = await GpuParamStore.create();            // or GpuParamStore.create({ device })
 * const w = store.param("w", new Float32Array([0.1, -0.2, 0.3]));
 * const opt = new Adam(store.params, { lr: 1e-3 });      // steps on the GPU
 * w.writeGrad(new Float32Array([0.5, 0.5, 0.5])); opt.step();
 * console.log(await w.read());
 * store.dispose();
 */
export class GpuParamStore {
  // A DeviceStore (what the optimizer core needs) and a GpuMemory (what the backend needs), checked here rather
  // than with `implements`: those members are @internal, stripped from the published declarations, where an
  // `implements` clause would then be false.
  static readonly #isDeviceStore = (s: GpuParamStore): DeviceStore & GpuMemory => s;

  /** The kind of device its params live on: an optimizer over them steps on the webgpu backend. */
  readonly deviceKind = "webgpu" as const;
  /** The GPUDevice its buffers are on. */
  readonly device: GPUDevice;
  /** Whether dispose() destroys the device too (the store requested it). */
  readonly #ownsDevice: boolean;
  readonly #capacity: number;
  #disposed = false;
  #top = ALIGN; // address 0 stays unused: offset 0 means "no buffer"
  readonly #allocs: Allocation[] = []; // in address order
  #params: GpuParam[] = [];
  readonly #names = new Map<string, GpuParam>();
  #block: Block | undefined;
  #paramFloats = 0;
  #host: Map<Allocation, Uint8Array> | undefined;
  #touched = new Set<Allocation>();
  /** @internal Per kernel source: its pipeline and bind group layout, built once (src/webgpu/backend.ts). */
  readonly pipelines = new Map<string, unknown>();

  /**
   * A store on `options.device`, or on a device requested from `navigator.gpu` (with the adapter's largest
   * storage buffer limits). Throws a clear error where there is no WebGPU or no adapter.
   */
  static async create(options: GpuParamStoreOptions = {}): Promise<GpuParamStore> {
    if (options === null || typeof options !== "object") throw new TypeError("GpuParamStore.create: options must be an object");
    for (const k of Object.keys(options)) {
      if (k !== "device" && k !== "capacity") throw new TypeError(`GpuParamStore.create: unknown option "${k}" (expected device, capacity)`);
    }
    if (options.device !== undefined) return new GpuParamStore(options.device, false, options.capacity);
    const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
    if (!gpu) {
      throw new Error("GpuParamStore.create: no WebGPU here (navigator.gpu is undefined): pass { device }, or in Node install the " +
        "`webgpu` package and pass { device } from its create([]).requestAdapter()");
    }
    const adapter = await gpu.requestAdapter();
    if (!adapter) throw new Error("GpuParamStore.create: navigator.gpu.requestAdapter() found no adapter (no GPU, or WebGPU disabled)");
    const { maxStorageBufferBindingSize, maxBufferSize } = adapter.limits;
    const device = await adapter.requestDevice({ requiredLimits: { maxStorageBufferBindingSize, maxBufferSize } });
    return new GpuParamStore(device, true, options.capacity);
  }

  private constructor(device: GPUDevice, ownsDevice: boolean, capacity = 0) {
    if (device === null || typeof device !== "object" || typeof device.createBuffer !== "function") {
      throw new TypeError("GpuParamStore.create: device must be a GPUDevice");
    }
    if (!Number.isSafeInteger(capacity) || capacity < 0) throw new RangeError(`GpuParamStore.create: invalid capacity ${String(capacity)} (expected an integer >= 0)`);
    this.device = device;
    this.#ownsDevice = ownsDevice;
    this.#capacity = capacity;
  }

  /** Whether dispose() has been called (its buffers are destroyed; its params can no longer be used). */
  get disposed(): boolean { return this.#disposed; }

  /**
   * The adapter the store's device is on (vendor, architecture, device, description; empty strings where the
   * implementation does not say), or undefined where the device does not expose it (GPUDevice.adapterInfo).
   */
  get adapterInfo(): {
    /** The vendor's name. */
    vendor: string;
    /** The GPU family or architecture. */
    architecture: string;
    /** A vendor-specific device identifier. */
    device: string;
    /** A human-readable description of the adapter. */
    description: string;
  } | undefined {
    const i = this.device.adapterInfo;
    return i && { vendor: i.vendor ?? "", architecture: i.architecture ?? "", device: i.device ?? "", description: i.description ?? "" };
  }

  /** Params created by `param()`, in creation order. */
  get params(): GpuParam[] {
    this.#assertAlive();
    return this.#params.slice();
  }

  /** The param with this name, or undefined. */
  get(name: string): GpuParam | undefined {
    return this.#names.get(name);
  }

  /** Bytes of GPU buffers this store has allocated (params, grads, state; not the buffers of external params). */
  get bytesUsed(): number {
    return this.#allocs.reduce((s, a) => s + (a.external ? 0 : a.bytes), 0);
  }

  /**
   * Creates a param: `init` is its initial values (copied in) or its length (zero-filled). Params created one
   * after another are contiguous, so one dispatch steps them all.
   */
  param(name: string, init: Float32Array | ArrayLike<number> | number, options: GpuParamOptions = {}): GpuParam {
    this.#assertAlive();
    const length = checkParamArgs(name, init, options, this.#names.has(name));
    const maxFloats = Math.floor(this.device.limits.maxStorageBufferBindingSize / 4);
    if (length > maxFloats) {
      throw new RangeError(`param("${name}"): ${length} floats exceed the device's largest storage binding (${maxFloats} floats, maxStorageBufferBindingSize)`);
    }
    let b = this.#block;
    if (!b || b.used + length > b.capacity) {
      const want = this.#block ? Math.max(length, MIN_BLOCK, Math.min(this.#paramFloats, MAX_BLOCK)) : Math.max(length, MIN_BLOCK, this.#capacity);
      const capacity = Math.min(want, maxFloats);
      b = { values: this.#alloc(4 * capacity), grads: this.#alloc(4 * capacity), capacity, used: 0 };
      this.#block = b;
    }
    const p = new GpuParam(this, name, length, options.shape ?? [length], b.values, b.grads, b.values.base + 4 * b.used, b.grads.base + 4 * b.used);
    b.used += length;
    this.#paramFloats += length;
    if (typeof init !== "number" && length > 0) p.write(init instanceof Float32Array ? init : Float32Array.from(init));
    this.#params.push(p);
    this.#names.set(name, p);
    return p;
  }

  /**
   * Creates an external param: its values are `length` floats at byte `offset` of `buffer`, a GPUBuffer the
   * caller owns (a tfjs variable's, a trainer's), read and written in place by every step; its grads are at
   * `gradOffset` of `gradBuffer` (read only), or in a buffer of the store's when no gradBuffer is given. Each
   * external param is a run of its own: one dispatch per step, binding the caller's buffers; its optimizer state
   * lives in the store. `param.bind()` moves it to other buffers between steps (no copy). The store never
   * destroys the caller's buffers. Throws, changing nothing, on a buffer that is too small, lacks STORAGE
   * usage, exceeds the device's largest binding, or is both the value and the grad buffer.
   */
  external(name: string, options: GpuExternalOptions): GpuParam {
    this.#assertAlive();
    const where = `external("${String(name)}")`;
    if (options === null || typeof options !== "object") throw new TypeError(`${where}: options must be an object { buffer, length or shape, ... }`);
    for (const k of Object.keys(options)) {
      if (k !== "length" && k !== "shape" && !BINDING_KEYS.includes(k)) throw new TypeError(`${where}: unknown option "${k}" (expected ${BINDING_KEYS.join(", ")}, length, shape)`);
    }
    const { buffer, offset = 0, gradBuffer, gradOffset = 0, shape } = options;
    if (options.length === undefined && shape === undefined) throw new TypeError(`${where}: give its length or its shape`);
    const size = Array.isArray(shape) ? shape.reduce((a: number, d: number) => a * d, 1) : NaN;
    if (options.length === undefined) checkShape(shape, size, where);
    const length = checkParamArgs(name, options.length ?? size, shape === undefined ? {} : { shape }, this.#names.has(name));
    const maxBinding = this.device.limits.maxStorageBufferBindingSize;
    checkBinding(where, "buffer", buffer, offset, length, maxBinding);
    if (gradBuffer !== undefined) {
      checkBinding(where, "gradBuffer", gradBuffer, gradOffset, length, maxBinding);
      checkDistinct(where, buffer, gradBuffer);
    } else if (options.gradOffset !== undefined) throw new TypeError(`${where}: gradOffset without gradBuffer`);
    // Address ranges of their own (never contiguous with another param's): the param is a run of its own.
    const bytes = Math.max(4, 4 * length);
    const values = this.#place({ base: this.#top, bytes, buffer, offset, external: true });
    const grads = gradBuffer ? this.#place({ base: this.#top, bytes, buffer: gradBuffer, offset: gradOffset, external: true }) : this.#alloc(bytes);
    const p = new GpuParam(this, name, length, shape ?? [length], values, grads, values.base, grads.base);
    this.#params.push(p);
    this.#names.set(name, p);
    return p;
  }

  /** @internal Reserves `floats` zero-filled f32s (a GPUBuffer of their own); returns their address. */
  alloc(floats: number): number {
    if (!Number.isSafeInteger(floats) || floats < 0) throw new RangeError(`GpuParamStore.alloc: invalid length ${String(floats)} (expected an integer >= 0)`);
    return this.allocBytes(4 * floats);
  }

  /** @internal Reserves `bytes` zero-filled bytes (a GPUBuffer of their own); returns their address. */
  allocBytes(bytes: number, align = 16): number {
    this.#assertAlive();
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`GpuParamStore.allocBytes: invalid size ${String(bytes)} (expected an integer >= 0)`);
    if (!Number.isSafeInteger(align) || align < 1 || align > ALIGN || (align & (align - 1)) !== 0) {
      throw new RangeError(`GpuParamStore.allocBytes: invalid align ${String(align)} (expected a power of two up to ${ALIGN})`);
    }
    return this.#alloc(bytes).base;
  }

  #alloc(bytes: number): Allocation {
    this.#assertAlive();
    const limit = this.device.limits.maxStorageBufferBindingSize;
    if (bytes > limit) throw new RangeError(`GpuParamStore: a buffer of ${bytes} bytes exceeds the device's maxStorageBufferBindingSize (${limit})`);
    // WebGPU zero-fills new buffers; sizes are rounded up to whole words (and one word for empty ones).
    const size = Math.max(4, Math.ceil(bytes / 4) * 4);
    const buffer = this.device.createBuffer({ size, usage: STORAGE | COPY_SRC | COPY_DST });
    return this.#place({ base: this.#top, bytes: size, buffer, offset: 0, external: false });
  }

  /** Adds `a` (at the top of the address space) and moves the top past it, leaving a gap: nothing is contiguous with it. */
  #place(a: Allocation): Allocation {
    this.#top = Math.ceil((this.#top + a.bytes) / ALIGN) * ALIGN + ALIGN;
    this.#allocs.push(a);
    return a;
  }

  /** @internal The allocation that holds address `ptr` (binary search: addresses grow with allocation). */
  locate(ptr: number): Allocation {
    const all = this.#allocs;
    let lo = 0, hi = all.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1, a = all[mid]!;
      if (ptr < a.base) hi = mid - 1;
      else if (ptr >= a.base + a.bytes) lo = mid + 1;
      else return a;
    }
    throw new RangeError(`GpuParamStore: address ${ptr} is in no buffer of this store`);
  }

  /** @internal */
  backend(name: string, verify: boolean): Backend {
    if (verify) throw new TypeError(`${name}: verify is not supported on webgpu (it would read every step back; the parity suite checks the kernels)`);
    return new WebGpuBackend(this);
  }

  /** @internal Queues writing `value` into `floats` f32s at address `ptr`. */
  fill(ptr: number, floats: number, value: number): void {
    if (floats === 0) return;
    const a = this.locate(ptr);
    // zeroGrad over an external grad buffer: a write needs COPY_DST, which a step does not.
    if ((a.buffer.usage & COPY_DST) === 0) throw new TypeError(`GpuParamStore: cannot write a buffer of usage ${a.buffer.usage} (without COPY_DST), an external param's`);
    this.device.queue.writeBuffer(a.buffer, ptr - a.base + a.offset, new Float32Array(floats).fill(value));
  }

  /** @internal Host copies of the allocations at `ptrs`, read back after everything queued so far. */
  async download(ptrs: readonly number[]): Promise<void> {
    this.#assertAlive();
    const state = [...new Set(ptrs.map((p) => this.locate(p)))];
    const copies = await Promise.all(state.map((a) => this.readBytes(a.buffer, a.offset, a.bytes)));
    this.#host = new Map(state.map((a, i) => [a, new Uint8Array(copies[i]!)]));
  }

  /** @internal */
  openHost(): void {
    this.#host = new Map();
    this.#touched.clear();
  }

  /** @internal */
  hostBytes(ptr: number, bytes: number): Uint8Array {
    const host = this.#host;
    if (!host) throw new Error("the optimizer's state lives on the GPU: read it with await opt.stateDictAsync()");
    const a = this.locate(ptr);
    let copy = host.get(a);
    if (!copy) host.set(a, copy = new Uint8Array(a.bytes));
    this.#touched.add(a);
    return copy.subarray(ptr - a.base, ptr - a.base + bytes);
  }

  /** @internal */
  closeHost(upload: boolean): void {
    if (upload && this.#host) for (const a of this.#touched) this.device.queue.writeBuffer(a.buffer, a.offset, this.#host.get(a)!);
    this.#host = undefined;
    this.#touched.clear();
  }

  /** @internal Steps never wait for anything: nothing to check. */
  assertThreads(): void {}

  /** @internal `bytes` bytes at `offset` of `buffer`, read back after everything queued so far. */
  async readBytes(buffer: GPUBuffer, offset: number, bytes: number): Promise<ArrayBuffer> {
    if (bytes === 0) return new ArrayBuffer(0);
    // copyBufferToBuffer moves whole words from word-aligned offsets: read the words around the range.
    const start = Math.floor(offset / 4) * 4, size = Math.ceil((offset + bytes - start) / 4) * 4;
    const staging = this.device.createBuffer({ size, usage: MAP_READ | COPY_DST });
    try {
      const enc = this.device.createCommandEncoder();
      enc.copyBufferToBuffer(buffer, start, staging, 0, size);
      this.device.queue.submit([enc.finish()]);
      await staging.mapAsync(MAP_MODE_READ);
      const copy = staging.getMappedRange().slice(offset - start, offset - start + bytes);
      staging.unmap();
      return copy;
    } finally {
      staging.destroy();
    }
  }

  /**
   * Destroys every buffer the store made (and the device, when create() requested it), not the buffers of its
   * external params. Optimizers over its params can no longer step; their params throw on use.
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const a of this.#allocs) if (!a.external) a.buffer.destroy();
    this.#allocs.length = 0;
    this.#params = [];
    this.#names.clear();
    this.pipelines.clear();
    if (this.#ownsDevice) this.device.destroy?.();
  }

  #assertAlive(): void {
    if (this.#disposed) throw new Error("GpuParamStore has been disposed");
  }
}
