// The package as users get it: `npm run build` output is what `exports` points to, and a project in
// another folder that installs the `npm pack` tarball imports it by the name "gradstep" and trains.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");
const scratch = mkdtempSync(join(tmpdir(), "gradstep-pkg-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

it("exports point at built files, conditions in the order runtimes need", () => {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const entry = pkg.exports["."];
  expect(Object.keys(entry)).toEqual(["types", "workerd", "edge-light", "deno", "bun", "browser", "node", "default"]);
  // Node itself never matches "module"; bundlers for Node servers (webpack, Turbopack, esbuild, Vite SSR) do,
  // and get the embedded entry: their output rarely keeps node_modules/gradstep/dist/wasm/ beside it.
  expect(entry.node).toEqual({ module: "./dist/index.js", default: "./dist/node.js" });
  for (const file of [...Object.values(entry).flatMap((e) => (typeof e === "string" ? [e] : Object.values(e as object))), pkg.exports["./embedded"].default, pkg.main, pkg.types] as string[]) {
    expect(existsSync(join(root, file)), file).toBe(true);
  }
  for (const v of ["simd", "scalar", "simd-shared", "scalar-shared"]) {
    const size = statSync(join(root, "dist", "wasm", `gradstep-${v}.wasm`)).size;
    // A size budget against accidental bloat: ~27 optimizer kernels, their 30 low-precision twins, reductions and a
    // GEMM take 164 KB in the SIMD build, 47 KB in the scalar one (2026-12-06: ADOPT and NovoGrad added 14 KB, about
    // 0.9 KB per SIMD loop: a fast path costs one; Prodigy's two pass rules, one fast path each, 6.5 KB).
    expect(size, v).toBeLessThanOrEqual(176 * 1024);
  }
});

it("publint and arethetypeswrong report no problems", () => {
  const bin = (n: string) => join(root, "node_modules", ".bin", n);
  execFileSync(bin("publint"), ["--strict"], { cwd: root, encoding: "utf8" });
  // The package is ESM-only, so the "esm-only" profile: CommonJS require() and node10 resolution are out of
  // scope. attw exits non-zero on any other problem (execFileSync then throws with its report).
  const out = execFileSync(bin("attw"), ["--pack", ".", "--profile", "esm-only", "--format", "table-flipped"], { cwd: root, encoding: "utf8" });
  expect(out).toMatch(/No problems found|🟢/);
}, 300_000); // attw packs and type-checks every entry: ~30 s idle, over 120 s when the machine is loaded

it("installs from npm pack in another folder and works when imported as 'gradstep'", () => {
  const out = execFileSync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", scratch], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  const [{ filename, files }] = JSON.parse(out) as [{ filename: string; files: { path: string }[] }];
  expect(files.map((f) => f.path)).toContain("dist/index.js");
  expect(files.some((f) => f.path.startsWith("src/") || f.path.startsWith("test/"))).toBe(false);
  const size = statSync(join(scratch, filename)).size;
  // Budget: four .wasm builds plus the embedded entry's base64 copy of them are most of it (~300 KB today); the
  // whole package packed to 501 KiB before the gradstep/distributed entry; with its process groups and training
  // wrappers (DataParallel, ZeRO-1, DiLoCo, FedOpt) it packs to 553 KiB (2026-12-06); Prodigy's two pass loops
  // (SIMD and scalar, four builds, each twice with the base64 copy) made it 581 KiB, and gradient compression
  // (its codec kernels in the four builds and their base64 copies, its TS) about 600 KiB.
  expect(size).toBeLessThanOrEqual(640 * 1024);
  const app = join(scratch, "app");
  execFileSync("mkdir", ["-p", app]);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--offline", join(scratch, filename)], { cwd: app, stdio: "ignore" });
  writeFileSync(join(app, "main.js"), `
    import { init, ParamStore, SGD, Adam, AdamW, Adagrad, RMSprop } from "gradstep";
    const info = await init();
    const store = new ParamStore();
    const w = store.param("w", new Float32Array([1, -2, 0.5, 3]));
    const opt = new Adam(store.params, { lr: 0.1 });
    w.grad.set([0.5, -1, 2, -0.25]);
    opt.step();
    const saved = opt.stateDict();
    const other = new Adam(store.params, { lr: 0.1 });
    other.loadStateDict(structuredClone(saved));
    console.log(JSON.stringify({ backend: info.backend, loadedVia: info.loadedVia, w: Array.from(w.value), classes: [SGD, AdamW, Adagrad, RMSprop].map((c) => c.name) }));
    store.dispose();
  `);
  // The distributed entry resolves and runs without its optional peer "ws", and says so where it needs it.
  writeFileSync(join(app, "distributed.js"), `
    import { localGroups, serveRendezvous } from "gradstep/distributed";
    const groups = localGroups(2);
    const bufs = [new Float32Array([1, 2]), new Float32Array([3, 4])];
    await Promise.all(groups.map((g, r) => g.allReduce(bufs[r], { op: "mean" })));
    const relay = await serveRendezvous().then(() => "started", (e) => e.message);
    console.log(JSON.stringify({ bufs: bufs.map((b) => Array.from(b)), relay }));
  `);
  expect(JSON.parse(execFileSync("node", ["distributed.js"], { cwd: app, encoding: "utf8" }))).toEqual({
    bufs: [[2, 3], [2, 3]],
    relay: 'serveRendezvous needs the optional peer dependency "ws" (the relay is a ws server): npm install ws',
  });
  const result = JSON.parse(execFileSync("node", ["main.js"], { cwd: app, encoding: "utf8" }));
  expect(result.backend).toBe("simd");
  expect(result.loadedVia).toBe("fs"); // Node resolved the "node" export condition
  expect(result.classes).toEqual(["SGD", "AdamW", "Adagrad", "RMSprop"]);
  // PyTorch's first Adam step on the shared test vector (docs/correctness.md, the numeric contract; lr 0.1): θ − 0.1·sign(g), to f32.
  expect(result.w).toEqual(Array.from(new Float32Array([0.900000002, -1.900000001, 0.4000000005, 3.099999996])));
});
