// The documentation's per-optimizer parts follow the registry: what scripts/docs-tables.ts generates between
// markers (the README's optimizer table, docs/optimizers.md's section per class, docs/low-precision.md's list) is
// up to date, the hand-written reference table has one row per registry optimizer, and every option of every
// class has a meaning.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
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
    // AdamW inherits lr from Adam's interface (not read here): its meaning comes from MEANINGS.
    expect(() => options(OPTIMIZERS.find((e) => e.spec.name === "AdamW")!)).toThrow(/AdamW: option lr has no meaning/);
  } finally { MEANINGS.lr = lr; }
});

it("the update rule is the source's header comment: equations fenced, the @example left out", () => {
  const md = updateRule("/**\n * Foo, after Bar.\n *\n *   θ ← θ − γg\n *\n * @example\n * x\n */\n");
  expect(md).toBe("Foo, after Bar.\n\n```text\n  θ ← θ − γg\n```");
});

it("an optimizer's update rule is its class's doc comment, after the imports (where editors show it on hover)", () => {
  const source = 'import { x } from "./x.js";\n\n/** Other. */\nexport const y = 1;\n\n/**\n * Foo.\n *\n *   θ ← θ − γg\n */\nexport class Foo {}\n';
  expect(updateRule(source, "Foo")).toBe("Foo.\n\n```text\n  θ ← θ − γg\n```");
  expect(() => updateRule(source, "Bar")).toThrow(/no Bar class comment/);
});

// Links between the guides: every relative link of README.md, CONTRIBUTING.md and docs/ names a file that
// exists, and every #anchor a heading of the target (GitHub's slugs). The guides the distributed and WebGPU
// work adds are linked before they land.
const LANDING = new Set(["docs/distributed.md", "docs/webgpu.md"]);

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export const slug = (heading: string) => heading.toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replace(/ /g, "-");

function markdown(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? markdown(join(dir, d.name)) : d.name.endsWith(".md") ? [join(dir, d.name)] : []);
}
const root = fileURLToPath(new URL("..", import.meta.url));
const anchors = (file: string) => new Set(readFileSync(join(root, file), "utf8").replace(/^```[^]*?^```/gm, "")
  .split("\n").filter((l) => /^#{1,6} /.test(l)).map((l) => slug(l.replace(/^#+ /, ""))));

it("every relative link of the documentation reaches an existing file and heading", () => {
  const broken: string[] = [];
  for (const file of ["README.md", "CONTRIBUTING.md", ...markdown("docs")]) {
    const text = readFileSync(join(root, file), "utf8").replace(/^```[^]*?^```/gm, "");
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue;
      const [path, anchor] = target!.split("#");
      const to = path ? normalize(join(dirname(file), path)) : file;
      if (LANDING.has(to) && !existsSync(join(root, to))) continue;
      if (!existsSync(join(root, to))) broken.push(`${file}: ${target} (no file ${to})`);
      else if (anchor && to.endsWith(".md") && !anchors(to).has(anchor)) broken.push(`${file}: ${target} (no heading #${anchor} in ${to})`);
    }
  }
  expect(broken).toEqual([]);
});

it("heading anchors are GitHub's", () => {
  expect(slug("Loss scaling (`GradScaler`)")).toBe("loss-scaling-gradscaler");
  expect(slug("`init(options?) → Promise<BackendInfo>`")).toBe("initoptions--promisebackendinfo");
  expect(slug("Clipping, accumulation and NaN gradients")).toBe("clipping-accumulation-and-nan-gradients");
});

it("the README names the file `npm start` runs, and the demo's last line is one that program prints", () => {
  const readme = read("README.md");
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> };
  const file = /`npm start` runs\s+\[`(examples\/[\w-]+\.ts)`\]/.exec(readme)?.[1];
  expect(file).toBeDefined();
  expect(pkg.scripts.start).toContain(file);
  const quoted = /It ends with\s+`([^`]+)`/.exec(readme)?.[1]?.replace(/\s+/g, " ");
  const source = readFileSync(join(root, file!), "utf8");
  const printed = [...source.matchAll(/console\.log\(`((?:[^`\\]|\\.)*)`\)/g)].map((m) => m[1]!.replace(/^\\n/, ""))
    .filter((t) => t.replace(/\$\{[^}]*\}/g, "").trim().length >= 10);   // lines with words of their own, not `${run.name}`
  const pattern = (template: string) => new RegExp(`^${template.split(/\$\{[^}]*\}/).map((s) => s.replace(/[.*+?^$()|[\]\\]/g, "\\$&")).join(".+?")}$`);
  expect(printed.some((t) => pattern(t).test(quoted!)), quoted).toBe(true);
});

it("the README stays within 300 lines (wc -l), as its restructuring set", () => {
  expect(read("README.md").split("\n").length - 1).toBeLessThanOrEqual(300);
});
