// Hyperparameter validation, table-driven: each optimizer lists one rule per option. A failed check throws
// before anything is changed: RangeError for a value out of range, TypeError for a value of the wrong type.
// Messages name the option and the value: `Invalid beta1: 1.2 (expected 0 <= beta1 < 1)`.

export type Rule = (value: unknown, key: string) => void;
export type Rules<O> = { readonly [K in keyof O]: Rule };

function show(v: unknown): string {
  return typeof v === "string" ? JSON.stringify(v) : Array.isArray(v) ? `[${v.map(show).join(", ")}]` : String(v);
}

function checkNumber(v: unknown, name: string, ok: (x: number) => boolean, expected: string): void {
  if (typeof v !== "number") throw new TypeError(`Invalid ${name}: ${show(v)} (expected a number)`);
  if (!Number.isFinite(v) || !ok(v)) throw new RangeError(`Invalid ${name}: ${show(v)} (expected ${expected})`);
}

/** A finite number with a range; `expected` reads like `lr >= 0` (use `{}` for the option's name). */
export function num(ok: (x: number) => boolean, expected: string): Rule {
  return (v, key) => checkNumber(v, key, ok, expected.replaceAll("{}", key));
}

export const nonNegative: Rule = num((x) => x >= 0, "{} >= 0");

export const bool: Rule = (v, key) => {
  if (typeof v !== "boolean") throw new TypeError(`Invalid ${key}: ${show(v)} (expected a boolean)`);
};

/** A pair [beta1, beta2], each checked as its own name. */
export function pair(names: readonly [string, string], ok: (x: number) => boolean, expected: string): Rule {
  return (v) => {
    if (!Array.isArray(v) || v.length !== 2) {
      throw new TypeError(`Invalid ${names[0].replace(/1$/, "s")}: ${show(v)} (expected [${names[0]}, ${names[1]}])`);
    }
    v.forEach((x, i) => checkNumber(x, names[i]!, ok, expected.replaceAll("{}", names[i]!)));
  };
}

/** Whether a `pair` option `v` (as the user may have edited it) equals the validated pair `w`. */
export function samePair(v: readonly [number, number], w: readonly [number, number]): boolean {
  return Array.isArray(v) && v.length === 2 && v[0] === w[0] && v[1] === w[1];
}

/** Checks every option of `o` against `rules` (all keys must be present). */
export function validate<O extends object>(rules: Rules<O>, o: O): void {
  for (const key of Object.keys(rules) as (keyof O & string)[]) rules[key](o[key], key);
}

/** Throws a TypeError for keys that are neither options nor in `extra`. */
export function rejectUnknown(where: string, obj: object, rules: object, extra: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (!(key in rules) && !extra.includes(key)) {
      throw new TypeError(`${where}: unknown option "${key}" (expected one of ${[...Object.keys(rules), ...extra].join(", ")})`);
    }
  }
}
