// SequentialLR (one scheduler after another, switching at milestones) and ChainedScheduler (several
// schedulers stepped together, their chainable factors multiplying). Both prepare every child they will step
// before committing any, so a step that throws (OneCycleLR past totalSteps, a lambda returning NaN) changes
// nothing. ReduceLROnPlateau cannot be composed (its step takes a metric), as in PyTorch.
import { finite, increasingInts, invalid, nonNegativeInt, optionsOf, show } from "../core/options.js";
import { bisectRight, groupKeys, type SchedulableOptimizer, snapshotGroups } from "./common.js";
import { ReduceLROnPlateau } from "./plateau.js";
import { LRScheduler, type SchedulerStateDict, type StateReader } from "./scheduler.js";

function checkChildren(label: string, schedulers: unknown, optimizer: SchedulableOptimizer | undefined): LRScheduler[] {
  if (!Array.isArray(schedulers)) invalid(label, "schedulers", schedulers, "an array of schedulers", "object");
  if (schedulers.length < 1) throw new RangeError(`${label} expects at least one scheduler, but got no scheduler`);
  schedulers.forEach((s: unknown, i) => {
    if (s instanceof ReduceLROnPlateau) {
      throw new TypeError(`${label} does not support ReduceLROnPlateau (its step takes a metric), but got one at index ${i}`);
    }
    if (!(s instanceof LRScheduler)) throw new TypeError(`${label}: schedulers[${i}] is ${show(s)}, not a scheduler`);
    if (optimizer !== undefined && s.optimizer !== optimizer) {
      throw new Error(`${label} expects all schedulers to belong to the same optimizer, but the scheduler at index ${i} has another optimizer`);
    }
    if (schedulers.indexOf(s) !== i) throw new Error(`${label}: the scheduler at index ${i} appears twice`);
  });
  return [...(schedulers as LRScheduler[])];
}

function readChildren(r: StateReader, children: readonly LRScheduler[]): Array<() => void> {
  const dicts = r.get("schedulers");
  if (!Array.isArray(dicts) || dicts.length !== children.length) {
    invalid(r.where, "schedulers", dicts, `an array of ${children.length} state dicts`, "object");
  }
  return children.map((c, i) => c._loader(dicts[i]));
}

/** The options of {@link SequentialLR}. */
export interface SequentialLROptions {
  /** The schedulers, in order (built over this optimizer). */
  schedulers: LRScheduler[];
  /** The epochs at which each next scheduler takes over (one fewer than schedulers; strictly increasing). */
  milestones: number[];
}

/** What SequentialLR and ChainedScheduler share: their children are checked, shifted, saved and restored with them. */
abstract class CompositeScheduler extends LRScheduler {
  protected children: readonly LRScheduler[] = [];

  /** The schedulers this one runs, in order. */
  get schedulers(): readonly LRScheduler[] {
    return this.children;
  }

  override _check(): void {
    super._check();
    for (const c of this.children) c._check();
  }

  override _shift(delta: number): void {
    for (const c of this.children) c._shift(delta);
  }

  override _save(): void {
    super._save();
    for (const c of this.children) c._save();
  }

  override _restore(): void {
    super._restore();
    for (const c of this.children) c._restore();
  }
}

/**
 * Runs schedulers one after another (PyTorch's `SequentialLR`): scheduler i+1 takes over at milestone i,
 * restarting from epoch 0 (through its closed form where it has one, as PyTorch does).
 *
 * @example
 * const warmup = new LinearLR(opt, { startFactor: 0.1, totalIters: 5 });
 * const cosine = new CosineAnnealingLR(opt, { tMax: 95 });
 * const sched = new SequentialLR(opt, { schedulers: [warmup, cosine], milestones: [5] });
 */
export class SequentialLR extends CompositeScheduler {
  #milestones: number[];

  constructor(optimizer: SchedulableOptimizer, options: SequentialLROptions) {
    super("SequentialLR", optimizer);
    const label = this.label;
    const o = optionsOf(label, options, ["schedulers", "milestones"]);
    const children = checkChildren(label, o.schedulers, optimizer);
    children.forEach((s, i) => {
      if (i > 0 && (s instanceof SequentialLR || s instanceof ChainedScheduler)) {
        throw new TypeError(`${label}: schedulers[${i}] is a ${s instanceof SequentialLR ? "SequentialLR" : "ChainedScheduler"}, which cannot be restarted at a milestone (PyTorch fails there too); only the first scheduler may be composite`);
      }
    });
    increasingInts(0)(label, "milestones", o.milestones);
    const milestones = [...o.milestones!];
    if (milestones.length !== children.length - 1) {
      throw new RangeError(`${label} expects number of schedulers provided to be one more than the number of milestone points, but got number of schedulers ${children.length} and the number of milestones to be equal to ${milestones.length}`);
    }
    optimizer.paramGroups.forEach((g, i) => {
      if (groupKeys(g).initialLr === undefined) throw new Error(`${label}: param group ${i} has no initial lr (no scheduler was built over it)`);
    });
    this.children = children;
    this.#milestones = milestones;
    this.epoch = 0;
    const restore = snapshotGroups(optimizer);
    this._shift(-1);
    try {
      for (const g of optimizer.paramGroups) g.lr = groupKeys(g).initialLr!;
      const first = children[bisectRight(milestones, 0)]!;
      first._initialStep();
      this.#copyLast(first);
    } catch (e) {
      this._shift(1);
      restore();
      throw e;
    }
  }

  #copyLast(s: LRScheduler): void {
    for (let i = 0; i < this._lastLrs.length; i++) this._lastLrs[i] = s._lastLrs[i]!;
  }

  override _prepareStep(): void {
    const e = this.epoch + 1, idx = bisectRight(this.#milestones, e), s = this.children[idx]!;
    if (idx > 0 && this.#milestones[idx - 1] === e) s._prepareRestart();
    else s._prepareStep();
  }

  override _commitStep(): void {
    this.epoch += 1;
    const e = this.epoch, idx = bisectRight(this.#milestones, e), s = this.children[idx]!;
    if (idx > 0 && this.#milestones[idx - 1] === e) s._updateLr(0);
    else s._commitStep();
    this.#copyLast(s);
  }

  protected override saveFields(): Record<string, unknown> {
    return {
      lastEpoch: this.epoch, milestones: [...this.#milestones], lastLr: [...this._lastLrs],
      schedulers: this.children.map((c): SchedulerStateDict => c.stateDict()),
    };
  }

  protected override readFields(r: StateReader): () => void {
    const lastEpoch = r.num("lastEpoch", nonNegativeInt), milestones = r.get("milestones");
    increasingInts(0)(r.where, "milestones", milestones);
    if ((milestones as number[]).length !== this.children.length - 1) {
      invalid(r.where, "milestones", milestones, `${this.children.length - 1} milestones`, "object");
    }
    const lastLr = r.nums("lastLr", finite), children = readChildren(r, this.children);
    return () => {
      this.epoch = lastEpoch;
      this.#milestones = [...(milestones as number[])];
      for (let i = 0; i < lastLr.length; i++) this._lastLrs[i] = lastLr[i]!;
      for (const apply of children) apply();
    };
  }
}

/**
 * Steps several schedulers together (PyTorch's `ChainedScheduler`): each applies its chainable factor to
 * the lr the previous one left.
 *
 * @example
 * const sched = new ChainedScheduler([
 *   new ConstantLR(opt, { factor: 0.1, totalIters: 2 }),
 *   new ExponentialLR(opt, { gamma: 0.9 }),
 * ]);
 */
export class ChainedScheduler extends CompositeScheduler {

  constructor(schedulers: LRScheduler[], optimizer?: SchedulableOptimizer) {
    const label = "ChainedScheduler";
    super(label, optimizer ?? checkChildren(label, schedulers, undefined)[0]!.optimizer);
    this.children = checkChildren(label, schedulers, this.optimizer);
  }

  override _prepareStep(): void {
    for (const c of this.children) c._prepareStep();
  }

  override _commitStep(): void {
    for (const c of this.children) c._commitStep();
    const groups = this.optimizer.paramGroups;
    for (let i = 0; i < this._lastLrs.length; i++) this._lastLrs[i] = groups[i]!.lr;
  }

  protected override saveFields(): Record<string, unknown> {
    return { lastLr: [...this._lastLrs], schedulers: this.children.map((c) => c.stateDict()) };
  }

  protected override readFields(r: StateReader): () => void {
    const lastLr = r.nums("lastLr", finite), children = readChildren(r, this.children);
    return () => {
      for (let i = 0; i < lastLr.length; i++) this._lastLrs[i] = lastLr[i]!;
      for (const apply of children) apply();
    };
  }
}
