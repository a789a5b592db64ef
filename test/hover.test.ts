// What an editor shows on hover, asked of the TypeScript language service over the shipped declarations
// (dist/**/*.d.ts, `npm run build`), the way a consumer's editor resolves `import ... from "gradstep"`: every
// class each package entry exports, and every option of every registry optimizer written in an options literal
// (`new Adam(params, { lr: ... })`), must show documentation. A class or an option added without a doc comment
// fails here with its name.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";
import { OPTIMIZERS } from "../src/optim/index.js";

const root = join(import.meta.dirname, "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { exports: Record<string, unknown> };
/** The package's entries with types (".", "./tfjs", ...), as a consumer imports them. */
const ENTRIES = Object.entries(pkg.exports)
  .filter(([k, v]) => k !== "./embedded" && typeof v === "object" && v !== null && "types" in v)
  .map(([k, v]) => ({ specifier: k === "." ? "gradstep" : `gradstep/${k.slice(2)}`, types: (v as { types: string }).types }));

const scratch = mkdtempSync(join(tmpdir(), "gradstep-hover-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
// The consumer resolves "gradstep" through node_modules to this checkout: its package.json exports and dist/.
mkdirSync(join(scratch, "node_modules"));
symlinkSync(root, join(scratch, "node_modules", "gradstep"), "dir");

/** A language service over one consumer file `text` (strict, Node16 resolution, as a TypeScript user's project). */
function service(text: string): { ls: ts.LanguageService; file: string } {
  const file = join(scratch, "consumer.ts");
  writeFileSync(file, text);
  const options: ts.CompilerOptions = {
    strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16, skipLibCheck: true, types: [],
  };
  writeFileSync(join(scratch, "package.json"), JSON.stringify({ type: "module" }));
  const host: ts.LanguageServiceHost = {
    getScriptFileNames: () => [file],
    getScriptVersion: () => "1",
    getScriptSnapshot: (f) => (existsSync(f) ? ts.ScriptSnapshot.fromString(readFileSync(f, "utf8")) : undefined),
    getCurrentDirectory: () => scratch,
    getCompilationSettings: () => options,
    getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
    fileExists: ts.sys.fileExists, readFile: ts.sys.readFile, readDirectory: ts.sys.readDirectory,
    directoryExists: ts.sys.directoryExists, getDirectories: ts.sys.getDirectories, realpath: ts.sys.realpath,
  };
  return { ls: ts.createLanguageService(host, ts.createDocumentRegistry()), file };
}

/** The text a hover shows below the signature at `pos` (empty when the symbol has no doc comment). */
function hoverDoc(ls: ts.LanguageService, file: string, pos: number): string {
  const info = ls.getQuickInfoAtPosition(file, pos);
  return ts.displayPartsToString(info?.documentation ?? []).trim();
}

/** `names` written in `text` at marked places (`/*@name*\/`), each hovered; returns the names with no documentation. */
function undocumented(text: string): { missing: string[]; asked: number } {
  const { ls, file } = service(text);
  const errors = ls.getSemanticDiagnostics(file).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
  expect(errors, "the consumer file type-checks against dist/*.d.ts").toEqual([]);
  const missing: string[] = [];
  let asked = 0;
  for (const m of text.matchAll(/\/\*@([^*]+)\*\/(\w+)/g)) {
    asked++;
    if (!hoverDoc(ls, file, m.index + m[0].length - m[2]!.length)) missing.push(m[1]!);
  }
  return { missing, asked };
}

/** The exported classes of each entry, found by the type checker in the entry's .d.ts. */
function exportedClasses(): { specifier: string; name: string }[] {
  const program = ts.createProgram(ENTRIES.map((e) => join(root, e.types)), { skipLibCheck: true, noEmit: true, types: [] });
  const checker = program.getTypeChecker();
  return ENTRIES.flatMap((e) => {
    const source = program.getSourceFile(join(root, e.types))!;
    const module = checker.getSymbolAtLocation(source)!;
    return checker.getExportsOfModule(module)
      .filter((s) => ((s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s).flags & ts.SymbolFlags.Class) !== 0)
      .map((s) => ({ specifier: e.specifier, name: s.name }));
  });
}

describe("hover documentation in the shipped .d.ts", () => {
  it("the entries checked are the package's, dist is built", () => {
    expect(ENTRIES.map((e) => e.specifier)).toEqual(expect.arrayContaining(["gradstep", "gradstep/tfjs", "gradstep/distributed"]));
    for (const e of ENTRIES) expect(existsSync(join(root, e.types)), `${e.types} (npm run build)`).toBe(true);
  });

  it("every exported class of every entry", () => {
    const classes = exportedClasses();
    expect(classes.length).toBeGreaterThan(OPTIMIZERS.length);
    const alias = (s: string) => `m${ENTRIES.findIndex((e) => e.specifier === s)}`;
    const text = [
      ...ENTRIES.map((e, i) => `import * as m${i} from "${e.specifier}";`),
      ...classes.map((c) => `export type C_${alias(c.specifier)}_${c.name} = typeof ${alias(c.specifier)}./*@${c.specifier}.${c.name}*/${c.name};`),
    ].join("\n");
    const { missing, asked } = undocumented(text);
    expect(asked).toBe(classes.length);
    expect(missing).toEqual([]);
  }, 120_000);

  it("every option of every registry optimizer, in an options literal", () => {
    // The options of the optimizer itself besides its spec's (OptimizerOptions; a closure optimizer takes two).
    const base = ["backend", "className"], stepped = ["verify", "maxGradNorm", "normType", "skipNonFinite", "clipValue"];
    const lines = OPTIMIZERS.map((e) => {
      const keys = [...Object.keys(e.spec.defaults as object), ...base, ...(e.kind === "closure" ? [] : stepped)];
      return `new g.${e.spec.name}(params, { ${keys.map((k) => `/*@${e.spec.name}.${k}*/${k}: undefined`).join(", ")} });`;
    });
    const text = [`import * as g from "gradstep";`, "declare const params: g.ParamStore;", ...lines].join("\n");
    const { missing, asked } = undocumented(text);
    expect(asked).toBeGreaterThan(OPTIMIZERS.length * 7);
    expect(missing).toEqual([]);
  }, 120_000);
});

// The package ships dist/ only (package.json "files"): a doc comment there that names a repository path
// (src/, test/, scripts/, bench/, examples/, assembly/, docs/) or the README points at nothing a user has.
// URLs are fine (they are read without the repository). The files checked are the declarations the entries
// reach (what a consumer's compiler and editor read), not whatever an earlier build left in dist/.
describe("doc comments in the shipped .d.ts", () => {
  const reached = (): string[] => ts.createProgram(ENTRIES.map((e) => join(root, e.types)), { skipLibCheck: true, noEmit: true, types: [] })
    .getSourceFiles().map((s) => s.fileName).filter((f) => f.startsWith(join(root, "dist")));
  const UNSHIPPED = /(?<![\w/.@-])(?:(?:src|test|tests|scripts|bench|examples|assembly|docs|tools|shared)\/[\w.<>*-]|(?:README|CONTRIBUTING|SEMANTICS)\b)/g;

  it("name no file the package does not ship", () => {
    const files = reached();
    expect(files.length).toBeGreaterThan(20);
    const found: string[] = [];
    for (const f of files) {
      const text = readFileSync(f, "utf8");
      for (const c of text.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
        const body = c[0].replace(/https?:\/\/\S+/g, "");
        for (const m of body.matchAll(UNSHIPPED)) found.push(`${f.slice(root.length + 1)}: …${body.slice(Math.max(0, m.index - 30), m.index + 30).replace(/\s+/g, " ")}…`);
      }
    }
    expect(found).toEqual([]);
  });
});
