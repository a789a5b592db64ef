// The test side of the registry: every optimizer of src/optim/index.ts with its cases file
// (test/optim/<id>.cases.ts). The suites in test/suites/ loop over REGISTRY; a new optimizer gets parity,
// conformance, errors, state-dict/resume and identity tests by adding its registry line and cases file.
import { existsSync } from "node:fs";
import { isDeepStrictEqual } from "node:util";
import { type ClosureEntry, OPTIMIZERS, type OptimizerClass, stepOptimizers, type StepEntry } from "../src/optim/index.js";
import type { ClosureCases, ClosureFixtureCase, Config, FixtureCase, OptimizerCases } from "./optim/types.js";

export interface RegistryCases extends StepEntry {
  /** The class name (PyTorch's). */
  name: string;
  /** The cases file's, with `configs` as the suites run them (registryConfigs, then lowpConfigs). */
  cases: OptimizerCases & { configs: Config[] };
}

/** A closure-kind entry (LBFGS) with its cases: test/suites/closure.test.ts runs them. */
export interface ClosureRegistryCases extends ClosureEntry {
  name: string;
  cases: ClosureCases;
}

/** Registry entries whose cases file is missing (the meta test fails on any). */
export const MISSING_CASES: string[] = [];

export const REGISTRY: RegistryCases[] = [];
export const CLOSURE_REGISTRY: ClosureRegistryCases[] = [];
for (const e of OPTIMIZERS) {
  const file = new URL(`./optim/${e.id}.cases.ts`, import.meta.url);
  if (!existsSync(file)) {
    MISSING_CASES.push(e.id);
    continue;
  }
  if (e.kind === "closure") {
    const { cases } = (await import(`./optim/${e.id}.cases.ts`)) as { cases: ClosureCases };
    CLOSURE_REGISTRY.push({ ...e, name: e.spec.name, cases });
    continue;
  }
  const { cases } = (await import(`./optim/${e.id}.cases.ts`)) as { cases: OptimizerCases };
  const configs = registryConfigs(cases);
  REGISTRY.push({ ...e, name: e.spec.name, cases: { ...cases, configs: [...configs, ...lowpConfigs(e.spec, configs)] } });
}

/**
 * The configs every suite runs for a cases file: its `configs`, "defaults" (options {}) unless listed, then the
 * options of each fixture that no earlier config has (`fixture: {...}`). A cases file lists in `configs` only
 * what its fixtures do not cover.
 */
export function registryConfigs(cases: Pick<OptimizerCases, "configs" | "fixtures">): Config[] {
  const out: Config[] = [];
  const add = (c: Config) => { if (!out.some((o) => isDeepStrictEqual(o.options, c.options))) out.push(c); };
  for (const c of cases.configs ?? []) add(c);
  add({ desc: "defaults", options: {} });
  for (const f of cases.fixtures) add({ desc: `fixture: ${JSON.stringify(f.options)}`, options: f.options });
  return out;
}

/**
 * The low-precision configs of an optimizer with `lowp` whose cases list none of their own: its first config
 * (the fast paths) in bf16, in stochastic bf16 (when it has stochasticRounding) and in int8, and its "all"
 * config (else the first with the most options) in int8. A cases file lists its own where a path needs them
 * (SGD without momentum).
 */
export function lowpConfigs(spec: { lowp?: boolean; defaults: object }, configs: readonly Config[]): Config[] {
  if (!spec.lowp || configs.some((c) => c.options.stateDtype !== undefined)) return [];
  const size = (c: Config) => Object.keys(c.options).length;
  const first = configs[0]!, all = configs.find((c) => c.desc === "all") ?? configs.reduce((a, c) => (size(c) > size(a) ? c : a));
  return [
    { desc: `${first.desc}, bf16 state`, options: { ...first.options, stateDtype: "bf16" } },
    ...Object.hasOwn(spec.defaults, "stochasticRounding") ? [{ desc: `${first.desc}, bf16 state, stochastic rounding`, options: { ...first.options, stateDtype: "bf16", stochasticRounding: 17 } }] : [],
    { desc: `${first.desc}, int8 state`, options: { ...first.options, stateDtype: "int8" } },
    { desc: `${all.desc}, int8 state`, options: { ...all.options, stateDtype: "int8" } },
  ];
}

/** A registry class by its name. */
export function classOf(name: string): OptimizerClass {
  const e = stepOptimizers().find((x) => x.spec.name === name);
  if (!e) throw new Error(`no optimizer named ${name} in the registry`);
  return e.cls;
}

/** The fixture generator's case list (test/fixtures/cases.json is this, written by scripts/fixture-cases.ts). */
export function fixtureCaseList(): Array<(FixtureCase | ClosureFixtureCase) & { optimizer: string }> {
  return [
    ...REGISTRY.flatMap((e) => e.cases.fixtures.map((f) => ({ optimizer: e.name, ...f }))),
    ...CLOSURE_REGISTRY.flatMap((e) => e.cases.fixtures.map((f) => ({ optimizer: e.name, ...f }))),
  ];
}

/** The step optimizers' fixture cases (the conformance suite's; closure cases have their own check). */
export function stepFixtureCaseList(): Array<FixtureCase & { optimizer: string }> {
  return REGISTRY.flatMap((e) => e.cases.fixtures.map((f) => ({ optimizer: e.name, ...f })));
}
