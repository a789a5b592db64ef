// ParamStore: one WebAssembly.Memory holding params, grads and optimizer state, handed to the trainer as
// Float32Array views (zero-copy). Memory ownership is explicit: everything a store allocates lives until
// store.dispose(); optimizers allocate their state in the store of their params.
//
// Layout: params are packed into blocks. A block of capacity C holds values in its first C floats and
// grads in the next C, so params created one after another are contiguous in both and an optimizer covers
// the whole run with one kernel call. Allocation, growth and views are the store's memory's (memory.ts).
// Param and ParamStore stay in this one file: each names the other in its public type (param.store,
// store.param()), and a type-only import between two files is still a cycle (madge counts it).
//
// Views stay valid for the store's whole life: with a shared memory (the default wherever the host can
// create one) a grown memory never detaches old views; otherwise `param.value`/`param.grad` are getters
// that rebuild their view after growth (hold the Param, not the view, across allocations).
import { canShareMemory, defaultShared, sharedModules, wasmModule, type WasmKind } from "./loader.js";
import { type KernelFn, type KernelName, type Kernels, LOWP_SCRATCH_BYTES } from "../abi/index.js";
import { MAX_BYTES, PAGE, StoreMemory } from "./memory.js";
import { hostCores, WorkerPool, workersAvailable } from "./threads.js";

const MIN_BLOCK = 16384; // floats
const MAX_BLOCK = 1 << 20; // floats: caps the unused tail of a block
// A block's grads are skewed against its values (4K aliasing: see the skews of memory.ts).
const GRAD_SKEW = 2112;

/** Options of `new ParamStore()`: its memory and its threads. */
export interface ParamStoreOptions {
  /** Use a shared WebAssembly.Memory. Default: whenever the host supports it. */
  shared?: boolean;
  /** Upper bound on the store's memory in bytes (default and maximum: 4 GiB, the wasm32 limit). */
  maximumBytes?: number;
  /**
   * Floats to reserve for params up front. Params that fit in one block are contiguous and stepped by one
   * kernel call; without a hint, blocks start at 16K floats and double, so N floats of params take about
   * log2(N / 16K) + 1 calls.
   */
  capacity?: number;
  /**
   * Threads stepping this store's params: 1 (default), a number, or "auto" (the host's core count). Needs
   * shared memory and Workers; where either is missing the store runs on one thread (see `threadInfo`).
   */
  threads?: number | "auto";
  /**
   * Kernel calls over fewer floats than this run on the calling thread alone. Default 262144 (256K), measured
   * on the dev machine (the performance guide has the figures); the best value depends on the machine.
   */
  threadMinSize?: number;
}

/** How many threads a store runs on, and why. */
export interface ThreadInfo {
  /** The `threads` option as given. */
  requested: number | "auto";
  /** The threads the store steps with (1: the calling thread alone). */
  threads: number;
  /** Why it runs on that many (why fewer than requested, when so). */
  reason: string;
}

const WORKER_SPIN_MS = 0.2;
const EMPTY = new Float32Array(0);


/** Options of `store.param()`. */
export interface ParamOptions {
  /** Tensor shape, e.g. `[rows, cols]` for a weight matrix; the product must equal the length. Default `[length]`. */
  shape?: readonly number[];
}

/** Throws unless `shape` is an array of non-negative integers whose product is `length`. */
export function checkShape(shape: unknown, length: number, where: string): asserts shape is readonly number[] {
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new TypeError(`${where}: invalid shape ${JSON.stringify(shape)} (expected an array of integers >= 0)`);
  }
  const size = shape.reduce((a: number, d: number) => a * d, 1);
  if (size !== length) throw new RangeError(`${where}: shape [${shape.join(", ")}] has ${size} elements, the param has ${length}`);
}

/**
 * The arguments of a store's `param(name, init, options)` checked (`taken`: the name is in use); returns the
 * param's length. Every store (ParamStore, and gradstep/webgpu's GpuParamStore) refuses the same inputs alike.
 */
export function checkParamArgs(name: unknown, init: unknown, options: ParamOptions, taken: boolean): number {
  if (typeof name !== "string" || name === "") throw new TypeError("param(name, init): name must be a non-empty string");
  if (taken) throw new Error(`param(): a param named "${name}" already exists in this store`);
  let length: number;
  if (typeof init === "number") {
    if (!Number.isSafeInteger(init) || init < 0) throw new RangeError(`param("${name}"): invalid length ${init} (expected an integer >= 0)`);
    length = init;
  } else if (init !== null && typeof init === "object" && typeof (init as ArrayLike<number>).length === "number") {
    const a = init as ArrayLike<number>;
    length = a.length;
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new RangeError(`param("${name}"): init has an invalid length ${length} (expected an integer >= 0)`);
    }
    for (let i = 0; i < length; i++) {
      if (typeof a[i] !== "number") throw new TypeError(`param("${name}"): init[${i}] is not a number`);
    }
  } else {
    throw new TypeError(`param("${name}"): init must be a Float32Array, an array of numbers or a length`);
  }
  if (options === null || typeof options !== "object") throw new TypeError(`param("${name}"): options must be an object`);
  for (const key of Object.keys(options)) if (key !== "shape") throw new TypeError(`param("${name}"): unknown option "${key}" (expected shape)`);
  if (options.shape !== undefined) checkShape(options.shape, length, `param("${name}")`);
  return length;
}

/** A trainable tensor: `value` and `grad` are Float32Array views into the store's Wasm memory. */
export class Param {
  /** Byte offsets of value and grad in the store's memory (for kernels). */
  readonly valuePtr: number;
  /** Byte offset of the grad in the store's memory. */
  readonly gradPtr: number;
  #value: Float32Array;
  #grad: Float32Array;
  #shape: readonly number[];
  #shapeGiven = false;

  /**
   * Whether `x` is a Param itself: not a Proxy of one, nor an object inheriting from one (their getters would
   * fail on the private fields, and a proxy's traps may return anything).
   */
  static isParam(x: unknown): x is Param {
    return x !== null && typeof x === "object" && #value in x;
  }

  /** @internal */
  constructor(
    /** The store whose memory holds this param. */
    readonly store: ParamStore,
    /** Its name in the store (state dicts and checkpoints use it). */
    readonly name: string,
    /** Its number of elements. */
    readonly length: number, valuePtr: number, gradPtr: number) {
    this.valuePtr = valuePtr;
    this.gradPtr = gradPtr;
    this.#value = store.view(valuePtr, length);
    this.#grad = store.view(gradPtr, length);
    this.#shape = Object.freeze([length]);
  }

  /** The tensor shape (frozen; product = length). `[length]` unless given to `store.param(..., { shape })`. */
  get shape(): readonly number[] {
    return this.#shape;
  }

  /** Whether the shape was given (`store.param(name, init, { shape })`), not the default `[length]`. */
  get hasShape(): boolean {
    return this.#shapeGiven;
  }

  /** @internal Sets a shape checked by checkShape(). */
  setShape(shape: readonly number[]): void {
    this.#shape = Object.freeze([...shape]);
    this.#shapeGiven = true;
  }

  /** The parameter's values (a live view into Wasm memory; writes go straight to the optimizer). */
  get value(): Float32Array {
    this.#check();
    return this.#value;
  }

  /** The gradient the next step() reads. Fill it in place (e.g. `param.grad.set(g)`). */
  get grad(): Float32Array {
    this.#check();
    return this.#grad;
  }

  /** @internal Drops the views (dispose): a disposed store's Param no longer keeps its memory alive. */
  detach(): void {
    this.#value = this.#grad = EMPTY;
  }

  #check(): void {
    const s = this.store;
    if (s.disposed) throw new Error(`param "${this.name}": its ParamStore has been disposed`);
    if (!s.shared && this.#value.buffer !== s.buffer) {
      this.#value = s.view(this.valuePtr, this.length);
      this.#grad = s.view(this.gradPtr, this.length);
    }
  }
}

interface Block { valueBase: number; gradBase: number; capacity: number; used: number }

/**
 * Owns one Wasm memory with params, grads and optimizer state.
 *
 * @example
 * const store = new ParamStore();
 * const w = store.param("w", new Float32Array([0.1, -0.2, 0.3])); // copies the initial values in
 * const b = store.param("b", 128);                                // zero-filled
 * w.grad.set([0.5, 0.5, 0.5]);
 * store.dispose();
 */
export class ParamStore {
  /** Whether the store's memory is a shared WebAssembly.Memory (ParamStoreOptions.shared). */
  readonly shared: boolean;
  readonly #mem: StoreMemory;
  #params: Param[] = [];
  #all: Param[] = []; // every Param handed out (store params and copy-path mirrors), detached on dispose
  #names = new Map<string, Param>();
  #block: Block | undefined;
  #paramFloats = 0;
  readonly #capacity: number;
  #disposed = false;
  #kernels = new Map<WasmKind, Kernels>();
  #threaded = new Map<string, KernelFn>();

  constructor(options: ParamStoreOptions = {}) {
    if (options === null || typeof options !== "object") throw new TypeError("ParamStore options must be an object");
    for (const k of Object.keys(options)) {
      if (!["shared", "maximumBytes", "capacity", "threads", "threadMinSize"].includes(k)) {
        throw new TypeError(`ParamStore: unknown option "${k}"`);
      }
    }
    const capacity = options.capacity ?? 0;
    if (!Number.isSafeInteger(capacity) || capacity < 0) {
      throw new RangeError(`ParamStore: invalid capacity ${String(capacity)} (expected an integer >= 0)`);
    }
    this.#capacity = capacity;
    const maxBytes = options.maximumBytes ?? MAX_BYTES;
    if (typeof maxBytes !== "number" || !(maxBytes >= PAGE && maxBytes <= MAX_BYTES)) {
      throw new RangeError(`ParamStore: invalid maximumBytes ${String(maxBytes)} (expected ${PAGE} <= maximumBytes <= ${MAX_BYTES})`);
    }
    this.#mem = new StoreMemory(maxBytes);
    // The first block of params must fit, or nothing ever would: say so now rather than at the first param().
    const first = Math.max(MIN_BLOCK, capacity);
    const firstEnd = this.#mem.place(8 * first + GRAD_SKEW, 16);
    if (firstEnd.end > this.#mem.maxBytes) {
      throw new RangeError(`ParamStore: maximumBytes ${maxBytes} is too small: the first block of params ` +
        `(${first} floats of values and grads) needs ${Math.ceil(firstEnd.end / PAGE) * PAGE} bytes`);
    }
    if (options.shared !== undefined && typeof options.shared !== "boolean") {
      throw new TypeError(`ParamStore: invalid shared ${String(options.shared)} (expected a boolean)`);
    }
    if (typeof WebAssembly !== "object") {
      throw new Error("ParamStore needs WebAssembly; without it pass plain { value, grad } Float32Arrays to an optimizer with backend \"js\"");
    }
    const shared = options.shared ?? defaultShared();
    if (shared && !canShareMemory()) throw new Error("ParamStore: this host cannot create a shared WebAssembly.Memory");
    this.shared = shared;
    this.#mem.open(shared);
    this.threadInfo = this.#startThreads(options);
    // The pool's control blocks come first: check again that the first block still fits after them.
    if (this.#mem.place(8 * first + GRAD_SKEW, 16).end > this.#mem.maxBytes) {
      this.dispose();
      throw new RangeError(`ParamStore: maximumBytes ${maxBytes} is too small: the first block of params ` +
        `(${first} floats of values and grads) does not fit after the worker pool's control blocks`);
    }
  }

  /** The store's WebAssembly.Memory (throws after dispose()). */
  get memory(): WebAssembly.Memory {
    return this.#mem.memory;
  }

  /** How many threads this store runs on (1 = no worker pool), and why. */
  readonly threadInfo: ThreadInfo;
  #pool: WorkerPool | undefined;

  #startThreads(options: ParamStoreOptions): ThreadInfo {
    const requested = options.threads ?? 1;
    if (requested !== "auto" && (!Number.isSafeInteger(requested) || requested < 1 || requested > 64)) {
      throw new RangeError(`ParamStore: invalid threads ${String(requested)} (expected "auto" or an integer 1..64)`);
    }
    const minSize = options.threadMinSize;
    if (minSize !== undefined && (!Number.isSafeInteger(minSize) || minSize < 16)) {
      throw new RangeError(`ParamStore: invalid threadMinSize ${String(minSize)} (expected an integer >= 16)`);
    }
    // More threads than cores only slows a step down: every thread spins while it waits for the others.
    const cores = Math.max(1, hostCores());
    const want = requested === "auto" ? cores : Math.min(requested, cores);
    const capped = requested !== "auto" && requested > cores ? ` (capped at the host's ${cores} core${cores === 1 ? "" : "s"})` : "";
    if (want === 1) return { requested, threads: 1, reason: requested === 1 ? "threads: 1" : `one core${capped}` };
    if (!this.shared) return { requested, threads: 1, reason: "no shared memory (threads need a shared WebAssembly.Memory)" };
    if (!workersAvailable()) return { requested, threads: 1, reason: "no Worker in this runtime" };
    if (typeof SharedArrayBuffer !== "function") {
      return { requested, threads: 1, reason: "SharedArrayBuffer is unavailable (browsers need cross-origin isolation: COOP/COEP)" };
    }
    const modules = sharedModules();
    if (!modules.simd && !modules.scalar) return { requested, threads: 1, reason: "no shared-memory Wasm build loaded (js backend)" };
    try {
      this.#pool = new WorkerPool({
        memory: this.memory, modules, workers: want - 1, alloc: (bytes) => this.allocBytes(bytes, 64),
        minSize, spinMs: WORKER_SPIN_MS,
      });
    } catch (e) {
      return { requested, threads: 1, reason: `could not start workers: ${(e as Error).message}` };
    }
    return { requested, threads: want, reason: `${want - 1} worker(s) + the calling thread, for kernel calls over >= ${this.#pool.minSize} floats${capped}` };
  }

  /** Threads this store steps with (1 without a worker pool). */
  get threads(): number {
    return this.threadInfo.threads;
  }

  /** Resolves when the store's workers have started (steps before that run on fewer threads). */
  async ready(): Promise<void> {
    await this.#pool?.ready();
  }

  /** @internal Throws if the worker pool has gone down (a worker crashed or was terminated). */
  assertThreads(): void {
    if (this.#pool?.down !== undefined) throw this.#pool.error();
  }

  /** @internal The worker handles (for tests of crash handling). */
  get workers(): readonly { terminate(): unknown }[] {
    return this.#pool?.workers ?? [];
  }

  /** @internal The worker pool, if any (tests make its workers fail on purpose). */
  get pool(): WorkerPool | undefined {
    return this.#pool;
  }

  /** The memory's current buffer. */
  get buffer(): ArrayBufferLike {
    return this.#mem.buffer; // throws after dispose()
  }

  /** A Float32Array over the whole memory (current after growth). */
  get f32(): Float32Array {
    return this.#mem.f32;
  }

  /** Bytes allocated so far. */
  get bytesUsed(): number {
    return this.#mem.top;
  }

  /** Whether dispose() was called: the store, its params' views and its optimizers are then unusable. */
  get disposed(): boolean {
    return this.#disposed;
  }

  /** Params created by `param()`, in creation order. */
  get params(): Param[] {
    this.assertAlive();
    return this.#params.slice();
  }

  /** The param with this name, or undefined. */
  get(name: string): Param | undefined {
    return this.#names.get(name);
  }

  /**
   * Creates a param: `init` is its initial values (copied in) or its length (zero-filled).
   * Params created one after another are contiguous, so optimizers update them with one kernel call.
   */
  param(name: string, init: Float32Array | ArrayLike<number> | number, options: ParamOptions = {}): Param {
    this.assertAlive();
    const length = checkParamArgs(name, init, options, this.#names.has(name));
    const p = this.allocParam(name, length);
    if (options.shape !== undefined) p.setShape(options.shape);
    if (typeof init !== "number") p.value.set(init);
    this.#params.push(p);
    this.#names.set(name, p);
    return p;
  }

  /** @internal A param not listed in `params` (mirrors of foreign arrays for the copy path). */
  allocParam(name: string, length: number): Param {
    this.assertAlive();
    let b = this.#block;
    if (!b || b.used + length > b.capacity) {
      const capacity = this.#block ? Math.max(length, MIN_BLOCK, Math.min(this.#paramFloats, MAX_BLOCK))
        : Math.max(length, MIN_BLOCK, this.#capacity);
      const base = this.alloc(2 * capacity + GRAD_SKEW / 4);
      b = { valueBase: base, gradBase: base + 4 * capacity + GRAD_SKEW, capacity, used: 0 };
      this.#block = b;
    }
    const p = new Param(this, name, length, b.valueBase + 4 * b.used, b.gradBase + 4 * b.used);
    this.#all.push(p);
    b.used += length;
    this.#paramFloats += length;
    return p;
  }

  /**
   * @internal Reserves `floats` zero-filled f32s and returns the byte offset (16-byte aligned). Throws a
   * RangeError when the memory cannot grow; nothing is changed then.
   */
  alloc(floats: number): number {
    if (!Number.isSafeInteger(floats) || floats < 0) throw new RangeError(`ParamStore.alloc: invalid length ${String(floats)} (expected an integer >= 0)`);
    return this.allocBytes(4 * floats, 16);
  }

  /**
   * Reserves `bytes` zero-filled bytes aligned to `align` (a power of two up to 65536) and returns the byte
   * offset, for buffers of any element type. Offsets cover the whole memory (up to 4 GiB). Throws a
   * RangeError when the memory cannot grow to hold them; nothing is changed then.
   */
  allocBytes(bytes: number, align = 16): number {
    this.assertAlive();
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`ParamStore.allocBytes: invalid size ${String(bytes)} (expected an integer >= 0)`);
    if (!Number.isSafeInteger(align) || align < 1 || align > PAGE || (align & (align - 1)) !== 0) {
      throw new RangeError(`ParamStore.allocBytes: invalid align ${String(align)} (expected a power of two from 1 to ${PAGE})`);
    }
    return this.#mem.allocBytes(bytes, align);
  }

  /** @internal A Float32Array view of `length` floats at byte offset `ptr` (current buffer). */
  view(ptr: number, length: number): Float32Array {
    return this.#mem.view(ptr, length);
  }

  /** @internal The kernels of a Wasm build instantiated over this store's memory (cached). */
  kernels(kind: WasmKind): Kernels {
    this.assertAlive();
    let k = this.#kernels.get(kind);
    if (!k) {
      const instance = new WebAssembly.Instance(wasmModule(kind, this.shared), {
        env: { memory: this.memory, abort: () => { throw new Error("gradstep kernel aborted"); } },
      });
      k = instance.exports as unknown as Kernels;
      // The low-precision kernels' scratch of this instance (the workers' instances get their own).
      const init = (k as unknown as { lowp_init?: (ptr: number) => void }).lowp_init;
      if (init) init(this.allocBytes(LOWP_SCRATCH_BYTES, 64));
      this.#kernels.set(kind, k);
    }
    return k;
  }

  /**
   * @internal Kernel `name` of build `kind` for calls over `n` floats: split across the worker pool when the
   * store has one and n reaches its gate, otherwise the plain Wasm export (no wrapper on the hot path).
   * `np`, `stride`: the kernel's pointer count and state stride, for the split (WorkerPool.wrap).
   */
  kernel(kind: WasmKind, name: KernelName, n: number, np: number, stride: number): KernelFn {
    const local = this.kernels(kind)[name]!;
    const pool = this.#pool;
    if (!pool || n < pool.minSize) return local;
    const key = `${kind} ${name}`;
    let k = this.#threaded.get(key);
    if (!k) this.#threaded.set(key, (k = pool.wrap(kind, name, local, np, stride)));
    return k;
  }

  /** @internal */
  assertAlive(): void {
    if (this.#disposed) throw new Error("this ParamStore has been disposed");
  }

  /**
   * Releases the store: its workers end, its params, views and optimizer state become unusable (any later
   * use throws), and the store drops every reference to its memory, which the garbage collector then frees
   * (views you still hold keep it alive; a memory is never reused by another store).
   */
  dispose(): void {
    this.#pool?.dispose();
    this.#disposed = true;
    this.#kernels.clear();
    this.#threaded.clear();
    this.#block = undefined;
    for (const p of this.#all) p.detach();
    this.#mem.close();
  }
}
