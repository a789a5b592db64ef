// A worker pool over a store's shared memory. Each worker instantiates the same Wasm modules over the same
// memory; a kernel call over a large run is split into contiguous chunks (multiples of 16 floats), the main
// thread takes the first and the workers the rest. Every element's update is independent of the others,
// so results are bit-identical for any thread count.
//
// Protocol, per worker, in a control block inside the shared memory (Int32 words, then Float64 args). A
// worker runs its chunk in sub-blocks of SUB_BLOCK floats and claims each one in the task word W:
//   W = IDLE (main) → 0 (main posts) → 1 (worker claims sub-block 0) → 2 (done with it) → 3 (claims 1) → ...
//   → 2K (all K sub-blocks done). Even: the sub-blocks before W/2 are done and the others untouched;
//   odd: the worker is inside sub-block (W-1)/2.
// Each claim and completion is a compare-and-swap, and main takes a task over with a compare-and-swap of W
// to CANCELLED, so exactly one side runs each sub-block. When a worker stops making progress (it exited,
// crashed or threw between sub-blocks, or never picked the task up), main runs what it has not done: the
// call completes exactly as on one thread, and the pool is marked down (the store refuses the next step,
// store.assertThreads()). terminate() through a worker's handle marks the pool down before the worker goes,
// so it can never stop a worker inside a sub-block of a step (main is not in a step while it calls it).
// A worker that stops *inside* a sub-block some other way (killed by the host) leaves that sub-block
// half-updated with no record of how far it got: main completes the rest and throws an error naming it,
// instead of waiting forever. (Keeping an undo copy of each sub-block would make that case exact too,
// but copying the in-out buffers cost 30-60 % of a threaded step here; see the README.)
// A worker spins briefly for the next task, then sleeps in Atomics.wait. Main spins, then waits.
import { LOWP_SCRATCH_BYTES, type KernelFn, type KernelName } from "../abi/index.js";
import type { WasmKind } from "./types.js";

// Control words (Int32 indices).
const W = 0, KERNEL = 1, KIND = 2, ARGC = 3, READY = 4, NP = 5, SUB = 6, ERR = 7, HOOK_AT = 8, HOOK_MODE = 9, STRIDE = 10;
const IDLE = -1, CANCELLED = -2, EXIT = -3;
const ARGS = 16; // Float64 args start at byte 64 of the block
const BLOCK_BYTES = 64 + 8 * 24;
/** Each worker's own scratch for the low-precision kernels (lowp_init), after its control block. */
const SCRATCH_BYTES = LOWP_SCRATCH_BYTES;
const KINDS: WasmKind[] = ["simd", "scalar"];
/**
 * The functions a module exports, in the module's order: a kernel's index here is the id workers are told
 * (both builds export the same functions, test/abi.test.ts), so no kernel table has to exist before a pool.
 */
const exportedFunctions = (m: WebAssembly.Module): KernelName[] =>
  WebAssembly.Module.exports(m).filter((e) => e.kind === "function").map((e) => e.name);

/**
 * Default smallest kernel call (floats) worth splitting across threads. Measured with `npm run bench` and a
 * 64K–4M sweep on the 2-core dev machine: from 256K floats every kernel ran 1.4–2.0× faster on 2 threads
 * (Adam, RMSprop and Adagrad are compute-bound there; SGD's 20 B/param still fits L3 at 1M); below, waking
 * a worker costs a noticeable part of the step. Machine-dependent: `threadMinSize` overrides it.
 */
export const DEFAULT_THREAD_MIN_SIZE = 1 << 18;

/**
 * Floats a worker claims at a time: claiming costs two compare-and-swaps and a call into Wasm, which at 64K
 * floats still added ~2 % to the kernel's time (measured on Adam, one thread) and at 256K is lost in the noise
 * (~0.15 ms of Adam per sub-block). Main redoes at most this much when it takes a task over. A multiple of 16.
 */
const SUB_BLOCK = 262144;

/**
 * How long a task may make no progress (no sub-block claimed or finished) before main declares its worker
 * dead and takes the rest over. A sub-block takes microseconds; the clock only advances while main itself
 * runs (each check adds at most 50 ms), so a suspended process (laptop sleep, SIGSTOP, a debugger) does not
 * make a live worker look dead when it resumes.
 */
export const STALL_TIMEOUT_MS = 2000;

// The worker's whole program: plain JS that runs under Node's worker_threads (eval) and as a Web Worker.
const WORKER_SOURCE = `
"use strict";
function start(d) {
  const env = { memory: d.memory, abort() { throw new Error("gradstep kernel aborted"); } };
  const kernels = d.modules.map((m) => m && new WebAssembly.Instance(m, { env }).exports);
  for (const k of kernels) if (k && k.lowp_init) k.lowp_init(d.block + ${BLOCK_BYTES});
  const i32 = new Int32Array(d.memory.buffer, d.block, 16);
  const f64 = new Float64Array(d.memory.buffer, d.block + 64, 24);
  const base = [], args = [];
  Atomics.store(i32, ${READY}, 1);
  Atomics.notify(i32, ${READY});
  for (;;) {
    let s, spins = 0, t0 = performance.now();
    while ((s = Atomics.load(i32, ${W})) !== 0) {
      if (s === ${EXIT}) return;
      if ((++spins & 255) === 0 && performance.now() - t0 > d.spinMs) { Atomics.wait(i32, ${W}, s); t0 = performance.now(); }
    }
    const fn = kernels[i32[${KIND}]][d.names[i32[${KERNEL}]]];
    const np = i32[${NP}], stride = i32[${STRIDE}], sub = i32[${SUB}], hookAt = i32[${HOOK_AT}], hookMode = i32[${HOOK_MODE}];
    base.length = args.length = i32[${ARGC}];
    for (let i = 0; i < base.length; i++) args[i] = base[i] = f64[i];
    const len = base[np];
    try {
      for (let k = 0, off = 0; off < len; k++, off += sub) {
        for (let i = 0; i < np; i++) args[i] = base[i] ? base[i] + (stride && i > 0 && i < np - 1 ? stride * (off / 256) : 4 * off) : 0;
        const m = args[np] = Math.min(sub, len - off);
        if (k === hookAt) hook(hookMode, fn, args, np, m);
        if (Atomics.compareExchange(i32, ${W}, 2 * k, 2 * k + 1) !== 2 * k) break; // main took the task over
        fn.apply(null, args);
        if (Atomics.compareExchange(i32, ${W}, 2 * k + 1, 2 * k + 2) !== 2 * k + 1) break;
      }
    } catch (e) {
      Atomics.store(i32, ${ERR}, 1);
      Atomics.notify(i32, ${W});
      throw e;
    }
    Atomics.notify(i32, ${W});
  }
  // Test hooks (set through WorkerPool.failAt): die at this sub-block in one of several ways.
  function hook(mode, fn, args, np, m) {
    if (mode === 1) exit();                                     // exit before claiming it
    if (mode === 2) throw new Error("test hook: worker error");  // throw before claiming it
    if (mode === 3) for (;;) Atomics.wait(i32, ${ERR}, 0, 1e9);   // hang before claiming it
    if (mode === 4) {                                            // claim it, run half of it, exit
      Atomics.add(i32, ${W}, 1);
      args[np] = m >> 1;
      fn.apply(null, args);
      exit();
    }
  }
  function exit() {
    if (typeof process === "object" && process && typeof process.exit === "function") process.exit(7);
    self.close();
    throw new Error("test hook: worker exit");
  }
}
const nodeWorker = (() => { try { return typeof require === "function" ? require("node:worker_threads") : null; } catch { return null; } })();
if (nodeWorker && nodeWorker.workerData) start(nodeWorker.workerData);
else self.onmessage = (e) => start(e.data);
`;

interface WorkerHandle { terminate(): unknown }
type NodeWorkerCtor = new (src: string, opts: object) => WorkerHandle & { unref(): void; on(ev: string, f: (x: unknown) => void): void };
let nodeWorker: NodeWorkerCtor | undefined;
let nodeCores: number | undefined;
let coresOverride: number | undefined;

/** The host's core count (navigator.hardwareConcurrency, or Node's os.availableParallelism()). */
export function hostCores(): number {
  return coresOverride ?? (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? nodeCores ?? 1;
}

/** @internal Tests: pretend the host has `n` cores (undefined: the real count). */
export function setHostCoresForTests(n: number | undefined): void {
  coresOverride = n;
}

/** Called by init() in Node, where Worker is not a global: worker_threads can only be imported asynchronously. */
export async function preloadNodeWorkers(): Promise<void> {
  const g = globalThis as { process?: { versions?: { node?: string } } };
  if (!g.process?.versions?.node || nodeWorker) return;
  // Specifiers in variables keep bundlers for browsers from trying to resolve Node built-ins.
  const threads = "node:worker_threads", os = "node:os";
  try {
    const m = await import(/* @vite-ignore */ /* webpackIgnore: true */ os) as { availableParallelism?: () => number; cpus: () => unknown[] };
    nodeCores = m.availableParallelism?.() ?? m.cpus().length;
    if (typeof Worker !== "function") nodeWorker = ((await import(/* @vite-ignore */ /* webpackIgnore: true */ threads)) as { Worker: NodeWorkerCtor }).Worker;
  } catch {
    nodeWorker = undefined;
  }
}

/** Whether this host can start workers at all (without checking shared memory). */
export function workersAvailable(): boolean {
  return typeof Worker === "function" || nodeWorker !== undefined;
}

/** Whether this thread may block in Atomics.wait (browsers forbid it on the main thread). */
let canBlock: boolean | undefined;
export function mayBlock(): boolean {
  if (canBlock === undefined) {
    try {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
      canBlock = true;
    } catch {
      canBlock = false;
    }
  }
  return canBlock;
}

export interface PoolOptions {
  memory: WebAssembly.Memory;
  modules: Record<WasmKind, WebAssembly.Module | undefined>;
  workers: number;
  alloc: (bytes: number) => number;
  /** Smallest kernel call (floats) split across the pool; default DEFAULT_THREAD_MIN_SIZE. */
  minSize: number | undefined;
  spinMs: number;
}

/** Test hooks: how a worker dies at a chosen sub-block. */
export const FAIL_MODES = { exit: 1, throw: 2, hang: 3, exitInside: 4 } as const;

export class WorkerPool {
  /** The workers; their terminate() marks the pool down before the worker goes (no step can start on it then). */
  readonly workers: WorkerHandle[] = [];
  readonly #kill: (() => unknown)[] = [];
  /** Per worker: its control words and argument slots (views over shared memory stay valid as it grows). */
  readonly #ctl: Int32Array[] = [];
  readonly #argSlots: Float64Array[] = [];
  /** Scratch for #run: (worker, start, len) of each task posted in the current call. */
  readonly #posted: number[] = [];
  /** Kernel calls over fewer floats run on the calling thread alone. */
  readonly minSize: number;
  /** Why the pool stopped (a worker exited or did not respond); undefined while healthy. */
  down: string | undefined;
  #args: number[] = [];
  /** Bytes per 256 elements of the state pointers of the call in progress (low-precision kernels); 0: f32. */
  #stride = 0;
  readonly #urls: string[] = [];
  /** Kernel names by id (the modules' function exports). */
  readonly #names: KernelName[];

  constructor(o: PoolOptions) {
    this.minSize = o.minSize ?? DEFAULT_THREAD_MIN_SIZE;
    const modules = KINDS.map((k) => o.modules[k]);
    this.#names = exportedFunctions((o.modules.simd ?? o.modules.scalar)!);
    for (let w = 0; w < o.workers; w++) {
      const block = o.alloc(BLOCK_BYTES + SCRATCH_BYTES);
      const i32 = new Int32Array(o.memory.buffer, block, 16);
      i32[W] = IDLE;
      i32[HOOK_AT] = -1;
      this.#ctl.push(i32);
      this.#argSlots.push(new Float64Array(o.memory.buffer, block + 64, 24));
      const data = { memory: o.memory, modules, block, names: this.#names, spinMs: o.spinMs };
      let worker: WorkerHandle;
      if (typeof Worker === "function") {
        const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" }));
        const web = new Worker(url, { type: "module" }); // Deno only has module workers
        this.#urls.push(url); // revoked on dispose: Bun reads the blob after the constructor returns
        web.onerror = (e) => { this.down ??= `worker ${w + 1} failed: ${e.message}`; };
        web.postMessage(data);
        worker = web;
      } else {
        // execArgv: [] — the worker is plain CommonJS and needs no flag of this process (and flags such as
        // --input-type=module would make Node evaluate it as a module, without require).
        const node = new nodeWorker!(WORKER_SOURCE, { eval: true, workerData: data, execArgv: [] });
        node.unref(); // an undisposed store must not keep the process alive
        node.on("error", (e) => { this.down ??= `worker ${w + 1} failed: ${(e as Error).message}`; });
        node.on("exit", (code) => { this.down ??= `worker ${w + 1} exited (code ${String(code)})`; });
        worker = node;
      }
      // Whoever ends a worker does it through its handle, on this thread, so never during a step: mark the
      // pool down first, and the next step throws before it changes anything.
      const kill = worker.terminate.bind(worker);
      worker.terminate = () => {
        this.down ??= `worker ${w + 1} was terminated`;
        return kill();
      };
      this.#kill.push(kill);
      this.workers.push(worker);
    }
  }

  /** The error every use of a pool that is down throws. */
  error(): Error {
    return new Error(`gradstep thread pool is down: ${this.down}. Dispose this ParamStore; ` +
      "create a new one (or one with threads: 1) and load the optimizer state into it");
  }

  /** Resolves when every worker has instantiated its modules. */
  async ready(timeoutMs = 10_000): Promise<void> {
    const t0 = Date.now();
    while (!this.#ctl.every((i32) => Atomics.load(i32, READY) === 1)) {
      if (this.down) throw this.error();
      if (Date.now() - t0 > timeoutMs) throw new Error(`gradstep workers did not start within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  /** @internal Tests: worker w dies (FAIL_MODES) when it reaches sub-block `at` of its next task. */
  failAt(w: number, at: number, mode: keyof typeof FAIL_MODES): void {
    const i32 = this.#ctl[w]!;
    i32[HOOK_MODE] = FAIL_MODES[mode];
    Atomics.store(i32, HOOK_AT, at);
  }

  /** Floats a worker claims at a time. */
  get subBlock(): number {
    return SUB_BLOCK;
  }

  /**
   * `local` (kernel `name` of build `kind`) with every call split across the pool. Callers use it only for
   * runs of at least minSize floats: smaller runs call the Wasm export directly, with no wrapper. Once the
   * pool is down (a worker died during this step), calls run on the calling thread alone, so that the step
   * in progress still completes; the store refuses the next step (store.assertThreads()). What the split
   * needs of the kernel's signature comes with the call: `np` pointers (param first, grad last), and `stride`,
   * the bytes per 256 elements of the state pointers between them (low-precision kernels; 0: all f32).
   */
  wrap(kind: WasmKind, name: KernelName, local: KernelFn, np: number, stride: number): KernelFn {
    const kernelId = this.#names.indexOf(name), kindId = KINDS.indexOf(kind);
    if (kernelId < 0) throw new Error(`gradstep: the Wasm module exports no kernel ${name}`);
    return (...args: number[]) => {
      if (this.down !== undefined) local(...args);
      else this.#run(kernelId, kindId, np, args, local, stride);
    };
  }

  #run(kernelId: number, kindId: number, np: number, args: number[], local: KernelFn, stride: number): void {
    this.#stride = stride;
    const n = args[np]!;
    // Only workers that have started take part (the first steps after creating a store may run alone).
    let parts = 1;
    for (let w = 0; w < this.#ctl.length; w++) if (Atomics.load(this.#ctl[w]!, READY) === 1) parts++;
    // Low-precision kernels (a state stride) split on 256-element blocks: int8 blocks start at a chunk's start.
    const align = stride ? 256 : 16;
    const chunk = Math.ceil(n / parts / align) * align;
    const posted = this.#posted;
    posted.length = 0;
    for (let w = 0, k = 1; w < this.#ctl.length && k < parts; w++) {
      const i32 = this.#ctl[w]!;
      if (Atomics.load(i32, READY) !== 1) continue;
      const start = chunk * k++;
      const len = Math.max(0, Math.min(chunk, n - start));
      if (len === 0) continue;
      this.#argSlots[w]!.set(this.#slice(args, np, start, len));
      i32[KERNEL] = kernelId;
      i32[KIND] = kindId;
      i32[ARGC] = args.length;
      i32[NP] = np;
      i32[STRIDE] = stride;
      i32[SUB] = SUB_BLOCK;
      Atomics.store(i32, W, 0);
      Atomics.notify(i32, W);
      posted.push(w, start, len);
    }
    try {
      local(...this.#slice(args, np, 0, Math.min(chunk, n)));
    } finally {
      // Even if the calling thread's own chunk threw, every posted task is finished (or taken over) before
      // returning: no worker is left writing into memory the caller believes settled.
      let error: unknown;
      for (let k = 0; k < posted.length; k += 3) {
        try {
          this.#await(posted[k]!, posted[k + 1]!, posted[k + 2]!, args, np, local);
        } catch (e) {
          error ??= e;
        }
      }
      if (error !== undefined) throw error;
    }
  }

  /** `args` narrowed to floats [start, start + len): pointers advanced, n replaced (in a reused array). */
  #slice(args: number[], np: number, start: number, len: number): number[] {
    const a = this.#args;
    a.length = args.length;
    const stride = this.#stride;
    for (let i = 0; i < args.length; i++) {
      a[i] = i < np ? (args[i] ? args[i]! + (stride && i > 0 && i < np - 1 ? stride * (start / 256) : 4 * start) : 0) : args[i]!;
    }
    a[np] = len;
    return a;
  }

  /**
   * Waits until worker w has done its task over floats [start, start + len) of this call; if it stops
   * making progress, takes the rest over (see the protocol at the top).
   */
  #await(w: number, start: number, len: number, args: number[], np: number, local: KernelFn): void {
    const i32 = this.#ctl[w]!;
    const done = 2 * Math.ceil(len / SUB_BLOCK);
    const block = mayBlock();
    const t0 = performance.now();
    let prev = t0, stalled = 0, spins = 0;
    let s = Atomics.load(i32, W), last = s;
    while (s !== done) {
      if ((++spins & 1023) === 0) {
        const now = performance.now();
        if (s !== last) { last = s; stalled = 0; } else stalled += Math.min(now - prev, 50);
        prev = now;
        if ((stalled > STALL_TIMEOUT_MS || Atomics.load(i32, ERR) !== 0) && Atomics.compareExchange(i32, W, s, CANCELLED) === s) {
          this.#takeOver(w, s, start, len, args, np, local, stalled > STALL_TIMEOUT_MS);
          return;
        }
        if (block && now - t0 > 0.5) Atomics.wait(i32, W, s, 5);
      }
      s = Atomics.load(i32, W);
    }
    Atomics.store(i32, W, IDLE);
  }

  /** Runs on this thread what worker w left of its task (W was `s` when main cancelled it). */
  #takeOver(w: number, s: number, start: number, len: number, args: number[], np: number, local: KernelFn, stalled: boolean): void {
    const what = Atomics.load(this.#ctl[w]!, ERR) !== 0 ? "failed" : stalled ? `made no progress for ${STALL_TIMEOUT_MS} ms` : "stopped";
    this.down ??= `worker ${w + 1} ${what} during a kernel call (crashed or terminated?)`;
    void this.#kill[w]!(); // if it is only stalled, it must not resume
    const k = Math.floor(s / 2);
    const inside = s % 2 === 1;
    const from = (inside ? k + 1 : k) * SUB_BLOCK;
    if (from < len) local(...this.#slice(args, np, start + from, len - from));
    if (inside) {
      const a = start + k * SUB_BLOCK, b = Math.min(start + len, a + SUB_BLOCK);
      throw new Error(`gradstep: worker ${w + 1} ${what} inside floats [${a}, ${b}) of a kernel call over ${args[np]} floats: ` +
        "they may be half-updated (the rest of the call was completed). Restore the params and optimizer state from a checkpoint");
    }
  }

  /** Stops every worker. */
  dispose(): void {
    this.down ??= "disposed";
    for (const i32 of this.#ctl) {
      Atomics.store(i32, W, EXIT);
      Atomics.notify(i32, W);
    }
    for (const kill of this.#kill) void kill();
    for (const url of this.#urls) URL.revokeObjectURL(url);
  }
}
