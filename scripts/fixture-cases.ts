// Writes test/fixtures/cases.json: the fixture generator's case list (scripts/gen-fixtures.py reads it),
// derived from the registry's cases files (test/optim/<id>.cases.ts). test/meta.test.ts fails when the
// committed file is out of date. Run: npx tsx scripts/fixture-cases.ts
import { writeFileSync } from "node:fs";
import { fixtureCaseList } from "../test/registry.js";

export function render(): string {
  return `${JSON.stringify({ generator: "scripts/fixture-cases.ts", cases: fixtureCaseList() }, null, 1)}\n`;
}

if (process.argv[1]?.endsWith("fixture-cases.ts")) {
  writeFileSync(new URL("../test/fixtures/cases.json", import.meta.url), render());
  console.log("wrote test/fixtures/cases.json");
}
