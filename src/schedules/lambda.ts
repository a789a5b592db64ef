// LambdaLR and MultiplicativeLR: the lr is set from a user function of the epoch (PyTorch's `lr_lambda`).
// The functions are called once per step in `prepare` (before anything changes), their results checked and
// kept for getLr, so a function that throws or returns NaN leaves the scheduler and the groups unchanged.
// Functions are not saved in state dicts (PyTorch saves only callable objects' attributes).
import { fn, invalid, optionsOf } from "../core/options.js";
import { type SchedulableOptimizer } from "./common.js";
import { LRScheduler } from "./scheduler.js";

/** A multiplicative factor as a function of the epoch (PyTorch's `lr_lambda`). */
export type LrLambda = (epoch: number) => number;

function lambdas(where: string, v: unknown, groups: number): LrLambda[] {
  if (Array.isArray(v)) {
    if (v.length !== groups) invalid(where, "lrLambda", v, `a function or an array of ${groups} functions (one per param group)`, "object");
    v.forEach((f, i) => fn(where, `lrLambda[${i}]`, f));
    return [...(v as LrLambda[])];
  }
  fn(where, "lrLambda", v);
  return new Array<LrLambda>(groups).fill(v as LrLambda);
}

/** Calls every lambda at `epoch` into `out`, checking each result is a finite number. */
function evaluate(where: string, fns: readonly LrLambda[], perGroup: boolean, epoch: number, out: number[]): void {
  for (let i = 0; i < fns.length; i++) {
    const x: unknown = fns[i]!(epoch);
    if (typeof x !== "number" || !Number.isFinite(x)) {
      const msg = `${where}: lrLambda${perGroup ? `[${i}]` : ""}(${epoch}) returned ${typeof x === "number" ? x : typeof x} (expected a finite number)`;
      throw typeof x === "number" ? new RangeError(msg) : new TypeError(msg);
    }
    out[i] = x;
  }
}

/** What LambdaLR and MultiplicativeLR share: the checked lambdas and the factors of the current step. */
abstract class LambdaScheduler extends LRScheduler {
  readonly #lambdas: LrLambda[];
  readonly #perGroup: boolean;
  /** lrLambda's results for the step being taken (filled by evaluate() in prepare). */
  protected readonly factors: number[];

  protected constructor(name: string, optimizer: SchedulableOptimizer, options: { lrLambda: LrLambda | LrLambda[] }) {
    super(name, optimizer);
    const o = optionsOf(this.label, options, ["lrLambda"]);
    this.#lambdas = lambdas(this.label, o.lrLambda, this.next.length);
    this.factors = this.next.map(() => 0);
    this.#perGroup = Array.isArray(o.lrLambda);
    this.atomically(() => this.start());
  }

  protected evaluate(epoch: number): void {
    evaluate(this.label, this.#lambdas, this.#perGroup, epoch, this.factors);
  }
}

/** The options of {@link LambdaLR}. */
export interface LambdaLROptions {
  /** The factor applied to each group's initial lr at epoch e: one function, or one per group. */
  lrLambda: LrLambda | LrLambda[];
}

/**
 * Sets each group's lr to its initial lr times `lrLambda(epoch)` (PyTorch's `LambdaLR`).
 *
 * An Optax-style schedule (`(step) => lr`, see `warmupCosineDecaySchedule`) drives it through
 * `scheduleLambda(schedule, baseLr)` (or `(e) => schedule(e) / baseLr`), baseLr being the group's lr.
 *
 * @example
 * const opt = new SGD(store.params, { lr: 0.1 });
 * const sched = new LambdaLR(opt, { lrLambda: (e) => Math.min(1, (e + 1) / 10) });   // 10-epoch warmup
 * for (let epoch = 0; epoch < 100; epoch++) { train(opt); sched.step(); }
 */
export class LambdaLR extends LambdaScheduler {
  constructor(optimizer: SchedulableOptimizer, options: LambdaLROptions) {
    super("LambdaLR", optimizer, options);
  }

  protected override prepare(epoch: number): void {
    this.evaluate(epoch);
  }

  protected override getLr(out: number[]): void {
    for (let i = 0; i < out.length; i++) out[i] = this.baseLrs[i]! * this.factors[i]!;
  }
}

/** The options of {@link MultiplicativeLR}. */
export interface MultiplicativeLROptions {
  /** The factor the lr is multiplied by at each step after the first: one function, or one per group. */
  lrLambda: LrLambda | LrLambda[];
}

/**
 * Multiplies each group's lr by `lrLambda(epoch)` at every step (PyTorch's `MultiplicativeLR`).
 *
 * @example
 * const sched = new MultiplicativeLR(opt, { lrLambda: () => 0.95 });
 */
export class MultiplicativeLR extends LambdaScheduler {
  constructor(optimizer: SchedulableOptimizer, options: MultiplicativeLROptions) {
    super("MultiplicativeLR", optimizer, options);
  }

  protected override prepare(epoch: number): void {
    if (!this.isInitial) this.evaluate(epoch);
  }

  protected override getLr(out: number[]): void {
    const groups = this.optimizer.paramGroups;
    if (this.isInitial) for (let i = 0; i < out.length; i++) out[i] = groups[i]!.lr;
    else for (let i = 0; i < out.length; i++) out[i] = groups[i]!.lr * this.factors[i]!;
  }
}
