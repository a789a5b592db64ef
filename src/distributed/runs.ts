// What the training wrappers (DataParallel, ZeRO, DiLoCo) share: the flat runs of a param list (params whose
// values and grads are each contiguous in one store, so one view covers a run, no copies; or one foreign
// `{ value, grad }` param), which DataParallel buckets, ZeRO shards and DiLoCo anchors; and their argument checks.
// Views are made afresh at each use: a store's memory may have grown since.
import { Optimizer } from "../core/optimizer.js";
import type { ParamLike } from "../core/spec.js";
import type { ProcessGroup } from "./group.js";
import { Param, ParamStore } from "../runtime/store.js";
import type { BackendName } from "../runtime/types.js";

export interface FlatRun {
  /** Its params, in registration order. */
  readonly params: readonly ParamLike[];
  /** Floats in the run. */
  readonly n: number;
  /** The run's values (a live view). */
  value(): Float32Array;
  /** The run's gradients (a live view). */
  grad(): Float32Array;
}

/** The runs of each group's params, in order; a run never spans two groups. */
export function flatRuns(groups: readonly (readonly ParamLike[])[]): FlatRun[][] {
  return groups.map((params) => {
    const runs: FlatRun[] = [];
    let cur: Param[] = [];
    const close = () => {
      if (cur.length === 0) return;
      const ps = cur, first = ps[0]!, n = ps.reduce((s, p) => s + p.length, 0);
      runs.push({ params: ps, n, value: () => first.store.view(first.valuePtr, n), grad: () => first.store.view(first.gradPtr, n) });
      cur = [];
    };
    for (const p of params) {
      if (!(p instanceof Param)) {
        close();
        runs.push({ params: [p], n: p.value.length, value: () => p.value, grad: () => p.grad });
        continue;
      }
      const last = cur[cur.length - 1];
      const at = last ? cur.reduce((s, q) => s + q.length, 0) * 4 : 0;
      if (last && (p.store !== last.store || p.valuePtr !== cur[0]!.valuePtr + at || p.gradPtr !== cur[0]!.gradPtr + at)) close();
      cur.push(p);
    }
    close();
    return runs;
  });
}

/** Throws unless `x` is a number that is a whole count of bytes > 0. */
export function checkBytes(where: string, name: string, x: unknown): number {
  if (typeof x !== "number" || !Number.isSafeInteger(x) || x < 4) throw new RangeError(`${where}: invalid ${name} ${String(x)} (expected an integer number of bytes >= 4)`);
  return x;
}

/** Whether `x` looks like a ProcessGroup (the checks every distributed wrapper makes of its group). */
export function checkGroup(where: string, group: unknown): asserts group is ProcessGroup {
  const g = group as Partial<ProcessGroup> | null;
  if (g === null || typeof g !== "object" || typeof g.allReduce !== "function" || typeof g.rank !== "number" || typeof g.worldSize !== "number") {
    throw new TypeError(`${where}: group must be a ProcessGroup (localGroups(), workerGroup(), webSocketGroup()...)`);
  }
}

/** Throws unless `x` is an optimizer that steps with step() (not a closure-kind one). */
export function checkOptimizer(where: string, x: unknown): asserts x is Optimizer<object> & { readonly store: ParamStore; readonly backend: BackendName } {
  if (x instanceof Optimizer) {
    if (x.store instanceof ParamStore) return;
    throw new TypeError(`${where}: ${x.constructor.name}'s params live in a GPU param store (the webgpu backend); ` +
      "distributed training steps params of a ParamStore (Wasm memory) only, not on WebGPU yet");
  }
  const closure = x !== null && typeof x === "object" && "step" in x && "store" in x;
  throw new TypeError(`${where}: expected a gradstep optimizer (new Adam(params, ...)) as the first argument` +
    (closure ? " (closure-kind optimizers such as LBFGS re-evaluate the loss inside step and cannot be wrapped)" : ""));
}
