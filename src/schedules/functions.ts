// Pure schedule functions in Optax's style (optax 0.2.8, `optax.schedules`): each returns `(step) => value`,
// a plain function any trainer can call, with Optax's names (camelCased), options and defaults, and its
// formulas operation for operation (in f64; Optax computes in JAX's f32 unless x64 is enabled). Like Optax,
// a non-positive `transitionSteps` gives a constant schedule rather than an error.
import { finite, invalid, positive, show } from "./common.js";
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

export interface PolynomialScheduleOptions {
  initValue: number;
  endValue: number;
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

export interface LinearScheduleOptions {
  initValue: number;
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

export interface PiecewiseConstantScheduleOptions {
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
  const bs = (o as PiecewiseConstantScheduleOptions).boundariesAndScales;
  const pairs: Array<[number, number]> = [];
  if (bs !== undefined) {
    if (bs === null || typeof bs !== "object" || Array.isArray(bs)) invalid(where, "boundariesAndScales", bs, "an object { step: scale }", "object");
    for (const [k, v] of Object.entries(bs)) {
      const b = Number(k);
      if (!Number.isFinite(b)) invalid(where, "boundariesAndScales", k, "numeric boundaries", "number");
      finite(where, `boundariesAndScales[${k}]`, v);
      if (v < 0) throw new RangeError(`${where} expects non-negative scale factors, got ${v} at boundary ${k}`);
      pairs.push([b, v]);
    }
    pairs.sort((a, b) => a[0] - b[0]);
  }
  return (step) => {
    let v = init;
    for (const [threshold, scale] of pairs) {
      const indicator = Math.max(0.0, Math.sign(threshold - step));
      v = v * indicator + (1 - indicator) * scale * v;
    }
    return v;
  };
}

export interface ExponentialDecayOptions {
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

export interface CosineDecayScheduleOptions {
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

export interface WarmupCosineDecayScheduleOptions {
  /** Value at step 0. */
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
