// The documentation's per-optimizer parts follow the registry: what scripts/docs-tables.ts generates between
// markers (the README's optimizer table, docs/optimizers.md's section per class, docs/low-precision.md's list) is
// up to date, the hand-written reference table has one row per registry optimizer, and every option of every
// class has a meaning.
import { expect, it } from "vitest";
import { OPTIMIZERS } from "../src/optim/index.js";
import { CLASSES_END, END, MEANINGS, options, read, render, TARGETS, updateRule } from "../scripts/docs-tables.js";

it.each(TARGETS)("the generated parts of %s are the registry's (else: npm run docs:tables)", (file) => {
  const text = read(file);
  expect(render(file, text)).toBe(text);
});

it("a stale part is seen: the generator rewrites it, and a file without markers is refused", () => {
  const readme = read("README.md");
  const stale = readme.replace(/(<!-- optimizers:start -->[^]*?\| `Adam` \|[^|]*\|[^|]*\| `lr`) 1e-3/, "$1 1e-2");
  expect(stale).not.toBe(readme);
  expect(render("README.md", stale)).toBe(readme);
  expect(() => render("README.md", readme.replace(END, ""))).toThrow(/no <!-- optimizers:start --> \.\.\. <!-- optimizers:end --> markers/);
  const doc = read("docs/optimizers.md");
  const edited = doc.replace(/(### Adam\n[^]*?\| `lr` \| )1e-3/, "$11e-2");
  expect(edited).not.toBe(doc);
  expect(render("docs/optimizers.md", edited)).toBe(doc);
  expect(() => render("docs/optimizers.md", doc.replace(CLASSES_END, ""))).toThrow(/markers/);
});

it("the reference table of docs/optimizers.md has one row per registry optimizer, in registry order, then Lookahead", () => {
  const doc = read("docs/optimizers.md");
  const lines = doc.slice(doc.indexOf("| optimizer | reference |")).split("\n").slice(2);
  const rows = lines.slice(0, lines.findIndex((l) => !l.startsWith("|")));
  expect(rows.map((l) => /^\| `(\w+)`/.exec(l)?.[1])).toEqual([...OPTIMIZERS.map((e) => e.spec.name), "Lookahead"]);
});

it("every option of every class has a meaning, and an option without one is named", () => {
  for (const e of OPTIMIZERS) for (const o of options(e)) expect(o.meaning, `${e.spec.name}.${o.name}`).not.toBe("");
  const lr = MEANINGS.lr!;
  delete MEANINGS.lr;
  try {
    expect(() => options(OPTIMIZERS.find((e) => e.spec.name === "Yogi")!)).toThrow(/Yogi: option lr has no meaning/);
  } finally { MEANINGS.lr = lr; }
});

it("the update rule is the source's header comment: equations fenced, the @example left out", () => {
  const md = updateRule("/**\n * Foo, after Bar.\n *\n *   θ ← θ − γg\n *\n * @example\n * x\n */\n");
  expect(md).toBe("Foo, after Bar.\n\n```text\n  θ ← θ − γg\n```");
});
