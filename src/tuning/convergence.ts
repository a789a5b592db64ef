// A convergence test for runs without a validation set: the training loss, smoothed, has stopped falling.
//
//   s_t        = the bias-corrected EMA of the finite losses seen (β = beta; s_t = avg_t / (1 − β^t))
//   converged  ⇔ t > window and s_t is no improvement on s_(t − window) (core/improvement.ts, mode "min"):
//                "rel": s_t ≥ s_(t−window) · (1 − threshold)    "abs": s_t ≥ s_(t−window) − threshold
//
// The same test as ReduceLROnPlateau's threshold modes, against another reference: the plateau scheduler
// compares each epoch's metric with the best so far and waits `patience` epochs; this compares the smoothed
// loss with its own value `window` steps earlier, so steady progress slower than `threshold` per window (a
// plateau that still creeps down) counts as converged. Non-finite losses (a step that skipNonFinite skipped)
// are left out of the average and counted in `skipped`. In "rel" mode the loss must stay positive, as in
// PyTorch's rel mode (best · (1 − threshold) moves the wrong way for a negative best).
import { invalid } from "../core/options.js";
import { isImprovement, type ThresholdMode } from "../core/improvement.js";
import { fromJsonNumber, jsonNumber, type OptionRule, readOptions, rule, SmoothedLoss } from "./common.js";

/** The options of {@link ConvergenceMonitor}. */
export interface ConvergenceMonitorOptions {
  /** Steps between the two smoothed losses compared (default 100). */
  window?: number;
  /** The improvement over a window below which the run has converged (default 1e-3). */
  threshold?: number;
  /** "rel" (default): threshold is a fraction of the loss; "abs": an amount of loss. */
  thresholdMode?: ThresholdMode;
  /** Smoothing of the loss (default 0.98; 0 = none). */
  beta?: number;
}

/** What ConvergenceMonitor.stateDict() returns (JSON-safe). */
export interface ConvergenceMonitorState {
  /** CONVERGENCE_STATE_FORMAT. */
  format: string;
  /** ConvergenceMonitorOptions.window. */
  window: number;
  /** ConvergenceMonitorOptions.threshold. */
  threshold: number;
  /** ConvergenceMonitorOptions.thresholdMode. */
  thresholdMode: ThresholdMode;
  /** ConvergenceMonitorOptions.beta. */
  beta: number;
  /** The EMA of the finite losses before bias correction (a non-finite one as "nan", "inf" or "-inf"). */
  avg: number | string;
  /** Finite losses seen. */
  count: number;
  /** Non-finite losses seen (left out of the average). */
  skipped: number;
  /** The last window + 1 smoothed losses, oldest first. */
  history: (number | string)[];
}

/** The `format` ConvergenceMonitor.stateDict() writes. */
export const CONVERGENCE_STATE_FORMAT = "gradstep-convergence-1";
const WHERE = "ConvergenceMonitor";
const OPTIONS: Record<string, OptionRule> = {
  window: rule.int(100, 1),
  threshold: rule.num(1e-3, (x) => x >= 0, "a finite number >= 0"),
  thresholdMode: rule.oneOf("rel", ["rel", "abs"]),
  beta: rule.num(0.98, (x) => x >= 0 && x < 1, "0 <= beta < 1"),
};

/**
 * Says when the smoothed training loss has stopped improving by more than `threshold` per `window` steps.
 *
 * @example
 * const monitor = new ConvergenceMonitor({ window: 200, threshold: 1e-3 });
 * for (let step = 0; ; step++) { const loss = trainStep(); if (monitor.update(loss)) break; }
 */
export class ConvergenceMonitor {
  /** ConvergenceMonitorOptions.window. */
  readonly window: number;
  /** ConvergenceMonitorOptions.threshold. */
  readonly threshold: number;
  /** ConvergenceMonitorOptions.thresholdMode. */
  readonly thresholdMode: ThresholdMode;
  readonly #smooth: SmoothedLoss;
  #history: number[] = [];
  #skipped = 0;

  constructor(options: ConvergenceMonitorOptions = {}) {
    const o = readOptions<Required<ConvergenceMonitorOptions>>(WHERE, options, OPTIONS);
    this.window = o.window; this.threshold = o.threshold; this.thresholdMode = o.thresholdMode;
    this.#smooth = new SmoothedLoss(o.beta, 0);
  }

  /** The latest smoothed loss, or null before the first finite one. */
  get smoothed(): number | null { return this.#history.at(-1) ?? null; }
  /** Finite losses seen. */
  get count(): number { return this.#smooth.count; }
  /** Non-finite losses left out. */
  get skipped(): number { return this.#skipped; }

  /** Whether the last update found the run converged (see the rule at the top). */
  get converged(): boolean {
    const h = this.#history;
    return h.length > this.window && !isImprovement(h[h.length - 1]!, h[0]!, "min", this.threshold, this.thresholdMode);
  }

  /** Records one step's training loss; returns `converged`. */
  update(loss: number): boolean {
    if (typeof loss !== "number") throw new TypeError(`${WHERE}.update: expected the loss (a number), got ${loss === null ? "null" : typeof loss}`);
    if (!Number.isFinite(loss)) {
      this.#skipped++;
      return this.converged;
    }
    this.#history.push(this.#smooth.push(loss));
    if (this.#history.length > this.window + 1) this.#history.shift();
    return this.converged;
  }

  /** Its state, JSON-safe: restore it with loadStateDict() to resume a run. */
  stateDict(): ConvergenceMonitorState {
    return {
      format: CONVERGENCE_STATE_FORMAT, window: this.window, threshold: this.threshold, thresholdMode: this.thresholdMode,
      beta: this.#smooth.beta, avg: jsonNumber(this.#smooth.avg), count: this.#smooth.count, skipped: this.#skipped,
      history: this.#history.map(jsonNumber),
    };
  }

  /** Restores a stateDict() of a monitor with the same options; a dict that does not fit throws and changes nothing. */
  loadStateDict(dict: ConvergenceMonitorState): void {
    const where = `${WHERE}.loadStateDict`;
    if (dict === null || typeof dict !== "object") throw new TypeError(`${where}: expected a state dict object`);
    const mine = this.stateDict();
    for (const k of Object.keys(dict)) if (!Object.hasOwn(mine, k)) throw new TypeError(`${where}: unknown key "${k}"`);
    for (const k of Object.keys(mine)) if (!Object.hasOwn(dict, k)) throw new TypeError(`${where}: missing key "${k}"`);
    for (const k of ["format", "window", "threshold", "thresholdMode", "beta"] as const) {
      if (dict[k] !== mine[k]) throw new RangeError(`${where}: the dict has ${k} ${JSON.stringify(dict[k])}, this monitor has ${JSON.stringify(mine[k])}`);
    }
    for (const k of ["count", "skipped"] as const) {
      if (!Number.isSafeInteger(dict[k]) || dict[k] < 0) invalid(where, k, dict[k], "an integer >= 0");
    }
    const avg = fromJsonNumber(dict.avg);
    const history = Array.isArray(dict.history) ? dict.history.map(fromJsonNumber) : [undefined];
    if (avg === undefined || history.includes(undefined) || history.length > Math.min(dict.count, this.window + 1)) {
      throw new TypeError(`${where}: avg and history must be numbers, at most min(count, window + 1) of them`);
    }
    this.#smooth.avg = avg; this.#smooth.count = dict.count; this.#skipped = dict.skipped; this.#history = history as number[];
  }
}
