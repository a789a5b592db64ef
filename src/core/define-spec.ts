// What an OptimizerSpec's options and name imply, written once for every optimizer: the rule of each option that
// every optimizer means alike (by its name: lr, betas, eps, ...), `bool` for every boolean option, `lowp` (the
// spec has the option stateDtype), the kernel's name and `hasStep`. A spec lists only the rules of its own options and of the shared names it
// checks otherwise (Adan's triple betas): the same rule functions, so the same messages.
import { bool, nonNegative, pair, type Rule } from "./options.js";
import { stateDtypeRule, stochasticRoundingRule } from "./lowp.js";
import type { OptimizerSpec } from "./spec.js";

/** The rule of an option by its name, for every optimizer that has the option and gives no rule of its own. */
export const SHARED_RULES: Readonly<Record<string, Rule>> = {
  lr: nonNegative, betas: pair(["beta1", "beta2"], (x) => x >= 0 && x < 1, "0 <= {} < 1"), eps: nonNegative,
  epsRoot: nonNegative, weightDecay: nonNegative, lrDecay: nonNegative, momentum: nonNegative,
  stateDtype: stateDtypeRule, stochasticRounding: stochasticRoundingRule,
};

/**
 * An OptimizerSpec as written: `rules` only for what SHARED_RULES and booleans do not cover; no `lowp`; `kernel`
 * by default the name in lower case + `_f32` (the Wasm export of assembly/optim/<id>.ts); `hasStep` by default true.
 */
export type SpecInput<O> = Omit<OptimizerSpec<O>, "rules" | "lowp" | "kernel" | "hasStep"> &
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
  return { kernel: `${spec.name.toLowerCase()}_f32`, hasStep: true, ...spec, rules, lowp: Object.hasOwn(spec.defaults as object, "stateDtype") } as OptimizerSpec<O>;
}
