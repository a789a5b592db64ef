// Importing gradstep/tfjs registers every gradstep.<Name> with tf.serialization (before any fromGradstep call):
// tf.loadLayersModel, and federated engines that ship a model with its optimizer config to clients, construct
// the optimizer by that name. Registering is the entry's side effect, so package.json must not let bundlers drop
// it (`sideEffects` lists the adapter's files): a bundle of the built package whose only use of the adapter is
// `import "gradstep/tfjs"` registers them too.
import * as tf from "@tensorflow/tfjs-core";
import "../../src/adapters/tfjs/index.js";
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { stepOptimizers } from "../../src/optim/index.js";

const registered = () => Object.keys(tf.serialization.SerializationMap.getMap().classNameMap).filter((n) => n.startsWith("gradstep.")).sort();
// Taken when this module runs: after the adapter's import, before any test (or fromGradstep call).
const atImport = registered();
const expected = stepOptimizers().map((e) => `gradstep.${e.spec.name}`).sort();

it("every registry optimizer is registered as gradstep.<Name> by the import alone", () => {
  expect(atImport).toEqual(expected);
});

const root = join(import.meta.dirname, "..", "..");
const scratch = mkdtempSync(join(tmpdir(), "gradstep-tfjs-bundle-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
// The package as a dependency: node_modules/gradstep is the repository (its exports → dist/, built by
// `npm run build`, which `npm test` runs first); tfjs stays outside the bundles, one copy for both imports.
mkdirSync(join(scratch, "node_modules"));
symlinkSync(root, join(scratch, "node_modules", "gradstep"), "dir");
symlinkSync(join(root, "node_modules", "@tensorflow"), join(scratch, "node_modules", "@tensorflow"), "dir");

/** esbuild's bundle of `source` into scratch/<name>/bundle.mjs, with its build result (metafile, warnings). */
async function bundle(name: string, source: string, options: Record<string, unknown>) {
  const dir = join(scratch, name);
  mkdirSync(dir);
  writeFileSync(join(dir, "entry.mjs"), source);
  const { build } = await import(join(root, "node_modules", "esbuild", "lib", "main.js"));
  const out = join(dir, "bundle.mjs");
  const r = await build({
    entryPoints: [join(dir, "entry.mjs")], bundle: true, outfile: out, format: "esm", external: ["@tensorflow/*"],
    logLevel: "silent", metafile: true, ...options,
  });
  return { r, out, inputs: Object.keys(r.metafile.inputs) as string[], text: readFileSync(out, "utf8") };
}

it("a bundle (esbuild, honouring package.json sideEffects) of `import \"gradstep/tfjs\"` keeps the registration", async () => {
  const { r, out, inputs } = await bundle("registration", [
    `import "gradstep/tfjs";`,
    `import * as tf from "@tensorflow/tfjs-core";`,
    `console.log(JSON.stringify(Object.keys(tf.serialization.SerializationMap.getMap().classNameMap).filter((n) => n.startsWith("gradstep.")).sort()));`,
  ].join("\n"), { platform: "node" });
  expect(inputs.some((f) => f.endsWith("dist/adapters/tfjs/index.js"))).toBe(true);
  expect(r.warnings.map((w: { text: string }) => w.text).filter((t: string) => /no side effects/.test(t))).toEqual([]);
  const printed = execFileSync(process.execPath, [out], { cwd: scratch, encoding: "utf8" });
  expect(JSON.parse(printed.trim().split("\n").pop()!)).toEqual(expected);
}, 120_000);

// gradstep/tfjs has gradstep's export conditions, each entry taking init() from gradstep's entry of that runtime:
// the base64 copy of the binaries (541 KB) is bundled only where gradstep's own entry embeds it (the "module"
// condition of bundlers for Node servers, and "default"). Each bundle that Node can run trains three steps of
// train.adam and of tf.train.adam from the same values (tfjs-core with tfjs-backend-cpu; the objective's gradient
// is a customGrad, since tfjs-core registers none): bit for bit the same, and not the start.
const TRAIN = `
import { init, train } from "gradstep/tfjs";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
await tf.setBackend("cpu");
const info = await init();
const square = tf.customGrad((x, save) => {
  save([x]);
  return { value: tf.sum(tf.mul(x, x)), gradFunc: (dy, [s]) => tf.mul(dy, tf.mul(s, 2)) };
});
const run = (opt, name) => {
  const w = tf.variable(tf.tensor1d([1, -2, 0.5, 3]), true, name);
  for (let i = 0; i < 3; i++) opt.minimize(() => square(w));
  return Array.from(w.dataSync());
};
console.log(JSON.stringify({ loadedVia: info.loadedVia, gradstep: run(train.adam(0.1), "a"), tfjs: run(tf.train.adam(0.1), "b") }));
`;

const BUNDLES = [
  // esbuild's own conditions for Node without the "module" one: the "node" entry, which reads wasm/*.wasm
  // beside the bundle (copied there, as docs/runtimes.md's Build tools say for esbuild).
  { name: "node", options: { platform: "node", conditions: [] }, entry: "node.js", embedded: false, wasmFiles: true, loadedVia: "fs" },
  // A browser bundle fetches the files (Node cannot fetch file: URLs, so it is not run here).
  { name: "browser", options: { platform: "browser" }, entry: "browser.js", embedded: false, wasmFiles: false, loadedVia: null },
  // A bundler for Node servers matches "module" first, as for gradstep itself: embedded, runs with no files beside it.
  { name: "node-server", options: { platform: "node" }, entry: "index.js", embedded: true, wasmFiles: false, loadedVia: "embedded" },
] as const;

it.each(BUNDLES)("a $name bundle of `import { init, train } from \"gradstep/tfjs\"`: embedded Wasm $embedded, trains as tf.train", async (b) => {
  const { WASM_BASE64 } = await import(join(root, "dist", "generated", "wasm.js")) as { WASM_BASE64: Record<string, string> };
  const { out, inputs, text } = await bundle(b.name, TRAIN, b.options);
  for (const [variant, base64] of Object.entries(WASM_BASE64)) expect(text.includes(base64.slice(1000, 1100)), variant).toBe(b.embedded);
  // The module graph too (what Node run directly loads under the same conditions), not only what tree shaking kept.
  expect(inputs.some((f) => f.endsWith("dist/generated/wasm.js"))).toBe(b.embedded);
  expect(inputs.filter((f) => /dist\/adapters\/tfjs\/(index|node|browser|bun|workerd|edge-light)\.js$/.test(f)).map((f) => f.split("/").pop())).toEqual([b.entry]);
  if (b.loadedVia === null) return;
  if (b.wasmFiles) cpSync(join(root, "dist", "wasm"), join(scratch, b.name, "wasm"), { recursive: true });
  const printed = execFileSync(process.execPath, [out], { cwd: scratch, encoding: "utf8" });
  const result = JSON.parse(printed.trim().split("\n").pop()!) as { loadedVia: string; gradstep: number[]; tfjs: number[] };
  expect(result.loadedVia).toBe(b.loadedVia);
  expect(result.gradstep).toEqual(result.tfjs);
  expect(result.gradstep).not.toEqual([1, -2, 0.5, 3]);
}, 120_000);

it("gradstep/tfjs has gradstep's export conditions, each entry exporting init from gradstep's entry for it", () => {
  const exports = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).exports;
  const tfjs = (file: string) => file.replace("./dist/", "./dist/adapters/tfjs/");
  const mapped = JSON.parse(JSON.stringify(exports["."]), (k, v) => (typeof v === "string" && k !== "types" ? tfjs(v) : v));
  expect(exports["./tfjs"]).toEqual({ ...mapped, types: "./dist/adapters/tfjs/index.d.ts" });
  expect(Object.keys(exports["./tfjs"])).toEqual(Object.keys(exports["."]));
  const files = new Set(JSON.stringify(exports["."]).match(/\.\/dist\/[\w-]+\.js/g));
  for (const file of files) {
    const name = file.slice("./dist/".length, -".js".length);
    const source = readFileSync(join(root, "src", "adapters", "tfjs", `${name}.ts`), "utf8");
    expect(source.match(/^export .*$/gm), name).toEqual([`export * from "./api.js";`, `export { init } from "../../${name}.js";`]);
  }
});
