// A worker pool over a store's shared memory. Each worker instantiates the same Wasm modules over the same
// memory; a kernel call over a large run is split into contiguous chunks (multiples of 16 floats), the main
// thread takes the first and the workers the rest. Every element's update is independent of the others,
// so results are bit-identical for any thread count.
//
// Protocol, per worker, in a control block inside the shared memory (Int32 words, then Float64 args):
//   STATE: IDLE → POSTED (main) → RUNNING (worker, by compare-and-swap) → DONE (worker, notify).
//   A worker spins briefly for the next task, then sleeps in Atomics.wait. Main spins, then waits.
//   If a worker never picks a task up (crashed or terminated), main takes the task back (POSTED →
//   CANCELLED by compare-and-swap), runs that chunk itself, and the pool is marked down.
import { KERNEL_SIGNATURES, type KernelFn, type KernelName, type Kernels } from "../core/abi.js";
import type { WasmKind } from "./types.js";

const STATE = 0, KERNEL = 1, KIND = 2, ARGC = 3, READY = 4;
const IDLE = 0, POSTED = 1, RUNNING = 2, DONE = 3, CANCELLED = 4;
const ARGS = 16; // Float64 args start at byte 64 of the block
const BLOCK_BYTES = 64 + 8 * 24;
const KINDS: WasmKind[] = ["simd", "scalar"];
const NAMES = Object.keys(KERNEL_SIGNATURES) as KernelName[];

/**
 * Default smallest kernel call (floats) worth splitting across threads. Measured with `npm run bench` and a
 * 64K–4M sweep on the 2-core dev machine: from 256K floats every kernel ran 1.4–2.0× faster on 2 threads
 * (Adam, RMSprop and Adagrad are compute-bound there; SGD's 20 B/param still fits L3 at 1M); below, waking
 * a worker costs a noticeable part of the step. Machine-dependent: `threadMinSize` overrides it.
 */
export const DEFAULT_THREAD_MIN_SIZE = 1 << 18;

/** How long main waits for a posted task to be picked up before it declares the worker dead. */
const PICKUP_TIMEOUT_MS = 2000;

// The worker's whole program: plain JS that runs under Node's worker_threads (eval) and as a Web Worker.
const WORKER_SOURCE = `
"use strict";
function start(d) {
  const env = { memory: d.memory, abort() { throw new Error("gradstep kernel aborted"); } };
  const kernels = d.modules.map((m) => new WebAssembly.Instance(m, { env }).exports);
  const i32 = new Int32Array(d.memory.buffer, d.block, 16);
  const f64 = new Float64Array(d.memory.buffer, d.block + 64, 24);
  const args = [];
  Atomics.store(i32, ${READY}, 1);
  Atomics.notify(i32, ${READY});
  for (;;) {
    let s, spins = 0, t0 = performance.now();
    while ((s = Atomics.load(i32, ${STATE})) !== ${POSTED}) {
      if ((++spins & 255) === 0 && performance.now() - t0 > d.spinMs) { Atomics.wait(i32, ${STATE}, s); t0 = performance.now(); }
    }
    if (Atomics.compareExchange(i32, ${STATE}, ${POSTED}, ${RUNNING}) !== ${POSTED}) continue;
    const id = i32[${KERNEL}];
    if (id < 0) return;
    args.length = i32[${ARGC}];
    for (let i = 0; i < args.length; i++) args[i] = f64[i];
    kernels[i32[${KIND}]][d.names[id]].apply(null, args);
    Atomics.store(i32, ${STATE}, ${DONE});
    Atomics.notify(i32, ${STATE});
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

/** The host's core count (navigator.hardwareConcurrency, or Node's os.availableParallelism()). */
export function hostCores(): number {
  return (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? nodeCores ?? 1;
}

/** Called by init() in Node, where Worker is not a global: worker_threads can only be imported asynchronously. */
export async function preloadNodeWorkers(): Promise<void> {
  const g = globalThis as { process?: { versions?: { node?: string } } };
  if (!g.process?.versions?.node || nodeWorker) return;
  // Specifiers in variables keep bundlers for browsers from trying to resolve Node built-ins.
  const threads = "node:worker_threads", os = "node:os";
  try {
    const m = await import(/* @vite-ignore */ os) as { availableParallelism?: () => number; cpus: () => unknown[] };
    nodeCores = m.availableParallelism?.() ?? m.cpus().length;
    if (typeof Worker !== "function") nodeWorker = ((await import(/* @vite-ignore */ threads)) as { Worker: NodeWorkerCtor }).Worker;
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
function mayBlock(): boolean {
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

export class WorkerPool {
  readonly workers: WorkerHandle[] = [];
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
  readonly #urls: string[] = [];

  constructor(o: PoolOptions) {
    this.minSize = o.minSize ?? DEFAULT_THREAD_MIN_SIZE;
    const modules = KINDS.map((k) => o.modules[k]);
    for (let w = 0; w < o.workers; w++) {
      const block = o.alloc(BLOCK_BYTES);
      this.#ctl.push(new Int32Array(o.memory.buffer, block, 16));
      this.#argSlots.push(new Float64Array(o.memory.buffer, block + 64, 24));
      const data = { memory: o.memory, modules, block, names: NAMES, spinMs: o.spinMs };
      let worker: WorkerHandle;
      if (typeof Worker === "function") {
        const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" }));
        const web = new Worker(url, { type: "module" }); // Deno only has module workers
        this.#urls.push(url); // revoked on dispose: Bun reads the blob after the constructor returns
        web.onerror = (e) => { this.down ??= `worker ${w + 1} failed: ${e.message}`; };
        web.postMessage(data);
        worker = web;
      } else {
        const node = new nodeWorker!(WORKER_SOURCE, { eval: true, workerData: data });
        node.unref(); // an undisposed store must not keep the process alive
        node.on("error", (e) => { this.down ??= `worker ${w + 1} failed: ${(e as Error).message}`; });
        node.on("exit", (code) => { this.down ??= `worker ${w + 1} exited (code ${String(code)})`; });
        worker = node;
      }
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

  /**
   * `local` (kernel `name` of build `kind`) with every call split across the pool. Callers use it only for
   * runs of at least minSize floats: smaller runs call the Wasm export directly, with no wrapper.
   */
  wrap(kind: WasmKind, name: KernelName, local: KernelFn): KernelFn {
    const np = KERNEL_SIGNATURES[name].pointers.length;
    const kernelId = NAMES.indexOf(name), kindId = KINDS.indexOf(kind);
    return (...args: number[]) => {
      if (this.down !== undefined) throw this.error();
      this.#run(kernelId, kindId, np, args, local);
    };
  }

  #run(kernelId: number, kindId: number, np: number, args: number[], local: KernelFn): void {
    const n = args[np]!;
    // Only workers that have started take part (the first steps after creating a store may run alone).
    let parts = 1;
    for (let w = 0; w < this.#ctl.length; w++) if (Atomics.load(this.#ctl[w]!, READY) === 1) parts++;
    const chunk = Math.ceil(n / parts / 16) * 16;
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
      Atomics.store(i32, STATE, POSTED);
      Atomics.notify(i32, STATE);
      posted.push(w, start, len);
    }
    local(...this.#slice(args, np, 0, Math.min(chunk, n)));
    for (let k = 0; k < posted.length; k += 3) {
      if (!this.#await(posted[k]!)) {
        // The worker never picked the task up: run its chunk here, so the step is still complete and exact.
        local(...this.#slice(args, np, posted[k + 1]!, posted[k + 2]!));
      }
    }
  }

  /** `args` narrowed to floats [start, start + len): pointers advanced, n replaced (in a reused array). */
  #slice(args: number[], np: number, start: number, len: number): number[] {
    const a = this.#args;
    a.length = args.length;
    for (let i = 0; i < args.length; i++) a[i] = i < np ? (args[i] ? args[i]! + 4 * start : 0) : args[i]!;
    a[np] = len;
    return a;
  }

  /** Waits for worker w's task; false if it was cancelled because the worker did not pick it up. */
  #await(w: number): boolean {
    const i32 = this.#ctl[w]!;
    const block = mayBlock();
    const t0 = performance.now();
    let spins = 0, s: number;
    while ((s = Atomics.load(i32, STATE)) !== DONE) {
      if ((++spins & 1023) !== 0) continue;
      const waited = performance.now() - t0;
      if (s === POSTED && waited > PICKUP_TIMEOUT_MS) {
        if (Atomics.compareExchange(i32, STATE, POSTED, CANCELLED) === POSTED) {
          this.down ??= `worker ${w + 1} did not pick up a task within ${PICKUP_TIMEOUT_MS} ms (crashed or terminated?)`;
          return false;
        }
        continue;
      }
      if (block && waited > 0.5) Atomics.wait(i32, STATE, s, 5);
    }
    Atomics.store(i32, STATE, IDLE);
    return true;
  }

  /** Stops every worker. */
  dispose(): void {
    for (let w = 0; w < this.#ctl.length; w++) {
      const i32 = this.#ctl[w]!;
      i32[KERNEL] = -1;
      Atomics.store(i32, STATE, POSTED);
      Atomics.notify(i32, STATE);
    }
    for (const worker of this.workers) void worker.terminate();
    for (const url of this.#urls) URL.revokeObjectURL(url);
    this.down ??= "disposed";
  }
}

