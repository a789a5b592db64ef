// Importing gradstep/tfjs registers every gradstep.<Name> with tf.serialization (before any fromGradstep call):
// tf.loadLayersModel, and federated engines that ship a model with its optimizer config to clients, construct
// the optimizer by that name. Registering is the entry's side effect, so package.json must not let bundlers drop
// it (`sideEffects` lists the adapter's files): a bundle of the built package whose only use of the adapter is
// `import "gradstep/tfjs"` registers them too.
import * as tf from "@tensorflow/tfjs-core";
import "../../src/adapters/tfjs/index.js";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { STEP_OPTIMIZERS } from "../../src/optim/index.js";

const registered = () => Object.keys(tf.serialization.SerializationMap.getMap().classNameMap).filter((n) => n.startsWith("gradstep.")).sort();
// Taken when this module runs: after the adapter's import, before any test (or fromGradstep call).
const atImport = registered();
const expected = STEP_OPTIMIZERS.map((e) => `gradstep.${e.spec.name}`).sort();

it("every registry optimizer is registered as gradstep.<Name> by the import alone", () => {
  expect(atImport).toEqual(expected);
});

const root = join(import.meta.dirname, "..", "..");
const scratch = mkdtempSync(join(tmpdir(), "gradstep-tfjs-bundle-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

it("a bundle (esbuild, honouring package.json sideEffects) of `import \"gradstep/tfjs\"` keeps the registration", async () => {
  // The package as a dependency: node_modules/gradstep is the repository (its exports → dist/, built by
  // `npm run build`, which `npm test` runs first); tfjs stays outside the bundle, one copy for both imports.
  const modules = join(scratch, "node_modules");
  mkdirSync(modules);
  symlinkSync(root, join(modules, "gradstep"), "dir");
  symlinkSync(join(root, "node_modules", "@tensorflow"), join(modules, "@tensorflow"), "dir");
  writeFileSync(join(scratch, "entry.mjs"), [
    `import "gradstep/tfjs";`,
    `import * as tf from "@tensorflow/tfjs-core";`,
    `console.log(JSON.stringify(Object.keys(tf.serialization.SerializationMap.getMap().classNameMap).filter((n) => n.startsWith("gradstep.")).sort()));`,
  ].join("\n"));
  const { build } = await import(join(root, "node_modules", "esbuild", "lib", "main.js"));
  const out = join(scratch, "bundle.mjs");
  const r = await build({
    entryPoints: [join(scratch, "entry.mjs")], bundle: true, outfile: out, format: "esm", platform: "node",
    external: ["@tensorflow/*"], logLevel: "silent", metafile: true,
  });
  expect(Object.keys(r.metafile.inputs).some((f) => f.endsWith("dist/adapters/tfjs/index.js"))).toBe(true);
  expect(r.warnings.map((w: { text: string }) => w.text).filter((t: string) => /no side effects/.test(t))).toEqual([]);
  const printed = execFileSync(process.execPath, [out], { cwd: scratch, encoding: "utf8" });
  expect(JSON.parse(printed.trim().split("\n").pop()!)).toEqual(expected);
}, 120_000);
