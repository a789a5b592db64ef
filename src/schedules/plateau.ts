// ReduceLROnPlateau: watches a metric (a validation loss) and multiplies the lr by `factor` when it stops
// improving for `patience` epochs. Like PyTorch's, it is not an LRScheduler (no initial step, no epoch
// formula): `step(metric)` decides from the metric alone.
import { type Check, invalid, nonNegativeInt, nonNegativeNumber, number, oneOf, optionsOf } from "../core/options.js";
import { perGroup, type SchedulableOptimizer } from "./common.js";
import { isImprovement } from "../core/improvement.js";
import { checkOptimizer, SCHEDULER_STATE_FORMAT, type SchedulerStateDict, StateReader, stateHeader } from "./scheduler.js";

const MODES = ["min", "max"] as const;
const THRESHOLD_MODES = ["rel", "abs"] as const;
const factorCheck = number((x) => x >= 0 && x < 1, "0 <= factor < 1");
const KEYS = ["mode", "factor", "patience", "threshold", "thresholdMode", "cooldown", "minLr", "eps"];

/** The options of {@link ReduceLROnPlateau}. */
export interface ReduceLROnPlateauOptions {
  /** "min" (default): the metric should fall (a loss); "max": it should rise (an accuracy). */
  mode?: "min" | "max";
  /** lr ← lr · factor on a plateau (default 0.1; 0 <= factor < 1). */
  factor?: number;
  /** Epochs without improvement tolerated before reducing (default 10). */
  patience?: number;
  /** What counts as an improvement (default 1e-4), relative or absolute per thresholdMode. */
  threshold?: number;
  /** "rel" (default): better than best·(1 ∓ threshold); "abs": better than best ∓ threshold. */
  thresholdMode?: "rel" | "abs";
  /** Epochs to wait after a reduction before counting again (default 0). */
  cooldown?: number;
  /** Lower bound on the lr: one number, or one per group (default 0). */
  minLr?: number | number[];
  /** Reductions smaller than eps are skipped (default 1e-8). */
  eps?: number;
}

/**
 * Reduces the lr when a metric has stopped improving (PyTorch's `ReduceLROnPlateau`).
 *
 * @example
 * const sched = new ReduceLROnPlateau(opt, { patience: 5, factor: 0.5 });
 * for (let epoch = 0; epoch < 100; epoch++) { train(opt); sched.step(validationLoss()); }
 */
export class ReduceLROnPlateau {
  /** The optimizer whose lr it reduces. */
  readonly optimizer: SchedulableOptimizer;
  #mode: (typeof MODES)[number];
  #factor: number;
  #patience: number;
  #threshold: number;
  #thresholdMode: (typeof THRESHOLD_MODES)[number];
  #cooldown: number;
  #minLrs: number[];
  /** PyTorch's `default_min_lr`: the scalar minLr (extends to groups added later), or null for a list. */
  #defaultMinLr: number | null;
  #eps: number;
  #lastEpoch = 0;
  #best: number;
  #cooldownCounter = 0;
  #numBadEpochs = 0;
  #lastLrs: number[];

  constructor(optimizer: SchedulableOptimizer, options: ReduceLROnPlateauOptions = {}) {
    const where = "ReduceLROnPlateau";
    checkOptimizer(where, optimizer);
    this.optimizer = optimizer;
    const o = optionsOf(where, options, KEYS);
    const mode = o.mode ?? "min", thresholdMode = o.thresholdMode ?? "rel";
    oneOf(MODES)(where, "mode", mode);
    oneOf(THRESHOLD_MODES)(where, "thresholdMode", thresholdMode);
    const factor = o.factor ?? 0.1, patience = o.patience ?? 10, threshold = o.threshold ?? 1e-4;
    const cooldown = o.cooldown ?? 0, eps = o.eps ?? 1e-8;
    factorCheck(where, "factor", factor);
    nonNegativeInt(where, "patience", patience);
    nonNegativeNumber(where, "threshold", threshold);
    nonNegativeInt(where, "cooldown", cooldown);
    nonNegativeNumber(where, "eps", eps);
    const n = optimizer.paramGroups.length;
    this.#minLrs = perGroup(where, "minLr", o.minLr ?? 0, n, nonNegativeNumber);
    this.#defaultMinLr = Array.isArray(o.minLr) ? null : this.#minLrs[0] ?? 0;
    this.#mode = mode; this.#factor = factor; this.#patience = patience; this.#threshold = threshold;
    this.#thresholdMode = thresholdMode; this.#cooldown = cooldown; this.#eps = eps;
    this.#lastLrs = optimizer.paramGroups.map((g) => g.lr);
    this.#best = this.#modeWorse();
  }

  /** PyTorch's `last_epoch`: the number of step() calls. */
  get lastEpoch(): number {
    return this.#lastEpoch;
  }

  /** The lr of every group after the last step (a copy). */
  getLastLr(): number[] {
    return [...this.#lastLrs];
  }

  #modeWorse(): number {
    return this.#mode === "min" ? Infinity : -Infinity;
  }

  /**
   * Records one epoch's `metric` (a finite number) and reduces the lrs if it has not improved for more than
   * `patience` epochs. Throws, changing nothing, for a metric that is not a finite number.
   */
  step(metric: number): void {
    const where = "ReduceLROnPlateau";
    checkOptimizer(where, this.optimizer);
    if (typeof metric !== "number" || !Number.isFinite(metric)) invalid(where, "metric", metric, "a finite number");
    const groups = this.optimizer.paramGroups;
    let best = this.#best, bad = this.#numBadEpochs, cooldownCounter = this.#cooldownCounter;
    if (isImprovement(metric, best, this.#mode, this.#threshold, this.#thresholdMode)) {
      best = metric;
      bad = 0;
    } else {
      bad += 1;
    }
    if (cooldownCounter > 0) {
      cooldownCounter -= 1;
      bad = 0;
    }
    const reduce = bad > this.#patience;
    if (reduce && groups.length !== this.#minLrs.length) {
      if (this.#defaultMinLr === null) {
        throw new Error(`${where}: the number of param groups in the optimizer (${groups.length}) differs from when ReduceLROnPlateau was initialized (${this.#minLrs.length}), usually due to a new param group being added to the optimizer; build it with a scalar minLr, or a new scheduler`);
      }
      this.#minLrs = new Array<number>(groups.length).fill(this.#defaultMinLr);
    }
    this.#lastEpoch += 1;
    this.#best = best;
    this.#numBadEpochs = bad;
    this.#cooldownCounter = cooldownCounter;
    if (reduce) {
      for (let i = 0; i < groups.length; i++) {
        const g = groups[i]!, oldLr = g.lr, newLr = Math.max(oldLr * this.#factor, this.#minLrs[i]!);
        if (oldLr - newLr > this.#eps) g.lr = newLr;
      }
      this.#cooldownCounter = this.#cooldown;
      this.#numBadEpochs = 0;
    }
    if (this.#lastLrs.length !== groups.length) this.#lastLrs = groups.map((g) => g.lr);
    else for (let i = 0; i < groups.length; i++) this.#lastLrs[i] = groups[i]!.lr;
  }

  /** The scheduler's state (JSON-safe; `best` is null until a first metric). */
  stateDict(): SchedulerStateDict {
    const worse = this.#best === this.#modeWorse();
    return {
      format: SCHEDULER_STATE_FORMAT, scheduler: "ReduceLROnPlateau", mode: this.#mode, factor: this.#factor,
      patience: this.#patience, threshold: this.#threshold, thresholdMode: this.#thresholdMode, cooldown: this.#cooldown,
      minLrs: [...this.#minLrs], defaultMinLr: this.#defaultMinLr, eps: this.#eps, lastEpoch: this.#lastEpoch,
      best: worse ? null : this.#best, cooldownCounter: this.#cooldownCounter, numBadEpochs: this.#numBadEpochs,
      lastLr: [...this.#lastLrs],
    };
  }

  /** Restores a state dict (options included, as in PyTorch); a dict that does not fit throws and changes nothing. */
  loadStateDict(dict: SchedulerStateDict): void {
    const where = "ReduceLROnPlateau.loadStateDict";
    checkOptimizer("ReduceLROnPlateau", this.optimizer);
    const r = new StateReader(where, stateHeader(where, dict, "ReduceLROnPlateau"), this.optimizer.paramGroups.length);
    const mode = r.str("mode", MODES), factor = r.num("factor", factorCheck), patience = r.num("patience", nonNegativeInt);
    const threshold = r.num("threshold", nonNegativeNumber), thresholdMode = r.str("thresholdMode", THRESHOLD_MODES);
    const cooldown = r.num("cooldown", nonNegativeInt), minLrs = r.nums("minLrs", nonNegativeNumber), eps = r.num("eps", nonNegativeNumber);
    const defaultMinLr = r.get("defaultMinLr");
    if (defaultMinLr !== null) nonNegativeNumber(where, "defaultMinLr", defaultMinLr);
    const lastEpoch = r.num("lastEpoch", nonNegativeInt), best = r.get("best");
    if (best !== null) (number(() => true, "a finite number or null") as Check)(where, "best", best);
    const cooldownCounter = r.num("cooldownCounter", nonNegativeInt), numBadEpochs = r.num("numBadEpochs", nonNegativeInt);
    const lastLr = r.nums("lastLr", number(() => true, "a finite number"));
    r.done();
    this.#mode = mode; this.#factor = factor; this.#patience = patience; this.#threshold = threshold;
    this.#thresholdMode = thresholdMode; this.#cooldown = cooldown; this.#minLrs = minLrs; this.#eps = eps;
    this.#defaultMinLr = defaultMinLr as number | null; this.#lastEpoch = lastEpoch;
    this.#best = best === null ? this.#modeWorse() : (best as number);
    this.#cooldownCounter = cooldownCounter; this.#numBadEpochs = numBadEpochs; this.#lastLrs = lastLr;
  }
}
