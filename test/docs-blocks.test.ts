// Every TypeScript/JavaScript block of README.md and docs/**/*.md (found, not listed) is type-checked against the
// package's published types (`import ... from "gradstep"` resolves to dist/ through the package's own exports)
// and run in a Node process of its own, and the output a block shows (a ```text output block right after it) is
// compared line for line. The conventions (info-string attributes) are in docs/design.md, "Documentation tests":
//   setup=NAME       test/docs-setup/NAME.ts is prepended (a model, data, a backward pass)
//   file=NAME        written as NAME beside the program block before it (a worker's script), not run on its own
//   runtime=A,B      for other runtimes: type-checked here, run by the runtime matrix's rows docs-A, docs-B
//                    (test/runtimes/docs.mjs); a runtime with no row fails here
//   run=false        type-checked, not run; needs reason="..." (none left: every block runs)
//   pending="why"    neither (the API it shows is not in this tree yet); listed with the reason
// Nothing is skipped silently: the last test prints every block not run here, with what runs it, and fails on a
// block whose attributes it does not know.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { beforeAll, describe, expect, it } from "vitest";
import { type Block, blocks, documentationBlocks, KNOWN, type Program, programs, runtimesOf } from "./docs-blocks.js";
import { DOC_RUNTIMES } from "./runtimes/docs.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
// Under build/ (git-ignored) so that "gradstep" resolves to this package by its name, and tsx and the
// devDependencies from the root's node_modules.
const out = join(root, "build", "docs-blocks");

const all = documentationBlocks(root);
const where = (b: Block) => `${b.file}:${b.line}`;
const slug = (b: Block) => `${b.file.replace(/[^\w]+/g, "_")}_${b.line}`;
const ext = (b: Block) => (b.lang.startsWith("j") || b.lang === "mjs" ? "mjs" : "mts");
const every = programs(all);
const compiled = every.filter((p) => !p.attrs.pending);
const runs = compiled.filter((b) => !b.attrs.runtime && b.attrs.run !== "false");
/** Where a block is written: a program as block.EXT in its own folder, its `file=` blocks beside it. */
const written = compiled.flatMap((p) => [p, ...p.files].map((b) => ({ b, offset: 0, path: join(out, slug(p), b.attrs.file ?? `block.${ext(b)}`) })));

/** A block's source as it is checked and run: its setup first, if any. */
function source(b: Block): { text: string; offset: number } {
  if (!b.attrs.setup) return { text: b.code, offset: 0 };
  const setup = readFileSync(join(root, "test", "docs-setup", `${b.attrs.setup}.ts`), "utf8");
  return { text: `${setup}\n${b.code}\n`, offset: setup.split("\n").length };
}

// A block using WebGPU in Node (the npm `webgpu` package, Dawn) gets SwiftShader's Vulkan driver, which Debian's
// chromium package ships, as the WebGPU tests do, where no driver is named.
const SWIFTSHADER = "/usr/lib/chromium/vk_swiftshader_icd.json";
const ENV = {
  ...process.env, NODE_NO_WARNINGS: "1", XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? tmpdir(),
  ...(process.env.VK_ICD_FILENAMES === undefined && existsSync(SWIFTSHADER) ? { VK_ICD_FILENAMES: SWIFTSHADER } : {}),
};

function run(file: string, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", file], { cwd, env: ENV });
    let stdout = "", stderr = "";
    child.stdout.on("data", (d) => { stdout += d; });
    child.stderr.on("data", (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill(), 100_000);
    child.on("exit", (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

beforeAll(() => {
  rmSync(out, { recursive: true, force: true });
  for (const p of compiled) mkdirSync(join(out, slug(p)), { recursive: true });
  for (const w of written) {
    const { text, offset } = source(w.b);
    writeFileSync(w.path, text);
    w.offset = offset;
  }
});

it("finds the blocks of README.md and every guide in docs/, and knows every attribute they use", () => {
  expect(all.filter((b) => b.file === "README.md").length).toBeGreaterThan(5);
  for (const b of all) {
    for (const k of Object.keys(b.attrs)) expect(KNOWN.has(k), `${where(b)}: unknown attribute ${k}`).toBe(true);
    for (const r of runtimesOf(b)) expect(DOC_RUNTIMES[r], `${where(b)}: no runtime matrix row runs runtime=${r} (test/runtimes/docs.mjs)`).toBeDefined();
    if (b.attrs.run === "false") expect(b.attrs.reason, `${where(b)}: run=false needs reason="..."`).toBeTruthy();
    if (b.attrs.run !== undefined) expect(b.attrs.run, where(b)).toBe("false");
    // A program's other file takes its program's setup and runtime; its name decides how it is loaded.
    if (b.attrs.file !== undefined) {
      expect(Object.keys(b.attrs), `${where(b)}: a file= block has no other attribute`).toEqual(["file"]);
      expect(b.attrs.file, where(b)).toMatch(/^[\w-]+\.(m?js|m?ts)$/);
    }
  }
  for (const p of compiled) expect(new Set(p.files.map((f) => f.attrs.file)).size, `${where(p)}: two files of the same name`).toBe(p.files.length);
});

it("type-checks every block against the package's types", () => {
  const program = ts.createProgram(written.map((w) => w.path), {
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ["lib.es2022.d.ts", "lib.dom.d.ts"], types: ["node"], strict: true, noEmit: true, skipLibCheck: true,
    allowJs: true, checkJs: true,
  });
  const errors = ts.getPreEmitDiagnostics(program).map((d) => {
    const w = d.file && written.find((x) => x.path === d.file!.fileName);
    const message = ts.flattenDiagnosticMessageText(d.messageText, "\n");
    if (!w || !d.file || d.start === undefined) return message;
    const line = d.file.getLineAndCharacterOfPosition(d.start).line - w.offset;
    return `${w.b.file}:${w.b.line + 1 + line}: ${message}`;
  });
  expect(errors).toEqual([]);
});

describe.concurrent("runs every block for Node and compares the output it shows", () => {
  it.each(runs.map((b) => [where(b), b] as const))("%s", async (_, b) => {
    const r = await run(`block.${ext(b)}`, join(out, slug(b)));
    expect(r.code, `${where(b)} failed:\n${r.stderr}`).toBe(0);
    if (b.expected !== undefined) expect(r.stdout.trimEnd().split("\n")).toEqual(b.expected.trimEnd().split("\n"));
  });
});

it("lists every program not run here, with what runs it", () => {
  const notRun = every.filter((p) => !runs.includes(p)).map((p) => `${where(p)}${p.files.length ? ` (with ${p.files.map((f) => f.attrs.file).join(", ")})` : ""}: ${
    p.attrs.pending ? `pending: ${p.attrs.pending}`
      : p.attrs.runtime ? runtimesOf(p).map((r) => `the runtime matrix's row docs-${r} (${DOC_RUNTIMES[r]})`).join("; ") : p.attrs.reason}`);
  console.log(`documentation programs: ${compiled.length}, run here ${runs.length}; the others:\n  ${notRun.join("\n  ")}`);
  for (const line of notRun) expect(line).not.toMatch(/: (undefined)?$/);
});

it("reads info strings, setups and shown outputs as documented", () => {
  const md = "x\n```ts setup=regression\na()\n```\n\n```text output\n1\n```\n```js runtime=deno reason=\"a b\"\nb()\n```\n```sh\nc\n```\n";
  const [one, two] = blocks("x.md", md);
  expect(one).toEqual({ file: "x.md", line: 2, lang: "ts", code: "a()", attrs: { setup: "regression" }, expected: "1" });
  expect(two).toEqual({ file: "x.md", line: 9, lang: "js", code: "b()", attrs: { runtime: "deno", reason: "a b" }, expected: undefined });
  expect(blocks("x.md", md).length).toBe(2);
  expect(() => blocks("x.md", "```ts\nopen")).toThrow(/never closed/);
});
