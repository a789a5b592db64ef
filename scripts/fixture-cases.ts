// Writes test/fixtures/cases.json: the fixture generator's case list (scripts/gen-fixtures.py reads it),
// derived from the registry's cases files (test/optim/<id>.cases.ts), the defaults of every optimizer
// with a fixture case, from its spec (the options a case leaves out), and the Optax calls the cases files
// declare (`optax`, with the arguments and state every Optax call shares: optaxCall). test/meta.test.ts fails when the
// committed file is out of date. Run: npx tsx scripts/fixture-cases.ts
import { writeFileSync } from "node:fs";
import { OPTIMIZERS } from "../src/optim/index.js";
import { fixtureCaseList, REGISTRY } from "../test/registry.js";
import { optaxCall } from "../test/optim/types.js";

export function render(): string {
  const cases = fixtureCaseList();
  const defaults = Object.fromEntries(OPTIMIZERS.filter((e) => cases.some((c) => c.optimizer === e.spec.name))
    .map((e) => [e.spec.name, e.spec.defaults]));
  const optax = Object.fromEntries(REGISTRY.filter((e) => e.cases.optax).map((e) => [e.name, optaxCall(e.spec.defaults, e.cases.optax!)]));
  return `${JSON.stringify({ generator: "scripts/fixture-cases.ts", defaults, optax, cases }, null, 1)}\n`;
}

if (process.argv[1]?.endsWith("fixture-cases.ts")) {
  writeFileSync(new URL("../test/fixtures/cases.json", import.meta.url), render());
  console.log("wrote test/fixtures/cases.json");
}
