// The README's per-optimizer lists follow the registry: what scripts/docs-tables.ts generates between markers
// (the optimizer table, the optimizers with low-precision state) is up to date, and the hand-written notes
// table has one row per registry optimizer.
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { OPTIMIZERS } from "../src/optim/index.js";
import { END, render, START } from "../scripts/docs-tables.js";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");

it("the README's optimizer table and low-precision list are the registry's (else: npm run docs:tables)", () => {
  expect(readme).toContain(START);
  expect(render(readme)).toBe(readme);
});

it("the generated table changes with the registry: a stale table is seen", () => {
  const stale = readme.replace(/(<!-- optimizers:start -->[^]*?\| `Adam` \|[^|]*\|[^|]*\| `lr`) 1e-3/, "$1 1e-2");
  expect(stale).not.toBe(readme);
  expect(render(stale)).toBe(readme);
  expect(() => render(readme.replace(END, ""))).toThrow(/no <!-- optimizers:start --> \.\.\. <!-- optimizers:end --> markers/);
});

it("the notes table below it has one row per registry optimizer, in registry order, then Lookahead (the wrapper)", () => {
  const notes = readme.slice(readme.indexOf(END));
  const header = notes.indexOf("| optimizer | reference |");
  const lines = notes.slice(header).split("\n").slice(2);
  const rows = lines.slice(0, lines.findIndex((l) => !l.startsWith("|")));
  const names = rows.map((l) => /^\| `(\w+)`/.exec(l)?.[1]);
  expect(names).toEqual([...OPTIMIZERS.map((e) => e.spec.name), "Lookahead"]);
});
