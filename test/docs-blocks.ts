// The code blocks of the documentation (README.md and docs/**/*.md), with their info-string attributes and the
// output each shows: what test/docs-blocks.test.ts type-checks and runs, and what the runtime matrix
// (test/runtimes/run.mjs) runs in other runtimes. The conventions: docs/design.md, "Documentation tests".
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

/** The runtimes a block may name, and what runs blocks of that kind. */
export const RUNTIMES: Record<string, string> = {
  deno: "Deno: the runtime matrix's docs-deno row runs it (test/runtimes/run.mjs)",
  browser: "a browser; not run as written: the matrix's chromium rows run the same calls (import map, no bundler)",
  workers: "Cloudflare Workers; not run as written: the matrix's workerd and wrangler rows run the same calls in a worker",
  next: "a Next.js route handler; not run as written: the matrix's next rows run the same calls in Node and Edge routes",
  webgpu: "WebGPU; not run as written: the WebGPU backend's own tests run the same calls",
};
export const LANGS = new Set(["ts", "typescript", "js", "javascript", "mjs"]);
export const KNOWN = new Set(["setup", "runtime", "run", "reason", "pending"]);

export interface Block {
  file: string; line: number; lang: string; code: string; attrs: Record<string, string>; expected?: string;
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
