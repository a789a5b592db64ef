// GEMM throughput: gradstep's gemm_f32 (Wasm SIMD, and the scalar build for reference) vs the best plain-JS
// loop (i-k-j over Float32Array) vs numpy's matmul on one OpenBLAS thread, square f32 matrices, one interleaved
// run: every round runs every contender at every size, in rotating order; the figure is the median over rounds.
// Run: npx tsx bench/gemm.ts [rounds] [sizes]     (not part of npm test; timings never gate tests)
// numpy comes from /work/venv/bin/python (or $GEMM_PYTHON) with OPENBLAS_NUM_THREADS=1; skipped with a note
// when that python or numpy is missing.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import os from "node:os";
import { init, ParamStore } from "../src/index.js";
import { gemmPackFloats } from "../src/linalg/gemm.js";

const ROUNDS = Number(process.argv[2] ?? 5);
const SIZES = (process.argv[3] ?? "64,256,512,1024").split(",").map(Number);
const MIN_SAMPLE_S = 0.03;
const PYTHON = process.env.GEMM_PYTHON ?? "/work/venv/bin/python";

const NUMPY = `
import sys, time, numpy as np
n, min_s = int(sys.argv[1]), float(sys.argv[2])
rng = np.random.default_rng(n)
a = rng.random((n, n), dtype=np.float32) - 0.5
b = rng.random((n, n), dtype=np.float32) - 0.5
c = a @ b
reps = 1
while True:
    t = time.perf_counter()
    for _ in range(reps): np.matmul(a, b, out=c)
    dt = time.perf_counter() - t
    if dt >= min_s: break
    reps *= 2
print(dt / reps, float(c[0, 0]))
`;

function numpyInfo(): string | undefined {
  if (!existsSync(PYTHON)) return undefined;
  const r = spawnSync(PYTHON, ["-c", "import numpy, threadpoolctl as t\nprint(numpy.__version__, [(i['internal_api'], i['version'], i['num_threads']) for i in t.threadpool_info()])"],
    { env: { ...process.env, OPENBLAS_NUM_THREADS: "1" }, encoding: "utf8" });
  if (r.status === 0) return r.stdout.trim();
  const r2 = spawnSync(PYTHON, ["-c", "import numpy; print(numpy.__version__)"], { encoding: "utf8" });
  return r2.status === 0 ? `${r2.stdout.trim()} (OpenBLAS threads forced to 1 via OPENBLAS_NUM_THREADS)` : undefined;
}

function numpySeconds(n: number): number {
  const r = spawnSync(PYTHON, ["-c", NUMPY, String(n), String(MIN_SAMPLE_S)],
    { env: { ...process.env, OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1" }, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`numpy failed: ${r.stderr}`);
  return Number(r.stdout.trim().split(" ")[0]);
}

/** Seconds per call: calls doubled until one sample lasts MIN_SAMPLE_S (one warm-up call first). */
function seconds(fn: () => void): number {
  fn();
  for (let reps = 1; ; reps *= 2) {
    const t = performance.now();
    for (let r = 0; r < reps; r++) fn();
    const dt = (performance.now() - t) / 1000;
    if (dt >= MIN_SAMPLE_S || reps >= 1 << 20) return dt / reps;
  }
}

function fill(a: Float32Array, seed: number): Float32Array {
  let x = seed >>> 0;
  for (let i = 0; i < a.length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    a[i] = x / 4294967296 - 0.5;
  }
  return a;
}

/** The plain JS a user would write: i-k-j (row of C += a[i][p] · row p of B), the fastest plain order. */
function jsGemm(c: Float32Array, a: Float32Array, b: Float32Array, n: number): void {
  c.fill(0);
  for (let i = 0; i < n; i++) {
    const ci = i * n;
    for (let p = 0; p < n; p++) {
      const aip = a[i * n + p]!, bp = p * n;
      for (let j = 0; j < n; j++) c[ci + j] = c[ci + j]! + aip * b[bp + j]!;
    }
  }
}

await init();
const info = numpyInfo();
const contenders = ["gradstep simd", "gradstep scalar", "plain JS i-k-j", ...(info ? ["numpy 1 thread"] : [])];
const results = new Map<string, number[]>();
const stores: ParamStore[] = [];
const setups = SIZES.map((n) => {
  const store = new ParamStore();
  stores.push(store);
  const pa = store.alloc(n * n), pb = store.alloc(n * n), pc = store.alloc(n * n), pack = store.alloc(gemmPackFloats(n, n));
  fill(store.f32.subarray(pa / 4, pa / 4 + n * n), 1);
  fill(store.f32.subarray(pb / 4, pb / 4 + n * n), 2);
  const a = fill(new Float32Array(n * n), 1), b = fill(new Float32Array(n * n), 2), c = new Float32Array(n * n);
  const simd = store.kernels("simd").gemm_f32!, scalar = store.kernels("scalar").gemm_f32!;
  const run: Record<string, () => number> = {
    "gradstep simd": () => seconds(() => simd(pc, pa, pb, pack, n, n, n, 0)),
    "gradstep scalar": () => seconds(() => scalar(pc, pa, pb, pack, n, n, n, 0)),
    "plain JS i-k-j": () => seconds(() => jsGemm(c, a, b, n)),
    "numpy 1 thread": () => numpySeconds(n),
  };
  return { n, run, check: () => Math.abs(store.f32[pc / 4]! - c[0]!) };
});

for (let round = 0; round < ROUNDS; round++) {
  for (const s of setups) {
    const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]!);
    for (const name of order) {
      const key = `${name} ${s.n}`;
      if (!results.has(key)) results.set(key, []);
      results.get(key)!.push(s.run[name]!());
    }
    if (!(s.check() < 1e-3 * s.n)) throw new Error(`gemm ${s.n}: Wasm and JS disagree at C[0][0]`);
  }
  process.stderr.write(`round ${round + 1}/${ROUNDS}\n`);
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const gflops = (name: string, n: number) => (2 * n ** 3) / median(results.get(`${name} ${n}`)!) / 1e9;
console.log(`# gemm_f32, f32 C = A·B, square n×n: GFLOP/s (2n³ / median time over ${ROUNDS} interleaved rounds)`);
console.log(`${new Date().toISOString()}; node ${process.version}; ${os.cpus()[0]?.model ?? "?"} × ${os.cpus().length}; ` +
  `numpy ${info ?? "not found (skipped): set GEMM_PYTHON to a python with numpy"}\n`);
console.log(`| implementation | ${SIZES.map((n) => `${n}²`).join(" | ")} |`);
console.log(`|---|${SIZES.map(() => "---").join("|")}|`);
for (const name of contenders) console.log(`| ${name} | ${SIZES.map((n) => gflops(name, n).toFixed(2)).join(" | ")} |`);
console.log(`| simd ÷ plain JS | ${SIZES.map((n) => `${(gflops("gradstep simd", n) / gflops("plain JS i-k-j", n)).toFixed(1)}×`).join(" | ")} |`);
if (info) console.log(`| simd ÷ numpy (OpenBLAS, 1 thread) | ${SIZES.map((n) => `${(100 * gflops("gradstep simd", n) / gflops("numpy 1 thread", n)).toFixed(0)} %`).join(" | ")} |`);
for (const s of stores) s.dispose();
