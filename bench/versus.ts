// `npx tsx bench/versus.ts BASE.wasm`: this build's SIMD kernels (build/gradstep-simd.wasm) against another SIMD
// build of gradstep (the baseline: e.g. `asc assembly/index.ts --config asconfig.json --target simd` run in a
// checkout of an earlier commit), on the bench cases of `npm run bench` (bench/optim/<id>.bench.ts), interleaved
// in one process: each round takes every case at every size, in rotating order, and steps it with both builds,
// each in a fresh store of its own holding the same param (the same memory layout for both): a warm-up, then
// BENCH_PAIRS (7) windows of BENCH_WINDOW_MS (40) ms of each build, alternating; the round's ratio is the fastest
// window of the new build over the fastest of the baseline. Prints new/base time per case and size (the median
// over rounds, then their range; < 1: the new build is faster) and the load average. Env: BENCH_ROUNDS (5),
// BENCH_SIZES (65536,1048576), BENCH_CASES, BENCH_MAX_TIME (seconds of the warm-up, 0.25), BENCH_BUILD ("scalar":
// this build's scalar binary instead, against a scalar baseline).
// The new build runs as the "simd" backend and the baseline as the "scalar" one (init({ module }) takes one module
// per variant): their custom sections are rewritten to say so; nothing else of them is touched.
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { init, ParamStore } from "../src/index.js";
import { CASES } from "./cases-all.js";
import { randomFill, time } from "./timing.js";

const [basePath] = process.argv.slice(2);
if (!basePath) throw new Error("usage: npx tsx bench/versus.ts BASE.wasm");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SIZES = (process.env.BENCH_SIZES ?? "65536,1048576").split(",").map(Number);
const BUILD = process.env.BENCH_BUILD ?? "simd";
const PAIRS = Number(process.env.BENCH_PAIRS ?? 7), WINDOW = Number(process.env.BENCH_WINDOW_MS ?? 40);
const CPU = process.env.BENCH_CLOCK === "cpu";

/** The module's bytes with every custom section named "gradstep" replaced by one saying `variant`. */
function tagged(bytes: Uint8Array, variant: string): Uint8Array<ArrayBuffer> {
  const leb = (n: number) => { const o: number[] = []; do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; o.push(b); } while (n); return o; };
  const out: Uint8Array[] = [bytes.subarray(0, 8)];
  for (let i = 8; i < bytes.length;) {
    const start = i, id = bytes[i++]!;
    let size = 0, shift = 0, b: number;
    do { b = bytes[i++]!; size |= (b & 0x7f) << shift; shift += 7; } while (b & 0x80);
    const body = bytes.subarray(i, i + size);
    i += size;
    const nameLen = body[0]!; // names here are short: one LEB byte
    if (id === 0 && new TextDecoder().decode(body.subarray(1, 1 + nameLen)) === "gradstep") continue;
    out.push(bytes.subarray(start, i));
  }
  const name = [...new TextEncoder().encode("gradstep")], text = [...new TextEncoder().encode(variant)];
  const body = [...leb(name.length), ...name, ...text];
  return new Uint8Array(Buffer.concat([...out, Uint8Array.from([0, ...leb(body.length), ...body])]));
}

const read = (p: string | URL) => new Uint8Array(readFileSync(p));
await init({ module: {
  simd: new WebAssembly.Module(tagged(read(new URL(`../build/gradstep-${BUILD}.wasm`, import.meta.url)), "simd")),
  scalar: new WebAssembly.Module(tagged(read(basePath), "scalar")),
} });

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };

const ratios = new Map<string, number[]>();
const loads: number[] = [];

/** A step of case c at n floats on a backend, in a store of its own (both builds see the same layout). */
function stepper(c: (typeof CASES)[number], n: number, backend: "simd" | "scalar"): { step: () => void; dispose: () => void } {
  const store = new ParamStore({ capacity: n, shared: false });
  const p = store.param("w", randomFill(new Float32Array(n), 1));
  randomFill(p.grad, 2);
  const opt = c.gradstep([p] as never[], backend);
  return { step: () => opt.step(), dispose: () => store.dispose() };
}

const cpuSeconds = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

/** Seconds per call of fn over a window of WINDOW ms (of wall time; of CPU time with BENCH_CLOCK=cpu). */
function window(fn: () => void): number {
  const now = CPU ? () => cpuSeconds() * 1e3 : () => performance.now();
  const t0 = now();
  let k = 0, t = t0;
  do { fn(); k++; t = now(); } while (t - t0 < WINDOW);
  return (t - t0) / 1e3 / k;
}

// Each cell: both builds warmed up, then PAIRS short windows of each, alternating (the load of a shared machine
// drifts slower than a window); the cell's ratio is the fastest window of one over the fastest of the other.
for (let round = 0; round < ROUNDS; round++) {
  for (const n of SIZES) {
    for (const c of [...CASES.slice(round % CASES.length), ...CASES.slice(0, round % CASES.length)]) {
      const next = stepper(c, n, "simd"), base = stepper(c, n, "scalar");
      time(next.step);
      time(base.step);
      const tNew: number[] = [], tBase: number[] = [];
      for (let k = 0; k < PAIRS; k++) {
        if ((k + round) % 2 === 0) { tNew.push(window(next.step)); tBase.push(window(base.step)); }
        else { tBase.push(window(base.step)); tNew.push(window(next.step)); }
      }
      next.dispose();
      base.dispose();
      const key = `${c.id}|${n}`;
      ratios.set(key, [...(ratios.get(key) ?? []), Math.min(...tNew) / Math.min(...tBase)]);
    }
  }
  loads.push(loadavg()[0]!);
  console.error(`round ${round + 1}/${ROUNDS} done, load average ${loadavg()[0]!.toFixed(1)}`);
}

console.log(`new/base ${CPU ? "CPU " : ""}time, median of ${ROUNDS} interleaved rounds of ${PAIRS} window pairs (load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)})`);
console.log(`| case | ${SIZES.join(" | ")} |`);
console.log(`|---|${SIZES.map(() => "---").join("|")}|`);
for (const c of CASES) {
  console.log(`| ${c.id} | ${SIZES.map((n) => { const r = ratios.get(`${c.id}|${n}`)!; return `${median(r).toFixed(3)} (${Math.min(...r).toFixed(2)}–${Math.max(...r).toFixed(2)})`; }).join(" | ")} |`);
}
