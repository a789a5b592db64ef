// Shared by the distributed training tests: one rank's params and optimizer, seeded per-rank gradients, and
// the rank-order mean computed here (independently of the process groups).
import { ParamStore, SGD } from "../../src/index.js";
import type { Optimizer, ParamLike } from "../../src/core/optimizer.js";
import type { OptimizerClass } from "../../src/optim/index.js";
import { randomArray, rng } from "../helpers.js";
import { REGISTRY } from "../registry.js";
import type { ProcessGroup } from "../../src/distributed/index.js";

/** Registry optimizers whose kernels step element by element (DataParallel and ZeRO cover them all). */
export const ELEMENTWISE = REGISTRY.filter((e) => e.spec.kind !== "tensor");

/** Store params of group 0 and 1, and the length of a foreign `{ value, grad }` param added to group 1. */
const GROUP0 = [37, 5], GROUP1 = [100], FOREIGN = 9;
export const LENGTHS = [...GROUP0, ...GROUP1, FOREIGN];

export interface Rank { store: ParamStore; params: ParamLike[]; opt: Optimizer<object> }

/**
 * A rank's copy of the model: store params in two groups (the second with a foreign param too), the same
 * initial values on every rank, and `cls` over them with `options`.
 */
export function buildRank(cls: OptimizerClass, options: object = {}): Rank {
  const store = new ParamStore();
  const rand = rng(7);
  const params: ParamLike[] = [...GROUP0, ...GROUP1].map((n, i) => store.param(`p${i}`, randomArray(n, rand)));
  params.push({ value: randomArray(FOREIGN, rand), grad: new Float32Array(FOREIGN) });
  const opt = new cls([{ params: params.slice(0, GROUP0.length) }, { params: params.slice(GROUP0.length) }], options);
  return { store, params, opt };
}

/** Shaped store params (two matrices, a vector, a small matrix) and a foreign vector: every kind PowerSGD splits. */
export function shapedRank(options: object = { lr: 0.1 }) {
  const store = new ParamStore();
  const rand = rng(3);
  const params = [
    store.param("w1", randomArray(24 * 20, rand), { shape: [24, 20] }),
    store.param("b1", randomArray(24, rand)),
    store.param("w2", randomArray(10 * 24, rand), { shape: [10, 24] }),
    store.param("w3", randomArray(9, rand), { shape: [3, 3] }),
  ];
  const opt = new SGD([...params, { value: randomArray(300, rand), grad: new Float32Array(300) }], options);
  return { store, params: [...opt.paramGroups[0]!.params], opt };
}

/** Rank `rank`'s gradients at step `t` (different on every rank and step). */
export function gradsOf(t: number, rank: number): Float32Array[] {
  const rand = rng(1000 * t + rank + 1);
  return LENGTHS.map((n) => randomArray(n, rand));
}

/** The rank-order mean: acc = x₀, acc = f32(acc + x₁), …, then f32(acc / W). */
export function rankOrderMean(xs: readonly Float32Array[]): Float32Array {
  const acc = Float32Array.from(xs[0]!);
  for (const x of xs.slice(1)) for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! + x[i]!;
  for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! / xs.length;
  return acc;
}

/** Params values and the state dict: what a failed call must leave as it was. */
export function snapshotRank(r: Rank) {
  return { values: r.params.map((p) => Float32Array.from(p.value)), state: r.opt.stateDict() };
}

/** `g` with one collective replaced by one that rejects from its `at`-th call on (the others forwarded). */
export function failingGroup(g: ProcessGroup, method: "allReduce" | "reduceScatter" | "allGather", at = 1): ProcessGroup {
  let calls = 0;
  const forward = <K extends keyof ProcessGroup>(k: K) => (g[k] as (...a: unknown[]) => unknown).bind(g);
  const wrapped = {
    rank: g.rank, worldSize: g.worldSize, allReduce: forward("allReduce"), reduceScatter: forward("reduceScatter"), allGather: forward("allGather"),
    broadcast: forward("broadcast"), barrier: forward("barrier"), close: forward("close"),
  } as ProcessGroup;
  const real = wrapped[method] as (...a: unknown[]) => Promise<void>;
  (wrapped as unknown as Record<string, unknown>)[method] = (...a: unknown[]) => (++calls >= at ? Promise.reject(new Error("link lost")) : real(...a));
  return wrapped;
}
