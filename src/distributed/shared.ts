// The SharedArrayBuffer fast path of worker groups: one SharedArrayBuffer that every rank maps, with a control
// block and one slot per rank. A collective runs in rounds; round k moves piece k of every rank's chunk
// (chunkRange), at most `pieceFloats` floats each:
//   1. rank r waits until every rank finished reading round k−1, copies its pieces into its slot (piece of chunk
//      c at c·pieceFloats), publishes its call's descriptor and `written = k`;
//   2. once every rank has written k (and their descriptors match), owner r adds piece r of every slot in rank
//      order, in place into its own slot, and publishes `reduced = k` (allReduce, reduceScatter);
//   3. every rank copies the results it needs straight out of the owners' slots and publishes `read = k`.
// Each publication also bumps the rank's bell word and notifies it. A peer waiting on a rank first spins, then
// blocks its thread in Atomics.wait on that rank's bell (woken within microseconds, no event-loop turn), for a
// few milliseconds at most; after that it waits on the event loop (Atomics.waitAsync on the bell, or, where the
// runtime lacks waitAsync, a doorbell message over the MessagePorts), so a dead or silent rank is still found
// by the port's close event or the timeout. No payload goes through a port: one copy in, one copy out, the
// reduction reads shared memory in place.
// The block is a shared WebAssembly.Memory where the runtime has one (workerMesh makes it so): the owner's reduction
// is then gradstep's Wasm kernel `sum_ranks_f32` (SIMD where the host has it), called on the slots where they lie,
// its result stored in place into the owner's slot. It runs once gradstep is initialized in the rank's thread
// (`await init()`, as any training there does); before that, and over a plain SharedArrayBuffer, a JS loop with the
// same operations in the same order (the same bits).
import { sharedModules } from "../runtime/loader.js";
import { mayBlock } from "../runtime/threads.js";

/** @internal A collective's descriptor as the control block holds it (group.ts's Header fields). */
export interface SharedDescriptor {
  kind: number;
  op: number;
  length: number;
  root: number;
}

/** Int32 words per rank in the control block: written, reduced, read rounds, the call's descriptor, the bell. */
const WORDS = 8;
const WRITTEN = 0;
const REDUCED = 1;
const READ = 2;
const DESC = 3; // kind, op, length, root
const BELL = 7; // bumped (and notified) at every publication of the rank

type WaitAsync = (a: Int32Array, i: number, v: number, ms: number) => { async: boolean; value: unknown };

/** @internal */
export type Stage = typeof WRITTEN | typeof REDUCED | typeof READ;
export const Stages = { WRITTEN, REDUCED, READ } as const;

/** @internal Bytes of the SharedArrayBuffer for `worldSize` ranks with `sharedFloats` floats per rank's slot. */
export function sharedBytes(worldSize: number, sharedFloats: number): number {
  return 4 * (worldSize * WORDS + worldSize * worldSize * Math.max(1, Math.floor(sharedFloats / worldSize)));
}

const PAGE = 65536;

/**
 * @internal The shared block of a mesh: a shared WebAssembly.Memory (which the Wasm reduction can import), or a
 * plain SharedArrayBuffer where the runtime cannot make one.
 */
export function sharedBlock(worldSize: number, sharedFloats: number): WebAssembly.Memory | SharedArrayBuffer {
  const bytes = sharedBytes(worldSize, sharedFloats);
  try {
    const pages = Math.ceil(bytes / PAGE);
    return new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  } catch {
    return new SharedArrayBuffer(bytes);
  }
}

type SumRanks = (dst: number, src: number, stride: number, worldSize: number, n: number, mean: number) => void;

/** @internal A view of the shared block from one rank. */
export class SharedArena {
  readonly buffer: SharedArrayBuffer;
  readonly ctrl: Int32Array;
  readonly slots: Float32Array[];
  readonly pieceFloats: number;
  readonly #memory: WebAssembly.Memory | undefined;
  /** The Wasm reduction, once gradstep's modules are loaded in this thread (looked up until then). */
  #kernel: { fn: SumRanks; kind: "simd" | "scalar" } | undefined;
  constructor(
    block: SharedArrayBuffer | WebAssembly.Memory,
    readonly worldSize: number,
  ) {
    const W = worldSize;
    const memory = block instanceof WebAssembly.Memory ? block : undefined;
    const buffer = (memory?.buffer ?? block) as SharedArrayBuffer;
    const floats = buffer.byteLength / 4 - W * WORDS;
    this.pieceFloats = Math.floor(floats / (W * W));
    // A Memory is whole pages: the slots take what fits; a SharedArrayBuffer is exactly workerMesh's size.
    if (!(this.pieceFloats >= 1) || (!memory && floats !== this.pieceFloats * W * W)) throw new RangeError(`workerGroup: shared is ${buffer.byteLength} bytes, not a block made by workerMesh for ${W} ranks`);
    this.buffer = buffer;
    this.#memory = memory;
    this.ctrl = new Int32Array(buffer, 0, W * WORDS);
    this.slots = Array.from({ length: W }, (_, r) => new Float32Array(buffer, 4 * (W * WORDS + r * W * this.pieceFloats), W * this.pieceFloats));
  }
  get(rank: number, stage: Stage): number {
    return Atomics.load(this.ctrl, rank * WORDS + stage);
  }
  /**
   * Publishes a stage and rings the rank's bell: the plain writes to this rank's slot before it are visible to
   * whoever loads the stage (Atomics are sequentially consistent).
   */
  set(rank: number, stage: Stage, round: number): void {
    Atomics.store(this.ctrl, rank * WORDS + stage, round);
    Atomics.add(this.ctrl, rank * WORDS + BELL, 1);
    Atomics.notify(this.ctrl, rank * WORDS + BELL);
  }
  /** The bell of `rank`: read it before checking its stages, then wait on that value (no wake-up is missed). */
  bell(rank: number): number {
    return Atomics.load(this.ctrl, rank * WORDS + BELL);
  }
  /**
   * Blocks this thread until `rank`'s bell moves from `value` or `ms` pass; false where the thread may not block
   * (a browser's main thread).
   */
  block(rank: number, value: number, ms: number): boolean {
    if (!mayBlock()) return false;
    Atomics.wait(this.ctrl, rank * WORDS + BELL, value, ms);
    return true;
  }
  /**
   * Resolves when `rank`'s bell moves from `value` (or `ms` pass), on the event loop; undefined where the runtime
   * has no Atomics.waitAsync (its ranks then ring doorbell messages).
   */
  ringing(rank: number, value: number, ms: number): Promise<unknown> | undefined {
    const waitAsync = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;
    if (!waitAsync) return undefined;
    const r = waitAsync(this.ctrl, rank * WORDS + BELL, value, ms);
    return r.async ? (r.value as Promise<unknown>) : Promise.resolve(r.value);
  }
  writeDescriptor(rank: number, h: SharedDescriptor): void {
    this.ctrl.set([h.kind, h.op, h.length, h.root], rank * WORDS + DESC);
  }
  descriptor(rank: number): SharedDescriptor {
    const o = rank * WORDS + DESC;
    const c = this.ctrl;
    return { kind: Atomics.load(c, o), op: Atomics.load(c, o + 1), length: Atomics.load(c, o + 2), root: Atomics.load(c, o + 3) };
  }
  /** Piece `c` of `rank`'s slot (where chunk c's piece of this round lives). */
  piece(rank: number, c: number, length: number): Float32Array {
    return this.slots[rank]!.subarray(c * this.pieceFloats, c * this.pieceFloats + length);
  }

  /** What sums the pieces: gradstep's Wasm kernel (SIMD or scalar build), or the JS loop. */
  get reducer(): "wasm-simd" | "wasm-scalar" | "js" {
    const k = this.#lookup();
    return k ? `wasm-${k.kind}` : "js";
  }

  #lookup(): { fn: SumRanks; kind: "simd" | "scalar" } | undefined {
    if (this.#kernel || !this.#memory) return this.#kernel;
    let modules: ReturnType<typeof sharedModules>;
    try {
      modules = sharedModules();
    } catch {
      return undefined; // gradstep is not initialized in this thread (yet)
    }
    const kind = modules.simd ? "simd" : "scalar";
    const module = modules[kind];
    if (!module) return undefined;
    const env = { memory: this.#memory, abort() { throw new Error("gradstep kernel aborted"); } };
    const exports = new WebAssembly.Instance(module, { env }).exports as { sum_ranks_f32: SumRanks };
    this.#kernel = { fn: exports.sum_ranks_f32, kind };
    return this.#kernel;
  }

  /**
   * Owner `me`'s reduction of round's chunk `me`: the rank-order f32 sum (or mean) of every rank's piece `me`, in
   * place into its own slot's piece `me` (the first `length` floats).
   */
  reduce(me: number, length: number, mean: boolean): void {
    const k = this.#lookup();
    if (k) {
      const stride = 4 * this.worldSize * this.pieceFloats; // bytes from one rank's slot to the next
      k.fn(this.piece(me, me, 0).byteOffset, this.piece(0, me, 0).byteOffset, stride, this.worldSize, length, mean ? 1 : 0);
      return;
    }
    const acc = new Float32Array(length); // not in place: the loop overwrites acc before adding the later parts
    reduceRankOrder(acc, (q) => this.piece(q, me, length), this.worldSize, mean);
    this.piece(me, me, length).set(acc);
  }
}

/** @internal The rank-order f32 sum of `parts` into `acc` (acc = parts[0] + parts[1] + …, rounded after each add), then / W for a mean. */
export function reduceRankOrder(acc: Float32Array, parts: (r: number) => Float32Array, worldSize: number, mean: boolean): void {
  acc.set(parts(0));
  for (let r = 1; r < worldSize; r++) {
    const x = parts(r);
    for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! + x[i]!;
  }
  if (mean) for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! / worldSize;
}
