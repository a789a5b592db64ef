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
import type { Optimizer, StepOptions } from "../core/optimizer.js";
import { checkOptionsArgument } from "../core/params.js";
import { rejectUnknown } from "../core/options.js";
import type { ProcessGroup } from "./group.js";
import { checkBytes, checkGroup, checkOptimizer, type FlatRun, flatRuns } from "./runs.js";

/** The options of {@link DataParallel}. */
export interface DataParallelOptions {
  /** Cap of every bucket but the first, in bytes (default 25 MiB, torch's bucket_cap_mb). */
  bucketBytes?: number;
  /** Cap of the first bucket, in bytes (default 1 MiB, torch's first bucket). */
  firstBucketBytes?: number;
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
  #busy = false;

  constructor(optimizer: Optimizer<object>, group: ProcessGroup, options: DataParallelOptions = {}) {
    checkOptimizer("DataParallel", optimizer);
    checkGroup("DataParallel", group);
    checkOptionsArgument("DataParallel", options);
    rejectUnknown("DataParallel", options, { bucketBytes: 0, firstBucketBytes: 0 }, []);
    this.optimizer = optimizer;
    this.group = group;
    this.bucketBytes = checkBytes("DataParallel", "bucketBytes", options.bucketBytes ?? 25 * MiB);
    this.firstBucketBytes = checkBytes("DataParallel", "firstBucketBytes", options.firstBucketBytes ?? MiB);
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
    if (this.#busy) throw new Error("DataParallel.step: the previous step() has not finished (await it before the next)");
    this.#busy = true;
    try {
      for (const b of this.#buckets()) await this.group.allReduce(b.run.grad().subarray(b.start, b.end), { op: "mean" });
      this.optimizer.step(options);
    } finally {
      this.#busy = false;
    }
  }

  /** Sets every gradient to zero (the optimizer's zeroGrad). */
  zeroGrad(): void {
    this.optimizer.zeroGrad();
  }
}

/** How many params bucket `b` holds. */
function paramsIn(b: Bucket): number {
  let at = 0, count = 0;
  for (const p of b.run.params) {
    if (at >= b.start && at < b.end) count++;
    at += p.value.length;
  }
  return count;
}
