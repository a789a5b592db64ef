// WebGPU in the runtime matrix (imported by run.mjs; group "webgpu"): gradstep/webgpu from the installed tarball
// on a software adapter in every runtime that has WebGPU, no GPU needed:
//   webgpu-node      Node + the npm `webgpu` package (Dawn) on the SwiftShader Vulkan driver that Debian's chromium
//                    package ships (VK_ICD_FILENAMES; Dawn rejects Debian 12's lavapipe)
//   webgpu-deno      Deno's own WebGPU (wgpu) on Mesa's lavapipe (apt: mesa-vulkan-drivers)
//   webgpu-bun       Bun + bun-webgpu (Dawn through FFI, installed from npm on first use) on SwiftShader; without
//                    the ICD variable its Dawn falls back to a null backend that computes nothing
//   webgpu-chromium  headless Chromium, --enable-unsafe-webgpu --use-webgpu-adapter=swiftshader, the example's
//                    own browser page (examples/webgpu-mnist/browser.ts) served on 127.0.0.1
//   webgpu-tfjs-node, webgpu-tfjs-chromium: gradstep/tfjs on @tensorflow/tfjs-backend-webgpu
//                    (installed from npm on first use, tfjs-core left to the repository's one copy), in Node
//                    (Dawn, SwiftShader) and in Chromium (tfjs's ESM bundles through an import map):
//                    test/webgpu-apps/tfjs-app.ts against tf.train, model.fit, no download, no leak
// Each runs the WebGPU MNIST example's CI variant (loss falls, held-out accuracy, first step bit-exact against the
// Wasm Adam) in one process or page, and a few optimizers on the GPU against the pure-TS reference in another
// (test/webgpu-apps/matrix-app.ts, bundled by esbuild with gradstep left to the installed package). The adapter
// is reported in the summary's "loaded via".
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const SWIFTSHADER_ICD = "/usr/lib/chromium/vk_swiftshader_icd.json";
const DAWN_ENV = { VK_ICD_FILENAMES: SWIFTSHADER_ICD, XDG_RUNTIME_DIR: "/tmp" };
/** Chromium's WebGPU on SwiftShader, with no GPU (and without --disable-gpu, which turns WebGPU off). */
export const WEBGPU_ARGS = ["--enable-unsafe-webgpu", "--use-webgpu-adapter=swiftshader"];
const BUN_WEBGPU = "bun-webgpu@0.1.7";
const TFJS_WEBGPU = "@tensorflow/tfjs-backend-webgpu@4.22.0";
/** The digits the example trains on in the matrix: as many as its CI variant needs to learn in seconds. */
const DIGITS = { train: 1200, test: 300 };

/**
 * The matrix entries. `context()` gives run.mjs's helpers when a check runs: { app, root, tools, bin,
 * runProcess, serveDir, inChromium, chromiumArgs }.
 */
export function webgpuRuntimes(context) {
  let built = null;
  /** Bundles the checks and the example's page, and writes the digits file, once per matrix run. */
  async function build() {
    if (built) return built;
    const { app, root, tools } = context();
    const { build: esbuild } = await import(join(tools, "esbuild", "lib", "main.js"));
    const bundle = (entry, outfile, extra = {}) => esbuild({
      entryPoints: [join(root, entry)], outfile: join(app, outfile), bundle: true, format: "esm", target: "es2022",
      external: ["gradstep", "gradstep/*", "webgpu", "node:*"], logLevel: "error", ...extra,
    });
    await bundle("test/webgpu-apps/matrix-app.ts", "webgpu-app.js", { platform: "neutral" });
    await bundle("test/webgpu-apps/tfjs-app.ts", "webgpu-tfjs-app.js", { platform: "neutral", external: ["gradstep", "gradstep/*", "@tensorflow/*"] });
    await bundle("examples/webgpu-mnist/browser.ts", "webgpu-mnist/browser.js", { platform: "browser" });
    await esbuild({
      stdin: {
        contents: `import { writeFileSync } from "node:fs";
import { loadMnist } from "./examples/mnist-data.ts";
import { packDigits, subset } from "./examples/webgpu-mnist/data.ts";
writeFileSync(process.argv[2], packDigits(subset(loadMnist(), ${DIGITS.train}, ${DIGITS.test})));`,
        resolveDir: root, loader: "ts",
      },
      outfile: join(app, "webgpu-digits.mjs"), bundle: true, platform: "node", format: "esm", external: ["mnist"], logLevel: "error",
    });
    // From root: the mnist package is the repository's devDependency.
    execFileSync(process.execPath, [join(app, "webgpu-digits.mjs"), join(app, "webgpu-mnist", "digits.bin")], { cwd: root });
    built = { app };
    return built;
  }

  /** A script for a server-side runtime: gets a device its way, runs `mode`, prints RESULT. */
  function script(name, { gpu, readDigits, arg, exit = "" }) {
    const { app } = context();
    writeFileSync(join(app, name), `${gpu.imports ?? ""}
import * as app from "./webgpu-app.js";
const gpu = ${gpu.expr};
const adapter = await gpu.requestAdapter();
if (!adapter) throw new Error("no WebGPU adapter");
const device = await adapter.requestDevice();
const runtime = ${gpu.runtime} + ", " + app.adapterName(adapter.info);
let result;
if (${arg} === "parity") result = await app.parityCheck(device, adapter.info, runtime);
else result = { info: { backend: "webgpu", loadedVia: app.adapterName(adapter.info), sharedMemory: false }, version: runtime,
  train: await app.trainMnist(device, app.unpackDigits(${readDigits}), app.CI) };
console.log("RESULT " + JSON.stringify(result));
${exit}`);
    return name;
  }

  /** Runs one runtime's example and parity processes and merges their checks. */
  async function serverSide(cmd, args, name, how, env = {}) {
    const { runProcess } = context();
    await build();
    const file = script(name, how);
    const example = runProcess(cmd, [...args, file, "example"], env);
    const parity = runProcess(cmd, [...args, file, "parity"], env);
    return { ...parity, results: [...judgeExample(example.train, example.version), ...parity.results] };
  }

  /** `spec` installed from npm into a scratch folder of its own (once); returns the folder. */
  function installed(folder, spec, extra = []) {
    const { app } = context();
    const dir = join(app, "..", folder), name = spec.slice(0, spec.lastIndexOf("@"));
    if (!existsSync(join(dir, "node_modules", name))) {
      mkdirSync(dir, { recursive: true });
      const r = spawnSync("npm", ["install", "--no-audit", "--no-fund", ...extra, "--prefix", dir, spec], { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`could not install ${spec}: ${(r.stderr || "").slice(-500)}`);
    }
    return join(dir, "node_modules", name);
  }
  // --legacy-peer-deps: tfjs-core stays the one copy the repository has (a second would be a second engine).
  const tfjsBackend = () => installed("tfjs-webgpu", TFJS_WEBGPU, ["--legacy-peer-deps"]);

  const chromiumWebgpuArgs = () => context().chromiumArgs.filter((a) => a !== "--disable-gpu").concat(WEBGPU_ARGS);

  const node = {
    imports: 'import { create, globals } from "webgpu";\nimport { readFileSync } from "node:fs";\nObject.assign(globalThis, globals);',
    expr: "create([])", runtime: '"Node " + process.version',
  };
  const nodeLike = { readDigits: 'readFileSync("webgpu-mnist/digits.bin")', arg: "process.argv[2]", exit: "process.exit(0);" };

  return {
    "webgpu-node": {
      expect: "webgpu", group: "webgpu", verbose: true,
      run: () => serverSide(process.execPath, [], "main-webgpu-node.mjs", { gpu: node, ...nodeLike }, DAWN_ENV),
    },
    "webgpu-deno": {
      expect: "webgpu", group: "webgpu", verbose: true,
      run: () => serverSide(context().bin("deno"), ["run", "--allow-read", "--allow-env"], "main-webgpu-deno.mjs", {
        gpu: { expr: "navigator.gpu", runtime: '"Deno " + Deno.version.deno' },
        readDigits: 'Deno.readFileSync("webgpu-mnist/digits.bin")', arg: "Deno.args[0]",
      }, { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" }),
    },
    "webgpu-bun": {
      expect: "webgpu", group: "webgpu", verbose: true,
      run: () => {
        const gpu = {
          imports: `import { setupGlobals } from ${JSON.stringify(join(installed("bun-webgpu", BUN_WEBGPU), "index.js"))};\nimport { readFileSync } from "node:fs";\nsetupGlobals();`,
          expr: "navigator.gpu", runtime: '"Bun " + Bun.version',
        };
        return serverSide(context().bin("bun"), [], "main-webgpu-bun.mjs", { gpu, ...nodeLike }, { ...DAWN_ENV, DO_NOT_TRACK: "1" });
      },
    },
    "webgpu-chromium": { expect: "webgpu", group: "webgpu", verbose: true, run: chromiumWebgpu },
    "webgpu-tfjs-node": { expect: "webgpu", group: "webgpu", verbose: true, run: tfjsNode },
    "webgpu-tfjs-chromium": { expect: "webgpu", group: "webgpu", verbose: true, run: tfjsChromium },
  };

  async function tfjsNode() {
    const { app } = context();
    await build();
    writeFileSync(join(app, "main-webgpu-tfjs.mjs"), `import { create, globals } from "webgpu";
Object.assign(globalThis, globals);
const gpu = create([]);
// tfjs-backend-webgpu finds WebGPU at navigator.gpu.
Object.defineProperty(globalThis, "navigator", { value: { gpu, userAgent: "node" }, configurable: true });
await import(${JSON.stringify(join(tfjsBackend(), "dist", "tf-backend-webgpu.node.js"))});
const { tfjsWebgpuCheck } = await import("./webgpu-tfjs-app.js");
console.log("RESULT " + JSON.stringify(await tfjsWebgpuCheck("Node " + process.version)));
process.exit(0);
`);
    // Not runProcess: tfjs's own kernels on SwiftShader make this run minutes long on a loaded machine.
    const r = spawnSync(process.execPath, ["main-webgpu-tfjs.mjs"], { cwd: app, encoding: "utf8", env: { ...process.env, ...DAWN_ENV }, timeout: 900_000 });
    const line = (r.stdout ?? "").split("\n").find((l) => l.startsWith("RESULT "));
    if (!line) throw new Error(`exit ${r.status}: ${(r.stderr || r.stdout || String(r.error)).slice(-2000)}`);
    return JSON.parse(line.slice(7));
  }

  async function tfjsChromium() {
    const { app, root, serveDir, inChromium } = context();
    await build();
    const dir = join(app, "tfjs-webgpu");
    mkdirSync(dir, { recursive: true });
    cpSync(join(root, "node_modules", "@tensorflow", "tfjs", "dist", "tf.fesm.min.js"), join(dir, "tf.fesm.min.js"));
    cpSync(join(tfjsBackend(), "dist", "tf-backend-webgpu.fesm.js"), join(dir, "tf-backend-webgpu.fesm.js"));
    writeFileSync(join(app, "webgpu-tfjs.html"), `<!doctype html><meta charset="utf-8">
<script type="importmap">{ "imports": {
  "@tensorflow/tfjs": "/tfjs-webgpu/tf.fesm.min.js",
  "@tensorflow/tfjs-core": "/tfjs-webgpu/tf.fesm.min.js",
  "gradstep": "/node_modules/gradstep/dist/browser.js",
  "gradstep/tfjs": "/node_modules/gradstep/dist/adapters/tfjs/browser.js"
} }</script>
<script type="module">
  try {
    await import("/tfjs-webgpu/tf-backend-webgpu.fesm.js");
    const { tfjsWebgpuCheck } = await import("/webgpu-tfjs-app.js");
    window.__result = await tfjsWebgpuCheck(navigator.userAgent.match(/Chrom\\w+\\/[\\d.]+/)[0]);
  } catch (e) { window.__result = { error: String(e.stack || e) }; }
</script>`);
    const server = await serveDir(app);
    try {
      return await inChromium(`${server.url}webgpu-tfjs.html`, chromiumWebgpuArgs());
    } finally {
      server.close();
    }
  }

  /** The example's own page, then the parity page, in headless Chromium with WebGPU on SwiftShader. */
  async function chromiumWebgpu() {
    const { app, serveDir, inChromium } = context();
    await build();
    const importMap = `<script type="importmap">{ "imports": {
  "gradstep": "/node_modules/gradstep/dist/browser.js",
  "gradstep/webgpu": "/node_modules/gradstep/dist/webgpu/index.js"
} }</script>`;
    writeFileSync(join(app, "webgpu-mnist", "index.html"), `<!doctype html><meta charset="utf-8">${importMap}
<body>training…</body><script type="module" src="browser.js"></script>`);
    writeFileSync(join(app, "webgpu-parity.html"), `<!doctype html><meta charset="utf-8">${importMap}
<script type="module">
  try {
    const app = await import("/webgpu-app.js");
    const adapter = await navigator.gpu.requestAdapter();
    const runtime = navigator.userAgent.match(/Chrom\\w+\\/[\\d.]+/)[0] + ", " + app.adapterName(adapter.info);
    window.__result = await app.parityCheck(await adapter.requestDevice(), adapter.info, runtime);
  } catch (e) { window.__result = { error: String(e.stack || e) }; }
</script>`);
    const args = chromiumWebgpuArgs();
    const server = await serveDir(app);
    try {
      const example = await inChromium(`${server.url}webgpu-mnist/index.html`, args);
      const parity = await inChromium(`${server.url}webgpu-parity.html`, args);
      return { ...parity, results: [...judgeExample(example, example.line), ...parity.results] };
    } finally {
      server.close();
    }
  }
}

/** The example's CI run, judged: the loss falls, held-out accuracy well above chance, the first step bit-exact. */
function judgeExample(r, line) {
  const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
  const first = mean(r.losses.slice(0, 5)), last = mean(r.losses.slice(-5));
  return [
    { name: "webgpu-mnist (CI variant): the training loss falls by half", pass: last < first / 2, detail: `${first.toFixed(3)} -> ${last.toFixed(3)}; ${line}` },
    { name: "webgpu-mnist: held-out accuracy above 70 %", pass: r.heldOutAccuracy > 0.7, detail: `${(100 * r.heldOutAccuracy).toFixed(1)} %` },
    {
      name: "webgpu-mnist: the first Adam step on the GPU equals the Wasm Adam's on the same grads, bit for bit",
      pass: r.firstStep?.differing === 0 && r.firstStep.compared > 0,
      detail: r.firstStep ? `${r.firstStep.differing} of ${r.firstStep.compared} floats differ` : "not checked",
    },
  ];
}
