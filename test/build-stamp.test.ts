// `npm start`, `npm test`, `npm pack` and `prepare` build only when an input of the build changed
// (scripts/build.mjs keeps a hash of its inputs in build/stamp.json). Run on a scratch tree with the real
// script and stand-ins for the compilers that log each call, so the test never touches this checkout's dist/.
import { spawnSync } from "node:child_process";
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, expect, it } from "vitest";

const scratch = mkdtempSync(join(tmpdir(), "gradstep-stamp-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const log = join(scratch, "calls.log");
const put = (path: string, text: string) => {
  mkdirSync(dirname(join(scratch, path)), { recursive: true });
  writeFileSync(join(scratch, path), text);
};
// A stand-in writes its outputs and logs its name.
const standIn = (name: string, outputs: string[], esm: boolean) => `
${esm ? 'import { appendFileSync, mkdirSync, writeFileSync } from "node:fs"; import { dirname, join } from "node:path";'
    : 'const { appendFileSync, mkdirSync, writeFileSync } = require("node:fs"); const { dirname, join } = require("node:path");'}
const root = ${JSON.stringify(scratch)};
for (const o of ${JSON.stringify(outputs)}) { mkdirSync(dirname(join(root, o)), { recursive: true }); writeFileSync(join(root, o), ""); }
appendFileSync(${JSON.stringify(log)}, ${JSON.stringify(name)} + "\\n");
`;
/** Runs the build script; returns the compilers it called. */
function build(...args: string[]): string[] {
  writeFileSync(log, "");
  const r = spawnSync(process.execPath, [join(scratch, "scripts", "build.mjs"), ...args], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return readFileSync(log, "utf8").split("\n").filter(Boolean);
}

it("builds when an input changed or an output is gone, and skips when neither", () => {
  cpSync(join(process.cwd(), "scripts", "build.mjs"), join(scratch, "scripts", "build.mjs"));
  put("scripts/build-wasm.mjs", standIn("wasm", ["build/x.wasm", "dist/wasm/x.wasm", "src/generated/wasm.ts", "src/generated/wgsl-rules.ts"], true));
  put("node_modules/typescript/bin/tsc", standIn("tsc", ["dist/index.js", "dist/index.d.ts"], false));
  put("node_modules/assemblyscript/bin/asc.js", "");
  put("package.json", "{}\n");
  put("src/a.ts", "export const a = 1;\n");
  put("assembly/k.ts", "export function k(): void {}\n");

  expect(build()).toEqual(["wasm", "tsc"]); // no stamp yet
  expect(build()).toEqual([]); // current
  put("src/a.ts", "export const a = 2;\n");
  expect(build()).toEqual(["wasm", "tsc"]); // a source changed
  expect(build()).toEqual([]);
  put("assembly/k.ts", "export function k(): i32 { return 0; }\n");
  expect(build()).toEqual(["wasm", "tsc"]); // a kernel changed
  appendFileSync(join(scratch, "src/generated/wasm.ts"), "// what the build writes is not an input\n");
  expect(build()).toEqual([]);
  rmSync(join(scratch, "dist"), { recursive: true });
  expect(build()).toEqual(["wasm", "tsc"]); // an output is gone
  expect(existsSync(join(scratch, "dist/index.js"))).toBe(true);
  expect(build("--force")).toEqual(["wasm", "tsc"]); // npm run build always builds
});
