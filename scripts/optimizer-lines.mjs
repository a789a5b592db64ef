// `node scripts/optimizer-lines.mjs adopt`: what adding optimizer <id> cost in hand-written lines, per file of the
// documented path (CONTRIBUTING.md, "How to add an optimizer"), non-blank lines split into code and comment
// lines (a line that is only a comment: //, /* ... */ and doc-comment lines, in TS, WGSL or C). The registry's
// lines are counted by the lines of src/optim/index.ts that name the id or its class.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
const id = process.argv[2];
if (!id) throw new Error("usage: node scripts/optimizer-lines.mjs <id>");
const FILES = [`assembly/optim/${id}.ts`, `src/optim/${id}.ts`, `src/optim/${id}.reference.ts`, `src/optim/${id}.wgsl.ts`,
  `test/optim/${id}.cases.ts`, `bench/optim/${id}.bench.ts`];

/** Non-blank lines of `text`: [code, comment]. */
export function count(text) {
  let code = 0, comment = 0, block = false;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line) continue;
    if (block || line.startsWith("//") || line.startsWith("/*") || line.startsWith("*")) comment++;
    else code++;
    if (line.startsWith("/*") || block) block = !line.includes("*/");
  }
  return [code, comment];
}

const rows = FILES.filter((f) => existsSync(join(root, f))).map((f) => [f, ...count(readFileSync(join(root, f), "utf8"))]);
const index = readFileSync(join(root, "src/optim/index.ts"), "utf8").split("\n");
const spec = readFileSync(join(root, `src/optim/${id}.ts`), "utf8");
const cls = /export class (\w+)/.exec(spec)?.[1];
const registry = index.filter((l) => l.includes(`"./${id}.js"`) || l.includes(`id: "${id}"`)).length;
rows.push(["src/optim/index.ts (registry lines)", registry, 0]);
const total = rows.reduce((a, r) => [a[0] + r[1], a[1] + r[2]], [0, 0]);
for (const [f, c, k] of rows) console.log(`${String(c).padStart(4)} code ${String(k).padStart(4)} comment  ${f}`);
console.log(`${String(total[0]).padStart(4)} code ${String(total[1]).padStart(4)} comment  ${rows.length - 1} files + the registry (${total[0] + total[1]} lines; class ${cls})`);
