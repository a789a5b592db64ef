// The runtime matrix's documentation rows (run.mjs adds them; group "docs"): every block of README.md and docs/
// marked `runtime=NAME` (a list: `runtime=deno,bun`) is run as written, with the `file=` blocks that follow it
// (test/docs-blocks.ts, `programs`), by the row docs-NAME, in a folder of the app project (gradstep installed
// from the tarball). A block's shown output (a ```text output block after it) is compared line for line; a
// worker's or a route's answer, which the docs do not show, is compared with the same handler called in Node.
// test/docs-blocks.test.ts fails on a block marked for a runtime that has no row here.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/** The runtimes a block may name, each run by the row docs-NAME: how. */
export const DOC_RUNTIMES = {
  deno: "Deno, deno run --allow-read",
  bun: "Bun",
  browser: "headless Chromium with WebGPU on SwiftShader, the package through an import map (no bundler)",
  workers: "workerd (Miniflare), bundled like wrangler; the answer compared with the handler called in Node",
  next: "next build and next start, the route as written and with runtime \"edge\"; the answers compared with the handler called in Node",
  commonjs: "a TypeScript project with \"type\": \"commonjs\", compiled by tsc under module node16 and run by Node",
};

const ENV = { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1", DO_NOT_TRACK: "1" };
const lines = (text) => text.trimEnd().split("\n");
const lang = (b) => (b.lang.startsWith("t") ? "ts" : "js");

/**
 * Entries for run.mjs's RUNTIMES. `ctx`: { root, app, bin, project, serveDir, inChromium, chromiumWebgpuArgs,
 * workerdFetch, nextServe }.
 */
export function docsRuntimes(ctx) {
  let all;
  /** The programs marked for `runtime`, each written into a folder of its own under the app project. */
  function programsFor(runtime) {
    all ??= JSON.parse(execFileSync(process.execPath, ["--import", "tsx", "-e",
      `import("./test/docs-blocks.ts").then((m) => console.log(JSON.stringify(m.programs(m.documentationBlocks(${JSON.stringify(ctx.root)})))))`],
    { cwd: ctx.root, encoding: "utf8" }));
    const mine = all.filter((p) => p.attrs.runtime?.split(",").includes(runtime));
    if (!mine.length) throw new Error(`no documentation block is marked runtime=${runtime}`);
    return mine.map((p, i) => {
      const dir = join(ctx.app, `docs-${runtime}-${i}`);
      mkdirSync(dir, { recursive: true });
      const main = `main.${lang(p) === "ts" ? "ts" : "mjs"}`;
      for (const [name, code] of [[main, p.code], ...p.files.map((f) => [f.attrs.file, f.code])]) writeFileSync(join(dir, name), code);
      return { p, dir, main, where: `${p.file}:${p.line}` };
    });
  }
  /** The check of a program's standard output against the output its docs show (none shown: it ran). */
  const judge = (where, how, code, stdout, stderr, expected) => ({
    name: `${where} runs in ${how}${expected === undefined ? "" : " and prints the output shown"}`,
    pass: code === 0 && (expected === undefined || JSON.stringify(lines(stdout)) === JSON.stringify(lines(expected))),
    detail: (stdout + stderr).slice(-600),
  });
  /** A runtime that runs a file: deno, bun. */
  const cli = (runtime, how, cmd) => () => {
    const results = programsFor(runtime).map(({ p, dir, main, where }) => {
      const r = spawnSync(cmd(), [...(runtime === "deno" ? ["run", "--allow-read"] : []), main], { cwd: dir, encoding: "utf8", env: { ...process.env, ...ENV }, timeout: 120_000 });
      return judge(where, how, r.status, r.stdout, r.stderr, p.expected);
    });
    return { info: { backend: "docs", loadedVia: runtime, sharedMemory: false }, results };
  };
  /** A module's default export's `fetch()` (workers) or its `GET()` (next) called in Node: what the docs' handler answers there. */
  async function inNode(dir, file, call) {
    const copy = join(dir, `node-${file.replace(/\.\w+$/, ".mjs")}`);
    writeFileSync(copy, readFileSync(join(dir, file)));
    const m = await import(pathToFileURL(copy).href);
    return (await call(m)).json();
  }
  const same = (name, got, want) => ({ name, pass: JSON.stringify(got) === JSON.stringify(want), detail: `${JSON.stringify(got)} vs Node ${JSON.stringify(want)}` });

  async function browser() {
    const { app, root, serveDir, inChromium, chromiumWebgpuArgs } = ctx;
    const { transform } = await import(join(ctx.tools, "esbuild", "lib", "main.js"));
    // The package's entries for browsers, from its exports (browser, else default).
    const { exports } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    const imports = Object.fromEntries(Object.entries(exports).filter(([k, v]) => !k.includes("*") && typeof v === "object")
      .map(([k, v]) => [k.replace(/^\./, "gradstep"), `/node_modules/gradstep/${(v.browser ?? v.default).slice(2)}`]));
    const server = await serveDir(app);
    try {
      const results = [];
      for (const { p, dir, main, where } of programsFor("browser")) {
        // Types stripped (esbuild, no bundling): the block's code as written, as a module.
        for (const [name, b] of [[main, p], ...p.files.map((f) => [f.attrs.file, f])]) {
          const js = (await transform(readFileSync(join(dir, name), "utf8"), { loader: lang(b), format: "esm", target: "es2022" })).code;
          writeFileSync(join(dir, name.replace(/\.\w+$/, ".js")), js);
        }
        writeFileSync(join(dir, "index.html"), `<!doctype html><meta charset="utf-8">
<script type="importmap">${JSON.stringify({ imports })}</script>
<script type="module">
  const printed = [], log = console.log;
  console.log = (...a) => { printed.push(a.map(String).join(" ")); log(...a); };
  try { await import("./${main.replace(/\.\w+$/, ".js")}"); window.__result = { printed }; }
  catch (e) { window.__result = { error: String(e.stack || e) }; }
</script>`);
        const r = await inChromium(`${server.url}${dir.slice(app.length + 1)}/index.html`, chromiumWebgpuArgs());
        results.push(judge(where, "Chromium", 0, r.printed.join("\n"), "", p.expected));
      }
      return { info: { backend: "docs", loadedVia: "chromium", sharedMemory: false }, results };
    } finally {
      server.close();
    }
  }

  async function workers() {
    const results = [];
    for (const { dir, main, where } of programsFor("workers")) {
      const got = await ctx.workerdFetch(join(dir, main));
      results.push(same(`${where} answers in workerd as its fetch() does in Node`, got, await inNode(dir, main, (m) => m.default.fetch())));
    }
    return { info: { backend: "docs", loadedVia: "workerd", sharedMemory: false }, results };
  }

  async function next() {
    const results = [];
    for (const [i, { dir, main, where }] of programsFor("next").entries()) {
      // The route as written, and with the one line its comment says makes it an Edge route.
      const code = readFileSync(join(dir, main), "utf8");
      const project = ctx.project(join(dir, "..", `docs-next-app-${i}`));
      const routes = { step: code, "step-edge": `${code}\nexport const runtime = "edge";\n` };
      for (const [name, text] of Object.entries(routes)) {
        mkdirSync(join(project, "app", "api", name), { recursive: true });
        writeFileSync(join(project, "app", "api", name, "route.js"), text);
      }
      const want = await inNode(dir, main, (m) => m.GET());
      const got = await ctx.nextServe(project, Object.keys(routes).map((r) => `api/${r}`));
      for (const [r, answer] of Object.entries(got)) results.push(same(`${where} as ${r}/route.js answers in Next as GET() does in Node`, JSON.parse(answer), want));
    }
    return { info: { backend: "docs", loadedVia: "next", sharedMemory: false }, results };
  }

  function commonjs() {
    const tsc = join(ctx.root, "node_modules", "typescript", "bin", "tsc");
    const results = programsFor("commonjs").map(({ p, dir, main, where }) => {
      const project = ctx.project(join(dir, "..", `${dir.split("/").pop()}-cjs`), { type: "commonjs" });
      writeFileSync(join(project, "main.ts"), readFileSync(join(dir, main)));
      writeFileSync(join(project, "tsconfig.json"), JSON.stringify({ compilerOptions: { strict: true, target: "es2022", module: "node16", moduleResolution: "node16", lib: ["es2022", "dom"], types: [], outDir: "out" }, files: ["main.ts"] }));
      const t = spawnSync(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: project, encoding: "utf8" });
      if (t.status !== 0) return { name: `${where} compiles in a commonjs project (module node16)`, pass: false, detail: t.stdout.slice(0, 600) };
      const r = spawnSync(process.execPath, [join("out", "main.js")], { cwd: project, encoding: "utf8" });
      return judge(where, "a commonjs project, compiled by tsc (module node16)", r.status, r.stdout, r.stderr, p.expected);
    });
    return { info: { backend: "docs", loadedVia: "tsc", sharedMemory: false }, results };
  }

  const rows = {
    deno: cli("deno", "Deno", () => ctx.bin("deno")),
    bun: cli("bun", "Bun", () => ctx.bin("bun")),
    browser, workers, next, commonjs,
  };
  return Object.fromEntries(Object.keys(DOC_RUNTIMES).map((rt) => [`docs-${rt}`, { expect: "docs", group: "docs", verbose: true, run: rows[rt] }]));
}
