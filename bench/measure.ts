// One benchmark process of `npm run bench` (bench/run.ts starts several per round, in rotating order).
// Usage: tsx bench/measure.ts gradstep|tfjs-cpu|tfjs-wasm ROUND SIZES   → JSON lines on stdout;
//        tsx bench/measure.ts one-optimizer ROUND SIZES CASE          (fixed cost and heap, one optimizer).
// Timings use benchmark.js; the median of its samples is reported as ns per param per step.
import { readFileSync } from "node:fs";
import { init, ParamStore } from "../src/index.js";
import { cases as adamCases } from "./optim/adam.bench.js";
import { CASES } from "./cases-all.js";
import { randomFill, time } from "./timing.js";
const [mode = "gradstep", roundArg = "0", sizesArg = "4096,65536,1048576,16777216"] = process.argv.slice(2);
const round = Number(roundArg);
const SIZES = sizesArg.split(",").map(Number);
const MODEL = { tensors: 1000, size: 1024 };

function emit(o: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(o)}\n`);
}

/** Rotates a list by the round number, so that no contender always runs first. */
function rotate<T>(xs: T[]): T[] {
  const k = round % Math.max(1, xs.length);
  return [...xs.slice(k), ...xs.slice(0, k)];
}

async function gradstepProcess(): Promise<void> {
  await init();
  const roofline = new WebAssembly.Module(readFileSync(new URL("../build/roofline.wasm", import.meta.url)));
  for (const n of SIZES) {
    const single = new ParamStore({ capacity: n });
    const threaded = new ParamStore({ threads: "auto", capacity: n });
    await threaded.ready();
    const p1 = single.param("w", randomFill(new Float32Array(n), 1));
    const p2 = threaded.param("w", randomFill(new Float32Array(n), 1));
    randomFill(p1.grad, 2);
    randomFill(p2.grad, 2);
    const foreign = { value: randomFill(new Float32Array(n), 1), grad: randomFill(new Float32Array(n), 2) };
    for (const c of rotate(CASES)) {
      const contenders: Array<[string, () => void]> = [];
      for (const backend of ["simd", "scalar", "js"] as const) {
        const opt = c.gradstep([p1] as never[], backend);
        contenders.push([`gradstep-${backend}`, () => opt.step()]);
      }
      const optT = c.gradstep([p2] as never[], "simd");
      contenders.push([`gradstep-simd-threads`, () => optT.step()]);
      const optF = c.gradstep([foreign] as never[], "simd");
      contenders.push(["gradstep-copy", () => optF.step()]);
      const p = randomFill(new Float32Array(n), 1), g = randomFill(new Float32Array(n), 2);
      const s = Array.from({ length: c.jsState }, () => new Float32Array(n));
      let t = 0;
      contenders.push(["plain-js", () => c.plainJs(p, g, s, ++t)]);
      for (const [name, fn] of rotate(contenders)) {
        emit({ contender: name, case: c.id, n, ns: (time(fn) * 1e9) / n, threads: name.endsWith("threads") ? threaded.threads : 1 });
      }
      optF.dispose();
    }
    // The Wasm roofline over the single-thread store's memory (p, g and two fresh arrays).
    const k = new WebAssembly.Instance(roofline, { env: { memory: single.memory } }).exports as { roofline28: (...a: number[]) => void };
    const m = single.alloc(n), v = single.alloc(n);
    emit({ contender: "roofline-wasm", case: "roofline28", n, ns: (time(() => k.roofline28(p1.valuePtr, p1.gradPtr, m, v, n)) * 1e9) / n });
    single.dispose();
    threaded.dispose();
  }
  // A realistic model: 1,000 tensors of 1K, stepped as one run (store sized for them), vs one 1M tensor.
  const store = new ParamStore({ capacity: MODEL.tensors * MODEL.size });
  const params = Array.from({ length: MODEL.tensors }, (_, i) => store.param(`t${i}`, randomFill(new Float32Array(MODEL.size), i)));
  for (const p of params) randomFill(p.grad, 7);
  const model = adamCases[0]!.gradstep(params as never[], "simd");
  emit({ contender: "gradstep-simd", case: "adam", n: "1000x1K", ns: (time(() => model.step()) * 1e9) / (MODEL.tensors * MODEL.size) });
  const unsized = new ParamStore();
  const params2 = Array.from({ length: MODEL.tensors }, (_, i) => unsized.param(`t${i}`, randomFill(new Float32Array(MODEL.size), i)));
  const model2 = adamCases[0]!.gradstep(params2 as never[], "simd");
  emit({ contender: "gradstep-simd-unsized-store", case: "adam", n: "1000x1K", ns: (time(() => model2.step()) * 1e9) / (MODEL.tensors * MODEL.size) });
  store.dispose();
  unsized.dispose();

  // Fixed cost and heap after every optimizer and backend ran in this process (call sites polymorphic).
  stepCost(CASES, "all optimizers and backends in one process");
}

/**
 * Fixed cost of a step (one 16-float param) and JS heap growth across 100,000 zero-copy steps (after 20,000
 * warm-up steps, so that V8's optimized code is in place, and a GC; no GC in between; needs --expose-gc), for
 * each case, labelled with `context`; then the same with lr edited before every step (what a scheduler does:
 * issue #5's option kinds make that a range check, no allocation), labelled `context, lr edited every step`.
 */
function stepCost(cases: typeof CASES, context: string): void {
  const tiny = new ParamStore();
  const w = tiny.param("w", 16);
  for (const edited of [false, true]) {
    const label = edited ? `${context}, lr edited every step` : context;
    for (const c of cases) {
      const opt = c.gradstep([w] as never[], "simd");
      const group = opt.paramGroups[0] as unknown as { lr: number };
      const lr0 = group.lr, lr1 = lr0 * 0.999;
      let t = 0;
      const step = edited ? () => { group.lr = (t++ & 1) ? lr0 : lr1; opt.step(); } : () => opt.step();
      emit({ contender: "gradstep-simd", case: c.id, n: 16, context: label, usPerStep: time(step) * 1e6 });
    }
    const gc = (globalThis as { gc?: () => void }).gc;
    if (!gc) continue;
    for (const c of cases) {
      const opt = c.gradstep([w] as never[], "simd");
      const group = opt.paramGroups[0] as unknown as { lr: number };
      const lr0 = group.lr, lr1 = lr0 * 0.999;
      for (let i = 0; i < 20_000; i++) {
        if (edited) group.lr = (i & 1) ? lr0 : lr1;
        opt.step();
      }
      gc();
      const before = process.memoryUsage().heapUsed;
      for (let i = 0; i < 100_000; i++) {
        if (edited) group.lr = (i & 1) ? lr0 : lr1;
        opt.step();
      }
      const after = process.memoryUsage().heapUsed;
      emit({ contender: "gradstep-simd", case: "heap", optimizer: c.id, context: label, steps: 100_000, heapBefore: before, heapAfterNoGc: after });
    }
  }
  tiny.dispose();
}

/** A trainer's process: init() and one optimizer (case `id`) on the simd backend, nothing else. */
async function oneOptimizerProcess(id: string): Promise<void> {
  await init();
  const c = CASES.find((x) => x.id === id);
  if (!c) throw new Error(`unknown case ${id}`);
  stepCost([c], "one optimizer per process");
}

async function tfjsProcess(backend: "cpu" | "wasm"): Promise<void> {
  const tf = await import("@tensorflow/tfjs-core");
  await import("@tensorflow/tfjs-backend-cpu");
  if (backend === "wasm") {
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    const dir = new URL("../node_modules/@tensorflow/tfjs-backend-wasm/dist/", import.meta.url).pathname;
    wasm.setWasmPaths(dir);
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
  }
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} failed to start`);
  await tf.ready();
  const name = `tfjs-${backend}`;
  for (const n of SIZES) {
    if (backend === "cpu" && n > 1 << 20) {
      emit({ contender: name, case: "note", n, skipped: "tfjs-cpu takes seconds per step at this size" });
      continue;
    }
    const grad = tf.tensor1d(randomFill(new Float32Array(n), 2));
    for (const c of rotate(CASES.filter((x) => x.tfjs))) {
      const v = tf.variable(tf.tensor1d(randomFill(new Float32Array(n), 1)), true, `${c.id}_${n}`);
      const opt = c.tfjs!(tf);
      const grads = { [v.name]: grad };
      emit({ contender: name, case: c.id, n, ns: (time(() => opt.applyGradients(grads)) * 1e9) / n });
      opt.dispose();
      v.dispose();
    }
    grad.dispose();
  }
  // The 1,000 × 1K model.
  const vars = Array.from({ length: MODEL.tensors }, (_, i) => tf.variable(tf.tensor1d(randomFill(new Float32Array(MODEL.size), i)), true, `m${i}`));
  const g = tf.tensor1d(randomFill(new Float32Array(MODEL.size), 7));
  const grads = Object.fromEntries(vars.map((v) => [v.name, g])) as never;
  const opt = tf.train.adam(1e-3, 0.9, 0.999, 1e-8);
  emit({ contender: name, case: "adam", n: "1000x1K", ns: (time(() => opt.applyGradients(grads)) * 1e9) / (MODEL.tensors * MODEL.size) });
}

if (mode === "gradstep") await gradstepProcess();
else if (mode === "one-optimizer") await oneOptimizerProcess(process.argv[5] ?? "adam");
else if (mode === "tfjs-cpu") await tfjsProcess("cpu");
else if (mode === "tfjs-wasm") await tfjsProcess("wasm");
else throw new Error(`unknown mode ${mode}`);
process.exit(0);
