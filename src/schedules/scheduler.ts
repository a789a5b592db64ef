// The base of every epoch/step-driven scheduler: PyTorch's `LRScheduler` (torch 2.13), with its initial
// step at construction, its chainable `get_lr()` / closed-form `_get_closed_form_lr()` split (SequentialLR
// restarts a scheduler through the closed form), and `step()` split in two so that a step that fails changes
// nothing: `_prepareStep()` does everything that can throw (checks, user callbacks) without changing any
// state, `_commitStep()` then cannot fail. Composite schedulers prepare every child before committing any.
// What a commit writes is checked after it against what every gradstep optimizer accepts (an lr that is a
// finite number >= 0, momentum >= 0, beta1 in [0, 1)): a user function (lrLambda, scaleFn) or a factor
// compounding past the f64 range can produce anything, and a chained lr is only known once every child has
// written it. A value out of range undoes the commit (scheduler fields, children, groups, saved in preallocated
// slots: a step allocates nothing) and throws.
import { type Check, finite, integer, invalid, nonNegativeInt, show } from "../core/options.js";
import { groupKeys, type SchedulableOptimizer, snapshotGroups } from "./common.js";

/** A scheduler's saved state: JSON-safe (numbers, strings, booleans, arrays, null and plain objects). */
export interface SchedulerStateDict {
  /** SCHEDULER_STATE_FORMAT. */
  format: number;
  /** The class that saved it ("StepLR"): loadStateDict rejects another's. */
  scheduler: string;
  [key: string]: unknown;
}

/** The `format` every scheduler's stateDict() writes. */
export const SCHEDULER_STATE_FORMAT = 1;

/** Reads and checks the fields of a state dict; a dict with a missing, invalid or unknown key throws. */
export class StateReader {
  readonly #used = new Set(["format", "scheduler"]);
  constructor(readonly where: string, readonly dict: Record<string, unknown>, readonly groups: number) {}

  get(key: string): unknown {
    if (!Object.hasOwn(this.dict, key)) throw new Error(`${this.where}: the state dict is missing "${key}"`);
    this.#used.add(key);
    return this.dict[key];
  }
  num(key: string, check: Check): number {
    const v = this.get(key);
    check(this.where, key, v);
    return v as number;
  }
  /** An array of `length` numbers (default: one per param group), each checked. */
  nums(key: string, check: Check, length = this.groups): number[] {
    const v = this.get(key);
    if (!Array.isArray(v) || v.length !== length) invalid(this.where, key, v, `an array of ${length} numbers`, "object");
    v.forEach((x, i) => check(this.where, `${key}[${i}]`, x));
    return [...(v as number[])];
  }
  str<T extends string>(key: string, values: readonly T[]): T {
    const v = this.get(key);
    if (typeof v !== "string" || !values.includes(v as T)) invalid(this.where, key, v, `one of ${values.map((s) => JSON.stringify(s)).join(", ")}`, "string");
    return v as T;
  }
  bool(key: string): boolean {
    const v = this.get(key);
    if (typeof v !== "boolean") invalid(this.where, key, v, "a boolean", "boolean");
    return v;
  }
  done(): void {
    for (const key of Object.keys(this.dict)) {
      if (!this.#used.has(key)) throw new Error(`${this.where}: the state dict has an unknown key "${key}"`);
    }
  }
}

/** Checks a state dict's header; returns it as a record. */
export function stateHeader(where: string, dict: unknown, name: string): Record<string, unknown> {
  if (dict === null || typeof dict !== "object" || Array.isArray(dict)) throw new TypeError(`${where}: expected a state dict object, got ${show(dict)}`);
  const d = dict as Record<string, unknown>;
  if (d.format !== SCHEDULER_STATE_FORMAT) throw new Error(`${where}: unsupported format ${show(d.format)} (expected ${SCHEDULER_STATE_FORMAT})`);
  if (d.scheduler !== name) throw new Error(`${where}: the state dict is from ${show(d.scheduler)}, not ${name}`);
  return d;
}

const lastEpochCheck: Check = (where, key, v) => {
  integer(where, key, v);
  if ((v as number) < -1) invalid(where, key, v, "an integer >= -1");
};

/**
 * The base of every scheduler except ReduceLROnPlateau: PyTorch's `torch.optim.lr_scheduler.LRScheduler`.
 * `step()` advances `lastEpoch` by one and sets every group's lr; the constructor performs the initial step
 * (epoch 0) as PyTorch's does.
 */
export abstract class LRScheduler {
  /** The optimizer whose param groups this scheduler edits. */
  readonly optimizer: SchedulableOptimizer;
  /** Class name, for messages and state dicts. */
  protected readonly label: string;
  /** PyTorch's `last_epoch`: -1 before the initial step, 0 after construction, +1 per step(). */
  protected epoch = -1;
  /** PyTorch's `base_lrs` (each group's `initial_lr` at construction). */
  protected baseLrs: number[] = [];
  /** PyTorch's `_step_count`: step() calls including the initial one. */
  protected stepCount = 0;
  /** PyTorch's `_is_initial`: true during the constructor's initial step. */
  protected isInitial = false;
  /** @internal The lrs after the last step (PyTorch's `_last_lr`), reused: one number per group. */
  readonly _lastLrs: number[] = [];
  /** Scratch: the lrs get_lr computes, written to the groups by _updateLr. */
  protected readonly next: number[] = [];
  /** What the commit in progress may change, for #undo: lastEpoch, stepCount, the last lrs; the groups' values. */
  #savedEpoch = -1;
  #savedCount = 0;
  readonly #savedLast: Float64Array;
  readonly #savedGroups: Float64Array;

  protected constructor(label: string, optimizer: SchedulableOptimizer) {
    this.label = label;
    checkOptimizer(label, optimizer);
    this.optimizer = optimizer;
    const n = optimizer.paramGroups.length;
    for (let i = 0; i < n; i++) {
      this._lastLrs.push(optimizer.paramGroups[i]!.lr);
      this.next.push(0);
    }
    this.#savedLast = new Float64Array(n);
    this.#savedGroups = new Float64Array(3 * n);
  }

  /** PyTorch's `last_epoch`. */
  get lastEpoch(): number {
    return this.epoch;
  }

  /** The lr of every group after the last step (a copy). */
  getLastLr(): number[] {
    return [...this._lastLrs];
  }

  /** Advances one epoch (or step) and sets every group's lr. Throws, changing nothing, if it cannot. */
  step(): void {
    this._check();
    this._prepareStep();
    this.beginCommit();
    this._commitStep();
    this.endCommit();
  }

  /** Saves what a commit may change (see endCommit). */
  protected beginCommit(): void {
    this._save();
    const groups = this.optimizer.paramGroups, saved = this.#savedGroups;
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      const m = g.momentum, b = g.betas;
      saved[3 * i] = g.lr;
      saved[3 * i + 1] = m === undefined ? 0 : m;
      saved[3 * i + 2] = b === undefined ? 0 : b[0]!;
    }
  }

  /**
   * Checks every value the commit changed in the groups; if one is out of what every gradstep optimizer accepts,
   * undoes the commit and throws (a RangeError naming the group and the value).
   */
  protected endCommit(): void {
    const groups = this.optimizer.paramGroups, saved = this.#savedGroups;
    for (let i = 0; i < groups.length; i++) {
      // No local may hold "a number or undefined": V8 would box the number (16 B a step).
      const g = groups[i]!, lr = g.lr, m = g.momentum, betas = g.betas;
      let bad = "";
      if (lr !== saved[3 * i] && !(lr >= 0 && lr <= Number.MAX_VALUE)) bad = `lr to ${show(lr)} (expected a finite number >= 0)`;
      else if (m !== undefined && m !== saved[3 * i + 1] && !(m >= 0 && m <= Number.MAX_VALUE)) bad = `momentum to ${show(m)} (expected a finite number >= 0)`;
      else if (betas !== undefined && betas[0] !== saved[3 * i + 2] && !(betas[0]! >= 0 && betas[0]! < 1)) bad = `beta1 to ${show(betas[0])} (expected 0 <= beta1 < 1)`;
      if (bad === "") continue;
      this.#undo();
      throw new RangeError(`${this.label}: the step would set param group ${i}'s ${bad}; the scheduler and the optimizer are unchanged`);
    }
  }

  #undo(): void {
    this._restore();
    const groups = this.optimizer.paramGroups, saved = this.#savedGroups;
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      g.lr = saved[3 * i]!;
      if (g.momentum !== undefined) g.momentum = saved[3 * i + 1]!;
      if (g.betas !== undefined) g.betas[0] = saved[3 * i + 2]!;
    }
  }

  /** @internal Saves this scheduler's fields that _commitStep changes (composites: their children's too). */
  _save(): void {
    this.#savedEpoch = this.epoch;
    this.#savedCount = this.stepCount;
    for (let i = 0; i < this._lastLrs.length; i++) this.#savedLast[i] = this._lastLrs[i]!;
  }

  /** @internal Restores what _save saved. */
  _restore(): void {
    this.epoch = this.#savedEpoch;
    this.stepCount = this.#savedCount;
    for (let i = 0; i < this._lastLrs.length; i++) this._lastLrs[i] = this.#savedLast[i]!;
  }

  /**
   * PyTorch's `LRScheduler.__init__` (last_epoch = -1): records each group's `initial_lr` if no scheduler did
   * yet, takes them as base lrs, and performs the initial step. Subclass constructors call it last, inside
   * `atomically` so that a failure restores the groups.
   */
  protected start(): void {
    const groups = this.optimizer.paramGroups;
    this.baseLrs = groups.map((g) => (groupKeys(g).initialLr ??= g.lr));
    this.epoch = -1;
    this._initialStep();
  }

  /** Runs `body` (a constructor's writes to the groups and its initial step); on failure restores the groups. */
  protected atomically(body: () => void): void {
    const restore = snapshotGroups(this.optimizer);
    try {
      body();
    } catch (e) {
      restore();
      throw e;
    }
  }

  /** PyTorch's `get_lr()` (chainable form): the lrs for `this.epoch` into `out`; may set momentum. */
  protected getLr(_out: number[]): void {
    throw new Error(`${this.label} cannot compute an lr by itself`);
  }

  /** PyTorch's `_get_closed_form_lr()`, where the class has one (used when SequentialLR restarts it). */
  protected closedFormLr?(out: number[]): void;

  /**
   * Everything about stepping to epoch `epoch` that can fail, done without changing state: user callbacks
   * are evaluated here (and cached for getLr), bounds are checked.
   */
  protected prepare(_epoch: number): void {}

  /** @internal Throws if the optimizer was disposed or its group count changed. */
  _check(): void {
    if (this.optimizer.disposed) throw new Error(`${this.label}: the optimizer has been disposed`);
    const n = this.optimizer.paramGroups.length;
    if (n !== this.next.length) {
      throw new Error(`${this.label}: the optimizer has ${n} param groups, but the scheduler was built for ${this.next.length} (build a new scheduler after addParamGroup)`);
    }
  }

  /** @internal The failing half of step(). */
  _prepareStep(): void {
    this.prepare(this.epoch + 1);
  }

  /** @internal The rest of step(): cannot fail after _prepareStep. */
  _commitStep(): void {
    this.stepCount++;
    this._updateLr();
  }

  /** @internal PyTorch's `_update_lr(epoch)`: epoch given = SequentialLR's restart through the closed form. */
  _updateLr(epoch?: number): void {
    const out = this.next;
    if (epoch === undefined) {
      this.epoch++;
      this.getLr(out);
    } else {
      this.epoch = epoch;
      if (this.closedFormLr) this.closedFormLr(out);
      else this.getLr(out);
    }
    const groups = this.optimizer.paramGroups, last = this._lastLrs;
    for (let i = 0; i < out.length; i++) {
      const g = groups[i]!;
      g.lr = out[i]!;
      last[i] = g.lr;
    }
  }

  /** @internal PyTorch's `_initial_step()`. */
  _initialStep(): void {
    this.stepCount = 0;
    this.isInitial = true;
    try {
      this.step();
    } finally {
      this.isInitial = false;
    }
  }

  /** @internal SequentialLR's `recursive_undo` (delta -1), and its reversal (+1). */
  _shift(delta: number): void {
    this.epoch += delta;
  }

  /** @internal Prepares a restart at epoch 0 (SequentialLR at a milestone). */
  _prepareRestart(): void {
    this.prepare(0);
  }

  /** The scheduler's state: JSON-safe, with its options (restored by loadStateDict, as in PyTorch). */
  stateDict(): SchedulerStateDict {
    return { format: SCHEDULER_STATE_FORMAT, scheduler: this.label, ...this.saveFields() };
  }

  /**
   * Restores a state dict of the same class over an optimizer with as many param groups. A dict that does
   * not fit throws and changes nothing. As in PyTorch, it does not touch the groups' lrs and momenta: load
   * the optimizer's own state dict for those.
   */
  loadStateDict(dict: SchedulerStateDict): void {
    this._loader(dict)();
  }

  /** @internal Checks `dict` completely; returns the function that applies it (which cannot fail). */
  _loader(dict: unknown): () => void {
    const where = `${this.label}.loadStateDict`;
    checkOptimizer(this.label, this.optimizer);
    const r = new StateReader(where, stateHeader(where, dict, this.label), this.next.length);
    const apply = this.readFields(r);
    r.done();
    return apply;
  }

  protected saveFields(): Record<string, unknown> {
    return { lastEpoch: this.epoch, stepCount: this.stepCount, baseLrs: [...this.baseLrs], lastLr: [...this._lastLrs] };
  }

  protected readFields(r: StateReader): () => void {
    const lastEpoch = r.num("lastEpoch", lastEpochCheck), stepCount = r.num("stepCount", nonNegativeInt);
    const baseLrs = r.nums("baseLrs", finite), lastLr = r.nums("lastLr", finite);
    return () => {
      this.epoch = lastEpoch;
      this.stepCount = stepCount;
      this.baseLrs = baseLrs;
      for (let i = 0; i < lastLr.length; i++) this._lastLrs[i] = lastLr[i]!;
    };
  }
}

/** Throws unless `optimizer` looks like an optimizer and is usable. */
export function checkOptimizer(label: string, optimizer: SchedulableOptimizer): void {
  if (optimizer === null || typeof optimizer !== "object" || !Array.isArray(optimizer.paramGroups) || typeof optimizer.defaults !== "object") {
    throw new TypeError(`${label}: ${show(optimizer)} is not an optimizer (expected an object with paramGroups and defaults)`);
  }
  if (optimizer.disposed) throw new Error(`${label}: the optimizer has been disposed`);
}
