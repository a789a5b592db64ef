// The code blocks of the documentation (README.md and docs/**/*.md), with their info-string attributes and the
// output each shows: what test/docs-blocks.test.ts type-checks and runs, and what the runtime matrix
// (test/runtimes/run.mjs) runs in other runtimes. The conventions: docs/design.md, "Documentation tests".
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

export const LANGS = new Set(["ts", "typescript", "js", "javascript", "mjs"]);
export const KNOWN = new Set(["setup", "runtime", "run", "reason", "pending", "file"]);

export interface Block {
  file: string; line: number; lang: string; code: string; attrs: Record<string, string>; expected?: string;
}

/** A block that is run, with the blocks marked `file=NAME` after it (before the next program): its other files. */
export interface Program extends Block {
  files: Block[];
}

/** The runtimes a block names (`runtime=deno,bun`); none for Node. */
export const runtimesOf = (b: Block): string[] => b.attrs.runtime?.split(",") ?? [];

/**
 * The documentation's programs: each block not marked `file=`, with the `file=NAME` blocks that follow it in the
 * same Markdown file (a worker's script), which are written next to it as NAME. A `file=` block with no program
 * before it is an error.
 */
export function programs(all: Block[]): Program[] {
  const found: Program[] = [];
  for (const b of all) {
    if (b.attrs.file === undefined) found.push({ ...b, files: [] });
    else if (found.at(-1)?.file === b.file) found.at(-1)!.files.push(b);
    else throw new Error(`${b.file}:${b.line}: file=${b.attrs.file} follows no program block in ${b.file}`);
  }
  return found;
}

/** The attributes of an info string after the language: `key=value` or `key="a value"`. */
export function attributes(info: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const m of info.matchAll(/(\w+)=(?:"([^"]*)"|(\S+))/g)) attrs[m[1]!] = m[2] ?? m[3]!;
  return attrs;
}

/** The code blocks of a Markdown text, each with the output block that follows it, if any. */
export function blocks(file: string, text: string): Block[] {
  const lines = text.split("\n");
  const fences: { line: number; info: string; body: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,})(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && l.trim() === open[2]);
    if (end < 0) throw new Error(`${file}:${i + 1}: a code block that is never closed`);
    fences.push({ line: i + 1, info: open[3]!.trim(), body: lines.slice(i + 1, end).map((l) => l.slice(open[1]!.length)).join("\n") });
    i = end;
  }
  const found: Block[] = [];
  fences.forEach((f, k) => {
    const lang = f.info.split(/\s/)[0]!;
    if (!LANGS.has(lang)) return;
    const next = fences[k + 1];
    const between = next ? lines.slice(f.line, next.line - 1).join("\n") : "";
    const followed = next && next.info === "text output" && between.split("```").slice(-1)[0]!.trim() === "";
    found.push({ file, line: f.line, lang, code: f.body, attrs: attributes(f.info.slice(lang.length)), expected: followed ? next.body : undefined });
  });
  return found;
}

export function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? markdownFiles(join(dir, d.name)) : d.name.endsWith(".md") ? [join(dir, d.name)] : []);
}

/** Every block of README.md and the guides under docs/, found (not listed). */
export function documentationBlocks(root: string): Block[] {
  return [join(root, "README.md"), ...markdownFiles(join(root, "docs"))]
    .flatMap((f) => blocks(relative(root, f), readFileSync(f, "utf8")));
}
