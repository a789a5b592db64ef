// ZeRO stage 1 (Rajbhandari et al.; PyTorch's torch.distributed.optim.ZeroRedundancyOptimizer): optimizer state
// sharded over the ranks. Each flat run of params (contiguous in the store) is cut into W equal shares of a
// multiple of 16 floats (the run padded to W·16·⌈n/(16W)⌉; the last shares may be short or empty); rank r keeps
// state only for share r. step() = reduce-scatter the mean of the gradients (rank r receives its share), step
// the share with the wrapped optimizer class, all-gather the params. The shares are foreign `{ value, grad }`
// params of a local optimizer (views of the run's values, its reduced gradients), so the core steps them as it
// steps any param, and the result is bit-identical to DataParallel with the same optimizer: the reduce-scatter's
// chunks are the all-reduce's bits, and the kernels are elementwise.
//
// Where torch shards whole params (a sorted greedy split), shares of flat runs balance to within 16 floats.
// Schedule-free optimizers switch the params with `await zero.eval()` / `train()` (each rank its share, then
// an all-gather). Refused: per-tensor kinds (LAMB, LARS, Adafactor, Muon: a share is not a tensor), int8 state (its 256-float
// blocks start at each param's first element, which a share boundary does not respect), and maxGradNorm /
// skipNonFinite (a rank sees only its share of the gradient norm).
import { Optimizer, type OptimizerOptions, type ParamsInput, type StateDict, type StepOptions } from "../core/optimizer.js";
import { checkOptionsArgument, checkParam, groupInputs } from "../core/params.js";
import type { ForeignParam, OptionsInput, ParamGroup, ParamLike } from "../core/spec.js";
import { stepOptimizers, type OptimizerClass } from "../optim/index.js";
import type { ProcessGroup } from "./group.js";
import { checkGroup, type FlatRun, flatRuns } from "./runs.js";

/** Floats a share is a multiple of. */
export const SHARE_ALIGN = 16;

/** The options of {@link ZeroRedundancyOptimizer}: the wrapped class's options and its own. */
export type ZeroOptions<O extends object> = OptionsInput<O> & OptimizerOptions & {
  /** The optimizer class each rank steps its shares with (e.g. AdamW). */
  optimizer: OptimizerClass<O>;
  /** The process group the state is sharded over. */
  group: ProcessGroup;
};

/** Rank `rank`'s share [start, end) of a run of `n` floats in a world of `worldSize`; `share` = the padded share length. */
export function shareRange(n: number, worldSize: number, rank: number): { start: number; end: number; share: number } {
  const share = SHARE_ALIGN * Math.ceil(n / (SHARE_ALIGN * worldSize));
  return { start: Math.min(n, rank * share), end: Math.min(n, (rank + 1) * share), share };
}

/** A flat run and this rank's share [lo, hi) of it; `padded` = W · share length. */
interface Sharded { run: FlatRun; lo: number; hi: number; share: number; padded: number; shard: ForeignParam; grad: Float32Array; scratch?: Float32Array; sendBuf?: Float32Array }

/**
 * ZeRO stage 1 (PyTorch's ZeroRedundancyOptimizer): optimizer state sharded over the ranks; `step()`
 * reduce-scatters the mean gradients, steps this rank's share and all-gathers the params, bit-identical to
 * DataParallel with the same optimizer.
 */
export class ZeroRedundancyOptimizer<O extends object = object> {
  /** The local optimizer over this rank's shares (its paramGroups' options are the ones to edit, e.g. by a scheduler). */
  readonly optimizer: Optimizer<O>;
  /** The process group the state is sharded over. */
  readonly group: ProcessGroup;
  readonly #groups: Sharded[][];
  readonly #params: ParamLike[];
  /** The wrapped class's state buffer names, in its spec's order. */
  readonly #buffers: string[];
  #busy = false;

  constructor(params: ParamsInput<O>, options: ZeroOptions<O>) {
    const name = "ZeroRedundancyOptimizer";
    checkOptionsArgument(name, options);
    const { optimizer: cls, group, ...rest } = options;
    const entry = stepOptimizers().find((e) => cls === e.cls || (typeof cls === "function" && cls.prototype instanceof e.cls));
    if (!entry) throw new TypeError(`${name}: options.optimizer must be a gradstep optimizer class (e.g. { optimizer: AdamW }), got ${typeof cls === "function" ? cls.name : String(cls)}`);
    if (entry.spec.kind === "tensor") {
      throw new TypeError(`${name}: ${entry.spec.name} steps whole tensors (per-tensor state or norms), and a share of a flat run is not a tensor: ZeRO-1 shards elementwise optimizers only (use DataParallel)`);
    }
    if (entry.spec.global) {
      throw new TypeError(`${name}: ${entry.spec.name}'s step reduces over every param between its passes (a global estimate), and each rank holds only its share: use DataParallel`);
    }
    checkGroup(name, group);
    for (const k of ["maxGradNorm", "skipNonFinite"] as const) {
      if ((rest as Record<string, unknown>)[k] !== undefined) {
        throw new TypeError(`${name}: ${k} needs the whole gradient norm, and each rank holds only its share of the gradients (use DataParallel, or clipValue)`);
      }
    }
    const inputs = groupInputs(name, params) as Array<{ params: Iterable<ParamLike> } & Record<string, unknown>>;
    const lists = inputs.map((g, gi) => {
      const where = `${name}: param group ${gi}`;
      if (g === null || typeof g !== "object" || g.params === null || typeof g.params !== "object" || !(Symbol.iterator in g.params)) {
        throw new TypeError(`${where}: expected { params: [...], ...options }`);
      }
      const list = [...g.params];
      list.forEach((p, i) => checkParam(where, p, i));
      if ((g.stateDtype ?? (rest as { stateDtype?: unknown }).stateDtype) === "int8") {
        throw new TypeError(`${where}: int8 state is quantized in 256-float blocks from each param's first element, which shares do not respect (use stateDtype "bf16")`);
      }
      return list;
    });
    this.#params = lists.flat();
    this.#buffers = entry.spec.buffers.map((b: { name: string }) => b.name);
    const W = group.worldSize, r = group.rank;
    this.#groups = flatRuns(lists).map((runs) => runs.map((run) => {
      const { share, start: lo, end: hi } = shareRange(run.n, W, r);
      const grad = new Float32Array(share);
      return { run, lo, hi, share, padded: share * W, grad, shard: { value: new Float32Array(hi - lo), grad: grad.subarray(0, hi - lo) } };
    }));
    const innerGroups = inputs.map((g, gi) => ({ ...g, params: this.#groups[gi]!.map((s) => s.shard) }));
    this.optimizer = new (cls as unknown as new (p: unknown, o: unknown) => Optimizer<O>)(innerGroups, rest);
    this.group = group;
  }

  /** The local optimizer's param groups: options to edit, params = this rank's shares. */
  get paramGroups(): readonly ParamGroup<O>[] {
    return this.optimizer.paramGroups;
  }

  /** Bytes of optimizer state on this rank (≈ 1/W of the unsharded optimizer's). */
  get stateBytes(): number {
    return this.optimizer.stateBytes;
  }

  /** This rank's share [start, end) of each flat run, group by group (floats from the run's start). */
  get shares(): {
    /** First float of this rank's share in the run. */
    start: number;
    /** One past its last float. */
    end: number;
    /** Floats in the whole run. */
    floats: number;
    /** How many params the run holds. */
    params: number;
  }[][] {
    return this.#groups.map((g) => g.map((s) => ({ start: s.lo, end: s.hi, floats: s.run.n, params: s.run.params.length })));
  }

  /** The params, in registration order (the runs of `shares` take them in this order). */
  get params(): readonly ParamLike[] {
    return this.#params;
  }

  /**
   * Reduce-scatters the mean of the gradients, steps this rank's shares, all-gathers the params. A failure in
   * the reduce-scatter changes nothing; one in the all-gather leaves this rank's share (params and state)
   * stepped and the other shares not: the world is out of step and must restart from a checkpoint.
   */
  async step(options?: StepOptions): Promise<void> {
    if (this.#busy) throw new Error("ZeroRedundancyOptimizer.step: the previous step() has not finished (await it before the next)");
    this.#busy = true;
    try {
      const all = this.#groups.flat();
      for (const s of all) {
        let input = s.run.grad();
        if (s.padded !== s.run.n) {
          s.scratch ??= new Float32Array(s.padded);
          s.scratch.set(input);
          input = s.scratch;
        }
        await this.group.reduceScatter(input, s.grad, { op: "mean" });
      }
      this.#views();
      this.optimizer.step(options);
      await this.#gather();
    } finally {
      this.#busy = false;
    }
  }

  /** Points every share at its run's values (the store's memory may have grown since the last call). */
  #views(): void {
    for (const s of this.#groups.flat()) s.shard.value = s.run.value().subarray(s.lo, s.hi);
  }

  /** All-gathers the params: every rank's share into every rank's runs. */
  async #gather(): Promise<void> {
    for (const s of this.#groups.flat()) {
      const own = s.run.value().subarray(s.lo, s.hi);
      let send = own;
      if (own.length !== s.share) {
        s.sendBuf ??= new Float32Array(s.share);
        s.sendBuf.set(own);
        send = s.sendBuf;
      }
      if (s.padded === s.run.n) {
        await this.group.allGather(send, s.run.value());
      } else {
        s.scratch ??= new Float32Array(s.padded);
        await this.group.allGather(send, s.scratch);
        s.run.value().set(s.scratch.subarray(0, s.run.n));
      }
    }
  }

  /** Schedule-free optimizers: every rank's params become x, the evaluation point (a collective: every rank calls it). */
  eval(): Promise<void> {
    return this.#switch("eval");
  }

  /** Schedule-free optimizers: every rank's params become y again, before the next step (a collective). */
  train(): Promise<void> {
    return this.#switch("train");
  }

  async #switch(mode: "eval" | "train"): Promise<void> {
    const inner = this.optimizer as unknown as Partial<Record<"eval" | "train", () => void>>;
    if (typeof inner[mode] !== "function") throw new TypeError(`ZeroRedundancyOptimizer.${mode}: only schedule-free optimizers have eval()/train()`);
    if (this.#busy) throw new Error(`ZeroRedundancyOptimizer.${mode}: a step() has not finished (await it first)`);
    this.#busy = true;
    try {
      this.#views();
      inner[mode]!.call(this.optimizer);
      await this.#gather();
    } finally {
      this.#busy = false;
    }
  }

  /** Sets every gradient to zero (the full params' gradients, which the reduce-scatter reads). */
  zeroGrad(): void {
    for (const p of this.#params) p.grad.fill(0);
  }

  /** This rank's state: the local optimizer's dict over its shares (params = one share per flat run). */
  stateDict(): StateDict {
    return this.optimizer.stateDict();
  }

  /** Restores this rank's state saved by stateDict() (of the same rank in a world of the same size). */
  loadStateDict(dict: StateDict): void {
    this.optimizer.loadStateDict(dict);
  }

  /**
   * The single-process state dict (PyTorch's layout over the original params, loadable by a plain optimizer of
   * the wrapped class), assembled from every rank's shares. A collective: every rank calls it; rank `to` gets
   * the dict, the others undefined.
   */
  async consolidateStateDict(to = 0): Promise<StateDict | undefined> {
    const W = this.group.worldSize;
    if (!Number.isInteger(to) || to < 0 || to >= W) throw new RangeError(`ZeroRedundancyOptimizer.consolidateStateDict: invalid rank ${String(to)} (expected 0 <= to < ${W})`);
    const local = this.optimizer.stateDict();
    const all = this.#groups.flat(), names = this.#buffers, nb = names.length;
    // A buffer is absent from a rank's dict where its share is empty (nothing saved): every rank learns rank 0's
    // presence and dtype of each buffer (0 absent, 1 f32, 2 bf16), and each share's step count (-1: none).
    const mine = new Float32Array(all.length * (nb + 1));
    all.forEach((_, k) => {
      const entry = local.state[k] ?? {};
      names.forEach((b, j) => { const v = entry[b]; mine[k * (nb + 1) + j] = v instanceof Uint16Array ? 2 : v instanceof Float32Array ? 1 : 0; });
      mine[k * (nb + 1) + nb] = typeof entry.step === "number" ? entry.step : -1;
    });
    const info = new Float32Array(mine.length * this.group.worldSize);
    await this.group.allGather(mine, info);
    const state: StateDict["state"] = {};
    let id = 0;
    for (const [k, s] of all.entries()) {
      const gathered: Record<string, Float32Array | Uint16Array> = {};
      for (const [j, b] of names.entries()) {
        const kind = info[k * (nb + 1) + j]!;
        if (kind === 0) continue;
        const v = local.state[k]?.[b] as Float32Array | Uint16Array | undefined;
        const send = new Float32Array(s.share);
        if (v) send.set(v);
        const full = new Float32Array(s.padded);
        await this.group.allGather(send, full);
        gathered[b] = kind === 2 ? Uint16Array.from(full.subarray(0, s.run.n)) : full.slice(0, s.run.n);
      }
      let at = 0;
      for (const p of s.run.params) {
        const n = p.value.length, entry: Record<string, number | Float32Array | Uint16Array> = {};
        for (const [b, full] of Object.entries(gathered)) entry[b] = full.slice(at, at + n);
        const step = info[k * (nb + 1) + nb]!;
        if (step >= 0) entry.step = step;
        if (Object.keys(entry).length > 0) state[id] = entry;
        id++;
        at += n;
      }
    }
    if (this.group.rank !== to) return undefined;
    let next = 0;
    const paramGroups = local.paramGroups.map((g, gi) => {
      const count = this.#groups[gi]!.reduce((c, s) => c + s.run.params.length, 0);
      const params = Array.from({ length: count }, () => next++);
      return { ...g, params };
    });
    return { ...local, state, paramGroups }; // and what else the class saves (schedule-free: `training`)
  }
}
