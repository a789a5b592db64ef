// What an OptimizerSpec's options and name imply, written once for every optimizer: the rule of each option that
// every optimizer means alike (by its name: lr, betas, eps, ...), `bool` for every boolean option, `lowp` (the
// spec has the option stateDtype), `same`, the kernel's name and `hasStep`. A spec lists only the rules of its own options and of the shared names it
// checks otherwise (Adan's triple betas): the same rule functions, so the same messages.
import { bool, nonNegative, pair, sameValue, type Rule } from "./options.js";
import { stateDtypeRule, stochasticRoundingRule } from "./lowp.js";
import type { OptimizerSpec } from "./spec.js";

/** The rule of an option by its name, for every optimizer that has the option and gives no rule of its own. */
export const SHARED_RULES: Readonly<Record<string, Rule>> = {
  lr: nonNegative, betas: pair(["beta1", "beta2"], (x) => x >= 0 && x < 1, "0 <= {} < 1"), eps: nonNegative,
  epsRoot: nonNegative, weightDecay: nonNegative, lrDecay: nonNegative, momentum: nonNegative,
  stateDtype: stateDtypeRule, stochasticRounding: stochasticRoundingRule,
};

/**
 * An OptimizerSpec as written: `rules` only for what SHARED_RULES and booleans do not cover; no `lowp` or `same`; `kernel`
 * by default the name in lower case + `_f32` (the Wasm export of assembly/optim/<id>.ts); `hasStep` by default true.
 */
export type SpecInput<O> = Omit<OptimizerSpec<O>, "rules" | "lowp" | "same" | "kernel" | "hasStep"> &
  { readonly rules?: { readonly [K in keyof O]?: Rule }; readonly kernel?: string; readonly hasStep?: boolean };

/** The whole spec: one rule per option in the order of `defaults` (the order messages list them in). */
export function defineSpec<O>(spec: SpecInput<O>): OptimizerSpec<O> {
  const own = (spec.rules ?? {}) as Record<string, Rule>, rules: Record<string, Rule> = {};
  for (const k of Object.keys(own)) if (!Object.hasOwn(spec.defaults as object, k)) throw new Error(`${spec.name}: a rule for ${k}, which has no default`);
  for (const [k, v] of Object.entries(spec.defaults as object)) {
    const rule = Object.hasOwn(own, k) ? own[k] : Object.hasOwn(SHARED_RULES, k) ? SHARED_RULES[k] : typeof v === "boolean" ? bool : undefined;
    if (!rule) throw new Error(`${spec.name}: option ${k} has no rule (give it one in the spec's rules)`);
    rules[k] = rule;
  }
  return { kernel: `${spec.name.toLowerCase()}_f32`, hasStep: true, ...spec, rules, lowp: Object.hasOwn(spec.defaults as object, "stateDtype"),
    same: sameOptions(spec.defaults as object) } as OptimizerSpec<O>;
}

type Options = Record<string, unknown>;

/**
 * OptimizerSpec.same for options named as `defaults`' keys: each by `===`, an array (default) element-wise. step()
 * calls it on every call: a line per option index gives each of the first 16 scalar options a load site of its
 * own, because V8 loads a number unboxed only at a site that sees one name (on one map), while one site for
 * every name boxes each number it reads (16 B of heap per option per step: bench/heap.ts). Each line names its
 * index, so that no minifier merges them; options past the 16th share a site (correct, but they may box).
 */
function sameOptions(defaults: object): (a: Options, b: Options) => boolean {
  const keys = Object.keys(defaults), arrays = keys.filter((k) => Array.isArray((defaults as Options)[k]));
  const k = keys.filter((key) => !arrays.includes(key)), n = k.length;
  return (a, b) => {
    if (n > 0 && a[k[0]!] !== b[k[0]!]) return false;
    if (n > 1 && a[k[1]!] !== b[k[1]!]) return false;
    if (n > 2 && a[k[2]!] !== b[k[2]!]) return false;
    if (n > 3 && a[k[3]!] !== b[k[3]!]) return false;
    if (n > 4 && a[k[4]!] !== b[k[4]!]) return false;
    if (n > 5 && a[k[5]!] !== b[k[5]!]) return false;
    if (n > 6 && a[k[6]!] !== b[k[6]!]) return false;
    if (n > 7 && a[k[7]!] !== b[k[7]!]) return false;
    if (n > 8 && a[k[8]!] !== b[k[8]!]) return false;
    if (n > 9 && a[k[9]!] !== b[k[9]!]) return false;
    if (n > 10 && a[k[10]!] !== b[k[10]!]) return false;
    if (n > 11 && a[k[11]!] !== b[k[11]!]) return false;
    if (n > 12 && a[k[12]!] !== b[k[12]!]) return false;
    if (n > 13 && a[k[13]!] !== b[k[13]!]) return false;
    if (n > 14 && a[k[14]!] !== b[k[14]!]) return false;
    if (n > 15 && a[k[15]!] !== b[k[15]!]) return false;
    for (let i = 16; i < n; i++) if (a[k[i]!] !== b[k[i]!]) return false;
    for (let i = 0; i < arrays.length; i++) if (!sameValue(a[arrays[i]!], b[arrays[i]!])) return false;
    return true;
  };
}
