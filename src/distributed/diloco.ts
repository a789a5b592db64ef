// DiLoCo (Douillard et al., "DiLoCo: Distributed Low-Communication Training of Language Models", arXiv
// 2311.08105), local SGD with an outer optimizer: each rank steps its inner optimizer on its own data; every
// `syncEvery` (H) inner steps the pseudo-gradient Δ = anchor − params is all-reduced (the rank-order mean), the
// outer optimizer steps the anchor with it, and every rank adopts the anchor as its params. The outer optimizer
// is gradstep's SGD with torch's SGD(nesterov=True) semantics (b = μb + Δ, b = Δ on the first sync;
// anchor −= lr·(Δ + μb)); the paper's lr 0.7, μ 0.9. (torchlette's "Nesterov" outer step is heavy-ball in its
// code; this one is torch's.) One sync sends the params once instead of H gradients.
import { Optimizer, type StateDict, type StepOptions } from "../core/optimizer.js";
import { floatsOf } from "../core/state-dict.js";
import { checkOptionsArgument } from "../core/params.js";
import { rejectUnknown } from "../core/options.js";
import { SGD } from "../optim/sgd.js";
import type { ProcessGroup } from "./group.js";
import { checkGroup, checkOptimizer, type FlatRun, flatRuns } from "./runs.js";
import { allReduceBytes, checkCompression, type CompressBucket, type Compression, type CompressionState, Compressor, loadCompressed } from "./compression.js";

/** The options of {@link DiLoCo}. */
export interface DiLoCoOptions {
  /** Inner steps between two syncs (H; the paper's 500). */
  syncEvery: number;
  /** The outer SGD's learning rate (default 0.7). */
  outerLr?: number;
  /** The outer SGD's momentum (default 0.9). */
  momentum?: number;
  /** Nesterov momentum for the outer SGD (default true). */
  nesterov?: boolean;
  /** Compress the pseudo-gradient with error feedback, as DataParallel's option (default: none). */
  compression?: Compression;
}

/**
 * DiLoCo (Douillard et al. 2023), local SGD with an outer optimizer: each rank steps its inner optimizer on its own
 * data; every `syncEvery` steps the mean pseudo-gradient (anchor − params) steps the anchor with Nesterov SGD and
 * every rank adopts it.
 */
export class DiLoCo {
  /** The inner optimizer each rank steps on its own data. */
  readonly inner: Optimizer<object>;
  /** The outer optimizer: gradstep's SGD over the anchors, whose gradients are the averaged pseudo-gradients. */
  readonly outer: SGD;
  /** The process group the pseudo-gradients are averaged over. */
  readonly group: ProcessGroup;
  /** DiLoCoOptions.syncEvery. */
  readonly syncEvery: number;
  /** The pseudo-gradient's compression state, if compressing. */
  readonly compressor: Compressor | undefined;
  readonly #runs: FlatRun[];
  readonly #anchors: Float32Array[];
  readonly #deltas: Float32Array[];
  #steps = 0;
  #busy = false;
  #bytesSent = 0;

  /**
   * The anchor starts as this rank's params: every rank must start from the same params (initialise them
   * from one seed, or broadcast rank 0's first).
   */
  constructor(inner: Optimizer<object>, group: ProcessGroup, options: DiLoCoOptions) {
    checkOptimizer("DiLoCo", inner);
    checkGroup("DiLoCo", group);
    checkOptionsArgument("DiLoCo", options);
    rejectUnknown("DiLoCo", options, { syncEvery: 0, outerLr: 0, momentum: 0, nesterov: 0, compression: 0 }, []);
    const { syncEvery, outerLr = 0.7, momentum = 0.9, nesterov = true } = options;
    if (!Number.isSafeInteger(syncEvery) || syncEvery < 1) throw new RangeError(`DiLoCo: invalid syncEvery ${String(syncEvery)} (expected an integer >= 1)`);
    const c = options.compression === undefined ? undefined : checkCompression("DiLoCo", options.compression);
    this.#runs = flatRuns(inner.paramGroups.map((g) => g.params)).flat();
    this.#anchors = this.#runs.map((r) => r.value().slice());
    this.#deltas = this.#runs.map((r) => new Float32Array(r.n));
    try {
      this.outer = new SGD(this.#anchors.map((value, k) => ({ value, grad: this.#deltas[k]! })), { lr: outerLr, momentum, nesterov });
    } catch (e) {
      throw new RangeError(`DiLoCo: the outer optimizer: ${(e as Error).message}`);
    }
    this.inner = inner;
    this.group = group;
    this.syncEvery = syncEvery;
    this.compressor = c === undefined ? undefined : new Compressor(c, inner.store, inner.backend);
  }

  /** Inner steps taken. */
  get innerSteps(): number {
    return this.#steps;
  }

  /** Payload bytes this rank sent in the last sync() (0 before the first; message headers and the shared-memory path not counted). */
  get bytesSent(): number {
    return this.#bytesSent;
  }

  /** Copies of the anchors (the params every rank adopted at the last sync), one per flat run of the params. */
  get anchors(): Float32Array[] {
    return this.#anchors.map((a) => a.slice());
  }

  /** One inner step (inner.step(options)); every `syncEvery`-th one then syncs. */
  async step(options?: StepOptions): Promise<void> {
    if (this.#busy) throw new Error("DiLoCo.step: the previous step() has not finished (await it before the next)");
    this.inner.step(options);
    if (++this.#steps % this.syncEvery === 0) await this.sync();
  }

  /**
   * Averages the pseudo-gradients, steps the anchor and sets the params to it. No param, anchor or outer state
   * changes unless every all-reduce completed: after a failure sync() may be called again.
   */
  async sync(): Promise<void> {
    if (this.#busy) throw new Error("DiLoCo.sync: a sync is already running");
    this.#busy = true;
    try {
      this.#runs.forEach((r, k) => {
        const v = r.value(), a = this.#anchors[k]!, d = this.#deltas[k]!;
        for (let i = 0; i < d.length; i++) d[i] = a[i]! - v[i]!;
      });
      let bytes = 0;
      if (this.compressor) bytes = await this.compressor.reduce(this.group, this.#buckets());
      else {
        for (const d of this.#deltas) {
          await this.group.allReduce(d, { op: "mean" });
          bytes += allReduceBytes(d.length, this.group.worldSize, this.group.rank);
        }
      }
      this.#bytesSent = bytes;
      this.outer.step();
      this.#runs.forEach((r, k) => r.value().set(this.#anchors[k]!));
    } finally {
      this.#busy = false;
    }
  }

  /** The pseudo-gradients as the compressor reduces them, one bucket per flat run. */
  #buckets(): CompressBucket[] {
    return this.#deltas.map((d, k) => ({ data: () => d, params: this.#runs[k]!.params }));
  }

  /** Sets every gradient to zero (the inner optimizer's zeroGrad). */
  zeroGrad(): void {
    this.inner.zeroGrad();
  }

  /**
   * The outer state: inner steps taken, the anchors (copies), the outer SGD's state dict and, when compressing,
   * this rank's compression state (each rank saves its own). The inner optimizer's state is its own
   * (`inner.stateDict()`).
   */
  stateDict(): DiLoCoState {
    return { innerSteps: this.#steps, anchors: this.anchors, outer: this.outer.stateDict(), ...(this.compressor && { compression: this.compressor.stateDict(this.group) }) };
  }

  /**
   * Restores a stateDict() of a DiLoCo over params of the same lengths (and, when compressing, of this rank with
   * the same compression and world size); checks everything first and changes nothing when it throws.
   */
  loadStateDict(dict: DiLoCoState): void {
    const name = "DiLoCo.loadStateDict";
    if (dict === null || typeof dict !== "object") throw new TypeError(`${name}: expected { innerSteps, anchors, outer }`);
    if (!Number.isSafeInteger(dict.innerSteps) || dict.innerSteps < 0) throw new RangeError(`${name}: invalid innerSteps ${String(dict.innerSteps)} (expected an integer >= 0)`);
    if (!Array.isArray(dict.anchors) || dict.anchors.length !== this.#anchors.length) {
      throw new RangeError(`${name}: anchors must hold one array per flat run of the params (${this.#anchors.length})`);
    }
    const anchors = dict.anchors.map((a, k) => {
      const n = this.#anchors[k]!.length, f = floatsOf(a, `${name}: anchors[${k}]`, n);
      if (f === undefined || f.length !== n) throw new RangeError(`${name}: anchors[${k}] must be ${n} floats`);
      return f;
    });
    // Each load checks its dict first and changes nothing when it throws; after them nothing can fail.
    loadCompressed(name, this.compressor, dict.compression, this.group, () => this.#buckets(), () => this.outer.loadStateDict(dict.outer));
    anchors.forEach((a, k) => this.#anchors[k]!.set(a));
    this.#steps = dict.innerSteps;
  }
}

/** What DiLoCo.stateDict() returns (structured-clone-able; JSON keeps it as long as it holds no NaN or ±Infinity). */
export interface DiLoCoState {
  /** Inner steps since the last sync. */
  innerSteps: number;
  /** The anchors, one per flat run of the params. */
  anchors: Float32Array[];
  /** The outer SGD's state dict. */
  outer: StateDict;
  /** This rank's compression state of the pseudo-gradients, when compressing. */
  compression?: CompressionState;
}
