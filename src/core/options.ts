// Option rules, table-driven: each optimizer lists one rule per option. A failed check throws before
// anything is changed: RangeError for a value out of range, TypeError for a value of the wrong type.
// Messages name the option and the value: `Invalid beta1: 1.2 (expected 0 <= beta1 < 1)`.
//
// Rules run on every step after an option edit (a scheduler edits lr every step), so a passing check must
// cost a few comparisons: no string is built and nothing is allocated unless the check fails.

export type Rule = (value: unknown, key: string) => void;
export type Rules<O> = { readonly [K in keyof O]: Rule };

function show(v: unknown): string {
  return typeof v === "string" ? JSON.stringify(v) : Array.isArray(v) ? `[${v.map(show).join(", ")}]` : String(v);
}

function fail(v: unknown, name: string, expected: string): never {
  if (typeof v !== "number") throw new TypeError(`Invalid ${name}: ${show(v)} (expected a number)`);
  throw new RangeError(`Invalid ${name}: ${show(v)} (expected ${expected.replaceAll("{}", name)})`);
}

/** A finite number with a range; `expected` reads like `{} >= 0` (`{}` stands for the option's name). */
export function num(ok: (x: number) => boolean, expected: string): Rule {
  return (v, key) => {
    if (typeof v !== "number" || !Number.isFinite(v) || !ok(v)) fail(v, key, expected);
  };
}

export const nonNegative: Rule = num((x) => x >= 0, "{} >= 0");

export const bool: Rule = (v, key) => {
  if (typeof v !== "boolean") throw new TypeError(`Invalid ${key}: ${show(v)} (expected a boolean)`);
};

/** A pair [beta1, beta2] (an array or a readonly tuple), each checked as its own name. */
export function pair(names: readonly [string, string], ok: (x: number) => boolean, expected: string): Rule {
  return (v) => {
    if (!Array.isArray(v) || v.length !== 2) {
      throw new TypeError(`Invalid ${names[0].replace(/1$/, "s")}: ${show(v)} (expected [${names[0]}, ${names[1]}])`);
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

/** Whether a `pair` option `v` (as the user may have edited it) equals the validated pair `w`. */
export function samePair(v: readonly [number, number], w: readonly [number, number]): boolean {
  return Array.isArray(v) && v.length === 2 && v[0] === w[0] && v[1] === w[1];
}

/** Checks every option of `o` against `rules` (all keys must be present). */
export function validate<O extends object>(rules: Rules<O>, o: O): void {
  for (const key of Object.keys(rules) as (keyof O & string)[]) rules[key](o[key], key);
}

/**
 * Throws a TypeError for keys that are neither options nor in `extra`. Own keys only: a key named like an
 * Object.prototype member (`toString`, `constructor`, `__proto__`) is unknown like any other.
 */
export function rejectUnknown(where: string, obj: object, rules: object, extra: readonly string[]): void {
  for (const key of Reflect.ownKeys(obj)) {
    if (typeof key !== "string" || (!Object.hasOwn(rules, key) && !extra.includes(key))) {
      throw new TypeError(`${where}: unknown option ${typeof key === "string" ? `"${key}"` : String(key)} ` +
        `(expected one of ${[...Object.keys(rules), ...extra].join(", ")})`);
    }
  }
}
