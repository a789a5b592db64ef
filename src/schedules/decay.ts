// StepLR, MultiStepLR, ConstantLR, LinearLR, ExponentialLR and PolynomialLR: PyTorch's chainable get_lr()
// (each step multiplies the group's current lr, so several schedulers can compose) and its closed form
// (base lr times a function of the epoch), which SequentialLR uses when it restarts one at a milestone. Both
// are written operation for operation as torch 2.13 writes them, so the numbers agree to the last bit or two.
import { type Check, increasingInts, nonNegativeInt, nonNegativeNumber, number, numberOptions, optionsOf, positiveInt } from "../core/options.js";
import { bisectRight, type SchedulableOptimizer } from "./common.js";
import { LRScheduler, type StateReader } from "./scheduler.js";

const gammaCheck = nonNegativeNumber;
const factorCheck = number((x) => x > 0 && x <= 1, "0 < factor <= 1");

/** Copies every group's current lr into `out` (PyTorch's `_param_groups_val_list(optimizer, "lr")`). */
function keep(s: LRScheduler, out: number[]): void {
  const groups = s.optimizer.paramGroups;
  for (let i = 0; i < out.length; i++) out[i] = groups[i]!.lr;
}

/** Multiplies every group's current lr by `f` into `out`. */
function scale(s: LRScheduler, out: number[], f: number): void {
  const groups = s.optimizer.paramGroups;
  for (let i = 0; i < out.length; i++) out[i] = groups[i]!.lr * f;
}

/** The options of {@link StepLR}. */
export interface StepLROptions {
  /** Epochs between decays (required). */
  stepSize: number;
  /** Multiplicative factor of each decay (default 0.1). */
  gamma?: number;
}

/**
 * Multiplies the lr by `gamma` every `stepSize` epochs (PyTorch's `StepLR`).
 *
 * @example
 * const sched = new StepLR(opt, { stepSize: 30, gamma: 0.1 });   // lr 0.05 → 0.005 at epoch 30 → ...
 */
export class StepLR extends LRScheduler {
  #stepSize: number;
  #gamma: number;

  constructor(optimizer: SchedulableOptimizer, options: StepLROptions) {
    super("StepLR", optimizer);
    const o = numberOptions(this.label, options, { stepSize: [positiveInt, undefined], gamma: [gammaCheck, 0.1] });
    this.#stepSize = o.stepSize;
    this.#gamma = o.gamma;
    this.atomically(() => this.start());
  }

  protected override getLr(out: number[]): void {
    if (this.epoch === 0 || this.epoch % this.#stepSize !== 0) keep(this, out);
    else scale(this, out, this.#gamma);
  }

  protected override closedFormLr(out: number[]): void {
    const f = this.#gamma ** Math.floor(this.epoch / this.#stepSize);
    for (let i = 0; i < out.length; i++) out[i] = this.baseLrs[i]! * f;
  }

  protected override saveFields(): Record<string, unknown> {
    return { ...super.saveFields(), stepSize: this.#stepSize, gamma: this.#gamma };
  }

  protected override readFields(r: StateReader): () => void {
    const base = super.readFields(r), stepSize = r.num("stepSize", positiveInt), gamma = r.num("gamma", gammaCheck);
    return () => { base(); this.#stepSize = stepSize; this.#gamma = gamma; };
  }
}

/** The options of {@link MultiStepLR}. */
export interface MultiStepLROptions {
  /** Epochs at which the lr is multiplied by `gamma`: strictly increasing integers (required). */
  milestones: number[];
  /** Multiplicative factor (default 0.1). */
  gamma?: number;
}

const milestonesCheck: Check = increasingInts(0);

/**
 * Multiplies the lr by `gamma` at each milestone epoch (PyTorch's `MultiStepLR`).
 *
 * @example
 * const sched = new MultiStepLR(opt, { milestones: [30, 80], gamma: 0.1 });
 */
export class MultiStepLR extends LRScheduler {
  #milestones: number[];
  #gamma: number;

  constructor(optimizer: SchedulableOptimizer, options: MultiStepLROptions) {
    super("MultiStepLR", optimizer);
    const o = optionsOf(this.label, options, ["milestones", "gamma"]);
    if (o.milestones === undefined) throw new TypeError(`${this.label}: missing option "milestones"`);
    milestonesCheck(this.label, "milestones", o.milestones);
    const gamma = o.gamma ?? 0.1;
    gammaCheck(this.label, "gamma", gamma);
    this.#milestones = [...o.milestones];
    this.#gamma = gamma;
    this.atomically(() => this.start());
  }

  protected override getLr(out: number[]): void {
    // PyTorch counts repeated milestones (gamma ** count); strictly increasing milestones count once.
    if (!this.#milestones.includes(this.epoch)) keep(this, out);
    else scale(this, out, this.#gamma ** 1);
  }

  protected override closedFormLr(out: number[]): void {
    const f = this.#gamma ** bisectRight(this.#milestones, this.epoch);
    for (let i = 0; i < out.length; i++) out[i] = this.baseLrs[i]! * f;
  }

  protected override saveFields(): Record<string, unknown> {
    return { ...super.saveFields(), milestones: [...this.#milestones], gamma: this.#gamma };
  }

  protected override readFields(r: StateReader): () => void {
    const base = super.readFields(r), milestones = r.get("milestones"), gamma = r.num("gamma", gammaCheck);
    milestonesCheck(r.where, "milestones", milestones);
    return () => { base(); this.#milestones = [...(milestones as number[])]; this.#gamma = gamma; };
  }
}

/** The options of {@link ConstantLR}. */
export interface ConstantLROptions {
  /** The factor applied until `totalIters` (default 1/3; 0 < factor <= 1). */
  factor?: number;
  /** Epochs the factor applies for (default 5). */
  totalIters?: number;
}

/**
 * Multiplies the lr by `factor` for the first `totalIters` epochs (PyTorch's `ConstantLR`).
 *
 * @example
 * const sched = new ConstantLR(opt, { factor: 0.5, totalIters: 4 });   // half lr for 4 epochs
 */
export class ConstantLR extends LRScheduler {
  #factor: number;
  #totalIters: number;

  constructor(optimizer: SchedulableOptimizer, options: ConstantLROptions = {}) {
    super("ConstantLR", optimizer);
    const o = numberOptions(this.label, options, { factor: [factorCheck, 1 / 3], totalIters: [nonNegativeInt, 5] });
    this.#factor = o.factor;
    this.#totalIters = o.totalIters;
    this.atomically(() => this.start());
  }

  protected override getLr(out: number[]): void {
    if (this.epoch === 0) scale(this, out, this.#factor);
    else if (this.epoch !== this.#totalIters) keep(this, out);
    else scale(this, out, 1.0 / this.#factor);
  }

  protected override closedFormLr(out: number[]): void {
    const f = this.#factor + (this.epoch >= this.#totalIters ? 1 : 0) * (1 - this.#factor);
    for (let i = 0; i < out.length; i++) out[i] = this.baseLrs[i]! * f;
  }

  protected override saveFields(): Record<string, unknown> {
    return { ...super.saveFields(), factor: this.#factor, totalIters: this.#totalIters };
  }

  protected override readFields(r: StateReader): () => void {
    const base = super.readFields(r), factor = r.num("factor", factorCheck), totalIters = r.num("totalIters", nonNegativeInt);
    return () => { base(); this.#factor = factor; this.#totalIters = totalIters; };
  }
}

/** The options of {@link LinearLR}. */
export interface LinearLROptions {
  /** Factor at epoch 0 (default 1/3; 0 < startFactor <= 1). */
  startFactor?: number;
  /** Factor from `totalIters` on (default 1; 0 <= endFactor <= 1). */
  endFactor?: number;
  /** Epochs of the linear change (default 5). */
  totalIters?: number;
}

const startFactorCheck = number((x) => x > 0 && x <= 1, "0 < startFactor <= 1");
const endFactorCheck = number((x) => x >= 0 && x <= 1, "0 <= endFactor <= 1");

/**
 * Changes the lr factor linearly from `startFactor` to `endFactor` over `totalIters` epochs (PyTorch's
 * `LinearLR`), the usual warmup.
 *
 * @example
 * const sched = new LinearLR(opt, { startFactor: 0.1, totalIters: 10 });   // warm up over 10 epochs
 */
export class LinearLR extends LRScheduler {
  #startFactor: number;
  #endFactor: number;
  #totalIters: number;

  constructor(optimizer: SchedulableOptimizer, options: LinearLROptions = {}) {
    super("LinearLR", optimizer);
    const o = numberOptions(this.label, options, {
      startFactor: [startFactorCheck, 1 / 3], endFactor: [endFactorCheck, 1], totalIters: [positiveInt, 5],
    });
    this.#startFactor = o.startFactor;
    this.#endFactor = o.endFactor;
    this.#totalIters = o.totalIters;
    this.atomically(() => this.start());
  }

  protected override getLr(out: number[]): void {
    const e = this.epoch, s = this.#startFactor, d = this.#endFactor - this.#startFactor;
    if (e === 0) scale(this, out, s);
    else if (this.isInitial || e > this.#totalIters) keep(this, out);
    else scale(this, out, 1.0 + d / (this.#totalIters * s + (e - 1) * d));
  }

  protected override closedFormLr(out: number[]): void {
    const f = this.#startFactor + (this.#endFactor - this.#startFactor) * Math.min(this.#totalIters, this.epoch) / this.#totalIters;
    for (let i = 0; i < out.length; i++) out[i] = this.baseLrs[i]! * f;
  }

  protected override saveFields(): Record<string, unknown> {
    return { ...super.saveFields(), startFactor: this.#startFactor, endFactor: this.#endFactor, totalIters: this.#totalIters };
  }

  protected override readFields(r: StateReader): () => void {
    const base = super.readFields(r), startFactor = r.num("startFactor", startFactorCheck);
    const endFactor = r.num("endFactor", endFactorCheck), totalIters = r.num("totalIters", positiveInt);
    return () => { base(); this.#startFactor = startFactor; this.#endFactor = endFactor; this.#totalIters = totalIters; };
  }
}

/** The options of {@link ExponentialLR}. */
export interface ExponentialLROptions {
  /** Multiplicative factor per epoch (required; >= 0). */
  gamma: number;
}

/**
 * Multiplies the lr by `gamma` every epoch (PyTorch's `ExponentialLR`).
 *
 * @example
 * const sched = new ExponentialLR(opt, { gamma: 0.95 });
 */
export class ExponentialLR extends LRScheduler {
  #gamma: number;

  constructor(optimizer: SchedulableOptimizer, options: ExponentialLROptions) {
    super("ExponentialLR", optimizer);
    this.#gamma = numberOptions(this.label, options, { gamma: [gammaCheck, undefined] }).gamma;
    this.atomically(() => this.start());
  }

  protected override getLr(out: number[]): void {
    if (this.isInitial) keep(this, out);
    else scale(this, out, this.#gamma);
  }

  protected override closedFormLr(out: number[]): void {
    for (let i = 0; i < out.length; i++) out[i] = this.baseLrs[i]! * this.#gamma ** this.epoch;
  }

  protected override saveFields(): Record<string, unknown> {
    return { ...super.saveFields(), gamma: this.#gamma };
  }

  protected override readFields(r: StateReader): () => void {
    const base = super.readFields(r), gamma = r.num("gamma", gammaCheck);
    return () => { base(); this.#gamma = gamma; };
  }
}

/** The options of {@link PolynomialLR}. */
export interface PolynomialLROptions {
  /** Epochs until the lr reaches 0 (default 5). */
  totalIters?: number;
  /** Power of the polynomial (default 1; >= 0). */
  power?: number;
}

/**
 * Decays the lr to 0 over `totalIters` epochs as `(1 − e/totalIters)^power` (PyTorch's `PolynomialLR`).
 *
 * @example
 * const sched = new PolynomialLR(opt, { totalIters: 100, power: 2 });
 */
export class PolynomialLR extends LRScheduler {
  #totalIters: number;
  #power: number;

  constructor(optimizer: SchedulableOptimizer, options: PolynomialLROptions = {}) {
    super("PolynomialLR", optimizer);
    const o = numberOptions(this.label, options, { totalIters: [positiveInt, 5], power: [nonNegativeNumber, 1] });
    this.#totalIters = o.totalIters;
    this.#power = o.power;
    this.atomically(() => this.start());
  }

  protected override getLr(out: number[]): void {
    const e = this.epoch, t = this.#totalIters;
    if (this.isInitial || e > t) keep(this, out);
    else scale(this, out, ((1.0 - e / t) / (1.0 - (e - 1) / t)) ** this.#power);
  }

  protected override closedFormLr(out: number[]): void {
    const t = this.#totalIters;
    for (let i = 0; i < out.length; i++) out[i] = this.baseLrs[i]! * (1.0 - Math.min(t, this.epoch) / t) ** this.#power;
  }

  protected override saveFields(): Record<string, unknown> {
    return { ...super.saveFields(), totalIters: this.#totalIters, power: this.#power };
  }

  protected override readFields(r: StateReader): () => void {
    const base = super.readFields(r), totalIters = r.num("totalIters", positiveInt), power = r.num("power", nonNegativeNumber);
    return () => { base(); this.#totalIters = totalIters; this.#power = power; };
  }
}
