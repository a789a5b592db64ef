// The options of one optimizer as a table (names, rules, kinds) and the checks a step runs on edited options:
// what changed since the last validated copy, at a cost of one compare when a scheduler edits lr. The step
// plan (plan.ts) re-plans a group when a structural option changed.
import { sameValue, type Rule } from "./options.js";
import { isStructural, type OptimizerSpec } from "./spec.js";

/** What revalidate found: nothing changed, scalar options changed, or a structural one did (re-plan). */
export const NONE = 0, SCALAR = 1, STRUCTURAL = 2;
/** What #takeSecond did with the second hot option (else: the length of the array option it took). */
const NOT_HOT = -2, SCALAR_TAKEN = -1, UNCHANGED = 0;

/** `o` with its array options (betas) copied: groups, defaults and the caller never share one to edit in place. */
export function ownArrays<T extends object>(o: T): T {
  for (const k of Object.keys(o)) {
    const v = (o as Record<string, unknown>)[k];
    if (Array.isArray(v)) (o as Record<string, unknown>)[k] = [...(v as unknown[])];
  }
  return o;
}

/**
 * The class of param groups and of their validated copies, only so that V8 gives their fields a map tree of
 * their own: a plain object whose first key is `lr` shares its `lr` field with every literal `{ lr: ... }` in
 * the process (the optimizers' rule tables hold a function there), so the field is stored tagged and every lr
 * a scheduler writes is boxed, 16 B of heap per edit; in a tree of their own it holds doubles in place.
 */
export class GroupRecord {}

/** The options of one optimizer as a table: names, rules and kinds, in a fixed order. */
export class OptionTable<O> {
  readonly keys: readonly string[];
  readonly #rules: readonly Rule[];
  readonly #structural: readonly boolean[];
  /** Per option: whether its default is an array (compared element-wise; the others by identity). */
  readonly #arrays: readonly boolean[];
  /** The scalar option that changed at the last edit (a scheduler's lr), or -1. */
  #hot = -1;
  /** The one other option that changed with it (momentum, or betas: momentum-cycling schedulers), or -1. */
  #hot2 = -1;
  /** An array option's validated elements while the fast path tries new ones (betas: 2 or 3). */
  readonly #old = new Float64Array(4);
  readonly #spec: OptimizerSpec<O>;

  constructor(spec: OptimizerSpec<O>) {
    this.#spec = spec;
    this.keys = Object.keys(spec.rules);
    this.#rules = this.keys.map((k) => (spec.rules as Record<string, Rule>)[k]!);
    this.#structural = this.keys.map((k) => isStructural(spec, k as keyof O & string));
    this.#arrays = this.keys.map((k) => Array.isArray((spec.defaults as Record<string, unknown>)[k]));
  }

  /** Checks every option of `o` (construction, addParamGroup, loadStateDict). */
  validate(o: O): void {
    for (let i = 0; i < this.keys.length; i++) this.#rules[i]!((o as Record<string, unknown>)[this.keys[i]!], this.keys[i]!);
    this.#spec.check?.(o);
  }

  /**
   * Checks the options of `g` that differ from the validated copy `snap`: NONE when nothing changed, else
   * SCALAR or STRUCTURAL (a structural option changed: the state buffers must be re-planned). When all
   * checks pass, `snap` takes the new values (only the changed ones are written: a scheduler's lr edit
   * costs one compare, one range check and one store). Allocates nothing unless a check fails.
   */
  revalidate(g: O, snap: O): number {
    if (this.#spec.same(g, snap)) return NONE;
    const gv = g as Record<string, unknown>;
    const sv = snap as Record<string, unknown>;
    const keys = this.keys, arrays = this.#arrays;
    // Fast path for what a scheduler does: the options edited last time (lr; lr and momentum or betas when it
    // cycles momentum) changed again, and nothing else did (the spec's same() says so once they are taken
    // over). A load, a range check and a store each, at call sites of their own: no loop over keys, whose keyed
    // loads V8 cannot make monomorphic (they box every double they read).
    if (this.#hot >= 0) {
      const kind = this.#revalidateHot(g, snap);
      if (kind !== NONE) return kind;
    }
    let kind = SCALAR;
    let changed = 0; // bit i: option i changed (32 options at most per optimizer)
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const v = gv[key], w = sv[key];
      if (v === w || (arrays[i] && sameValue(v, w))) continue;
      this.#rules[i]!(v, key);
      changed |= 1 << i;
      if (this.#structural[i]) kind = STRUCTURAL;
    }
    this.#spec.check?.(g);
    // One scalar option changed, or two of which one is scalar: they are the hot ones for the next step.
    const first = 31 - Math.clz32(changed), rest = changed & ~(1 << first), second = 31 - Math.clz32(rest);
    const two = changed !== 0 && (rest & (rest - 1)) === 0;
    this.#hot = !two ? -1 : !arrays[first] ? first : rest !== 0 && !arrays[second] ? second : -1;
    this.#hot2 = this.#hot < 0 || rest === 0 ? -1 : this.#hot === first ? second : first;
    for (let i = 0; changed !== 0; i++, changed >>>= 1) {
      if (!(changed & 1)) continue;
      if (arrays[i]) this.#commitKey(keys[i]!, gv, sv);
      else sv[keys[i]!] = gv[keys[i]!];
    }
    return kind;
  }

  /**
   * revalidate's fast path: NONE when it does not apply (the hot options are not all that changed, or one is
   * not of its usual kind), with `snap` as it was; else SCALAR or STRUCTURAL, the new values committed. Throws
   * (snap unchanged) when a value fails its rule or the spec's check. No local holds "a number or something
   * else" (V8 would box the number): the second option's old value waits in #old.
   */
  #revalidateHot(g: O, snap: O): number {
    const gv = g as Record<string, unknown>, sv = snap as Record<string, unknown>;
    const hot = this.#hot, key = this.keys[hot]!, v = gv[key], old = sv[key];
    if (typeof v !== "number" || typeof old !== "number") return NONE;
    if (v !== old) this.#rules[hot]!(v, key);
    const second = this.#hot2 >= 0 ? this.#takeSecond(gv, sv) : UNCHANGED;
    if (second === NOT_HOT) return NONE;
    sv[key] = v;
    if (this.#spec.same(g, snap)) {
      try {
        this.#spec.check?.(g);
        return (v !== old && this.#structural[hot]) || (second !== UNCHANGED && this.#structural[this.#hot2]) ? STRUCTURAL : SCALAR;
      } catch (e) {
        sv[key] = old;
        this.#undoSecond(sv, second);
        throw e;
      }
    }
    sv[key] = old;
    this.#undoSecond(sv, second);
    return NONE;
  }

  /**
   * Checks and commits the second hot option: NOT_HOT (nothing written) if it is not a number or an array of
   * the validated length; UNCHANGED; SCALAR_TAKEN (its old value in #old[0]); or the array's length (its old
   * elements in #old).
   */
  #takeSecond(gv: Record<string, unknown>, sv: Record<string, unknown>): number {
    const i = this.#hot2, key = this.keys[i]!;
    if (this.#arrays[i]) {
      const a = gv[key], w = sv[key] as number[];
      if (!Array.isArray(a) || a.length !== w.length || a.length > this.#old.length) return NOT_HOT;
      if (sameValue(a, w)) return UNCHANGED;
      this.#rules[i]!(a, key);
      for (let j = 0; j < w.length; j++) { this.#old[j] = w[j]!; w[j] = a[j] as number; }
      return w.length;
    }
    const v = gv[key], old = sv[key];
    if (typeof v !== "number" || typeof old !== "number") return NOT_HOT;
    if (v === old) return UNCHANGED;
    this.#rules[i]!(v, key);
    this.#old[0] = old;
    sv[key] = v;
    return SCALAR_TAKEN;
  }

  #undoSecond(sv: Record<string, unknown>, second: number): void {
    if (second === UNCHANGED) return;
    const key = this.keys[this.#hot2]!;
    if (second === SCALAR_TAKEN) sv[key] = this.#old[0]!;
    else for (let j = 0; j < second; j++) (sv[key] as number[])[j] = this.#old[j]!;
  }

  #commitKey(key: string, gv: Record<string, unknown>, sv: Record<string, unknown>): void {
    const v = gv[key], w = sv[key];
    if (Array.isArray(v)) {
      if (Array.isArray(w) && w.length === v.length) for (let j = 0; j < v.length; j++) w[j] = v[j];
      else sv[key] = [...v];
    } else {
      sv[key] = v;
    }
  }

  /** Copies the options of `g` into `snap` in place (array elements too; a new array only if its length changed). */
  commit(g: O, snap: O): void {
    const gv = g as Record<string, unknown>, sv = snap as Record<string, unknown>;
    for (let i = 0; i < this.keys.length; i++) this.#commitKey(this.keys[i]!, gv, sv);
  }

  /** A validated copy of the options of `g` (allocates: construction and re-plans only). */
  snapshot(g: O): O {
    const out = new GroupRecord() as Record<string, unknown>;
    for (const key of this.keys) {
      const v = (g as Record<string, unknown>)[key];
      out[key] = Array.isArray(v) ? [...v] : v;
    }
    return out as O;
  }
}

