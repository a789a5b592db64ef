// `npx tsx bench/lowp.ts`: Adam with f32 / bf16 / int8 state (Wasm SIMD, one thread) beside native C Adam
// (gcc -O3 -fno-math-errno -march=native, bench/native.ts) and the 28 B/param roofline, in ONE interleaved
// run: every round measures every contender at every size, in a rotating order; the report is the median over
// rounds. It also times today's adam_f32 against the one in a baseline binary (BASE_WASM=path to an older
// build/gradstep-simd.wasm) over the same memory, interleaved, to show the f32 path did not get slower.
// It also times Adam's sqrt + div alone in Wasm SIMD (bench/roofline.as.ts sqrtDivFloor): no Adam in Wasm SIMD,
// whatever its state dtype, runs faster than that.
// With LOWP_ALL=n (e.g. 1048576) it times instead every optimizer with low-precision state (the registry's
// `lowp` entries) at n params: f32 / bf16 / int8, one interleaved run, ns/param/step.
// Env: LOWP_SIZES (65536,1048576,16777216), LOWP_ROUNDS (5), BASE_WASM, LOWP_ALL.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Adam, init, ParamStore } from "../src/index.js";
import { stepOptimizers } from "../src/optim/index.js";
import { ALL_CASES } from "./cases-all.js";
import { buildNative } from "./native.js";

const root = join(fileURLToPath(import.meta.url), "..", "..");
const SIZES = (process.env.LOWP_SIZES ?? "65536,1048576,16777216").split(",").map(Number);
const ROUNDS = Number(process.env.LOWP_ROUNDS ?? 5);
const BYTES: Record<string, number> = { f32: 28, bf16: 20, int8: 12 + 4 * (260 / 256), c: 28, roofline: 28, floor: 16 };
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };

await init({ backend: "simd" });

/** ns per param per step of `step`, calibrated to ~40 ms per sample after one untimed step; median of 3. */
function time(step: () => void, n: number): number {
  step();
  let k = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < k; i++) step();
    if (performance.now() - t0 > 40 || k >= 1 << 16) break;
    k *= 2;
  }
  const xs: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    for (let i = 0; i < k; i++) step();
    xs.push(((performance.now() - t0) * 1e6) / (k * n));
  }
  return median(xs);
}

// The bench-only Wasm kernels (bench/roofline.as.ts): Adam's sqrt + div alone, its compute floor in Wasm SIMD.
execFileSync(process.execPath, [join(root, "node_modules/assemblyscript/bin/asc.js"), "bench/roofline.as.ts", "-O3", "--runtime", "stub",
  "--noAssert", "--importMemory", "--sharedMemory", "--enable", "simd", "--enable", "threads", "--initialMemory", "1",
  "--maximumMemory", "65536", "-o", "build/roofline.wasm"], { cwd: root });
function floorKernel(n: number): () => void {
  const memory = new WebAssembly.Memory({ initial: Math.ceil((12 * n + (1 << 16)) / 65536), maximum: 65536, shared: true });
  const k = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(join(root, "build", "roofline.wasm"))), { env: { memory } })
    .exports as { sqrtDivFloor: (...a: number[]) => void };
  const f32 = new Float32Array(memory.buffer);
  const p = 4096, m = p + 4 * n, v = m + 4 * n;
  for (let i = 0; i < n; i++) { f32[p / 4 + i] = Math.sin(i); f32[m / 4 + i] = 1e-3 * Math.cos(i); f32[v / 4 + i] = 1e-6; }
  return () => k.sqrtDivFloor(p, m, v, n);
}

if (process.env.LOWP_ALL) {
  const n = Number(process.env.LOWP_ALL);
  const entries = stepOptimizers().filter((e) => e.spec.lowp);
  const extra: Record<string, object> = { sgd: { momentum: 0.9 } }; // SGD's state exists with momentum only
  const all: Record<string, number[]> = {};
  for (let round = 0; round < ROUNDS; round++) {
    const jobs = entries.flatMap((e) => (["f32", "bf16", "int8"] as const).map((dtype) => () => {
      const store = new ParamStore({ threads: 1 });
      const p = store.param("w", Float32Array.from({ length: n }, (_, i) => Math.sin(i)));
      p.grad.set(Float32Array.from({ length: n }, (_, i) => Math.cos(i) * 1e-2));
      const Cls = e.cls as unknown as new (params: unknown, o: object) => { step(): void };
      const opt = new Cls([p], { lr: 1e-3, ...extra[e.id], stateDtype: dtype, backend: "simd" });
      (all[`${e.spec.name} ${dtype}`] ??= []).push(time(() => opt.step(), n));
      store.dispose();
    }));
    const k = round % jobs.length;
    for (const job of [...jobs.slice(k), ...jobs.slice(0, k)]) job();
    console.error(`round ${round + 1}/${ROUNDS} done`);
  }
  console.log(`ns/param/step at ${n} params, one thread, Wasm SIMD, median of ${ROUNDS} interleaved rounds; ${cpus()[0]?.model} x${cpus().length}, ${process.version}, ${new Date().toISOString().slice(0, 10)}\n`);
  console.log("| optimizer | f32 | bf16 | int8 | bf16 ÷ f32 | int8 ÷ f32 |\n|---|---|---|---|---|---|");
  for (const e of entries) {
    const [a, b, c] = (["f32", "bf16", "int8"] as const).map((d) => median(all[`${e.spec.name} ${d}`]!));
    console.log(`| ${e.spec.name} | ${a!.toPrecision(3)} | ${b!.toPrecision(3)} | ${c!.toPrecision(3)} | ${(b! / a!).toFixed(2)}× | ${(c! / a!).toFixed(1)}× |`);
  }
  process.exit(0);
}

let native: string | undefined;
if (spawnSync("gcc", ["--version"]).status === 0) {
  native = buildNative(ALL_CASES, ["-march=native"], "optim-c-native");
}

// Today's vs the baseline binary's adam_f32, both over one memory.
const base = process.env.BASE_WASM && existsSync(process.env.BASE_WASM) ? process.env.BASE_WASM : undefined;
function twinKernels(n: number) {
  const memory = new WebAssembly.Memory({ initial: Math.ceil((20 * n + (1 << 20)) / 65536), maximum: 65536 });
  const env = { memory, abort() { throw new Error("abort"); } };
  const make = (path: string) => (new WebAssembly.Instance(new WebAssembly.Module(readFileSync(path)), { env }).exports.adam_f32 as (...a: number[]) => void);
  const now = make(join(root, "build", "gradstep-simd.wasm")), old = make(base!);
  const f32 = new Float32Array(memory.buffer);
  const ptr = (i: number) => 4096 + i * (4 * n + 4096 + 64 * i);
  for (let i = 0; i < 4 * n; i++) f32[ptr(0) / 4 + i] = Math.sin(i); // p, then m, v zero, g
  for (let i = 0; i < n; i++) f32[ptr(3) / 4 + i] = Math.cos(i);
  const call = (k: typeof now) => () => k(ptr(0), ptr(1), ptr(2), 0, ptr(3), n, 1e-3, 0.1, 0.999, 0.001, 1.0005, 1e-8, 0, 1, 0.9, 1, 1, 1, 0);
  return { now: call(now), old: call(old) };
}

const samples: Record<string, number[]> = {};
const add = (key: string, ns: number) => (samples[key] ??= []).push(ns);
for (let round = 0; round < ROUNDS; round++) {
  for (const n of SIZES) {
    const contenders: Array<[string, () => void]> = [];
    for (const dtype of ["f32", "bf16", "int8"] as const) {
      contenders.push([dtype, () => {
        const store = new ParamStore({ threads: 1 });
        const p = store.param("w", Float32Array.from({ length: n }, (_, i) => Math.sin(i)));
        p.grad.set(Float32Array.from({ length: n }, (_, i) => Math.cos(i) * 1e-2));
        const opt = new Adam([p], { lr: 1e-3, stateDtype: dtype, backend: "simd" });
        add(`${dtype} ${n}`, time(() => opt.step(), n));
        store.dispose();
      }]);
    }
    contenders.push(["floor", () => add(`floor ${n}`, time(floorKernel(n), n))]);
    if (native) {
      contenders.push(["c", () => {
        for (const line of execFileSync(native!, [String(n), "adam,roofline28", "40", "3"], { encoding: "utf8" }).split("\n").filter(Boolean)) {
          const r = JSON.parse(line) as { kernel: string; ns: number };
          add(`${r.kernel === "adam" ? "c" : "roofline"} ${n}`, r.ns);
        }
      }]);
    }
    if (base && n <= 1 << 20) {
      contenders.push(["twins", () => {
        const k = twinKernels(n);
        for (let r = 0; r < 3; r++) { add(`f32-now ${n}`, time(k.now, n)); add(`f32-base ${n}`, time(k.old, n)); }
      }]);
    }
    const order = [...contenders.slice(round % contenders.length), ...contenders.slice(0, round % contenders.length)];
    for (const [, run] of order) run();
  }
  console.error(`round ${round + 1}/${ROUNDS} done`);
}

const fmt = (key: string, bytes: number) => {
  const xs = samples[key];
  if (!xs) return "–";
  const ns = median(xs);
  return `${ns.toPrecision(3)} (${(bytes / ns).toPrecision(3)})`;
};
console.log(`Adam, ns/param/step (GB/s of the bytes it moves), median of ${ROUNDS} interleaved rounds; ${cpus()[0]?.model} x${cpus().length}, ${process.version}, ${new Date().toISOString().slice(0, 10)}\n`);
console.log(`| contender | B/param | ${SIZES.map((n) => (n >= 1 << 20 ? `${n >> 20}M` : `${n >> 10}K`)).join(" | ")} |`);
console.log(`|---|---|${SIZES.map(() => "---").join("|")}|`);
const rows: Array<[string, string]> = [["Wasm SIMD, f32 state", "f32"], ["Wasm SIMD, bf16 state", "bf16"], ["Wasm SIMD, int8 state", "int8"],
  ["Wasm SIMD, Adam's sqrt + div alone (its compute floor)", "floor"],
  ["C -O3 -march=native -fno-math-errno, f32", "c"], ["roofline (28 B/param, trivial math), C", "roofline"]];
for (const [label, key] of rows) {
  if (!SIZES.some((n) => samples[`${key} ${n}`])) continue;
  console.log(`| ${label} | ${BYTES[key]!.toFixed(key === "int8" ? 2 : 0)} | ${SIZES.map((n) => fmt(`${key} ${n}`, BYTES[key]!)).join(" | ")} |`);
}
if (base) {
  console.log("\nadam_f32 of this build vs the baseline binary, same memory, interleaved (ns/param, median):");
  for (const n of SIZES.filter((x) => samples[`f32-now ${x}`])) {
    const a = median(samples[`f32-now ${n}`]!), b = median(samples[`f32-base ${n}`]!);
    console.log(`  ${n}: now ${a.toPrecision(3)}, base ${b.toPrecision(3)}, ratio ${(a / b).toFixed(3)}`);
  }
}
