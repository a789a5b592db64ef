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

/** The names sameOptions compares at sites of their own. */
type Sixteen = readonly [string, string, string, string, string, string, string, string, string, string, string, string, string, string, string, string];

/**
 * OptimizerSpec.same for options named as `defaults`' keys: each by `===`, an array (default) element-wise. step()
 * calls it on every call: each of the first 16 scalar options is compared at load sites of its own, with its
 * name in a constant of its own, because V8 loads a number unboxed (and fast) only at a site that sees one name
 * on one map, while one site for every name boxes each number it reads (16 B of heap per option per step:
 * bench/heap.ts). Names past the last option are "" (no option's: undefined on both sides); options past the
 * 16th share one site (correct, but they may box).
 */
function sameOptions(defaults: object): (a: Options, b: Options) => boolean {
  const keys = Object.keys(defaults), arrays = keys.filter((k) => Array.isArray((defaults as Options)[k]));
  const k = keys.filter((key) => !arrays.includes(key));
  const [k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, k10, k11, k12, k13, k14, k15] = Array.from({ length: 16 }, (_, i) => k[i] ?? "") as unknown as Sixteen;
  return (a, b) => {
    if (a[k0] !== b[k0]) return false;
    if (a[k1] !== b[k1]) return false;
    if (a[k2] !== b[k2]) return false;
    if (a[k3] !== b[k3]) return false;
    if (a[k4] !== b[k4]) return false;
    if (a[k5] !== b[k5]) return false;
    if (a[k6] !== b[k6]) return false;
    if (a[k7] !== b[k7]) return false;
    if (a[k8] !== b[k8]) return false;
    if (a[k9] !== b[k9]) return false;
    if (a[k10] !== b[k10]) return false;
    if (a[k11] !== b[k11]) return false;
    if (a[k12] !== b[k12]) return false;
    if (a[k13] !== b[k13]) return false;
    if (a[k14] !== b[k14]) return false;
    if (a[k15] !== b[k15]) return false;
    for (let i = 16; i < k.length; i++) if (a[k[i]!] !== b[k[i]!]) return false;
    for (let i = 0; i < arrays.length; i++) if (!sameValue(a[arrays[i]!], b[arrays[i]!])) return false;
    return true;
  };
}
