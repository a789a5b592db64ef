// ParamStore: one WebAssembly.Memory holding params, grads and optimizer state, handed to the trainer as
// Float32Array views (zero-copy). Memory ownership is explicit: everything a store allocates lives until
// store.dispose(); optimizers allocate their state in the store of their params.
//
// Layout: params are packed into blocks. A block of capacity C holds values in its first C floats and
// grads in the next C, so params created one after another are contiguous in both and an optimizer covers
// the whole run with one kernel call. Allocation is a bump pointer (16-byte aligned), growing the memory.
//
// Views stay valid for the store's whole life: with a shared memory (the default wherever the host can
// create one) a grown memory never detaches old views; otherwise `param.value`/`param.grad` are getters
// that rebuild their view after growth (hold the Param, not the view, across allocations).
import { canShareMemory, defaultShared, sharedModules, wasmModule, type WasmKind } from "./loader.js";
import type { KernelFn, KernelName, Kernels } from "../core/abi.js";
import { hostCores, WorkerPool, workersAvailable } from "./threads.js";

const PAGE = 65536;
const MAX_PAGES = 65536; // wasm32: 4 GiB, the maximum the modules declare
const MIN_BLOCK = 16384; // floats
const MAX_BLOCK = 1 << 20; // floats: caps the unused tail of a block
// Arrays that one kernel streams together (param, grad, state) must not sit at the same offset modulo 4 KiB:
// loads then falsely depend on earlier stores to other arrays (4K aliasing) and compete for the same cache
// sets, which cost a third of Adam's speed here. Each allocation starts on a page boundary plus a skew
// that differs between consecutive allocations, and a block's grads are skewed against its values.
const SKEWS = [64, 640, 1216, 1792, 2368, 2944, 3520];
const GRAD_SKEW = 2112;

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
   * on the dev machine (see the README's Performance section); the best value depends on the machine.
   */
  threadMinSize?: number;
}

/** How many threads a store runs on, and why. */
export interface ThreadInfo { requested: number | "auto"; threads: number; reason: string }

const WORKER_SPIN_MS = 0.2;

/** A trainable tensor: `value` and `grad` are Float32Array views into the store's Wasm memory. */
export class Param {
  /** Byte offsets of value and grad in the store's memory (for kernels). */
  readonly valuePtr: number;
  readonly gradPtr: number;
  #value: Float32Array;
  #grad: Float32Array;

  /** @internal */
  constructor(readonly store: ParamStore, readonly name: string, readonly length: number, valuePtr: number, gradPtr: number) {
    this.valuePtr = valuePtr;
    this.gradPtr = gradPtr;
    this.#value = store.view(valuePtr, length);
    this.#grad = store.view(gradPtr, length);
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
  readonly memory: WebAssembly.Memory;
  readonly shared: boolean;
  #top = 16; // byte 0 stays unused so that pointer 0 means "no buffer"
  #params: Param[] = [];
  #names = new Map<string, Param>();
  #block: Block | undefined;
  #paramFloats = 0;
  #allocs = 0;
  readonly #maxPages: number;
  readonly #capacity: number;
  #disposed = false;
  #f32: Float32Array;
  #buffer: ArrayBufferLike;
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
    const maxBytes = options.maximumBytes ?? MAX_PAGES * PAGE;
    if (typeof maxBytes !== "number" || !(maxBytes >= PAGE && maxBytes <= MAX_PAGES * PAGE)) {
      throw new RangeError(`ParamStore: invalid maximumBytes ${String(maxBytes)} (expected ${PAGE} <= maximumBytes <= ${MAX_PAGES * PAGE})`);
    }
    this.#maxPages = Math.floor(maxBytes / PAGE);
    if (options.shared !== undefined && typeof options.shared !== "boolean") {
      throw new TypeError(`ParamStore: invalid shared ${String(options.shared)} (expected a boolean)`);
    }
    if (typeof WebAssembly !== "object") {
      throw new Error("ParamStore needs WebAssembly; without it pass plain { value, grad } Float32Arrays to an optimizer with backend \"js\"");
    }
    const shared = options.shared ?? defaultShared();
    if (shared && !canShareMemory()) throw new Error("ParamStore: this host cannot create a shared WebAssembly.Memory");
    this.shared = shared;
    this.memory = new WebAssembly.Memory({ initial: 1, maximum: this.#maxPages, shared });
    this.#buffer = this.memory.buffer;
    this.#f32 = new Float32Array(this.#buffer);
    this.threadInfo = this.#startThreads(options);
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
    const want = requested === "auto" ? Math.max(1, hostCores()) : requested;
    if (want === 1) return { requested, threads: 1, reason: requested === 1 ? "threads: 1" : `one core` };
    if (!this.shared) return { requested, threads: 1, reason: "no shared memory (threads need a shared WebAssembly.Memory)" };
    if (!workersAvailable()) return { requested, threads: 1, reason: "no Worker in this runtime" };
    if (typeof SharedArrayBuffer !== "function") {
      return { requested, threads: 1, reason: "SharedArrayBuffer is unavailable (browsers need cross-origin isolation: COOP/COEP)" };
    }
    const modules = sharedModules();
    if (!modules.simd && !modules.scalar) return { requested, threads: 1, reason: "no shared-memory Wasm build loaded (js backend)" };
    try {
      this.#pool = new WorkerPool({
        memory: this.memory, modules, workers: want - 1, alloc: (bytes) => this.alloc(Math.ceil(bytes / 4)),
        minSize, spinMs: WORKER_SPIN_MS,
      });
    } catch (e) {
      return { requested, threads: 1, reason: `could not start workers: ${(e as Error).message}` };
    }
    return { requested, threads: want, reason: `${want - 1} worker(s) + the calling thread, for kernel calls over >= ${this.#pool.minSize} floats` };
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

  /** The memory's current buffer. */
  get buffer(): ArrayBufferLike {
    const b = this.memory.buffer;
    if (b !== this.#buffer) {
      this.#buffer = b;
      this.#f32 = new Float32Array(b);
    }
    return b;
  }

  /** A Float32Array over the whole memory (current after growth). */
  get f32(): Float32Array {
    void this.buffer;
    return this.#f32;
  }

  /** Bytes allocated so far. */
  get bytesUsed(): number {
    return this.#top;
  }

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
  param(name: string, init: Float32Array | ArrayLike<number> | number): Param {
    this.assertAlive();
    if (typeof name !== "string" || name === "") throw new TypeError("param(name, init): name must be a non-empty string");
    if (this.#names.has(name)) throw new Error(`param(): a param named "${name}" already exists in this store`);
    let length: number;
    if (typeof init === "number") {
      if (!Number.isSafeInteger(init) || init < 0) throw new RangeError(`param("${name}"): invalid length ${init} (expected an integer >= 0)`);
      length = init;
    } else if (init !== null && typeof init === "object" && typeof (init as ArrayLike<number>).length === "number") {
      length = init.length;
      for (let i = 0; i < length; i++) {
        if (typeof init[i] !== "number") throw new TypeError(`param("${name}"): init[${i}] is not a number`);
      }
    } else {
      throw new TypeError(`param("${name}"): init must be a Float32Array, an array of numbers or a length`);
    }
    const p = this.allocParam(name, length);
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
    b.used += length;
    this.#paramFloats += length;
    return p;
  }

  /**
   * @internal Reserves `floats` zero-filled f32s and returns the byte offset. Throws a RangeError when the
   * memory cannot grow; nothing is changed then.
   */
  alloc(floats: number): number {
    this.assertAlive();
    const bytes = floats * 4;
    const start = ((this.#top + 4095) & ~4095) + SKEWS[this.#allocs % SKEWS.length]!;
    const end = start + bytes;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      const need = Math.ceil((end - have) / PAGE);
      const pages = have / PAGE;
      // Grow by at least a quarter of the current size so that many small allocations grow rarely.
      const grow = Math.min(Math.max(need, Math.ceil(pages / 4)), this.#maxPages - pages);
      if (end > this.#maxPages * PAGE || grow < need) throw this.#oom(bytes);
      try {
        this.memory.grow(grow);
      } catch {
        try {
          this.memory.grow(need);
        } catch {
          throw this.#oom(bytes);
        }
      }
    }
    this.#top = end;
    this.#allocs++;
    return start;
  }

  #oom(bytes: number): RangeError {
    return new RangeError(`ParamStore out of memory: cannot allocate ${bytes} bytes (${this.#top} bytes in use, ` +
      `the memory can grow to at most ${this.#maxPages * PAGE} bytes)`);
  }

  /** @internal A Float32Array view of `length` floats at byte offset `ptr` (current buffer). */
  view(ptr: number, length: number): Float32Array {
    return new Float32Array(this.buffer, ptr, length);
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
      this.#kernels.set(kind, k);
    }
    return k;
  }

  /**
   * @internal Kernel `name` of build `kind` for calls over `n` floats: split across the worker pool when the
   * store has one and n reaches its gate, otherwise the plain Wasm export (no wrapper on the hot path).
   */
  kernel(kind: WasmKind, name: KernelName, n: number): KernelFn {
    const local = this.kernels(kind)[name];
    const pool = this.#pool;
    if (!pool || n < pool.minSize) return local;
    const key = `${kind} ${name}`;
    let k = this.#threaded.get(key);
    if (!k) this.#threaded.set(key, (k = pool.wrap(kind, name, local)));
    return k;
  }

  /** @internal */
  assertAlive(): void {
    if (this.#disposed) throw new Error("this ParamStore has been disposed");
  }

  /**
   * Releases the store: its params, views and optimizer state become unusable (any later use throws),
   * and the memory is left to the garbage collector.
   */
  dispose(): void {
    this.#pool?.dispose();
    this.#disposed = true;
    this.#kernels.clear();
    this.#threaded.clear();
    this.#block = undefined;
  }
}
