// Option validation, one place for the whole library: optimizers (Rules, table-driven: one rule per option),
// schedulers, transforms and the tuning tools (Checks, which name where they are). A failed check throws before
// anything is changed: RangeError for a value out of range, TypeError for a value of the wrong type.
// Messages name the option and the value: `Invalid beta1: 1.2 (expected 0 <= beta1 < 1)`, with the caller in
// front: `Adam: param group 1: Invalid beta1: ...` (located), `StepLR: Invalid stepSize: 0 (...)` (a Check).
//
// Rules run on every step after an option edit (a scheduler edits lr every step), so a passing check must
// cost a few comparisons: no string is built and nothing is allocated unless the check fails.

export type Rule = (value: unknown, key: string) => void;
export type Rules<O> = { readonly [K in keyof O]: Rule };

/** A value for a message: strings quoted, arrays listed, functions and objects by kind. */
export function show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "function") return "a function";
  if (Array.isArray(v)) return `[${v.map(show).join(", ")}]`;
  if (v !== null && typeof v === "object") return "an object";
  return String(v);
}

/** The message of every invalid option: `Invalid lr: -1 (expected lr >= 0)`. */
export function invalidMessage(key: string, v: unknown, expected: string): string {
  return `Invalid ${key}: ${show(v)} (expected ${expected})`;
}

/** The error for option `key` holding `v`: a TypeError when `v` is not of `type`, else a RangeError. */
export function invalidError(key: string, v: unknown, expected: string, type = "number"): TypeError | RangeError {
  const msg = invalidMessage(key, v, expected);
  return typeof v === type ? new RangeError(msg) : new TypeError(msg);
}

function fail(v: unknown, name: string, expected: string): never {
  throw invalidError(name, v, typeof v === "number" ? expected.replaceAll("{}", name) : "a number");
}

/** A finite number with a range; `expected` reads like `{} >= 0` (`{}` stands for the option's name). */
export function num(ok: (x: number) => boolean, expected: string): Rule {
  return (v, key) => {
    if (typeof v !== "number" || !Number.isFinite(v) || !ok(v)) fail(v, key, expected);
  };
}

export const nonNegative: Rule = num((x) => x >= 0, "{} >= 0");

export const bool: Rule = (v, key) => {
  if (typeof v !== "boolean") throw invalidError(key, v, "a boolean", "boolean");
};

/** A pair [beta1, beta2] (an array or a readonly tuple), each checked as its own name. */
export function pair(names: readonly [string, string], ok: (x: number) => boolean, expected: string): Rule {
  return (v) => {
    if (!Array.isArray(v) || v.length !== 2) {
      throw new TypeError(invalidMessage(names[0].replace(/1$/, "s"), v, `[${names[0]}, ${names[1]}]`));
    }
    for (let i = 0; i < 2; i++) {
      const x: unknown = v[i];
      if (typeof x !== "number" || !Number.isFinite(x) || !ok(x)) fail(x, names[i]!, expected);
    }
  };
}

/** Whether option values `v` (as the user may have edited it) and `w` (the validated copy) are equal. */
export function sameValue(v: unknown, w: unknown): boolean {
  if (v === w) return true;
  if (!Array.isArray(v) || !Array.isArray(w) || v.length !== w.length) return false;
  for (let i = 0; i < v.length; i++) if (v[i] !== w[i]) return false;
  return true;
}

/** Checks every option of `o` against `rules` (all keys must be present). */
export function validate<O extends object>(rules: Rules<O>, o: O): void {
  for (const key of Object.keys(rules) as (keyof O & string)[]) rules[key](o[key], key);
}

/** `e` (a rule's error) with `where` in front of its message, of the same type: which optimizer, which group. */
export function located(where: string, e: unknown): unknown {
  if (!(e instanceof Error)) return e;
  const type = e instanceof RangeError ? RangeError : e instanceof TypeError ? TypeError : Error;
  return new type(`${where}: ${e.message}`);
}

// What other libraries call gradstep's options (tfjs, Keras, Optax, Chainer, bitsandbytes), keyed by the folded
// name (see fold): a config ported from one of them is told the name here. Only names the optimizer has are
// suggested, so `decay` reads as RMSprop's `alpha` (tfjs, Optax) there and as `weightDecay` elsewhere.
const ALIASES: Readonly<Record<string, readonly string[]>> = {
  learningrate: ["lr"], stepsize: ["lr"], alpha: ["lr"],
  epsilon: ["eps"],
  beta1: ["betas"], beta2: ["betas"], b1: ["betas"], b2: ["betas"],
  decay: ["alpha", "weightDecay", "lrDecay"], rho: ["alpha"],
  l2: ["weightDecay"], wd: ["weightDecay"], weightdecayrate: ["weightDecay"],
  clipnorm: ["maxGradNorm"], globalclipnorm: ["maxGradNorm"], maxnorm: ["maxGradNorm"],
  mudtype: ["stateDtype"], optimbits: ["stateDtype"], dtype: ["stateDtype"],
};

/** A name without case, `_` or `-`: `weight_decay`, `WeightDecay` and `weightDecay` fold alike. */
function fold(name: string): string {
  return name.toLowerCase().replace(/[_\-\s]/g, "");
}

/** Levenshtein distance, stopping early above `max`. */
function distance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    if (Math.min(...row) > max) return max + 1;
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The valid names `key` was probably meant as: the same name in another case or snake_case, then a name
 * another library uses for it, then the nearest names by edit distance (1 for short names, 2 from 5 letters).
 */
export function suggest(key: string, valid: readonly string[]): string[] {
  const k = fold(key);
  const same = valid.filter((v) => fold(v) === k);
  if (same.length) return same;
  const alias = (Object.hasOwn(ALIASES, k) ? ALIASES[k]! : []).filter((v) => valid.includes(v));
  if (alias.length) return alias;
  const max = k.length < 5 ? 1 : 2;
  const scored = valid.map((v) => ({ v, d: distance(k, fold(v), max) })).filter((x) => x.d <= max);
  const best = Math.min(...scored.map((x) => x.d));
  return scored.filter((x) => x.d === best).map((x) => x.v);
}

/** ` "a" or "b"`, with the form of a pair option, for a message. */
function didYouMean(names: readonly string[]): string {
  const shown = names.map((n) => (n === "betas" ? `"betas" (a pair [beta1, beta2])` : `"${n}"`));
  return shown.length ? `, did you mean ${shown.join(" or ")}?` : "";
}

/**
 * Throws a TypeError for keys that are neither options nor in `extra` (nor in `hidden`: accepted, never listed,
 * as `className`), naming the option probably meant. Own keys only: a key named like an Object.prototype member
 * (`toString`, `constructor`, `__proto__`) is unknown like any other.
 */
export function rejectUnknown(where: string, obj: object, rules: object, extra: readonly string[], hidden: readonly string[] = []): void {
  for (const key of Reflect.ownKeys(obj)) {
    if (typeof key !== "string" || (!Object.hasOwn(rules, key) && !extra.includes(key) && !hidden.includes(key))) {
      const valid = [...Object.keys(rules), ...extra];
      throw new TypeError(`${where}: unknown option ${typeof key === "string" ? `"${key}"` : String(key)}` +
        `${typeof key === "string" ? didYouMean(suggest(key, valid)) : ""} (expected one of ${valid.join(", ")})`);
    }
  }
}

// ---- Checks: rules for callers that name where they are (schedulers, transforms, tuning) ----

/** A check of option `key` of `where` holding `v`; throws `where: Invalid key: ...`. */
export type Check = (where: string, key: string, v: unknown) => void;

/** Throws the error for option `key` of `where` holding `v`: TypeError for a wrong type, else RangeError. */
export function invalid(where: string, key: string, v: unknown, expected: string, type = "number"): never {
  throw located(where, invalidError(key, v, expected, type));
}

/** A finite number satisfying `ok`; `expected` is the message's expectation. */
export function number(ok: (x: number) => boolean, expected: string): Check {
  return (where, key, v) => {
    if (typeof v !== "number" || !Number.isFinite(v) || !ok(v)) invalid(where, key, v, expected);
  };
}

export const finite = number(() => true, "a finite number");
export const nonNegativeNumber = number((x) => x >= 0, "a finite number >= 0");
export const positive = number((x) => x > 0, "a finite number > 0");
export const positiveInt = number((x) => Number.isInteger(x) && x >= 1, "an integer >= 1");
export const nonNegativeInt = number((x) => Number.isInteger(x) && x >= 0, "an integer >= 0");
export const integer = number((x) => Number.isSafeInteger(x), "an integer");

export const boolean: Check = (where, key, v) => {
  if (typeof v !== "boolean") invalid(where, key, v, "a boolean", "boolean");
};

export function oneOf(values: readonly string[]): Check {
  return (where, key, v) => {
    if (typeof v !== "string" || !values.includes(v)) invalid(where, key, v, `one of ${values.map((s) => JSON.stringify(s)).join(", ")}`, "string");
  };
}

/** A backend option (before "auto" is resolved). */
export function checkBackend(where: string, v: unknown): void {
  // Always a TypeError: a backend is a name, and a wrong one is of no kind a range could fix.
  if (!["auto", "simd", "scalar", "js"].includes(v as string)) throw located(where, new TypeError(invalidMessage("backend", v, "auto, simd, scalar or js")));
}

export function fn(where: string, key: string, v: unknown): void {
  if (typeof v !== "function") invalid(where, key, v, "a function", "function");
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

/** The options object of a constructor (undefined → {}), checked for unknown keys. */
export function optionsOf<T extends object>(where: string, options: T | undefined, known: readonly string[]): Partial<T> {
  if (options === undefined) return {};
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(`${where}: options must be an object, got ${show(options)}`);
  }
  rejectUnknown(where, options, {}, known);
  return options;
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
