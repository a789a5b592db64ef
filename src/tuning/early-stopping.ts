// Keras' EarlyStopping callback (keras/src/callbacks/early_stopping.py, Keras 3): stop training when a
// monitored metric has stopped improving, optionally putting back the params of the best epoch.
//
// update(value) is Keras' on_epoch_end for epoch e = the number of earlier update() calls:
//   e < startFromEpoch                     → nothing (warm-up)
//   restoreBestWeights, no snapshot yet    → snapshot the params, bestEpoch = e
//   wait += 1
//   value improves on best (no best yet: always; improvement by more than |minDelta|, core/improvement.ts)
//                                          → best = value, bestEpoch = e, snapshot; wait = 0 only if value also
//                                            improves on baseline (when one is given)
//   else wait >= patience and e > 0        → stop (stoppedEpoch = e)
// NaN, as in Keras: compared with anything it is no improvement, so a NaN epoch counts towards patience; a NaN
// as the first monitored value becomes the best (there is nothing to compare it with), and then no later value
// improves on it, so training stops after `patience` more epochs.
import { invalid } from "../core/options.js";
import type { ParamLike } from "../core/spec.js";
import { type ImprovementMode, isImprovement } from "../core/improvement.js";
import type { ParamStore } from "../runtime/store.js";
import { base64ToF32, f32ToBase64, fromJsonNumber, jsonNumber, type OptionRule, paramsOf, readOptions, rule } from "./common.js";

/** The options of {@link EarlyStopping}. */
export interface EarlyStoppingOptions {
  /** The metric's name, read only by mode "auto" (default "val_loss"). */
  monitor?: string;
  /** "min": the metric should fall; "max": rise; "auto" (default): "min" for a loss, "max" for an accuracy. */
  mode?: "min" | "max" | "auto";
  /** A change of |minDelta| or less is no improvement (default 0). */
  minDelta?: number;
  /** Epochs without improvement before stopping (default 0). */
  patience?: number;
  /** Patience restarts only at a value that also improves on this one (default null: none). */
  baseline?: number | null;
  /** Epochs before monitoring starts (default 0). */
  startFromEpoch?: number;
  /** Put back the params of the best epoch when stopping, or at restore() (default false; needs `params`). */
  restoreBestWeights?: boolean;
  /** The params to snapshot and restore: a ParamStore or a list of params. */
  params?: ParamStore | readonly ParamLike[];
}

/** What EarlyStopping.stateDict() returns: JSON-safe (non-finite numbers as "nan", "inf", "-inf"). */
export interface EarlyStoppingState {
  /** EARLY_STOPPING_STATE_FORMAT. */
  format: string;
  /** The mode in effect ("auto" resolved). */
  mode: ImprovementMode;
  /** EarlyStoppingOptions.minDelta. */
  minDelta: number;
  /** EarlyStoppingOptions.patience. */
  patience: number;
  /** EarlyStoppingOptions.baseline. */
  baseline: number | null;
  /** EarlyStoppingOptions.startFromEpoch. */
  startFromEpoch: number;
  /** EarlyStoppingOptions.restoreBestWeights. */
  restoreBestWeights: boolean;
  /** Epochs seen. */
  epoch: number;
  /** Epochs since the last improvement. */
  wait: number;
  /** The epoch it stopped at (0: not stopped). */
  stoppedEpoch: number;
  /** The best value so far (null: none yet). */
  best: number | string | null;
  /** The epoch of the best value. */
  bestEpoch: number;
  /** The best epoch's params, one base64 string of float32 bytes per param (bit-exact through JSON). */
  bestWeights: string[] | null;
}

/** The `format` EarlyStopping.stateDict() writes. */
export const EARLY_STOPPING_STATE_FORMAT = "gradstep-early-stopping-1";
const WHERE = "EarlyStopping";
const OPTIONS: Record<string, OptionRule> = {
  monitor: { default: "val_loss", ok: (v) => typeof v === "string", expected: "a string" },
  mode: rule.oneOf("auto", ["min", "max", "auto"]),
  minDelta: rule.num(0, () => true, "a finite number"),
  patience: rule.int(0, 0),
  baseline: { default: null, ok: (v) => v === null || (typeof v === "number" && Number.isFinite(v)), expected: "a finite number or null" },
  startFromEpoch: rule.int(0, 0),
  restoreBestWeights: rule.bool(false),
  params: { default: undefined, ok: () => true, expected: "" },
};
/** Keras' "auto" for the metrics it knows without a model: losses fall, accuracies rise. */
const AUTO: Record<string, ImprovementMode> = { loss: "min", accuracy: "max", acc: "max" };

/**
 * Stops training when a metric has stopped improving (Keras' `EarlyStopping`).
 *
 * @example
 * const stopper = new EarlyStopping({ patience: 3, restoreBestWeights: true, params: store });
 * for (let epoch = 0; epoch < 100; epoch++) { train(); if (stopper.update(validationLoss())) break; }
 * stopper.restore(); // when the loop ended without a stop: the best epoch's params (Keras' on_train_end)
 */
export class EarlyStopping {
  /** The mode in effect ("auto" resolved from `monitor`). */
  readonly mode: ImprovementMode;
  /** EarlyStoppingOptions.minDelta. */
  readonly minDelta: number;
  /** EarlyStoppingOptions.patience. */
  readonly patience: number;
  /** EarlyStoppingOptions.baseline. */
  readonly baseline: number | null;
  /** EarlyStoppingOptions.startFromEpoch. */
  readonly startFromEpoch: number;
  /** EarlyStoppingOptions.restoreBestWeights. */
  readonly restoreBestWeights: boolean;
  readonly #params: ParamLike[];
  #epoch = 0;
  #wait = 0;
  #stoppedEpoch = 0;
  #best: number | null = null;
  #bestEpoch = 0;
  #bestWeights: Float32Array[] | null = null;

  constructor(options: EarlyStoppingOptions = {}) {
    const o = readOptions<Required<EarlyStoppingOptions>>(WHERE, options, OPTIONS);
    let mode = o.mode;
    if (mode === "auto") {
      const m = AUTO[o.monitor.replace(/^val_/, "")];
      if (m === undefined) throw new RangeError(`${WHERE}: mode "auto" cannot tell whether ${JSON.stringify(o.monitor)} should fall or rise; pass mode "min" or "max"`);
      mode = m;
    }
    if (o.restoreBestWeights && o.params === undefined) throw new TypeError(`${WHERE}: restoreBestWeights needs params (a ParamStore or a list of params)`);
    this.#params = o.params === undefined ? [] : paramsOf(WHERE, o.params);
    this.mode = mode; this.minDelta = Math.abs(o.minDelta); this.patience = o.patience; this.baseline = o.baseline;
    this.startFromEpoch = o.startFromEpoch; this.restoreBestWeights = o.restoreBestWeights;
  }

  /** Epochs seen (update() calls). */
  get epoch(): number { return this.#epoch; }
  /** Epochs since the last improvement (Keras' `wait`). */
  get wait(): number { return this.#wait; }
  /** The epoch (0-based) whose update() said stop; 0 while it has not (as Keras' `stopped_epoch`). */
  get stoppedEpoch(): number { return this.#stoppedEpoch; }
  /** Whether update() has said stop. */
  get stopped(): boolean { return this.#stoppedEpoch > 0; }
  /** The best value so far, or null before the first monitored epoch. */
  get best(): number | null { return this.#best; }
  /** The epoch of the best value (0-based). */
  get bestEpoch(): number { return this.#bestEpoch; }

  #improves(value: number, reference: number | null): boolean {
    return reference === null || isImprovement(value, reference, this.mode, this.minDelta, "abs");
  }

  /**
   * Records one epoch's metric; returns true when training should stop (and then, with restoreBestWeights,
   * the params already hold the best epoch's). NaN and ±Infinity are values like any other (see the top).
   */
  update(value: number): boolean {
    if (typeof value !== "number") throw new TypeError(`${WHERE}.update: expected the metric (a number), got ${value === null ? "null" : typeof value}`);
    const epoch = this.#epoch++;
    if (epoch < this.startFromEpoch) return false;
    if (this.restoreBestWeights && this.#bestWeights === null) {
      this.#bestWeights = this.#snapshot();
      this.#bestEpoch = epoch;
    }
    this.#wait += 1;
    if (this.#improves(value, this.#best)) {
      this.#best = value;
      this.#bestEpoch = epoch;
      if (this.restoreBestWeights) this.#bestWeights = this.#snapshot();
      if (this.baseline === null || this.#improves(value, this.baseline)) this.#wait = 0;
      return false;
    }
    if (this.#wait >= this.patience && epoch > 0) {
      this.#stoppedEpoch = epoch;
      this.restore();
      return true;
    }
    return false;
  }

  /**
   * With restoreBestWeights, puts the best epoch's params back (bit-exact) and returns true; false when there
   * is nothing to restore. update() calls it when it says stop; call it when training ends otherwise.
   */
  restore(): boolean {
    if (!this.restoreBestWeights || this.#bestWeights === null) return false;
    this.#params.forEach((p, i) => p.value.set(this.#bestWeights![i]!));
    return true;
  }

  #snapshot(): Float32Array[] {
    return this.#params.map((p) => p.value.slice());
  }

  /** The counters, the best value and the best epoch's params: a run checkpointed mid-patience resumes identically. */
  stateDict(): EarlyStoppingState {
    return {
      format: EARLY_STOPPING_STATE_FORMAT, mode: this.mode, minDelta: this.minDelta, patience: this.patience, baseline: this.baseline,
      startFromEpoch: this.startFromEpoch, restoreBestWeights: this.restoreBestWeights, epoch: this.#epoch, wait: this.#wait,
      stoppedEpoch: this.#stoppedEpoch, best: this.#best === null ? null : jsonNumber(this.#best), bestEpoch: this.#bestEpoch,
      bestWeights: this.#bestWeights === null ? null : this.#bestWeights.map(f32ToBase64),
    };
  }

  /**
   * Restores a stateDict() of an EarlyStopping with the same options over params of the same lengths.
   * Everything is checked first: a dict that does not fit throws and changes nothing.
   */
  loadStateDict(dict: EarlyStoppingState): void {
    const where = `${WHERE}.loadStateDict`;
    if (dict === null || typeof dict !== "object") throw new TypeError(`${where}: expected a state dict object`);
    const keys = Object.keys(this.stateDict());
    for (const k of Object.keys(dict)) if (!keys.includes(k)) throw new TypeError(`${where}: unknown key "${k}"`);
    for (const k of keys) if (!Object.hasOwn(dict, k)) throw new TypeError(`${where}: missing key "${k}"`);
    if (dict.format !== EARLY_STOPPING_STATE_FORMAT) throw new TypeError(`${where}: unsupported format ${JSON.stringify(dict.format)} (expected ${EARLY_STOPPING_STATE_FORMAT})`);
    for (const k of ["mode", "minDelta", "patience", "baseline", "startFromEpoch", "restoreBestWeights"] as const) {
      if (dict[k] !== this[k]) throw new RangeError(`${where}: the dict has ${k} ${JSON.stringify(dict[k])}, this EarlyStopping has ${JSON.stringify(this[k])}`);
    }
    for (const k of ["epoch", "wait", "stoppedEpoch", "bestEpoch"] as const) {
      if (!Number.isSafeInteger(dict[k]) || dict[k] < 0) invalid(where, k, dict[k], "an integer >= 0");
    }
    const best = dict.best === null ? null : fromJsonNumber(dict.best);
    if (best === undefined) throw new TypeError(`${where}: invalid best ${JSON.stringify(dict.best)} (expected a number, "nan", "inf", "-inf" or null)`);
    let weights: Float32Array[] | null = null;
    if (dict.bestWeights !== null) {
      const w: unknown = dict.bestWeights;
      if (!Array.isArray(w) || w.length !== this.#params.length) throw new RangeError(`${where}: bestWeights must hold one array per param (${this.#params.length})`);
      weights = w.map((a: unknown, i) => {
        const n = this.#params[i]!.value.length, values = typeof a === "string" ? base64ToF32(a) : null;
        if (values === null || values.length !== n) throw new TypeError(`${where}: bestWeights[${i}] must be the base64 of ${n} float32 values`);
        return values;
      });
    }
    this.#epoch = dict.epoch; this.#wait = dict.wait; this.#stoppedEpoch = dict.stoppedEpoch; this.#best = best;
    this.#bestEpoch = dict.bestEpoch; this.#bestWeights = weights;
  }
}
