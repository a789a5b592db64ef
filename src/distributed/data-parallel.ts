// Data parallel training (PyTorch's DistributedDataParallel, for the optimizer's part): every rank computes
// gradients on its own batch, `step()` all-reduces their mean in buckets and then steps the optimizer, so every
// rank holds bit-identical params, equal to one process stepping on the rank-order mean of the gradients.
//
// Buckets are views over the store's flat gradient runs (no copies), filled with whole params in reverse
// registration order (the order a backward pass finishes them, as torch's Reducer), the first one capped at
// `firstBucketBytes` and the others at `bucketBytes` (torch: 1 MiB and bucket_cap_mb = 25 MiB); a param larger
// than the cap is a bucket of its own. The optimizer's fused clipping (`maxGradNorm`, `clipValue`) and
// `skipNonFinite` see the reduced gradients: clipping happens after the reduce (Keras clipped each replica's
// gradients before aggregating them, tensorflow#33929).
import type { Optimizer, StateDict, StepOptions } from "../core/optimizer.js";
import { checkOptionsArgument } from "../core/params.js";
import { rejectUnknown } from "../core/options.js";
import type { ProcessGroup } from "./group.js";
import { checkBytes, checkGroup, checkOptimizer, type FlatRun, flatRuns } from "./runs.js";
import { allReduceBytes, checkCompression, type CompressBucket, type Compression, type CompressionState, Compressor, loadCompressed } from "./compression.js";

/** The options of {@link DataParallel}. */
export interface DataParallelOptions {
  /** Cap of every bucket but the first, in bytes (default 25 MiB, torch's bucket_cap_mb). */
  bucketBytes?: number;
  /** Cap of the first bucket, in bytes (default 1 MiB, torch's first bucket). */
  firstBucketBytes?: number;
  /**
   * Compress the gradients with error feedback (the distributed guide's "Compression"): "bf16", "int8", "sign"
   * or powerSGD({...}) (default: none, the exact mean).
   */
  compression?: Compression;
}

const MiB = 1 << 20;

/** A bucket: floats [start, end) of a flat run. */
interface Bucket { run: FlatRun; start: number; end: number }

/**
 * Data-parallel training over a process group (PyTorch's DistributedDataParallel, the optimizer's part): `step()`
 * all-reduces the mean of every rank's gradients in buckets, then steps the optimizer, so every rank holds
 * bit-identical params.
 */
export class DataParallel {
  /** The optimizer each rank steps with the averaged gradients. */
  readonly optimizer: Optimizer<object>;
  /** The process group the gradients are averaged over. */
  readonly group: ProcessGroup;
  /** DataParallelOptions.bucketBytes. */
  readonly bucketBytes: number;
  /** DataParallelOptions.firstBucketBytes. */
  readonly firstBucketBytes: number;
  /** The compression state (error buffers, PowerSGD's P and Q, in the optimizer's store), if compressing. */
  readonly compressor: Compressor | undefined;
  #busy = false;
  #disposed = false;
  #bytesSent = 0;

  constructor(optimizer: Optimizer<object>, group: ProcessGroup, options: DataParallelOptions = {}) {
    checkOptimizer("DataParallel", optimizer);
    checkGroup("DataParallel", group);
    checkOptionsArgument("DataParallel", options);
    rejectUnknown("DataParallel", options, { bucketBytes: 0, firstBucketBytes: 0, compression: 0 }, []);
    this.optimizer = optimizer;
    this.group = group;
    this.bucketBytes = checkBytes("DataParallel", "bucketBytes", options.bucketBytes ?? 25 * MiB);
    this.firstBucketBytes = checkBytes("DataParallel", "firstBucketBytes", options.firstBucketBytes ?? MiB);
    const c = options.compression === undefined ? undefined : checkCompression("DataParallel", options.compression);
    this.compressor = c === undefined ? undefined : new Compressor(c, optimizer.store, optimizer.backend);
  }

  /** Payload bytes this rank sent in the last step() (message headers and the shared-memory path not counted). */
  get bytesSent(): number {
    return this.#bytesSent;
  }

  /** The buckets of the next step, in the order they are reduced: each one's params (registration order) and floats. */
  get buckets(): {
    /** Params in the bucket. */
    params: number;
    /** Floats in the bucket. */
    floats: number;
  }[] {
    return this.#buckets().map((b) => ({ params: paramsIn(b), floats: b.end - b.start }));
  }

  #buckets(): Bucket[] {
    const buckets: Bucket[] = [];
    const runs = flatRuns(this.optimizer.paramGroups.map((g) => g.params)).flat().reverse();
    for (const run of runs) {
      let end = run.n, start = run.n;
      for (let i = run.params.length - 1; i >= 0; i--) {
        const len = run.params[i]!.value.length;
        const cap = (buckets.length === 0 ? this.firstBucketBytes : this.bucketBytes) / 4;
        if (end > start && end - start + len > cap) {
          buckets.push({ run, start, end });
          end = start;
        }
        start -= len;
      }
      if (end > start) buckets.push({ run, start, end });
    }
    return buckets;
  }

  /**
   * All-reduces the mean of the gradients over the group, then steps the optimizer (with `options`, as
   * optimizer.step). No param and no optimizer state changes unless every collective completed: a failing group
   * rejects with its error and leaves them as they were (the gradients of buckets already reduced hold the mean).
   */
  async step(options?: StepOptions): Promise<void> {
    if (this.#disposed) throw new Error("DataParallel.step: this DataParallel has been disposed");
    if (this.#busy) throw new Error("DataParallel.step: the previous step() has not finished (await it before the next)");
    this.#busy = true;
    try {
      const buckets = this.#buckets();
      let bytes = 0;
      if (this.compressor) {
        bytes = await this.compressor.reduce(this.group, compressBuckets(buckets));
      } else {
        for (const b of buckets) {
          await this.group.allReduce(b.run.grad().subarray(b.start, b.end), { op: "mean" });
          bytes += allReduceBytes(b.end - b.start, this.group.worldSize, this.group.rank);
        }
      }
      this.#bytesSent = bytes;
      this.optimizer.step(options);
    } finally {
      this.#busy = false;
    }
  }

  /** Releases the compression state (the optimizer and the group stay the caller's); step() then throws. */
  dispose(): void {
    this.compressor?.dispose();
    this.#disposed = true;
  }

  /** Sets every gradient to zero (the optimizer's zeroGrad). */
  zeroGrad(): void {
    this.optimizer.zeroGrad();
  }

  /**
   * The optimizer's state dict and, when compressing, this rank's compression state (error buffers, PowerSGD's
   * Qs and counts). Without compression every rank's is the same; with it each rank saves its own
   * (`saveCheckpoint({ params, optimizer: ddp })` on every rank).
   */
  stateDict(): DataParallelState {
    return { optimizer: this.optimizer.stateDict(), ...(this.compressor && { compression: this.compressor.stateDict(this.group) }) };
  }

  /**
   * Restores a stateDict() (of this rank, when compressing): checks everything first; a state that does not fit
   * (another compression, rank or world size, other params or buckets, the optimizer's own checks) throws naming
   * what, and changes nothing.
   */
  loadStateDict(dict: DataParallelState): void {
    const where = "DataParallel.loadStateDict";
    if (dict === null || typeof dict !== "object" || dict.optimizer === undefined) throw new TypeError(`${where}: expected { optimizer, compression? }`);
    // The optimizer's load checks its dict first and changes nothing when it throws.
    loadCompressed(where, this.compressor, dict.compression, this.group, () => compressBuckets(this.#buckets()), () => this.optimizer.loadStateDict(dict.optimizer));
  }
}

/** What DataParallel.stateDict() returns. */
export interface DataParallelState {
  /** The optimizer's state dict. */
  optimizer: StateDict;
  /** This rank's compression state, when compressing. */
  compression?: CompressionState;
}

/** The buckets as the compressor reduces them: views over the gradients. */
function compressBuckets(buckets: Bucket[]): CompressBucket[] {
  return buckets.map((b) => ({ data: () => b.run.grad().subarray(b.start, b.end), params: paramsOf(b) }));
}

/** How many params bucket `b` holds. */
function paramsIn(b: Bucket): number {
  return paramsOf(b).length;
}

/** The params of bucket `b`, in registration order. */
function paramsOf(b: Bucket): Bucket["run"]["params"] {
  let at = 0;
  return b.run.params.filter((p) => {
    const inside = at >= b.start && at < b.end;
    at += p.value.length;
    return inside;
  });
}
