// Pure schedule functions in Optax's style (optax 0.2.8, `optax.schedules`): each returns `(step) => value`,
// a plain function any trainer can call, with Optax's names (camelCased), options and defaults, and its
// formulas operation for operation (in f64; Optax computes in JAX's f32 unless x64 is enabled). Like Optax,
// a non-positive `transitionSteps` gives a constant schedule rather than an error.
import { finite, invalid, invalidMessage, positive, show } from "../core/options.js";
import type { LrLambda } from "./lambda.js";

/** A schedule: the value (an lr, a factor) at a step count. */
export type Schedule = (step: number) => number;

function req(where: string, o: object | undefined, key: string): number {
  const v = (o as Record<string, unknown> | undefined)?.[key];
  if (v === undefined) throw new TypeError(`${where}: missing option "${key}"`);
  finite(where, key, v);
  return v as number;
}

function opt(where: string, o: object, key: string, def: number): number {
  const v = (o as Record<string, unknown>)[key];
  if (v === undefined) return def;
  finite(where, key, v);
  return v as number;
}

function known(where: string, o: unknown, keys: readonly string[]): object {
  if (o === null || typeof o !== "object" || Array.isArray(o)) throw new TypeError(`${where}: options must be an object, got ${show(o)}`);
  for (const k of Object.keys(o)) {
    if (!keys.includes(k)) throw new TypeError(`${where}: unknown option "${k}" (expected one of ${keys.join(", ")})`);
  }
  return o;
}

/**
 * `value` at every step (Optax's `constant_schedule`).
 * @example constantSchedule(1e-3)(100) === 1e-3
 */
export function constantSchedule(value: number): Schedule {
  finite("constantSchedule", "value", value);
  return () => value;
}

/** The options of {@link polynomialSchedule}(). */
export interface PolynomialScheduleOptions {
  /** The value at step 0. */
  initValue: number;
  /** The value once the transition is over. */
  endValue: number;
  /** The exponent of the decay (1: linear). */
  power: number;
  /** Steps of the transition; <= 0 gives the constant initValue (as Optax). */
  transitionSteps: number;
  /** Steps before the transition starts (default 0; negative counts as 0). */
  transitionBegin?: number;
}

/**
 * From initValue to endValue as `(init − end)·(1 − t/steps)^power + end` (Optax's `polynomial_schedule`).
 * @example polynomialSchedule({ initValue: 0.1, endValue: 0, power: 2, transitionSteps: 100 })
 */
export function polynomialSchedule(options: PolynomialScheduleOptions): Schedule {
  const where = "polynomialSchedule";
  const o = known(where, options, ["initValue", "endValue", "power", "transitionSteps", "transitionBegin"]);
  const init = req(where, o, "initValue"), end = req(where, o, "endValue"), power = req(where, o, "power");
  const steps = req(where, o, "transitionSteps");
  let begin = opt(where, o, "transitionBegin", 0);
  if (steps <= 0) return () => init;
  if (begin < 0) begin = 0;
  return (step) => {
    const count = Math.min(Math.max(step - begin, 0), steps);
    const frac = 1 - count / steps;
    return (init - end) * frac ** power + end;
  };
}

/** The options of {@link linearSchedule}(). */
export interface LinearScheduleOptions {
  /** The value at step 0. */
  initValue: number;
  /** The value once the transition is over. */
  endValue: number;
  /** Steps of the transition; <= 0 gives the constant initValue (as Optax). */
  transitionSteps: number;
  /** Steps before the transition starts (default 0). */
  transitionBegin?: number;
}

/**
 * Linear from initValue to endValue over transitionSteps, after transitionBegin (Optax's `linear_schedule`).
 * @example linearSchedule({ initValue: 0, endValue: 1e-3, transitionSteps: 1000 })   // warmup
 */
export function linearSchedule(options: LinearScheduleOptions): Schedule {
  const o = known("linearSchedule", options, ["initValue", "endValue", "transitionSteps", "transitionBegin"]) as LinearScheduleOptions;
  return polynomialSchedule({ ...o, power: 1 });
}

/** The options of {@link piecewiseConstantSchedule}(). */
export interface PiecewiseConstantScheduleOptions {
  /** The value at step 0. */
  initValue: number;
  /** `{ step: scale }`: from each step on, the value is multiplied by its scale (scales >= 0). */
  boundariesAndScales?: Record<number, number>;
}

/**
 * initValue, multiplied by each scale once its boundary is reached (Optax's `piecewise_constant_schedule`).
 * @example piecewiseConstantSchedule({ initValue: 0.1, boundariesAndScales: { 1000: 0.1, 2000: 0.1 } })
 */
export function piecewiseConstantSchedule(options: PiecewiseConstantScheduleOptions): Schedule {
  const where = "piecewiseConstantSchedule";
  const o = known(where, options, ["initValue", "boundariesAndScales"]);
  const init = req(where, o, "initValue");
  const pairs = boundaryScales(where, (o as PiecewiseConstantScheduleOptions).boundariesAndScales);
  return (step) => {
    let v = init;
    for (const [threshold, scale] of pairs) {
      const indicator = Math.max(0.0, Math.sign(threshold - step));
      v = v * indicator + (1 - indicator) * scale * v;
    }
    return v;
  };
}

/** A `{ step: scale }` option as [boundary, scale] pairs sorted by boundary (Optax sorts the dict's items). */
function boundaryScales(where: string, bs: unknown): Array<[number, number]> {
  const pairs: Array<[number, number]> = [];
  if (bs === undefined) return pairs;
  if (bs === null || typeof bs !== "object" || Array.isArray(bs)) invalid(where, "boundariesAndScales", bs, "an object { step: scale }", "object");
  for (const [k, v] of Object.entries(bs)) {
    const b = Number(k);
    if (!Number.isFinite(b)) invalid(where, "boundariesAndScales", k, "numeric boundaries", "number");
    finite(where, `boundariesAndScales[${k}]`, v);
    if ((v as number) < 0) throw new RangeError(`${where} expects non-negative scale factors, got ${v} at boundary ${k}`);
    pairs.push([b, v as number]);
  }
  return pairs.sort((a, b) => a[0] - b[0]);
}

/** The options of {@link piecewiseInterpolateSchedule}(). */
export interface PiecewiseInterpolateScheduleOptions {
  /** How the value moves between boundaries: "linear" or "cosine" (half a cosine, flat at both ends). */
  interpolateType: "linear" | "cosine";
  /** The value at step 0. */
  initValue: number;
  /** `{ step: scale }`: the value reaches (the value at the previous boundary) · scale at that step (scales >= 0). */
  boundariesAndScales?: Record<number, number>;
}

/**
 * initValue, multiplied by each scale at its boundary as piecewiseConstantSchedule does, but moving between the
 * accumulated values by linear or cosine interpolation instead of jumping (Optax's
 * `piecewise_interpolate_schedule`). As Optax: 0 before step 0, and the last accumulated value from the last
 * boundary on.
 * @example piecewiseInterpolateSchedule({ interpolateType: "linear", initValue: 1, boundariesAndScales: { 4: 0.1, 8: 0.01 } })
 * // steps 0, 2, 4, 6, 8: 1, 0.55, 0.1, 0.0505, 0.001
 */
export function piecewiseInterpolateSchedule(options: PiecewiseInterpolateScheduleOptions): Schedule {
  const where = "piecewiseInterpolateSchedule";
  const o = known(where, options, ["interpolateType", "initValue", "boundariesAndScales"]) as PiecewiseInterpolateScheduleOptions;
  const type = o.interpolateType;
  if (type !== "linear" && type !== "cosine") invalid(where, "interpolateType", type, '"linear" or "cosine"', "string");
  return interpolated(where, type, req(where, o, "initValue"), boundaryScales(where, o.boundariesAndScales));
}

/** Optax's piecewise_interpolate_schedule over sorted [boundary, scale] pairs, operation for operation. */
function interpolated(where: string, type: "linear" | "cosine", init: number, pairs: ReadonlyArray<[number, number]>): Schedule {
  const bounds = [0, ...pairs.map((p) => p[0])];
  const values = [init];
  for (const [b, scale] of pairs) {
    const v = values.at(-1)! * scale;
    if (!Number.isFinite(v)) throw new RangeError(`${where}: the value at boundary ${b} overflows (${v}); scale factors too large`);
    values.push(v);
  }
  const last = bounds.length - 1;
  const sizes = bounds.slice(1).map((b, i) => Math.max(b - bounds[i]!, 1));
  const interp = type === "linear"
    ? (start: number, end: number, pct: number) => (end - start) * pct + start
    : (start: number, end: number, pct: number) => end + (start - end) / 2.0 * (Math.cos(Math.PI * pct) + 1);
  return (step) => {
    // Optax sums indicator · value over the intervals (at most one holds `step` when boundaries are >= 0).
    let out = 0;
    for (let i = 0; i < last; i++) {
      if (bounds[i]! <= step && step < bounds[i + 1]!) out += interp(values[i]!, values[i + 1]!, (step - bounds[i]!) / sizes[i]!);
    }
    return bounds[last]! <= step ? out + values[last]! : out;
  };
}

/** The options of {@link linearOnecycleSchedule}(). */
export interface LinearOnecycleScheduleOptions {
  /** Length of the cycle in steps (an integer > 0). */
  transitionSteps: number;
  /** The value at pctStart · transitionSteps. */
  peakValue: number;
  /** Fraction of the cycle spent rising from peakValue / divFactor to peakValue (default 0.3). */
  pctStart?: number;
  /** Fraction of the cycle at whose end the value is back at peakValue / divFactor (default 0.85, >= pctStart). */
  pctFinal?: number;
  /** The start value is peakValue / divFactor (default 25). */
  divFactor?: number;
  /** The final value, at transitionSteps and after, is peakValue / divFactor / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
}

/** The options of {@link cosineOnecycleSchedule}(). */
export interface CosineOnecycleScheduleOptions {
  /** Length of the cycle in steps (an integer > 0). */
  transitionSteps: number;
  /** The value at pctStart · transitionSteps. */
  peakValue: number;
  /** Fraction of the cycle spent rising from peakValue / divFactor to peakValue (default 0.3). */
  pctStart?: number;
  /** The start value is peakValue / divFactor (default 25). */
  divFactor?: number;
  /** The final value, at transitionSteps and after, is peakValue / (divFactor · finalDivFactor) (default 1e4). */
  finalDivFactor?: number;
}

/** The options both one-cycle schedules share, checked. */
function onecycle(where: string, o: object) {
  const steps = req(where, o, "transitionSteps");
  if (!(Number.isInteger(steps) && steps > 0)) invalid(where, "transitionSteps", steps, "an integer > 0");
  const peak = req(where, o, "peakValue");
  const pctStart = opt(where, o, "pctStart", 0.3);
  if (!(pctStart >= 0 && pctStart <= 1)) invalid(where, "pctStart", pctStart, "0 <= pctStart <= 1");
  const divFactor = opt(where, o, "divFactor", 25.0), finalDivFactor = opt(where, o, "finalDivFactor", 1e4);
  positive(where, "divFactor", divFactor);
  positive(where, "finalDivFactor", finalDivFactor);
  return { steps, peak, pctStart, divFactor, finalDivFactor };
}

/** Optax's `{ boundary: scale }` dict literal: a later key replaces an earlier equal one; then sorted. */
function dictPairs(entries: ReadonlyArray<[number, number]>): Array<[number, number]> {
  return [...new Map(entries)].sort((a, b) => a[0] - b[0]);
}

/**
 * Three linear phases (Optax's `linear_onecycle_schedule`, Smith's one-cycle): peakValue / divFactor up to
 * peakValue at pctStart·transitionSteps, back down to peakValue / divFactor at pctFinal·transitionSteps (both
 * truncated to integers, as Optax's `int()`), then down to peakValue / divFactor / finalDivFactor at
 * transitionSteps, constant after.
 * @example linearOnecycleSchedule({ transitionSteps: 1000, peakValue: 0.1 })
 */
export function linearOnecycleSchedule(options: LinearOnecycleScheduleOptions): Schedule {
  const where = "linearOnecycleSchedule";
  const o = known(where, options, ["transitionSteps", "peakValue", "pctStart", "pctFinal", "divFactor", "finalDivFactor"]);
  const { steps, peak, pctStart, divFactor, finalDivFactor } = onecycle(where, o);
  const pctFinal = opt(where, o, "pctFinal", 0.85);
  if (!(pctFinal >= pctStart && pctFinal <= 1)) invalid(where, "pctFinal", pctFinal, `pctStart <= pctFinal <= 1 (pctStart is ${pctStart})`);
  return interpolated(where, "linear", peak / divFactor, dictPairs([
    [Math.trunc(pctStart * steps), divFactor], [Math.trunc(pctFinal * steps), 1.0 / divFactor], [steps, 1.0 / finalDivFactor],
  ]));
}

/**
 * Smith's one-cycle with cosine phases (Optax's `cosine_onecycle_schedule`): peakValue / divFactor up to
 * peakValue at pctStart·transitionSteps (truncated to an integer, as Optax's `int()`), then down to
 * peakValue / (divFactor · finalDivFactor) at transitionSteps, constant after.
 * @example cosineOnecycleSchedule({ transitionSteps: 1000, peakValue: 0.1, pctStart: 0.25 })
 */
export function cosineOnecycleSchedule(options: CosineOnecycleScheduleOptions): Schedule {
  const where = "cosineOnecycleSchedule";
  const o = known(where, options, ["transitionSteps", "peakValue", "pctStart", "divFactor", "finalDivFactor"]);
  const { steps, peak, pctStart, divFactor, finalDivFactor } = onecycle(where, o);
  return interpolated(where, "cosine", peak / divFactor, dictPairs([
    [Math.trunc(pctStart * steps), divFactor], [steps, 1.0 / (divFactor * finalDivFactor)],
  ]));
}

/** The options of {@link exponentialDecay}(). */
export interface ExponentialDecayOptions {
  /** The value at step 0. */
  initValue: number;
  /** Steps per decay by decayRate; <= 0 gives the constant initValue (as Optax). */
  transitionSteps: number;
  /** Factor per transitionSteps; 0 gives the constant initValue (as Optax). */
  decayRate: number;
  /** Steps before decay starts (default 0). */
  transitionBegin?: number;
  /** Decay in discrete intervals (default false). */
  staircase?: boolean;
  /** Bound the value (a floor when decaying, a ceiling when growing). */
  endValue?: number;
}

/**
 * `initValue · decayRate^((step − transitionBegin)/transitionSteps)` (Optax's `exponential_decay`).
 * @example exponentialDecay({ initValue: 0.1, transitionSteps: 1000, decayRate: 0.5, staircase: true })
 */
export function exponentialDecay(options: ExponentialDecayOptions): Schedule {
  const where = "exponentialDecay";
  const o = known(where, options, ["initValue", "transitionSteps", "decayRate", "transitionBegin", "staircase", "endValue"]);
  const init = req(where, o, "initValue"), steps = req(where, o, "transitionSteps"), rate = req(where, o, "decayRate");
  let begin = opt(where, o, "transitionBegin", 0);
  const staircase = (o as ExponentialDecayOptions).staircase ?? false;
  if (typeof staircase !== "boolean") invalid(where, "staircase", staircase, "a boolean", "boolean");
  const endValue = (o as ExponentialDecayOptions).endValue;
  if (endValue !== undefined) finite(where, "endValue", endValue);
  if (steps <= 0 || rate === 0) return () => init;
  if (begin < 0) begin = 0;
  const clip = endValue === undefined ? undefined : rate < 1.0 ? Math.max : Math.min;
  return (step) => {
    const decreased = step - begin;
    let p = decreased / steps;
    if (staircase) p = Math.floor(p);
    const v = decreased <= 0 ? init : init * rate ** p;
    return clip === undefined ? v : clip(v, endValue!);
  };
}

/** The options of {@link cosineDecaySchedule}(). */
export interface CosineDecayScheduleOptions {
  /** The value at step 0. */
  initValue: number;
  /** Steps of the decay (> 0). */
  decaySteps: number;
  /** The final value as a fraction of initValue (default 0). */
  alpha?: number;
  /** Power of the cosine factor (default 1). */
  exponent?: number;
}

/**
 * `initValue · ((1 − alpha)·(½(1 + cos(π·min(step, decaySteps)/decaySteps)))^exponent + alpha)` (Optax's
 * `cosine_decay_schedule`).
 * @example cosineDecaySchedule({ initValue: 0.1, decaySteps: 10000 })
 */
export function cosineDecaySchedule(options: CosineDecayScheduleOptions): Schedule {
  const where = "cosineDecaySchedule";
  const o = known(where, options, ["initValue", "decaySteps", "alpha", "exponent"]);
  const init = req(where, o, "initValue"), steps = req(where, o, "decaySteps");
  const alpha = opt(where, o, "alpha", 0.0), exponent = opt(where, o, "exponent", 1.0);
  if (!(steps > 0)) throw new RangeError(`${where} requires positive decaySteps, got decaySteps=${steps}`);
  return (step) => {
    const count = Math.min(step, steps);
    const cosineDecay = 0.5 * (1 + Math.cos(Math.PI * count / steps));
    const decayed = (1 - alpha) * cosineDecay ** exponent + alpha;
    return init * decayed;
  };
}

/** The options of {@link warmupCosineDecaySchedule}(). */
export interface WarmupCosineDecayScheduleOptions {
  /** Value at step 0. */
  /** The value at step 0. */
  initValue: number;
  /** Value at the end of the warmup. */
  peakValue: number;
  /** Steps of linear warmup. */
  warmupSteps: number;
  /** Total steps, warmup included (> warmupSteps). */
  decaySteps: number;
  /** Value at decaySteps and after (default 0). */
  endValue?: number;
  /** Power of the cosine factor (default 1). */
  exponent?: number;
}

/**
 * Linear warmup from initValue to peakValue, then cosine decay to endValue at decaySteps (Optax's
 * `warmup_cosine_decay_schedule`).
 * @example
 * const lr = warmupCosineDecaySchedule({ initValue: 0, peakValue: 1e-3, warmupSteps: 500, decaySteps: 10000 });
 * opt.paramGroups[0].lr = lr(step);                     // by hand, or through LambdaLR:
 * new LambdaLR(opt, { lrLambda: scheduleLambda(lr, opt.paramGroups[0].lr) });
 */
export function warmupCosineDecaySchedule(options: WarmupCosineDecayScheduleOptions): Schedule {
  const where = "warmupCosineDecaySchedule";
  const o = known(where, options, ["initValue", "peakValue", "warmupSteps", "decaySteps", "endValue", "exponent"]);
  const init = req(where, o, "initValue"), peak = req(where, o, "peakValue");
  const warmup = req(where, o, "warmupSteps"), decaySteps = req(where, o, "decaySteps");
  const end = opt(where, o, "endValue", 0.0), exponent = opt(where, o, "exponent", 1.0);
  const alpha = peak === 0.0 ? 0.0 : end / peak;
  return joinSchedules([
    linearSchedule({ initValue: init, endValue: peak, transitionSteps: warmup }),
    cosineDecaySchedule({ initValue: peak, decaySteps: decaySteps - warmup, alpha, exponent }),
  ], [warmup]);
}

/**
 * Runs `schedules[i + 1]` from `boundaries[i]` on, counting its steps from that boundary (Optax's
 * `join_schedules`).
 * @example joinSchedules([constantSchedule(0.01), cosineDecaySchedule({ initValue: 0.1, decaySteps: 90 })], [10])
 */
export function joinSchedules(schedules: readonly Schedule[], boundaries: readonly number[]): Schedule {
  const where = "joinSchedules";
  if (!Array.isArray(schedules) || schedules.length < 1) invalid(where, "schedules", schedules, "a non-empty array of functions", "object");
  schedules.forEach((s, i) => { if (typeof s !== "function") invalid(where, `schedules[${i}]`, s, "a function", "function"); });
  if (!Array.isArray(boundaries) || boundaries.length !== schedules.length - 1) {
    invalid(where, "boundaries", boundaries, `an array of ${schedules.length - 1} numbers (one fewer than schedules)`, "object");
  }
  boundaries.forEach((b, i) => finite(where, `boundaries[${i}]`, b));
  const fns = [...schedules], bounds = [...boundaries];
  return (step) => {
    let out = fns[0]!(step);
    for (let i = 0; i < bounds.length; i++) if (!(step < bounds[i]!)) out = fns[i + 1]!(step - bounds[i]!);
    return out;
  };
}

/**
 * SGD with warm restarts (Optax's `sgdr_schedule`, Loshchilov & Hutter): warmupCosineDecaySchedule cycles one
 * after another, each starting its own count when the previous one's `decaySteps` are over.
 * @example
 * sgdrSchedule([
 *   { initValue: 0, peakValue: 0.1, warmupSteps: 100, decaySteps: 1000 },
 *   { initValue: 0, peakValue: 0.05, warmupSteps: 100, decaySteps: 2000 },
 * ])
 */
export function sgdrSchedule(cycles: readonly WarmupCosineDecayScheduleOptions[]): Schedule {
  const where = "sgdrSchedule";
  if (!Array.isArray(cycles) || cycles.length < 1) {
    const msg = `${where}: ${invalidMessage("cycles", cycles, "a non-empty array of warmupCosineDecaySchedule options")}`;
    throw Array.isArray(cycles) ? new RangeError(msg) : new TypeError(msg);
  }
  const schedules: Schedule[] = [], boundaries: number[] = [];
  let step = 0;
  cycles.forEach((c, i) => {
    try {
      schedules.push(warmupCosineDecaySchedule(c));
    } catch (e) {
      // The cycle's own error, said of the cycle (same class).
      const E = e instanceof RangeError ? RangeError : e instanceof TypeError ? TypeError : undefined;
      if (E === undefined) throw e;
      throw new E(`${where}: cycles[${i}]: ${(e as Error).message}`);
    }
    step += c.decaySteps;
    boundaries.push(step);
  });
  return joinSchedules(schedules, boundaries.slice(0, -1));
}

/**
 * The `lrLambda` that makes LambdaLR follow `schedule` for a group whose lr is `baseLr` (LambdaLR multiplies
 * the group's initial lr by the lambda): `(e) => schedule(e) / baseLr`. The lr then equals `schedule(e)`
 * within one rounding (base · (s / base)).
 *
 * @example
 * const opt = new AdamW(store.params, { lr: 1e-3 });
 * const lr = warmupCosineDecaySchedule({ initValue: 0, peakValue: 1e-3, warmupSteps: 5, decaySteps: 100 });
 * const sched = new LambdaLR(opt, { lrLambda: scheduleLambda(lr, 1e-3) });
 */
export function scheduleLambda(schedule: Schedule, baseLr: number): LrLambda {
  if (typeof schedule !== "function") invalid("scheduleLambda", "schedule", schedule, "a function", "function");
  positive("scheduleLambda", "baseLr", baseLr);
  return (epoch) => schedule(epoch) / baseLr;
}
