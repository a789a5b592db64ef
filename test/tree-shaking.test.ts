// A bundler keeps only the optimizers a program imports (package.json `sideEffects`; docs/design.md, "Tree
// shaking"): esbuild bundles the built entries (dist/, from `npm run build`, which `npm test` runs first) with
// tree shaking and no minification, and each row says which code must be in the bundle and which must not.
// Every marker is absent in one row and present in another, so a module-scope table that pulls every
// optimizer in (or a marker that no longer names anything) fails here.
import { join } from "node:path";
import { expect, it } from "vitest";
import { stepOptimizers } from "../src/optim/index.js";

const root = join(import.meta.dirname, "..");
const dist = (file: string) => JSON.stringify(join(root, "dist", file));

// Each optimizer's code, by its pure-TS reference kernel (a function named as the spec's `kernel`), which no
// shared module defines; SGD is the one every row imports.
const others = stepOptimizers().filter((e) => e.id !== "sgd" && !e.kernelOf);
const OTHER_KERNELS = others.map((e) => `function ${e.spec.kernel}(`);
const ALL_CLASSES = others.map((e) => e.spec.name).join(", ");
const { WASM_BASE64 } = await import(join(root, "dist", "generated", "wasm.js")) as { WASM_BASE64: Record<string, string> };
// A piece of the embedded binaries (541 KB of base64), which only init() of the embedding entries needs.
const EMBEDDED = Object.values(WASM_BASE64).map((b) => b.slice(1000, 1100));

interface Row {
  readonly name: string;
  readonly program: string;
  readonly present: readonly string[];
  readonly absent: readonly string[];
}

const ROWS: Row[] = [
  {
    name: "gradstep: SGD alone drops every other optimizer and the embedded Wasm",
    program: `import { SGD, ParamStore } from ${dist("index.js")}; console.log(SGD, ParamStore);`,
    present: ["function sgd_f32("], absent: [...OTHER_KERNELS, ...EMBEDDED],
  },
  {
    name: "gradstep: importing the others and init keeps them",
    program: `import { SGD, ParamStore, init, ${ALL_CLASSES} } from ${dist("index.js")}; console.log(SGD, ParamStore, init, ${ALL_CLASSES});`,
    present: ["function sgd_f32(", ...OTHER_KERNELS, ...EMBEDDED], absent: [],
  },
  {
    name: "gradstep/distributed: DataParallel with SGD drops every other optimizer",
    program: `import { DataParallel, localGroups } from ${dist("distributed/index.js")}; import { SGD } from ${dist("index.js")}; console.log(DataParallel, localGroups, SGD);`,
    present: ["function sgd_f32("], absent: [...OTHER_KERNELS, ...EMBEDDED],
  },
  {
    name: "gradstep/distributed: DataParallel with the others keeps them",
    program: `import { DataParallel } from ${dist("distributed/index.js")}; import { SGD, ${ALL_CLASSES} } from ${dist("index.js")}; console.log(DataParallel, SGD, ${ALL_CLASSES});`,
    present: ["function sgd_f32(", ...OTHER_KERNELS], absent: [...EMBEDDED],
  },
  // The adapter registers every gradstep.<Name> class with tf.serialization when it is imported (a saved model
  // names its optimizer, and loading it must find the class with no fromGradstep call first), so it keeps
  // every optimizer by design; what it must not keep is the embedded Wasm when init is not imported.
  {
    name: "gradstep/tfjs: train keeps every optimizer (registration), drops the embedded Wasm",
    program: `import { train } from ${dist("adapters/tfjs/index.js")}; console.log(train);`,
    present: ["function sgd_f32(", ...OTHER_KERNELS], absent: [...EMBEDDED],
  },
  {
    name: "gradstep/tfjs: train with init keeps the embedded Wasm",
    program: `import { train, init } from ${dist("adapters/tfjs/index.js")}; console.log(train, init);`,
    present: ["function sgd_f32(", ...OTHER_KERNELS, ...EMBEDDED], absent: [],
  },
];

it("every marker is absent in one row and present in another", () => {
  for (const m of [...OTHER_KERNELS, ...EMBEDDED]) {
    expect(ROWS.some((r) => r.absent.includes(m)), m).toBe(true);
    expect(ROWS.some((r) => r.present.includes(m)), m).toBe(true);
  }
});

it.each(ROWS)("$name", async (row) => {
  const { build } = await import("esbuild");
  const r = await build({
    stdin: { contents: row.program, resolveDir: root, loader: "js" }, bundle: true, write: false, format: "esm",
    platform: "node", treeShaking: true, minify: false, logLevel: "silent", external: ["@tensorflow/*", "ws"],
  });
  const text = r.outputFiles[0]!.text;
  expect(row.present.filter((m) => !text.includes(m))).toEqual([]);
  expect(row.absent.filter((m) => text.includes(m))).toEqual([]);
}, 60_000);
