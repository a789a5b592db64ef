// The process group: one collective engine over any point-to-point transport.
//
// Determinism: a reduction never depends on arrival order. Every collective splits the buffer into W equal
// contiguous chunks (`chunkRange`); rank c owns chunk c. For allReduce each rank sends chunk c of its buffer to
// rank c, which waits for all W contributions and adds them in rank order (acc = x₀, acc = f32(acc + x₁), …),
// then sends the reduced chunk to every rank (a reduce-scatter followed by an all-gather: each rank sends and
// receives 2·(W−1)/W of the buffer). Every element is summed by exactly one rank in the fixed order, so every
// rank holds the same bits, equal to the rank-order f32 sum. Mean = that f32 sum / W, rounded to f32 once.
// (JS adds in f64 and `Float32Array` stores round to f32: f64 has more than 2·24+2 bits, so rounding the f64
// sum or quotient of two f32 values to f32 is the correctly rounded f32 result.)
//
// Results are written into the caller's buffers only after every message of the collective arrived, so a
// collective that fails (bad input, a lost rank, a timeout) leaves them unchanged. After a collective failed the
// group is broken (its peers are out of step): every later call rejects with the same error; close() still
// works. A peer that left (closed, died) fails only what still waits on it: what it sent before leaving is
// used (so a broadcast root may close before the others called the broadcast).

import { type SharedArena, type Stage, Stages, reduceRankOrder } from "./shared.js";

/** Reduction op of `allReduce` / `reduceScatter`: the rank-order f32 sum, or that sum divided by the world size. */
export type ReduceOp = "sum" | "mean";

/**
 * A fixed set of `worldSize` ranks that run collectives over `Float32Array`s together (PyTorch's
 * `torch.distributed` process group). Every rank calls the same collectives in the same order with
 * matching lengths/op/root; each call resolves when this rank's result is in place.
 *
 * Calls on one group run one at a time in call order (a call made while another is pending waits for it).
 */
export interface ProcessGroup {
  /** This rank, 0 ≤ rank < worldSize. */
  readonly rank: number;
  /** Number of ranks. */
  readonly worldSize: number;
  /**
   * In place: every rank's `buf` becomes the element-wise f32 sum over ranks in rank order (or that sum / W for
   * `op: "mean"`), bit-identical on every rank.
   * @example
   * const grads = new Float32Array([rank, 1]);
   * await group.allReduce(grads, { op: "mean" }); // W = 2: [0.5, 1] on both ranks
   */
  allReduce(buf: Float32Array, opts?: { op?: ReduceOp }): Promise<void>;
  /**
   * Reduces `input` (same length on every rank) like allReduce and writes only this rank's chunk,
   * `chunkRange(input.length, worldSize, rank)`, into `output` (whose length must be that chunk's length).
   * @example
   * const input = new Float32Array([1, 2, 3, 4, 5]); // W = 2: chunks [0, 3) and [3, 5)
   * const output = new Float32Array(chunkRange(input.length, 2, rank).length);
   * await group.reduceScatter(input, output); // rank 0: [2, 4, 6], rank 1: [8, 10]
   */
  reduceScatter(input: Float32Array, output: Float32Array, opts?: { op?: ReduceOp }): Promise<void>;
  /**
   * The inverse of reduceScatter's split: `output` (same length on every rank) receives every rank's `input`
   * at its chunk, `chunkRange(output.length, worldSize, r)`; `input.length` must be this rank's chunk length.
   * @example
   * const output = new Float32Array(5); // W = 2
   * await group.allGather(rank === 0 ? new Float32Array([1, 2, 3]) : new Float32Array([4, 5]), output);
   * // both ranks: [1, 2, 3, 4, 5]
   */
  allGather(input: Float32Array, output: Float32Array): Promise<void>;
  /**
   * Every rank's `buf` (same length everywhere) becomes a copy of rank `root`'s.
   * @example
   * const params = rank === 0 ? init() : new Float32Array(n);
   * await group.broadcast(params, 0);
   */
  broadcast(buf: Float32Array, root: number): Promise<void>;
  /**
   * Resolves once every rank has entered the barrier.
   * @example
   * await group.barrier(); // e.g. before rank 0 reads the checkpoint every rank wrote
   */
  barrier(): Promise<void>;
  /**
   * Leaves the group: tells the peers (whose pending and later collectives then reject, naming this rank),
   * rejects this rank's pending collectives, releases the transport. Idempotent.
   * @example
   * await group.close();
   */
  close(): Promise<void>;
}

/** Options every group constructor takes. */
export interface GroupOptions {
  /**
   * A pending collective rejects when no message it waits for arrived for this long, naming the silent rank
   * (default 60 000 ms). Counted from when the collective starts (after the earlier calls on this group
   * finished) or from the last message received for it.
   */
  timeoutMs?: number;
  /** Largest payload of one message, in floats (default 262 144 = 1 MiB); larger chunks travel in pieces. */
  maxMessageFloats?: number;
}

/** The default timeoutMs of a process group: a collective waits this long for the other ranks (60 s). */
export const DEFAULT_TIMEOUT_MS = 60_000;
/** The default maxMessageFloats: longer collectives are sent in messages of at most this many floats (256K, 1 MiB). */
export const DEFAULT_MAX_MESSAGE_FLOATS = 1 << 18;

/** A collective failed because of another rank (lost, closed, silent, or called a different collective). */
export class ProcessGroupError extends Error {
  /** "ProcessGroupError". */
  override name = "ProcessGroupError";
  /** The rank that caused the failure (the lost, closed, silent or mismatched one). */
  readonly peer: number;
  constructor(message: string, peer: number) {
    super(message);
    this.peer = peer;
  }
}

/**
 * The chunk of rank `rank` when `length` floats are split into `worldSize` contiguous chunks: the first
 * `length % worldSize` ranks get ⌈length/W⌉ floats, the others ⌊length/W⌋ (numpy's `array_split`); so for
 * length < W the last ranks get empty chunks.
 * @example
 * chunkRange(10, 4, 1); // { start: 3, end: 6, length: 3 } (chunks 3, 3, 2, 2)
 */
export function chunkRange(length: number, worldSize: number, rank: number): {
  /** The chunk's first float. */
  start: number;
  /** One past its last float. */
  end: number;
  /** Its length, end − start. */
  length: number;
} {
  const base = Math.floor(length / worldSize);
  const rem = length % worldSize;
  const start = rank * base + Math.min(rank, rem);
  const len = base + (rank < rem ? 1 : 0);
  return { start, end: start + len, length: len };
}

/** @internal Collective kinds on the wire; Bye = the sender closed its group; Doorbell = shared memory changed (shared.ts). */
export const Kind = { AllReduce: 1, ReduceScatter: 2, AllGather: 3, Broadcast: 4, Barrier: 5, Bye: 6, Doorbell: 7 } as const;
/** @internal */
export type Kind = (typeof Kind)[keyof typeof Kind];

const KIND_NAMES = ["", "allReduce", "reduceScatter", "allGather", "broadcast", "barrier", "close"];
const OPS: ReduceOp[] = ["sum", "mean"];
const EMPTY = new Float32Array(0);
/** The waiter key of a doorbell (shared path): any doorbell wakes it. */
const BELL = "bell";
/**
 * How long a shared-memory wait stays synchronous (ms): it spins for SPIN_MS, then blocks the thread on the
 * laggard's bell until BLOCK_MS, before it waits on the event loop. Ranks stepping together meet well within
 * that (a wake-up from Atomics.wait takes microseconds, one through the event loop a tenth of a millisecond and
 * CPU time on both sides); a rank that is further behind costs one event-loop wake-up more, and the event loop
 * is never held up for longer than BLOCK_MS.
 */
const SPIN_MS = 0.05;
const BLOCK_MS = 5;
/**
 * The op of a Bye that aborts the collective (0: a plain close): the rank that found a fault tells the others, so
 * that no survivor waits on a survivor that gave up. Its `phase` says why, `piece` names the culprit rank.
 */
const ABORT = 1;
const Why = { Mismatch: 0, Timeout: 1, Gone: 2 } as const;
/** What a wait on the shared path resolves with when woken by anything but a message (a bell, a lost peer). */
const DOORBELL = { header: { kind: Kind.Doorbell, op: 0, seq: 0, phase: 0, piece: 0, length: 0, root: 0 } as Header, payload: EMPTY };

/**
 * @internal One message between two ranks: which collective (`seq`, the count of collectives this group
 * started, and its descriptor, checked by the receiver), which phase and piece of it, and a payload.
 */
export interface Header {
  kind: Kind;
  /** Index into OPS (0 where there is no op). */
  op: number;
  seq: number;
  phase: number;
  piece: number;
  /** The collective's length (allReduce/reduceScatter input, allGather output, broadcast buffer). */
  length: number;
  /** broadcast's root, else 0. */
  root: number;
}

/**
 * @internal What a transport supplies: ordered, reliable delivery per pair of ranks. `send` must not keep a
 * reference to `payload` (copy or transfer a copy): the caller reuses its buffers.
 */
export interface Transport {
  send(to: number, header: Header, payload: Float32Array): void;
  /** Set by the group: the transport calls it for every message received. */
  onMessage?: (from: number, header: Header, payload: Float32Array) => void;
  /** Set by the group: the transport calls it when a peer is gone (process died, connection closed). */
  onPeerLost?: (peer: number, reason: string) => void;
  /** Set by the group: the transport calls it when it cannot go on for a reason that is no rank's (a relay is gone). */
  onLost?: (message: string) => void;
  close(): void | Promise<void>;
}

interface Waiter {
  key: string;
  resolve: (m: { header: Header; payload: Float32Array }) => void;
  reject: (e: Error) => void;
}

interface Descriptor {
  kind: Kind;
  op: number;
  length: number;
  root: number;
  seq: number;
}

function describe(d: { kind: number; op: number; length: number; root: number }): string {
  const args = d.kind === Kind.Broadcast ? `root ${d.root}, length ${d.length}` : d.kind === Kind.Barrier ? "" : `${d.kind === Kind.AllGather ? "" : `op "${OPS[d.op]}", `}length ${d.length}`;
  return `${KIND_NAMES[d.kind]}(${args})`;
}

/** @internal The collective engine behind every constructor. */
export class MessageGroup implements ProcessGroup {
  readonly rank: number;
  readonly worldSize: number;
  readonly #transport: Transport;
  readonly #timeoutMs: number;
  readonly #maxFloats: number;
  readonly #inbox = new Map<string, { header: Header; payload: Float32Array }>();
  #waiter: Waiter | undefined;
  #seq = 0;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  #broken: Error | undefined;
  /** The running collective: its seq, the ranks heard from during it, and its idle timer. */
  #current: { seq: number; d: Omit<Descriptor, "seq">; heard: Set<number>; timer: ReturnType<typeof setTimeout> | undefined; fail: (e: Error) => void } | undefined;

  /** The SharedArrayBuffer fast path (shared.ts), where the ranks share memory; else payloads travel in messages. */
  readonly #shared: SharedArena | undefined;
  /**
   * Whether the peers wait for this rank's publications on the event loop with Atomics.waitAsync (its bell), or
   * need a doorbell message (runtimes without waitAsync; the ranks of a mesh share one runtime).
   */
  readonly #doorbells = typeof (Atomics as { waitAsync?: unknown }).waitAsync !== "function";
  /** Rounds of the shared path run so far (the same count on every rank). */
  #round = 0;
  /** The rank the running collective waits on (named if it times out with every rank heard from). */
  #waitingOn: number | undefined;
  /** Peers that left (closed, died): the error a wait on each gives. */
  readonly #gone = new Map<number, ProcessGroupError>();

  constructor(rank: number, worldSize: number, transport: Transport, options: GroupOptions = {}, shared?: SharedArena) {
    checkWorld(rank, worldSize);
    const { timeoutMs = DEFAULT_TIMEOUT_MS, maxMessageFloats = DEFAULT_MAX_MESSAGE_FLOATS } = options;
    if (!(timeoutMs > 0)) throw new RangeError(`Invalid timeoutMs: ${timeoutMs} (expected a number > 0)`);
    if (!Number.isInteger(maxMessageFloats) || maxMessageFloats < 1) throw new RangeError(`Invalid maxMessageFloats: ${maxMessageFloats} (expected an integer >= 1)`);
    this.rank = rank;
    this.worldSize = worldSize;
    this.#transport = transport;
    this.#timeoutMs = timeoutMs;
    this.#maxFloats = maxMessageFloats;
    this.#shared = shared;
    transport.onMessage = (from, header, payload) => this.#receive(from, header, payload);
    transport.onPeerLost = (peer, reason) => this.#lose(peer, `ProcessGroup rank ${rank}: rank ${peer} ${reason}`);
    transport.onLost = (message) => this.#fail(new Error(`ProcessGroup rank ${rank}: ${message}`));
  }

  allReduce(buf: Float32Array, opts: { op?: ReduceOp } = {}): Promise<void> {
    return this.#run("allReduce", () => {
      checkF32("allReduce", "buf", buf);
      return { kind: Kind.AllReduce, op: opIndex("allReduce", opts), length: buf.length, root: 0 };
    }, async (d) => {
      const out = new Float32Array(buf.length);
      const own = chunkRange(buf.length, this.worldSize, this.rank);
      out.set(await this.#reduceOwnChunk(d, buf), own.start);
      await this.#gatherChunks(d, 1, out);
      buf.set(out);
    }, buf, buf);
  }

  reduceScatter(input: Float32Array, output: Float32Array, opts: { op?: ReduceOp } = {}): Promise<void> {
    return this.#run("reduceScatter", () => {
      checkF32("reduceScatter", "input", input);
      checkF32("reduceScatter", "output", output);
      const own = chunkRange(input.length, this.worldSize, this.rank).length;
      if (output.length !== own) throw new RangeError(`reduceScatter: output.length is ${output.length}, expected ${own} (rank ${this.rank}'s chunk of ${input.length} floats over ${this.worldSize} ranks, see chunkRange)`);
      return { kind: Kind.ReduceScatter, op: opIndex("reduceScatter", opts), length: input.length, root: 0 };
    }, async (d) => {
      output.set(await this.#reduceOwnChunk(d, input));
    }, input, output);
  }

  allGather(input: Float32Array, output: Float32Array): Promise<void> {
    return this.#run("allGather", () => {
      checkF32("allGather", "input", input);
      checkF32("allGather", "output", output);
      const own = chunkRange(output.length, this.worldSize, this.rank).length;
      if (input.length !== own) throw new RangeError(`allGather: input.length is ${input.length}, expected ${own} (rank ${this.rank}'s chunk of ${output.length} floats over ${this.worldSize} ranks, see chunkRange)`);
      return { kind: Kind.AllGather, op: 0, length: output.length, root: 0 };
    }, async (d) => {
      for (let r = 0; r < this.worldSize; r++) if (r !== this.rank) this.#sendPieces(r, d, 0, input);
      const out = new Float32Array(output.length);
      out.set(input, chunkRange(output.length, this.worldSize, this.rank).start);
      await this.#gatherChunks(d, 0, out);
      output.set(out);
    }, input, output);
  }

  broadcast(buf: Float32Array, root: number): Promise<void> {
    return this.#run("broadcast", () => {
      checkF32("broadcast", "buf", buf);
      if (!Number.isInteger(root) || root < 0 || root >= this.worldSize) throw new RangeError(`broadcast: invalid root ${root} (expected an integer rank, 0 <= root < ${this.worldSize})`);
      return { kind: Kind.Broadcast, op: 0, length: buf.length, root };
    }, async (d) => {
      if (this.rank === root) {
        for (let r = 0; r < this.worldSize; r++) if (r !== root) this.#sendPieces(r, d, 0, buf);
        return;
      }
      const out = new Float32Array(buf.length);
      await this.#recvInto(d, 0, root, out);
      buf.set(out);
    }, buf, buf);
  }

  barrier(): Promise<void> {
    return this.#run("barrier", () => ({ kind: Kind.Barrier, op: 0, length: 0, root: 0 }), async (d) => {
      for (let r = 0; r < this.worldSize; r++) if (r !== this.rank) this.#sendPieces(r, d, 0, EMPTY);
      for (let r = 0; r < this.worldSize; r++) if (r !== this.rank) await this.#recvInto(d, 0, r, EMPTY);
    }, EMPTY, EMPTY);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#broken) this.#sendBye(0);
    this.#fail(new Error(`ProcessGroup: rank ${this.rank} closed its group`));
    this.#inbox.clear();
    await this.#transport.close();
  }

  /** Tells every peer that this rank leaves (op 0) or aborts (ABORT, with why and the culprit). */
  #sendBye(op: number, why = 0, culprit = 0): void {
    for (let r = 0; r < this.worldSize; r++) {
      if (r === this.rank) continue;
      try {
        this.#transport.send(r, { kind: Kind.Bye, op, seq: this.#current?.seq ?? this.#seq, phase: why, piece: culprit, length: this.#timeoutMs, root: 0 }, EMPTY);
      } catch {
        // The peer is already gone: nothing to tell it.
      }
    }
  }

  /**
   * Validates synchronously (rejecting with nothing changed), then queues the collective behind earlier calls.
   * `src`/`dst`: what this rank contributes and where its result goes, for the shared path.
   */
  #run(name: string, check: () => Omit<Descriptor, "seq">, body: (d: Descriptor) => Promise<void>, src: Float32Array, dst: Float32Array): Promise<void> {
    let d: Omit<Descriptor, "seq">;
    try {
      if (this.#closed) throw new Error(`${name}: the process group is closed`);
      d = check();
    } catch (e) {
      return Promise.reject(e);
    }
    const run = this.#queue.then(() => this.#start(d, this.#shared ? (dd) => this.#sharedRun(dd, src, dst) : body));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #start(d: Omit<Descriptor, "seq">, body: (d: Descriptor) => Promise<void>): Promise<void> {
    if (this.#broken) throw this.#broken;
    const seq = this.#seq++;
    let fail!: (e: Error) => void;
    const failed = new Promise<never>((_, reject) => (fail = reject));
    failed.catch(() => undefined);
    const heard = new Set<number>();
    // Peers that ran ahead may have sent their part of this collective before it started here.
    for (const key of this.#inbox.keys()) if (key.startsWith(`${seq}:`)) heard.add(Number(key.split(":")[2]));
    this.#current = { seq, d, heard, timer: undefined, fail };
    this.#arm();
    try {
      await Promise.race([body({ ...d, seq }), failed]);
    } catch (e) {
      // Any failure inside a collective (a transport's own error too) leaves the peers out of step.
      this.#fail(e as Error);
      throw this.#broken;
    } finally {
      if (this.#current?.timer !== undefined) clearTimeout(this.#current.timer);
      this.#current = undefined;
    }
  }

  /** (Re)starts the idle timer of the running collective. */
  #arm(): void {
    const cur = this.#current;
    if (!cur) return;
    if (cur.timer !== undefined) clearTimeout(cur.timer);
    cur.timer = setTimeout(() => {
      const silent: number[] = [];
      for (let r = 0; r < this.worldSize; r++) if (r !== this.rank && !cur.heard.has(r)) silent.push(r);
      const peer = silent[0] ?? this.#waitingOn ?? -1;
      const who = silent.length > 0 ? `rank${silent.length > 1 ? "s" : ""} ${silent.join(", ")} sent nothing` : `rank ${peer} sent no message`;
      this.#abort(Why.Timeout, new ProcessGroupError(`ProcessGroup rank ${this.rank}: collective #${cur.seq} timed out: ${who} for ${this.#timeoutMs} ms`, peer));
    }, this.#timeoutMs);
  }

  /**
   * A peer is gone. Its messages sent before it left are still good (each link is ordered), so this fails a
   * collective only where it waits on that peer: now, or when it gets there (#recv, #until).
   */
  #lose(peer: number, message: string): void {
    if (this.#gone.has(peer)) return;
    const err = new ProcessGroupError(message, peer);
    this.#gone.set(peer, err);
    if (this.#waiter?.key === BELL) {
      // The shared path waits on several peers at once: wake it to look for the gone one (#until).
      const w = this.#waiter;
      this.#waiter = undefined;
      w.resolve(DOORBELL);
    } else if (this.#waiter && this.#waitingOn === peer) this.#abort(Why.Gone, err);
  }

  /** Fails the group with `err` (naming its culprit) and tells the peers, which fail too, naming the same rank. */
  #abort(why: number, err: ProcessGroupError): void {
    if (this.#broken) return;
    this.#sendBye(ABORT, why, err.peer);
    this.#fail(err);
  }

  #fail(e: Error): void {
    if (this.#broken) return;
    this.#broken = e;
    if (this.#waiter) {
      this.#waiter.reject(e);
      this.#waiter = undefined;
    }
    this.#current?.fail(e);
  }

  /** Sends `data` to `to` as pieces of at most maxMessageFloats (always at least one, so empty sends still carry the descriptor). */
  #sendPieces(to: number, d: Descriptor, phase: number, data: Float32Array): void {
    const seq = d.seq;
    const n = Math.max(1, Math.ceil(data.length / this.#maxFloats));
    for (let p = 0; p < n; p++) {
      const payload = data.subarray(p * this.#maxFloats, Math.min(data.length, (p + 1) * this.#maxFloats));
      this.#transport.send(to, { kind: d.kind, op: d.op, seq, phase, piece: p, length: d.length, root: d.root }, payload);
    }
  }

  /** Receives the pieces `from` sends in `phase` into `into` (whose length the sender's data must have). */
  async #recvInto(d: Descriptor, phase: number, from: number, into: Float32Array): Promise<Float32Array> {
    const seq = d.seq;
    const n = Math.max(1, Math.ceil(into.length / this.#maxFloats));
    this.#waitingOn = from;
    for (let p = 0; p < n; p++) {
      const { header, payload } = await this.#recv(`${seq}:${phase}:${from}:${p}`);
      this.#checkSame(d, from, header);
      const off = p * this.#maxFloats;
      const want = Math.min(into.length, off + this.#maxFloats) - off;
      if (payload.length !== want) {
        const err = new ProcessGroupError(`ProcessGroup rank ${this.rank}: collective #${seq}: rank ${from} sent ${payload.length} floats in piece ${p}, expected ${want}`, from);
        this.#abort(Why.Mismatch, err);
        throw err;
      }
      into.set(payload, off);
    }
    return into;
  }

  /** Receives every other rank's chunk of `out` (rank c sends chunk c in `phase`). */
  async #gatherChunks(d: Descriptor, phase: number, out: Float32Array): Promise<void> {
    for (let c = 0; c < this.worldSize; c++) {
      if (c === this.rank) continue;
      const { start, end } = chunkRange(out.length, this.worldSize, c);
      await this.#recvInto(d, phase, c, out.subarray(start, end));
    }
  }

  /** Fails the group if rank `from` called another collective than `d`. */
  #checkSame(d: Descriptor, from: number, other: { kind: number; op: number; length: number; root: number }): void {
    if (other.kind === d.kind && other.op === d.op && other.length === d.length && other.root === d.root) return;
    const err = new ProcessGroupError(`ProcessGroup rank ${this.rank}: collective #${d.seq} mismatch: rank ${from} called ${describe(other)}, rank ${this.rank} called ${describe(d)}`, from);
    this.#abort(Why.Mismatch, err);
    throw err;
  }

  /** The shared-memory path of every collective: rounds of write, reduce, read (see shared.ts). */
  async #sharedRun(d: Descriptor, src: Float32Array, dst: Float32Array): Promise<void> {
    const arena = this.#shared!;
    const W = this.worldSize;
    const me = this.rank;
    const P = arena.pieceFloats;
    const chunks = Array.from({ length: W }, (_, c) => chunkRange(d.length, W, c));
    const rounds = Math.max(1, Math.ceil(chunks[0]!.length / P)); // chunk 0 is the longest
    const reduces = d.kind === Kind.AllReduce || d.kind === Kind.ReduceScatter;
    const isRoot = d.kind === Kind.Broadcast && d.root === me;
    // Where chunk c starts in src and in dst: allGather's src and reduceScatter's dst hold this rank's chunk only.
    const srcAt = (c: number) => chunks[c]!.start - (d.kind === Kind.AllGather ? chunks[me]!.start : 0);
    const dstAt = (c: number) => chunks[c]!.start - (d.kind === Kind.ReduceScatter ? chunks[me]!.start : 0);
    if (W === 1) {
      // Alone: the sum and the mean (x / 1) of one rank are its own values, every collective a copy at most.
      if (dst !== src) dst.set(src);
      return;
    }
    // One round: once the last wait is over nothing can fail, so the results go straight into dst; several rounds
    // gather into a copy, so that a failure in a later round leaves dst as it was.
    const out = rounds === 1 ? dst : new Float32Array(dst.length);
    for (let j = 0; j < rounds; j++) {
      const k = ++this.#round;
      const from = j * P;
      const len = (c: number) => Math.max(0, Math.min(P, chunks[c]!.length - from));
      await this.#until(Stages.READ, k - 1);
      for (let c = 0; c < W; c++) {
        if (reduces || isRoot || (d.kind === Kind.AllGather && c === me)) arena.piece(me, c, len(c)).set(src.subarray(srcAt(c) + from, srcAt(c) + from + len(c)));
      }
      arena.writeDescriptor(me, d);
      this.#publish(Stages.WRITTEN, k);
      await this.#until(Stages.WRITTEN, k);
      if (j === 0) for (let q = 0; q < W; q++) if (q !== me) this.#checkSame(d, q, arena.descriptor(q));
      if (reduces) {
        arena.reduce(me, len(me), OPS[d.op] === "mean");
        this.#publish(Stages.REDUCED, k);
        if (d.kind === Kind.AllReduce) await this.#until(Stages.REDUCED, k);
      }
      for (let c = 0; c < W; c++) {
        if (d.kind === Kind.ReduceScatter ? c !== me : d.kind === Kind.Broadcast && isRoot) continue;
        out.set(arena.piece(d.kind === Kind.Broadcast ? d.root : c, c, len(c)), dstAt(c) + from);
      }
      this.#publish(Stages.READ, k);
    }
    if (out !== dst && !isRoot) dst.set(out);
  }

  /** Publishes this rank's stage of round k and wakes the peers (its bell; doorbells where they need them). */
  #publish(stage: Stage, k: number): void {
    this.#shared!.set(this.rank, stage, k);
    if (!this.#doorbells) return;
    for (let q = 0; q < this.worldSize; q++) {
      if (q !== this.rank) this.#transport.send(q, { kind: Kind.Doorbell, op: 0, seq: this.#current!.seq, phase: 0, piece: 0, length: 0, root: 0 }, EMPTY);
    }
  }

  /**
   * Waits until every peer's `stage` reached `round`: synchronously at first (SPIN_MS, BLOCK_MS), then on the
   * event loop, re-checking at each bell (or doorbell), where lost peers and the timeout are seen. A peer that
   * wrote or reduced this collective's round was heard from; each peer that catches up restarts the timeout.
   */
  async #until(stage: Stage, round: number): Promise<void> {
    const arena = this.#shared!;
    const behind = (): number => {
      for (let q = 0; q < this.worldSize; q++) if (q !== this.rank && arena.get(q, stage) < round) return q;
      return -1;
    };
    let q = behind(), waiting = q < 0 ? 0 : this.worldSize; // peers behind at the last look
    const t0 = performance.now();
    for (let t = t0; q >= 0 && t - t0 < SPIN_MS; t = performance.now()) q = behind();
    for (let t = performance.now(); q >= 0 && t - t0 < BLOCK_MS; t = performance.now()) {
      const bell = arena.bell(q); // read before the check: a publication after the check moves it
      if (arena.get(q, stage) < round && !arena.block(q, bell, BLOCK_MS - (t - t0))) break;
      q = behind();
    }
    for (;;) {
      let first = -1, count = 0;
      for (let p = 0; p < this.worldSize; p++) {
        if (p === this.rank) continue;
        if (arena.get(p, stage) >= round) {
          if (stage !== Stages.READ) this.#current?.heard.add(p);
          continue;
        }
        if (first < 0) first = p;
        count++;
        const gone = this.#gone.get(p);
        if (gone) {
          this.#abort(Why.Gone, gone);
          throw gone;
        }
      }
      if (count < waiting) this.#arm();
      if (first < 0) return;
      waiting = count;
      this.#waitingOn = first;
      const bell = arena.bell(first);
      if (arena.get(first, stage) >= round) continue;
      await this.#recv(BELL, this.#doorbells ? undefined : arena.ringing(first, bell, this.#timeoutMs));
    }
  }

  /** This rank's chunk of `data` reduced over all ranks in rank order (and the phase-0 sends of the other chunks). */
  async #reduceOwnChunk(d: Descriptor, data: Float32Array): Promise<Float32Array> {
    const W = this.worldSize;
    for (let c = 0; c < W; c++) {
      if (c === this.rank) continue;
      const { start, end } = chunkRange(data.length, W, c);
      this.#sendPieces(c, d, 0, data.subarray(start, end));
    }
    const own = chunkRange(data.length, W, this.rank);
    const parts: Float32Array[] = [];
    for (let r = 0; r < W; r++) parts.push(r === this.rank ? data.subarray(own.start, own.end) : await this.#recvInto(d, 0, r, new Float32Array(own.length)));
    const acc = new Float32Array(own.length);
    reduceRankOrder(acc, (r) => parts[r]!, W, OPS[d.op] === "mean");
    if (d.kind === Kind.AllReduce) for (let r = 0; r < W; r++) if (r !== this.rank) this.#sendPieces(r, d, 1, acc);
    return acc;
  }

  /** The message `key` (or any doorbell, or `wake` settling, for BELL). */
  #recv(key: string, wake?: Promise<unknown>): Promise<{ header: Header; payload: Float32Array }> {
    if (this.#broken) return Promise.reject(this.#broken);
    const m = this.#inbox.get(key);
    if (m) {
      this.#inbox.delete(key);
      return Promise.resolve(m);
    }
    const gone = key === BELL ? undefined : this.#gone.get(this.#waitingOn!);
    if (gone) {
      this.#abort(Why.Gone, gone);
      return Promise.reject(gone);
    }
    return new Promise((resolve, reject) => {
      const w = { key, resolve, reject };
      this.#waiter = w;
      void wake?.then(() => {
        if (this.#waiter !== w) return;
        this.#waiter = undefined;
        resolve(DOORBELL);
      });
    });
  }

  #receive(from: number, header: Header, payload: Float32Array): void {
    if (this.#closed || this.#broken) return;
    if (header.kind === Kind.Bye) {
      if (header.op === ABORT && header.phase === Why.Mismatch) this.#fail(new ProcessGroupError(`ProcessGroup rank ${this.rank}: rank ${from} aborted collective #${header.seq}: the ranks called different collectives${this.#current ? ` (rank ${this.rank} called ${describe(this.#current.d)})` : ""}`, from));
      else if (header.op === ABORT) {
        const what = header.phase === Why.Timeout ? `sent nothing for ${header.length} ms` : "is gone";
        this.#fail(new ProcessGroupError(`ProcessGroup rank ${this.rank}: rank ${from} aborted collective #${header.seq}: rank ${header.piece} ${what}`, header.piece));
      }
      else this.#lose(from, `ProcessGroup rank ${this.rank}: rank ${from} closed its process group`);
      return;
    }
    const cur = this.#current;
    if (cur && cur.seq === header.seq) {
      cur.heard.add(from);
      this.#arm();
    }
    const key = header.kind === Kind.Doorbell ? BELL : `${header.seq}:${header.phase}:${from}:${header.piece}`;
    const w = this.#waiter;
    if (w && w.key === key) {
      this.#waiter = undefined;
      w.resolve({ header, payload });
    } else if (key !== BELL) this.#inbox.set(key, { header, payload });
  }
}

/** @internal */
export function checkWorld(rank: number, worldSize: number): void {
  if (!Number.isInteger(worldSize) || worldSize < 1) throw new RangeError(`Invalid worldSize: ${worldSize} (expected an integer >= 1)`);
  if (!Number.isInteger(rank) || rank < 0 || rank >= worldSize) throw new RangeError(`Invalid rank: ${rank} (expected an integer, 0 <= rank < ${worldSize})`);
}

function checkF32(fn: string, name: string, x: unknown): void {
  if (!(x instanceof Float32Array)) throw new TypeError(`${fn}: ${name} must be a Float32Array, got ${x === null ? "null" : typeof x === "object" ? (x as object).constructor?.name : typeof x}`);
}

function opIndex(fn: string, opts: { op?: ReduceOp } | undefined): number {
  const op = opts?.op ?? "sum";
  const i = OPS.indexOf(op);
  if (i < 0) throw new RangeError(`${fn}: invalid op ${JSON.stringify(op)} (expected "sum" or "mean")`);
  return i;
}
