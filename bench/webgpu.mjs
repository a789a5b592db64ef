// `node bench/webgpu.mjs OUT_DIR [--small]`: gradstep's WebGPU optimizers on the machine's GPU, in Node through
// the npm `webgpu` package (Dawn). Writes OUT_DIR/webgpu.json and prints it. Measures:
//   - the device-to-device copy bandwidth (copyBufferToBuffer of one large buffer, bytes read + written per s),
//     the yardstick of an optimizer that streams memory;
//   - Adam over one param of 2^24 and of 2^28 floats: time per step and its bandwidth at 28 bytes per param
//     (reads param, grad, exp_avg, exp_avg_sq; writes param and both moments), as a fraction of the copy's;
//   - the fixed cost of a step over 100 small params (64 floats each): latency (each step waited for) and
//     throughput (many steps queued, then one wait); before it, those params' 10 steps against the Wasm Adam
//     (bits that differ, and the worst difference as a fraction of 1e-6 + 1e-5·|x|);
//   - gradstep/tfjs (train.adam) against tf.train.adam on @tensorflow/tfjs-backend-webgpu, applyGradients on
//     a 64-layer dense model's fixed grads, each step flushed and waited for.
// GPU times are wall-clock around queue.onSubmittedWorkDone: K operations then one wait, minus 1 operation and
// one wait, divided by K − 1 (the wait's own latency cancels). Medians of ROUNDS.
// Prepare with `npm install && npm run build`; the script installs @tensorflow/tfjs-backend-webgpu@4.22.0 on
// first use into bench/.webgpu-deps (npm; not needed afterwards, so the folder can travel to a machine without
// network). --small uses sizes a CPU adapter (SwiftShader, lavapipe) runs in seconds, for checking the script.
// Without a GPU: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json (Debian's chromium package).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const [outDir] = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const small = process.argv.includes("--small");
if (!outDir) {
  console.error("usage: node bench/webgpu.mjs OUT_DIR [--small]");
  process.exit(2);
}
const ROUNDS = small ? 3 : 7;
const SIZES = small ? [1 << 16, 1 << 18] : [1 << 24, 1 << 28];
const COPY_BYTES = small ? 1 << 22 : 1 << 30;
const LAYERS = 64, WIDTH = small ? 32 : 256;

// ---- the device: the adapter's largest buffers, timestamp queries when offered ---------------------------
const { create, globals } = await import("webgpu");
Object.assign(globalThis, globals);
const gpu = create([]);
const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
if (!adapter) throw new Error("no WebGPU adapter (without a GPU: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json)");
const device = await adapter.requestDevice({
  requiredLimits: { maxBufferSize: adapter.limits.maxBufferSize, maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize },
});
const info = adapter.info;
const deviceName = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(" / ");
console.error(`[bench] ${deviceName}; maxBufferSize ${adapter.limits.maxBufferSize}, maxStorageBufferBindingSize ${adapter.limits.maxStorageBufferBindingSize}`);

const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]; };
const idle = () => device.queue.onSubmittedWorkDone();

/** Seconds per operation of `op` (which submits its work): K queued then one wait, minus one and a wait. */
async function perOp(op, k) {
  const time = async (n) => {
    await idle();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) op();
    await idle();
    return performance.now() - t0;
  };
  await time(2); // warm-up: pipelines, first-touch
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) rounds.push((await time(k)) - (await time(1)));
  return median(rounds) / (k - 1) / 1e3;
}

// ---- 1. the copy bandwidth ---------------------------------------------------------------------------------
const copyBytes = Math.min(COPY_BYTES, adapter.limits.maxBufferSize);
const src = device.createBuffer({ size: copyBytes, usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.STORAGE });
const dst = device.createBuffer({ size: copyBytes, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.STORAGE });
const copySeconds = await perOp(() => {
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(src, 0, dst, 0, copyBytes);
  device.queue.submit([enc.finish()]);
}, small ? 5 : 20);
src.destroy();
dst.destroy();
const copyBandwidth = (2 * copyBytes) / copySeconds;
console.error(`[bench] copy ${copyBytes} B: ${(copySeconds * 1e3).toFixed(3)} ms, ${(copyBandwidth / 1e9).toFixed(1)} GB/s (read + write)`);

// ---- 2. Adam over one large param, 3. the fixed cost of 100 small params ---------------------------------
const g = await import(pathToFileURL(join(root, "dist", "index.js")).href);
const { GpuParamStore } = await import(pathToFileURL(join(root, "dist", "webgpu", "index.js")).href);
await g.init();

const adam = [];
for (const n of SIZES) {
  try {
    const store = await GpuParamStore.create({ device });
    store.param("w", n, { shape: [n] });
    const opt = new g.Adam(store.params, { lr: 1e-3 });
    const seconds = await perOp(() => opt.step(), small ? 5 : 20);
    const bandwidth = (28 * n) / seconds;
    adam.push({ floats: n, msPerStep: seconds * 1e3, bytesPerParam: 28, bandwidthGBs: bandwidth / 1e9, ofCopyBandwidth: bandwidth / copyBandwidth });
    console.error(`[bench] Adam 2^${Math.log2(n)}: ${(seconds * 1e3).toFixed(3)} ms/step, ${(bandwidth / 1e9).toFixed(1)} GB/s = ${(100 * bandwidth / copyBandwidth).toFixed(0)} % of the copy`);
    store.dispose();
  } catch (e) {
    adam.push({ floats: n, error: String(e.message ?? e) });
    console.error(`[bench] Adam 2^${Math.log2(n)}: ${e.message ?? e}`);
  }
}

let fixedCost, conformance;
{
  const store = await GpuParamStore.create({ device });
  for (let i = 0; i < 100; i++) store.param(`p${i}`, 64, { shape: [64] });
  const opt = new g.Adam(store.params, { lr: 1e-3 });
  // First the numbers: 10 steps on seeded values and grads against the Wasm Adam, judged by the rule
  // for real GPUs (WGSL does not promise correctly rounded / and sqrt): |gpu − wasm| <= 1e-6 + 1e-5·|wasm|.
  let seed = 9;
  const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296 - 0.5);
  const host = new g.ParamStore(), hp = store.params.map((p) => host.param(p.name, 64));
  for (const [i, p] of store.params.entries()) { const v = Float32Array.from({ length: 64 }, rand); p.write(v); hp[i].value.set(v); }
  const ho = new g.Adam(hp, { lr: 1e-3 });
  for (let s = 0; s < 10; s++) {
    for (const [i, p] of store.params.entries()) { const gr = Float32Array.from({ length: 64 }, rand); p.writeGrad(gr); hp[i].grad.set(gr); }
    opt.step();
    ho.step();
  }
  let worst = 0, bitsDiffer = 0;
  for (const [i, p] of store.params.entries()) {
    const got = await p.read(), want = hp[i].value;
    for (let j = 0; j < 64; j++) {
      worst = Math.max(worst, Math.abs(got[j] - want[j]) / (1e-6 + 1e-5 * Math.abs(want[j])));
      if (!Object.is(got[j], want[j])) bitsDiffer++;
    }
  }
  conformance = { steps: 10, floats: 6400, bitsDiffer, worstOfTolerance: worst, pass: worst <= 1 };
  console.error(`[bench] Adam against the Wasm Adam, 10 steps: ${bitsDiffer} of 6400 floats differ in their bits; worst ${worst.toFixed(3)} of the tolerance`);
  host.dispose();
  const latency = [];
  for (let r = 0; r < ROUNDS * 10; r++) {
    const t0 = performance.now();
    opt.step();
    await idle();
    latency.push(performance.now() - t0);
  }
  const seconds = await perOp(() => opt.step(), 50);
  fixedCost = { params: 100, floatsEach: 64, latencyMs: median(latency), throughputMsPerStep: seconds * 1e3 };
  console.error(`[bench] 100 small params: ${median(latency).toFixed(3)} ms per step waited for, ${(seconds * 1e3).toFixed(3)} ms per step queued`);
  store.dispose();
}

// ---- 4. gradstep/tfjs against tf.train.adam on tfjs-backend-webgpu --------------------------------------
const deps = join(root, "bench", ".webgpu-deps");
const backendDir = join(deps, "node_modules", "@tensorflow", "tfjs-backend-webgpu");
if (!existsSync(backendDir)) {
  mkdirSync(deps, { recursive: true });
  writeFileSync(join(deps, "package.json"), '{ "private": true }\n');
  // --legacy-peer-deps: tfjs-core stays the repository's one copy (two engines would not share tensors).
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--legacy-peer-deps", "--prefix", deps, "@tensorflow/tfjs-backend-webgpu@4.22.0"], { stdio: "inherit" });
}
let tfjs;
try {
  Object.defineProperty(globalThis, "navigator", { value: { gpu, userAgent: "node" }, configurable: true });
  const tf = await import("@tensorflow/tfjs-core");
  await import(pathToFileURL(join(backendDir, "dist", "tf-backend-webgpu.node.js")).href);
  if (!(await tf.setBackend("webgpu"))) throw new Error("tfjs-backend-webgpu did not start");
  const { train } = await import(pathToFileURL(join(root, "dist", "adapters", "tfjs", "index.js")).href);
  const backend = tf.backend();
  let seed = 1;
  const rand = (n) => Float32Array.from({ length: n }, () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296 - 0.5) * 0.1);
  const shapes = Array.from({ length: LAYERS }, () => [[WIDTH, WIDTH], [WIDTH]]).flat();
  const grads = shapes.map((s) => tf.keep(tf.tensor(rand(s.reduce((a, b) => a * b, 1)), s)));
  const contenders = { "tf.train.adam": () => tf.train.adam(1e-3), "gradstep train.adam": () => train.adam(1e-3) };
  const times = {};
  for (const [name, make] of Object.entries(contenders)) {
    const vars = shapes.map((s, i) => tf.variable(tf.tensor(rand(s.reduce((a, b) => a * b, 1)), s), true, `${name}/v${i}`));
    const opt = make();
    const map = Object.fromEntries(vars.map((v, i) => [v.name, grads[i]]));
    const step = async () => {
      const t0 = performance.now();
      opt.applyGradients(map);
      // tfjs's own flush before a readback (its open compute pass ended first).
      backend.ensureCommandEncoderReady();
      backend.endComputePassEncoder();
      backend.submitQueue();
      await backend.device.queue.onSubmittedWorkDone();
      return performance.now() - t0;
    };
    for (let i = 0; i < 3; i++) await step();
    const ms = [];
    for (let i = 0; i < ROUNDS * 3; i++) ms.push(await step());
    times[name] = median(ms);
    opt.dispose();
    tf.dispose(vars);
  }
  tfjs = { layers: LAYERS, width: WIDTH, variables: shapes.length, msPerStep: times, speedup: times["tf.train.adam"] / times["gradstep train.adam"] };
  console.error(`[bench] tfjs-webgpu, ${LAYERS} dense layers of ${WIDTH}: tf.train.adam ${times["tf.train.adam"].toFixed(3)} ms, gradstep ${times["gradstep train.adam"].toFixed(3)} ms per applyGradients`);
} catch (e) {
  tfjs = { error: String(e.stack ?? e) };
  console.error(`[bench] tfjs-webgpu: ${e.message ?? e}`);
}

const out = {
  date: new Date().toISOString(), device: deviceName, adapterInfo: { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description },
  small, node: process.version, host: { cpus: cpus().length, loadavg: loadavg() },
  copy: { bytes: copyBytes, ms: copySeconds * 1e3, bandwidthGBs: copyBandwidth / 1e9 }, conformance, adam, fixedCost, tfjs,
};
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, "webgpu.json"), `${JSON.stringify(out, null, 1)}\n`);
console.log(JSON.stringify(out, null, 1));
process.exit(0);
