// The build (Wasm, then the package's JS and .d.ts into dist/), skipped when dist/ is current: a hash of
// every input (assembly/, src/ but what the build generates, the build's scripts and configs) is kept in
// build/stamp.json after each build. `npm run build` (--force) always builds; `prepare`, `npm start`,
// `npm test` and `npm pack` build only when an input changed, so a second `npm start` starts at once.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const stampFile = join(root, "build", "stamp.json");
const inputs = ["assembly", "src", "scripts/build.mjs", "scripts/build-wasm.mjs", "scripts/wgsl-rules.mjs", "asconfig.json", "tsconfig.build.json", "package.json"];
const generated = join(root, "src", "generated");
// What must exist after a build: a dist/ deleted by hand is stale whatever the stamp says.
const outputs = ["dist/index.js", "dist/index.d.ts", "dist/wasm", "src/generated/wasm.ts", "src/generated/wgsl-rules.ts"];

function* files(path) {
  if (path === generated) return;
  let entries;
  try { entries = readdirSync(path, { withFileTypes: true }); } catch { yield path; return; }
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) yield* files(join(path, e.name));
}

function inputHash() {
  const h = createHash("sha256");
  for (const input of inputs) {
    for (const f of files(join(root, input))) {
      if (!existsSync(f)) continue;
      h.update(relative(root, f)).update("\0").update(readFileSync(f)).update("\0");
    }
  }
  return h.digest("hex");
}

const force = process.argv.includes("--force");
const hash = inputHash();
const stamp = existsSync(stampFile) ? JSON.parse(readFileSync(stampFile, "utf8")).inputs : undefined;
const current = stamp === hash && outputs.every((o) => existsSync(join(root, o)));
if (process.argv.includes("--check")) {
  // Reports without building (exit 0: current, 1: stale), for the tests.
  console.log(current ? "current" : "stale");
  process.exit(current ? 0 : 1);
}
if (!force && current) {
  console.log("gradstep: dist/ is current, build skipped (npm run build forces it)");
  process.exit(0);
}
if (!existsSync(join(root, "node_modules", "assemblyscript", "bin", "asc.js"))) {
  // `npm install <path of a clone>` links the clone and runs this without its devDependencies: install the
  // build's own tools (the root devDependencies only: .npmrc keeps the tools/ workspace out), no scripts.
  console.log("gradstep: installing the build's tools (AssemblyScript, TypeScript)...");
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const r = spawnSync(npm, ["install", "--no-save", "--ignore-scripts", "--no-audit", "--no-fund", "--include=dev"], { cwd: root, stdio: "inherit" });
  if (r.status !== 0) {
    console.error(`gradstep: installing the build's tools failed (npm exited with ${r.status ?? r.signal})`);
    process.exit(1);
  }
}
const started = Date.now();
console.log("gradstep: building the Wasm kernels and the package (about a minute)...");
execFileSync(process.execPath, [join(root, "scripts", "build-wasm.mjs")], { cwd: root, stdio: "inherit" });
execFileSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"],
  { cwd: root, stdio: "inherit" });
writeFileSync(stampFile, JSON.stringify({ inputs: hash }) + "\n");
console.log(`gradstep: built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
