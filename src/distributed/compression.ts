// Gradient compression with error feedback for DataParallel (and DiLoCo's pseudo-gradient): the codecs of
// compression-codecs.ts (bf16, int8, sign: each rank encodes grad + error, the group all-gathers the encoded
// payloads, every rank decodes and sums them in rank order), and PowerSGD with the semantics and defaults of
// PyTorch's `torch.distributed.algorithms.ddp_comm_hooks.powerSGD_hook` (Vogels et al. 2019).
//
// State (error buffers, PowerSGD's P and Q) lives in the optimizer's ParamStore, allocated at a bucket's first
// step and owned by the Compressor; nothing of it changes unless every collective of the step completed: the
// new errors, P and Q are written to the other half of a double buffer and swapped in at the end (as are the
// reduced gradients), so a failed step leaves the gradients, the errors and the iteration count as they were.
import { gemmPackFloats, gemmRef, TRANS_B } from "../linalg/gemm.js";
import type { ParamLike } from "../core/spec.js";
import type { ParamStore } from "../runtime/store.js";
import type { BackendName } from "../runtime/types.js";
import { floatsOf } from "../core/state-dict.js";
import { chunkRange, type ProcessGroup } from "./group.js";
import { ADD, type Codec, DIV, encodeRef, payloadFloats, unpackRef } from "./compression-codecs.js";

/** PowerSGD's options: torch's PowerSGDState under gradstep's names (torch's defaults). */
export interface PowerSGDOptions {
  /** matrix_approximation_rank (default 1). */
  rank?: number;
  /** start_powerSGD_iter: steps of plain all-reduce before compression starts (default 10; > 1 with error feedback or warm start). */
  startIter?: number;
  /** min_compression_rate: a matrix is compressed only if (rows + cols)·rank·rate < rows·cols (default 2). */
  minCompressionRate?: number;
  /** warm_start: reuse the last Q instead of drawing a new one each step (default true). */
  warmStart?: boolean;
  /** use_error_feedback (default true). */
  useErrorFeedback?: boolean;
  /** orthogonalization_epsilon added to each column norm in Gram-Schmidt (default 0). */
  orthogonalizationEpsilon?: number;
  /** Seed of gradstep's own standard-normal draws for Q (default 0; the same on every rank). */
  seed?: number;
  /**
   * The standard-normal draws for a bucket's Qs (`floats` of them: the Qs of its compressed matrices, each
   * cols × rank row-major, in torch's order: grouped by shape, first shape first), for the `draw`-th random
   * initialisation (0, 1, …). Default: gradstep's seeded generator. torch draws them with
   * np.random.RandomState(seed).randint → torch.manual_seed → torch.randn, which gradstep does not reproduce;
   * pass torch's draws here to follow a torch run exactly. Must return the same numbers on every rank.
   */
  initQ?: (floats: number, draw: number) => ArrayLike<number>;
}

/** A PowerSGD configuration (what `powerSGD()` returns), every option filled in. */
export interface PowerSGD extends Readonly<Required<Omit<PowerSGDOptions, "initQ">>> {
  /** Tells a PowerSGD configuration from a codec name. */
  readonly kind: "powerSGD";
  /** PowerSGDOptions.initQ, or undefined: gradstep's seeded generator. */
  readonly initQ: ((floats: number, draw: number) => ArrayLike<number>) | undefined;
}

/** DataParallel's / DiLoCo's `compression` option. */
export type Compression = Codec | PowerSGD;

const POWERSGD_KEYS = ["rank", "startIter", "minCompressionRate", "warmStart", "useErrorFeedback", "orthogonalizationEpsilon", "seed", "initQ"];

/**
 * PowerSGD compression (torch's powerSGD_hook): P = M Q, all-reduce P, orthogonalize P (Gram-Schmidt), Q = Mᵀ P,
 * all-reduce Q, M ≈ P Qᵀ / W; vectors and matrices not worth compressing are all-reduced as they are.
 * @example
 * new DataParallel(opt, group, { compression: powerSGD({ rank: 2, startIter: 100 }) });
 */
export function powerSGD(options: PowerSGDOptions = {}): PowerSGD {
  if (options === null || typeof options !== "object") throw new TypeError("powerSGD: options must be an object");
  for (const k of Object.keys(options)) if (!POWERSGD_KEYS.includes(k)) throw new TypeError(`powerSGD: unknown option "${k}" (expected one of ${POWERSGD_KEYS.join(", ")})`);
  const { rank = 1, startIter = 10, minCompressionRate = 2, warmStart = true, useErrorFeedback = true, orthogonalizationEpsilon = 0, seed = 0, initQ } = options;
  const int = (name: string, v: unknown, min: number) => {
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) throw new RangeError(`powerSGD: invalid ${name} ${String(v)} (expected an integer >= ${min})`);
  };
  int("rank", rank, 1);
  int("startIter", startIter, 0);
  int("seed", seed, 0);
  if (typeof minCompressionRate !== "number" || !(minCompressionRate >= 0) || minCompressionRate === Infinity) throw new RangeError(`powerSGD: invalid minCompressionRate ${String(minCompressionRate)} (expected a finite number >= 0)`);
  if (typeof orthogonalizationEpsilon !== "number" || !(orthogonalizationEpsilon >= 0) || orthogonalizationEpsilon === Infinity) throw new RangeError(`powerSGD: invalid orthogonalizationEpsilon ${String(orthogonalizationEpsilon)} (expected a finite number >= 0)`);
  for (const [name, v] of [["warmStart", warmStart], ["useErrorFeedback", useErrorFeedback]] as const) {
    if (typeof v !== "boolean") throw new TypeError(`powerSGD: invalid ${name} ${String(v)} (expected a boolean)`);
  }
  if (initQ !== undefined && typeof initQ !== "function") throw new TypeError("powerSGD: initQ must be a function (floats, draw) => numbers");
  // torch's PowerSGDState refuses this too: the first steps may not see every gradient (DDP rebuilds its buckets).
  if ((useErrorFeedback || warmStart) && startIter <= 1) throw new RangeError(`powerSGD: startIter must be > 1 with useErrorFeedback or warmStart (got ${startIter}), as torch's start_powerSGD_iter`);
  return Object.freeze({ kind: "powerSGD", rank, startIter, minCompressionRate, warmStart, useErrorFeedback, orthogonalizationEpsilon, seed, initQ });
}

/** Throws unless `x` is a compression option; returns it. */
export function checkCompression(where: string, x: unknown): Compression {
  if (x === "bf16" || x === "int8" || x === "sign") return x;
  if (x !== null && typeof x === "object" && (x as { kind?: unknown }).kind === "powerSGD" && Object.isFrozen(x)) return x as PowerSGD;
  throw new RangeError(`${where}: invalid compression ${typeof x === "string" ? JSON.stringify(x) : String(x)} (expected "bf16", "int8", "sign" or powerSGD({...}))`);
}

/** Payload bytes this rank sends in allReduce of n floats over W ranks (MessageGroup: reduce-scatter then all-gather). */
export function allReduceBytes(n: number, W: number, rank: number): number {
  let floats = 0;
  for (let c = 0; c < W; c++) if (c !== rank) floats += chunkRange(n, W, c).length;
  return 4 * (floats + (W - 1) * chunkRange(n, W, rank).length);
}

/**
 * A Compressor's state on one rank (Compressor.stateDict): what a resumed run needs to step bit for bit as the
 * uninterrupted one. Error buffers differ from rank to rank, so every rank saves and loads its own.
 */
export interface CompressionState {
  /** The compression it belongs to: a codec name, or `powerSGD({...})` with the options (initQ left out) as JSON. */
  mode: string;
  /** The rank whose state it is. */
  rank: number;
  /** The number of ranks of its world. */
  worldSize: number;
  /** Steps reduced so far (PowerSGD: plain all-reduces while below startIter). */
  iter: number;
  /** PowerSGD: random initialisations of Q drawn so far (the next draw's number). */
  draws: number;
  /** Per bucket, in reduce order (none before the first step): its error-feedback buffer and, for PowerSGD with warm start once it compressed, its last Q. */
  buckets: {
    /** What this rank has not sent yet (added to the bucket's next input). */
    error: Float32Array;
    /** PowerSGD's Q of the last step, reused by the next (its compressed matrices' Qs, cols × rank each). */
    q?: Float32Array;
  }[];
}

/**
 * DataParallel's / DiLoCo's loadStateDict around `compressor` (theirs, or undefined): checks that the state has
 * compression exactly when the owner compresses, loads it, then runs `rest` (the owner's other loads, each
 * changing nothing when it throws) and puts the compression state back if `rest` throws.
 */
export function loadCompressed(where: string, compressor: Compressor | undefined, state: CompressionState | undefined, group: ProcessGroup, buckets: () => readonly CompressBucket[], rest: () => void): void {
  if ((state === undefined) !== (compressor === undefined)) {
    throw new RangeError(`${where}: the state is ${state === undefined ? "without" : "with"} compression, this one is ${compressor ? "with" : "without"}`);
  }
  const before = compressor?.stateDict(group);
  compressor?.loadStateDict(state!, group, buckets(), where);
  try {
    rest();
  } catch (e) {
    if (before) compressor!.loadStateDict(before, group, buckets(), where);
    throw e;
  }
}

/** A mode as CompressionState records it. */
function describeMode(mode: Compression): string {
  if (typeof mode === "string") return mode;
  const { initQ: _, kind: __, ...options } = mode;
  return `powerSGD(${JSON.stringify(options)})`;
}

/** A bucket to reduce: a live view of its floats and its params in order (PowerSGD reads their shapes). */
export interface CompressBucket {
  /** The bucket's floats, as a live view (reduce() replaces them in place). */
  data(): Float32Array;
  /** Its params, in the order their floats lie in `data()`. */
  readonly params: readonly ParamLike[];
}

/** A compressed matrix of a PowerSGD bucket: offset in the bucket, rows, cols, rank, offsets in P and Q. */
interface Matrix { off: number; n: number; m: number; r: number; p: number; q: number }

/** Store allocations of one bucket (byte offsets; two halves where state is double-buffered). */
interface BucketState {
  n: number;
  err: [number, number];
  cur: number;
  out: number;
  // PowerSGD only.
  matrices: Matrix[];
  plain: { off: number; len: number }[];
  pq: [number, number];
  pFloats: number;
  qFloats: number;
  hasQ: boolean;
}

const f = Math.fround;

/** Compression state of one DataParallel / DiLoCo: error buffers and PowerSGD memory in `store`, the kernels of `backend`. */
export class Compressor {
  /** The compression it applies: a codec name or a PowerSGD configuration. */
  readonly mode: Compression;
  readonly #store: ParamStore;
  readonly #backend: BackendName;
  readonly #buckets = new Map<number, BucketState>();
  /** Shared scratch (floats): x, payload, gathered, gemm pack, P/Q transposes. */
  #scratch = { ptr: 0, floats: 0 };
  #iter = 0;
  #draws = 0;
  #bytes = 0;
  #disposed = false;

  constructor(mode: Compression, store: ParamStore, backend: BackendName) {
    this.mode = mode;
    this.#store = store;
    this.#backend = backend;
  }

  /** Steps compressed so far (PowerSGD's iteration count: plain all-reduce while it is below startIter). */
  get iter(): number {
    return this.#iter;
  }

  /** Bytes of compression state in the store (error buffers, PowerSGD's P and Q, reduced outputs, scratch). */
  get stateBytes(): number {
    let floats = this.#scratch.floats;
    for (const b of this.#buckets.values()) floats += 3 * b.n + 2 * (b.pFloats + b.qFloats);
    return 4 * floats;
  }

  /** Copies of each bucket's error-feedback buffer, by bucket index (empty before a bucket's first compressed step). */
  errors(): Map<number, Float32Array> {
    return new Map([...this.#buckets].map(([k, b]) => [k, this.#view(b.err[b.cur]!, b.n).slice()]));
  }

  /** This rank's state (copies): error buffers, PowerSGD's warm-start Qs, iteration and draw counts. */
  stateDict(group: ProcessGroup): CompressionState {
    const buckets = [...this.#buckets.values()].map((b) => ({
      error: this.#view(b.err[b.cur]!, b.n).slice(),
      ...(b.hasQ && { q: this.#view(b.pq[b.cur]! + 4 * b.pFloats, b.qFloats).slice() }),
    }));
    return { mode: describeMode(this.mode), rank: group.rank, worldSize: group.worldSize, iter: this.#iter, draws: this.#draws, buckets };
  }

  /**
   * Restores a stateDict() of this rank, saved by a compressor of the same mode, rank, world size and buckets
   * (`buckets`: the ones its next reduce() gets). Everything is checked first: a state that does not fit throws
   * naming what and changes nothing.
   */
  loadStateDict(dict: CompressionState, group: ProcessGroup, buckets: readonly CompressBucket[], where = "Compressor.loadStateDict"): void {
    if (this.#disposed) throw new Error(`${where}: disposed`);
    const bad = (msg: string) => new RangeError(`${where}: ${msg}`);
    if (dict === null || typeof dict !== "object" || !Array.isArray(dict.buckets)) throw new TypeError(`${where}: expected { mode, rank, worldSize, iter, draws, buckets }`);
    const mode = describeMode(this.mode);
    if (dict.mode !== mode) throw bad(`the state is of compression ${String(dict.mode)}, this one is ${mode}`);
    if (dict.worldSize !== group.worldSize) throw bad(`the state is of a world of ${String(dict.worldSize)} ranks, this one has ${group.worldSize}`);
    if (dict.rank !== group.rank) throw bad(`the state is rank ${String(dict.rank)}'s, this is rank ${group.rank} (error buffers are per rank: each rank loads its own)`);
    for (const k of ["iter", "draws"] as const) if (!Number.isSafeInteger(dict[k]) || dict[k] < 0) throw bad(`invalid ${k} ${String(dict[k])} (expected an integer >= 0)`);
    if (dict.buckets.length !== 0 && dict.buckets.length !== buckets.length) throw bad(`the state has ${dict.buckets.length} buckets, this one reduces ${buckets.length} (other params or bucket sizes)`);
    const psgd = typeof this.mode === "object" ? this.mode : undefined;
    const staged = dict.buckets.map((saved, i) => {
      if (saved === null || typeof saved !== "object") throw bad(`bucket ${i} is not { error, q? }`);
      const b = buckets[i]!, n = b.data().length;
      const error = floatsOf(saved.error, `${where}: bucket ${i}'s error`, n);
      if (error?.length !== n) throw bad(`bucket ${i}'s error buffer has ${error?.length ?? "no"} floats, the bucket ${n}`);
      if (saved.q === undefined) return { error, q: undefined };
      const qFloats = psgd?.warmStart ? layout(b.params, psgd).qFloats : 0;
      const q = floatsOf(saved.q, `${where}: bucket ${i}'s q`, qFloats);
      if (!psgd?.warmStart || q?.length !== qFloats) throw bad(`bucket ${i}'s Q has ${q?.length ?? "no"} floats, ${psgd?.warmStart ? `its matrices ${qFloats}` : "this compression keeps none"}`);
      return { error, q };
    });
    // Checked: from here nothing can fail.
    const states = staged.length > 0 ? buckets.map((b, i) => this.#state(i, b)) : [...this.#buckets.values()];
    states.forEach((s, i) => {
      const saved = staged[i];
      this.#view(s.err[s.cur]!, s.n).set(saved?.error ?? new Float32Array(s.n));
      if (saved?.q) this.#view(s.pq[s.cur]! + 4 * s.pFloats, s.qFloats).set(saved.q);
      s.hasQ = saved?.q !== undefined;
    });
    this.#iter = dict.iter;
    this.#draws = dict.draws;
  }

  /** Drops the state; later reduce() calls throw. The store's memory returns with the store (it has no free). */
  dispose(): void {
    this.#disposed = true;
    this.#buckets.clear();
  }

  /**
   * Replaces every bucket's floats by the compressed mean over the group (rank order, bit-identical on every
   * rank). Returns the payload bytes this rank sent. Nothing changes unless every collective completed.
   */
  async reduce(group: ProcessGroup, buckets: readonly CompressBucket[]): Promise<number> {
    if (this.#disposed) throw new Error("Compressor: disposed");
    this.#store.assertAlive();
    const states = buckets.map((b, i) => this.#state(i, b));
    this.#bytes = 0;
    const psgd = typeof this.mode === "object" ? this.mode : undefined;
    const plain = psgd !== undefined && this.#iter < psgd.startIter;
    let draws = this.#draws;
    for (let i = 0; i < buckets.length; i++) {
      const s = states[i]!;
      if (plain) await this.#plain(group, buckets[i]!, s);
      else if (psgd) draws = await this.#powerSGD(group, psgd, buckets[i]!, s, draws);
      else await this.#codec(group, this.mode as Codec, buckets[i]!, s);
    }
    // Every collective completed: commit.
    buckets.forEach((b, i) => {
      const s = states[i]!;
      b.data().set(this.#view(s.out, s.n));
      if (!plain) {
        s.cur ^= 1;
        if (psgd) s.hasQ = psgd.warmStart;
      }
    });
    this.#draws = draws;
    this.#iter++;
    return this.#bytes;
  }

  /** Bucket i's state, allocated (with the scratch it needs) on first use or when its length changed. */
  #state(i: number, b: CompressBucket): BucketState {
    const n = b.data().length;
    let s = this.#buckets.get(i);
    if (!s || s.n !== n) {
      const { matrices, plain, pFloats, qFloats } = typeof this.mode === "object" ? layout(b.params, this.mode) : { matrices: [], plain: [], pFloats: 0, qFloats: 0 };
      const alloc = (floats: number) => this.#store.alloc(floats);
      s = { n, err: [alloc(n), alloc(n)], cur: 0, out: alloc(n), matrices, plain, pq: [alloc(2 * (pFloats + qFloats)), 0], pFloats, qFloats, hasQ: false };
      s.pq[1] = s.pq[0] + 4 * (pFloats + qFloats);
      this.#buckets.set(i, s);
    }
    return s;
  }

  /** The shared scratch, at least `floats` long (re-allocated when it grows; its old space is not reused). */
  #need(floats: number): number {
    if (this.#scratch.floats < floats) this.#scratch = { ptr: this.#store.alloc(floats), floats };
    return this.#scratch.ptr;
  }

  #view(ptr: number, n: number): Float32Array {
    return this.#store.view(ptr, n);
  }

  /** bf16 / int8 / sign: encode (with the error), all-gather the payloads, decode and sum in rank order, / W. */
  async #codec(group: ProcessGroup, codec: Codec, b: CompressBucket, s: BucketState): Promise<void> {
    const W = group.worldSize, n = s.n, L = payloadFloats(codec, n);
    const x = this.#need(n + L + W * L), payload = x + 4 * n, gathered = payload + 4 * L;
    this.#view(x, n).set(b.data());
    this.#encode(codec, x, s.err[s.cur]!, s.err[s.cur ^ 1]!, payload, n);
    await group.allGather(this.#view(payload, L), this.#view(gathered, W * L));
    this.#bytes += 4 * L * (W - 1);
    for (let r = 0; r < W; r++) this.#unpack(codec, s.out, gathered + 4 * r * L, n, (r > 0 ? ADD : 0) | (r === W - 1 ? DIV : 0), W);
  }

  /** Plain all-reduce of the mean (PowerSGD before startIter). */
  async #plain(group: ProcessGroup, b: CompressBucket, s: BucketState): Promise<void> {
    const out = this.#view(s.out, s.n);
    out.set(b.data());
    await group.allReduce(out, { op: "mean" });
    this.#bytes += allReduceBytes(s.n, group.worldSize, group.rank);
  }

  /** One bucket of torch's powerSGD_hook; returns the draw count after it. */
  async #powerSGD(group: ProcessGroup, o: PowerSGD, b: CompressBucket, s: BucketState, draws: number): Promise<number> {
    const W = group.worldSize, rank = group.rank, n = s.n;
    const plainFloats = s.plain.reduce((a, t) => a + t.len, 0);
    let pack = 0, tmp = 0;
    for (const t of s.matrices) {
      pack = Math.max(pack, gemmPackFloats(t.r, t.m), gemmPackFloats(t.m, t.n), gemmPackFloats(t.m, t.r));
      tmp = Math.max(tmp, t.r * Math.max(t.n, t.m));
    }
    const xp = this.#need(n + plainFloats + pack + tmp), up = xp + 4 * n, packp = up + 4 * plainFloats, tp = packp + 4 * pack;
    const cur = s.pq[s.cur]!, next = s.pq[s.cur ^ 1]!;
    const P = next, Q = next + 4 * s.pFloats;
    // M = grad + error (torch adds the error into the bucket; x is input_tensor_cp).
    const x = this.#view(xp, n), err = this.#view(s.err[s.cur]!, n);
    x.set(b.data());
    if (o.useErrorFeedback) for (let i = 0; i < n; i++) x[i] = x[i]! + err[i]!;
    // Q: the last one (warm start), or fresh draws; orthogonalized either way.
    const q = this.#view(Q, s.qFloats);
    if (o.warmStart && s.hasQ) q.set(this.#view(cur + 4 * s.pFloats, s.qFloats));
    else if (s.qFloats > 0) q.set(normals(o, s.qFloats, draws++));
    for (const t of s.matrices) orthogonalize(this.#view(Q + 4 * t.q, t.m * t.r), t.m, t.r, o.orthogonalizationEpsilon);
    for (const t of s.matrices) this.#gemm(P + 4 * t.p, xp + 4 * t.off, Q + 4 * t.q, packp, t.n, t.r, t.m, 0);
    // The uncompressed tensors, all-reduced as one (sum, then / W).
    const u = this.#view(up, plainFloats);
    let at = 0;
    for (const t of s.plain) u.set(x.subarray(t.off, t.off + t.len), (at += t.len) - t.len);
    if (plainFloats > 0) {
      await group.allReduce(u, { op: "mean" });
      this.#bytes += allReduceBytes(plainFloats, W, rank);
    }
    if (s.pFloats > 0) {
      await group.allReduce(this.#view(P, s.pFloats), { op: "sum" });
      this.#bytes += allReduceBytes(s.pFloats, W, rank);
      for (const t of s.matrices) orthogonalize(this.#view(P + 4 * t.p, t.n * t.r), t.n, t.r, o.orthogonalizationEpsilon);
      // Qᵀ (r×m) = Pᵀ (r×n) · M (n×m), then Q = its transpose.
      for (const t of s.matrices) {
        transpose(this.#view(P + 4 * t.p, t.n * t.r), this.#view(tp, t.n * t.r), t.n, t.r);
        this.#gemm(Q + 4 * t.q, tp, xp + 4 * t.off, packp, t.r, t.m, t.n, 0);
        const qt = this.#view(Q + 4 * t.q, t.m * t.r);
        const tmpv = this.#view(tp, t.m * t.r);
        tmpv.set(qt);
        transpose(tmpv, qt, t.r, t.m);
      }
      await group.allReduce(this.#view(Q, s.qFloats), { op: "mean" });
      this.#bytes += allReduceBytes(s.qFloats, W, rank);
    }
    // The approximation M ≈ P Qᵀ, the uncompressed means, and the error input − output.
    for (const t of s.matrices) this.#gemm(s.out + 4 * t.off, P + 4 * t.p, Q + 4 * t.q, packp, t.n, t.m, t.r, TRANS_B);
    const out = this.#view(s.out, n), uu = this.#view(up, plainFloats);
    at = 0;
    for (const t of s.plain) out.set(uu.subarray(at, (at += t.len)), t.off);
    const xe = this.#view(xp, n), ne = this.#view(s.err[s.cur ^ 1]!, n);
    if (o.useErrorFeedback) for (let i = 0; i < n; i++) ne[i] = xe[i]! - out[i]!;
    return draws;
  }

  #encode(codec: Codec, x: number, err: number, newErr: number, payload: number, n: number): void {
    if (this.#backend === "js") return encodeRef(codec, this.#view(x, n), this.#view(err, n), this.#view(newErr, n), this.#view(payload, payloadFloats(codec, n)), n);
    this.#store.kernels(this.#backend)[KERNEL[codec][0]]!(x, err, newErr, payload, n);
  }

  #unpack(codec: Codec, out: number, payload: number, n: number, flags: number, w: number): void {
    if (this.#backend === "js") return unpackRef(codec, this.#view(out, n), this.#view(payload, payloadFloats(codec, n)), n, flags, w);
    this.#store.kernels(this.#backend)[KERNEL[codec][1]]!(out, payload, n, flags, w);
  }

  #gemm(c: number, a: number, b: number, pack: number, m: number, n: number, k: number, flags: number): void {
    if (this.#backend !== "js") return this.#store.kernels(this.#backend).gemm_f32!(c, a, b, pack, m, n, k, flags);
    gemmRef(this.#view(c, m * n), this.#view(a, m * k), this.#view(b, k * n), m, n, k, flags);
  }
}

/** The Wasm exports of each codec: encode with error feedback, decode onto a buffer. */
export const KERNEL: Record<Codec, [string, string]> = {
  bf16: ["ef_bf16_f32", "unpack_bf16_f32"],
  int8: ["ef_i8_f32", "unpack_i8_f32"],
  sign: ["ef_sign_f32", "unpack_sign_f32"],
};

/**
 * torch's split of a bucket: each param viewed as a matrix (shape[0] × the rest) is compressed at rank
 * min(rows, cols, rank) if (rows + cols)·rank·minCompressionRate < rows·cols; the others (vectors, params with
 * no shape, small matrices) are all-reduced as they are. P and Q are laid out grouped by shape, first shape
 * first (torch's shape_to_tensors).
 */
function layout(params: readonly ParamLike[], o: PowerSGD): Pick<BucketState, "matrices" | "plain" | "pFloats" | "qFloats"> {
  const plain: { off: number; len: number }[] = [];
  const byShape = new Map<string, Matrix[]>();
  let off = 0;
  for (const p of params) {
    const len = p.value.length;
    const shape = (p as { shape?: readonly number[]; hasShape?: boolean }).hasShape ? (p as { shape: readonly number[] }).shape : [len];
    const n = shape.length > 1 ? shape[0]! : len, m = shape.length > 1 ? len / n : 1;
    const r = Math.min(n, m, o.rank);
    if (shape.length > 1 && len > 0 && (n + m) * r * o.minCompressionRate < n * m) {
      const key = `${n}x${m}`;
      if (!byShape.has(key)) byShape.set(key, []);
      byShape.get(key)!.push({ off, n, m, r, p: 0, q: 0 });
    } else plain.push({ off, len });
    off += len;
  }
  const matrices = [...byShape.values()].flat();
  let pFloats = 0, qFloats = 0;
  for (const t of matrices) {
    t.p = pFloats;
    t.q = qFloats;
    pFloats += t.n * t.r;
    qFloats += t.m * t.r;
  }
  return { matrices, plain, pFloats, qFloats };
}

/** Gram-Schmidt on the columns of the rows × cols row-major matrix a (torch's _orthogonalize_gram_schmidt; norms and dots summed in f64). */
function orthogonalize(a: Float32Array, rows: number, cols: number, eps: number): void {
  for (let i = 0; i < cols; i++) {
    let ss = 0;
    for (let k = 0; k < rows; k++) ss += a[k * cols + i]! ** 2;
    const norm = f(f(Math.sqrt(ss)) + eps);
    for (let k = 0; k < rows; k++) a[k * cols + i] = a[k * cols + i]! / norm;
    for (let j = i + 1; j < cols; j++) {
      let dot = 0;
      for (let k = 0; k < rows; k++) dot += a[k * cols + i]! * a[k * cols + j]!;
      const d = f(dot);
      for (let k = 0; k < rows; k++) a[k * cols + j] = a[k * cols + j]! - f(d * a[k * cols + i]!);
    }
  }
}

function transpose(src: Float32Array, dst: Float32Array, rows: number, cols: number): void {
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) dst[j * rows + i] = src[i * cols + j]!;
}

/** The `draw`-th set of `count` standard normals for Q: initQ's, or gradstep's (Box-Muller over a seeded splitmix32). */
function normals(o: PowerSGD, count: number, draw: number): Float32Array {
  if (o.initQ) {
    const v = o.initQ(count, draw);
    if (!v || v.length !== count) throw new RangeError(`powerSGD: initQ(${count}, ${draw}) returned ${v?.length ?? "no"} numbers, expected ${count}`);
    return Float32Array.from(v);
  }
  let state = (Math.imul(o.seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(draw + 1, 0xc2b2ae35)) >>> 0;
  const next = () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return ((z ^ (z >>> 16)) >>> 0) / 2 ** 32;
  };
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const u = 1 - next(), v = next(), r = Math.sqrt(-2 * Math.log(u));
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < count) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}
