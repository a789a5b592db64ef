// What a scheduler needs from an optimizer, the values PyTorch keeps in param groups, and option checks.
//
// PyTorch's schedulers store `initial_lr`, `max_lr`, `min_lr`, `max_momentum`, `base_momentum` and `swa_lr`
// in the optimizer's param groups, where every scheduler over that optimizer sees them (a second scheduler's
// base lrs are the first one's `initial_lr`, which is how SequentialLR and ChainedScheduler compose).
// gradstep's groups hold only optimizer options, so these values live in GROUP_KEYS, a side table keyed by
// the group object: shared by every scheduler over the optimizer exactly as PyTorch's group keys are, and
// never visible to the optimizer. Schedulers also save them in their state dicts.

/** A param group as a scheduler sees it: its lr, and momentum (SGD, RMSprop) or betas (Adam, AdamW). */
export interface SchedulableParamGroup {
  lr: number;
  momentum?: number;
  betas?: number[];
}

/**
 * An optimizer a scheduler can drive: every gradstep optimizer is one. Schedulers edit `lr` (and `momentum`
 * or `betas[0]`, in place) of `paramGroups`, read `defaults` to tell momentum from betas (as PyTorch does),
 * and refuse to drive a `disposed` optimizer.
 */
export interface SchedulableOptimizer {
  readonly paramGroups: readonly SchedulableParamGroup[];
  readonly defaults: object;
  readonly disposed: boolean;
}

/** PyTorch's scheduler-owned group keys, camelCased. */
export interface GroupKeys {
  initialLr?: number;
  maxLr?: number;
  minLr?: number;
  maxMomentum?: number;
  baseMomentum?: number;
  swaLr?: number;
}

const GROUP_KEYS = new WeakMap<object, GroupKeys>();

/** The scheduler keys of `group` (created empty on first use). */
export function groupKeys(group: object): GroupKeys {
  let k = GROUP_KEYS.get(group);
  if (k === undefined) GROUP_KEYS.set(group, (k = {}));
  return k;
}

/** Every value a scheduler may change in the groups: restored when a constructor fails halfway. */
export function snapshotGroups(opt: SchedulableOptimizer): () => void {
  const saved = opt.paramGroups.map((g) => ({
    g, lr: g.lr, momentum: g.momentum, beta1: g.betas?.[0], keys: GROUP_KEYS.has(g) ? { ...groupKeys(g) } : undefined,
  }));
  return () => {
    for (const s of saved) {
      s.g.lr = s.lr;
      if (s.momentum !== undefined) s.g.momentum = s.momentum;
      if (s.beta1 !== undefined && s.g.betas) s.g.betas[0] = s.beta1;
      if (s.keys === undefined) GROUP_KEYS.delete(s.g);
      else GROUP_KEYS.set(s.g, s.keys);
    }
  };
}

export function show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "function") return "a function";
  if (Array.isArray(v)) return `[${v.map(show).join(", ")}]`;
  if (v !== null && typeof v === "object") return "an object";
  return String(v);
}

/** Throws the error for option `key` of `where` holding `v`: TypeError for a wrong type, else RangeError. */
export function invalid(where: string, key: string, v: unknown, expected: string, type = "number"): never {
  const msg = `${where}: invalid ${key}: ${show(v)} (expected ${expected})`;
  throw typeof v === type ? new RangeError(msg) : new TypeError(msg);
}

export type Check = (where: string, key: string, v: unknown) => void;

/** A finite number satisfying `ok`; `expected` is the message's expectation. */
export function number(ok: (x: number) => boolean, expected: string): Check {
  return (where, key, v) => {
    if (typeof v !== "number" || !Number.isFinite(v) || !ok(v)) invalid(where, key, v, expected);
  };
}

export const finite = number(() => true, "a finite number");
export const nonNegative = number((x) => x >= 0, "a finite number >= 0");
export const positive = number((x) => x > 0, "a finite number > 0");
export const positiveInt = number((x) => Number.isInteger(x) && x >= 1, "an integer >= 1");
export const nonNegativeInt = number((x) => Number.isInteger(x) && x >= 0, "an integer >= 0");
export const integer = number((x) => Number.isSafeInteger(x), "an integer");

export const bool: Check = (where, key, v) => {
  if (typeof v !== "boolean") invalid(where, key, v, "a boolean", "boolean");
};

export function oneOf(values: readonly string[]): Check {
  return (where, key, v) => {
    if (typeof v !== "string" || !values.includes(v)) invalid(where, key, v, `one of ${values.map((s) => JSON.stringify(s)).join(", ")}`, "string");
  };
}

export function fn(where: string, key: string, v: unknown): void {
  if (typeof v !== "function") invalid(where, key, v, "a function", "function");
}

/** Rejects option keys not in `known` (a misspelt option would otherwise be ignored silently). */
export function rejectUnknown(where: string, options: object, known: readonly string[]): void {
  for (const key of Reflect.ownKeys(options)) {
    if (typeof key !== "string" || !known.includes(key)) {
      throw new TypeError(`${where}: unknown option ${typeof key === "string" ? `"${key}"` : String(key)} (expected one of ${known.join(", ")})`);
    }
  }
}

/** The options object of a constructor (undefined → {}), checked for unknown keys. */
export function optionsOf<T extends object>(where: string, options: T | undefined, known: readonly string[]): Partial<T> {
  if (options === undefined) return {};
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(`${where}: options must be an object, got ${show(options)}`);
  }
  rejectUnknown(where, options, known);
  return options;
}

/**
 * PyTorch's `_format_param`: a number for every group, or an array with one value per group. Each value is
 * checked with `check` (named `key[i]` for arrays).
 */
export function perGroup(where: string, key: string, v: unknown, groups: number, check: Check): number[] {
  if (Array.isArray(v)) {
    if (v.length !== groups) invalid(where, key, v, `a number or an array of ${groups} (one per param group)`, "object");
    v.forEach((x, i) => check(where, `${key}[${i}]`, x));
    return [...(v as number[])];
  }
  check(where, key, v);
  return new Array<number>(groups).fill(v as number);
}

/** Python's bisect.bisect_right over a sorted array. */
export function bisectRight(a: readonly number[], x: number): number {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x < a[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** A strictly increasing array of integers >= `min`. */
export function increasingInts(min: number): Check {
  return (where, key, v) => {
    const expected = `strictly increasing integers >= ${min}`;
    if (!Array.isArray(v)) invalid(where, key, v, `an array of ${expected}`, "object");
    v.forEach((x: unknown, i) => {
      if (typeof x !== "number" || !Number.isInteger(x) || x < min) invalid(where, `${key}[${i}]`, x, `an integer >= ${min}`);
      if (i > 0 && x <= (v[i - 1] as number)) invalid(where, key, v, expected, "object");
    });
  };
}

/**
 * Reads number options: `spec` maps each option to its check and default (undefined = required). Unknown
 * keys are rejected. Returns every option, defaults filled in.
 */
export function numberOptions<K extends string>(where: string, options: unknown,
    spec: Record<K, readonly [Check, number | undefined]>): Record<K, number> {
  const keys = Object.keys(spec) as K[];
  const o = optionsOf(where, options as object | undefined, keys) as Partial<Record<K, unknown>>;
  const out = {} as Record<K, number>;
  for (const k of keys) {
    const [check, def] = spec[k];
    const v = o[k] === undefined ? def : o[k];
    if (v === undefined) throw new TypeError(`${where}: missing option "${k}"`);
    check(where, k, v);
    out[k] = v as number;
  }
  return out;
}
