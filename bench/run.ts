// `npm run bench`: every contender in one interleaved run. Each round starts the benchmark processes in
// rotating order (gradstep, tfjs-cpu, tfjs-wasm, native C SSE2, native C -march=native); inside a process the
// contenders rotate too. The report takes the median over rounds and writes bench/results/results.{md,json}
// and bench/results/adam.svg. Env: BENCH_ROUNDS (3), BENCH_SIZES, BENCH_MAX_TIME (seconds per cell),
// BENCH_COLD_START ("0": skip the cold starts; "only": re-measure only them, into the existing results),
// BENCH_CASES (case ids to keep, bench/cases-all.ts), BENCH_OUT (the results folder instead of bench/results).
// BENCH_TFJS ("1": then run bench/tfjs.ts, the TensorFlow.js adapter against tf.train).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ALL_CASES, CASES } from "./cases-all.js";
import { buildNative } from "./native.js";
import { closureOptimizers } from "../src/optim/index.js";
import { renderChart, renderMarkdown, type Result, type Row } from "./report.js";

const root = join(fileURLToPath(import.meta.url), "..", "..");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SIZES = process.env.BENCH_SIZES ?? "4096,65536,1048576,16777216";
const out = process.env.BENCH_OUT ?? join(root, "bench", "results");
mkdirSync(out, { recursive: true });
mkdirSync(join(root, "build"), { recursive: true });

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 26 });
}

const notes: string[] = [];
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };
// Cold start per runtime (import + init() + first Adam step on 1K params), from the runtime matrix, which
// installs the packed package into a scratch project and runs it in each runtime it finds; one sample per
// matrix run, so the matrix runs once per round and the median is reported.
function coldStarts(): Array<Record<string, unknown>> {
  const runs: Array<Array<Record<string, unknown>>> = [];
  for (let i = 0; i < ROUNDS; i++) {
    const r = spawnSync(process.execPath, ["test/runtimes/run.mjs", "runtimes"], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    console.error(r.stdout);
    try {
      runs.push((JSON.parse(readFileSync(join(root, "test", "runtimes", "last-run.json"), "utf8")) as { report: Array<Record<string, unknown>> }).report);
    } catch {
      notes.push("cold start: the runtime matrix did not run (see npm run test:runtimes)");
      break;
    }
  }
  return (runs.at(-1) ?? []).map((c) => {
    const ms = runs.map((run) => run.find((x) => x.name === c.name)?.coldStartMs).filter((x): x is number => typeof x === "number");
    return { ...c, coldStartMs: ms.length ? median(ms) : undefined, coldStartSamples: ms.length };
  });
}

// BENCH_COLD_START=only: re-measure the cold starts alone, into the existing results.
if (process.env.BENCH_COLD_START === "only") {
  const previous = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as Result;
  const coldStart = coldStarts();
  const result = { ...previous, notes: [...previous.notes.filter((n) => !n.startsWith("cold start")), ...notes.filter((n) => n.startsWith("cold start"))],
    coldStart, coldStartDate: new Date().toISOString() };
  writeResults(result);
  process.exit(0);
}

function writeResults(result: Result): void {
  writeFileSync(join(out, "results.json"), `${JSON.stringify(result, null, 1)}\n`);
  writeFileSync(join(out, "results.md"), renderMarkdown(result));
  // The chart is Adam's: a run limited to other cases (BENCH_CASES) leaves the last one in place.
  if (result.cases.some((c) => c.id === "adam")) writeFileSync(join(out, "adam.svg"), renderChart(result, "adam"));
  console.log(renderMarkdown(result));
}

// Bench-only Wasm roofline kernel (shared memory: it runs over a store's memory).
sh(process.execPath, [join(root, "node_modules/assemblyscript/bin/asc.js"), "bench/roofline.as.ts", "-O3", "--runtime", "stub",
  "--noAssert", "--importMemory", "--sharedMemory", "--enable", "simd", "--enable", "threads", "--initialMemory", "1",
  "--maximumMemory", "65536", "-o", "build/roofline.wasm"]);

// Native anchors, compiled now when gcc exists.
const natives: Array<[string, string]> = [];
const gcc = spawnSync("gcc", ["--version"], { encoding: "utf8" });
if (gcc.status === 0) {
  for (const [name, flags] of [["c-sse2", ["-msse2"]], ["c-native", ["-march=native"]]] as const) {
    natives.push([name, buildNative(ALL_CASES, flags, `optim-${name}`)]);
  }
  // The 2-thread roofline (OpenMP), in a binary and process of its own so its idle OpenMP thread never
  // competes with the single-thread anchors.
  try {
    natives.push(["c-native-2t", buildNative(ALL_CASES, ["-march=native", "-fopenmp"], "optim-c-native-2t")]);
  } catch {
    notes.push("gcc -fopenmp failed: the 2-thread roofline is skipped.");
  }
} else {
  notes.push("gcc not found: native C rows skipped.");
}

type Sample = Record<string, unknown> & { contender: string; case: string; n: number | string };
const samples: Sample[] = [];
const jobs: Array<[string, () => string]> = [
  ["gradstep", () => sh(process.execPath, ["--expose-gc", "--import", "tsx", "bench/measure.ts", "gradstep", String(round), SIZES])],
  ...CASES.map((c) => [`one-optimizer ${c.id}`, () => sh(process.execPath, ["--expose-gc", "--import", "tsx", "bench/measure.ts", "one-optimizer", String(round), SIZES, c.id])] as [string, () => string]),
  // Closure-kind optimizers (LBFGS) measure themselves against their plain-JS loop (bench/optim/<id>.bench.ts).
  ...closureOptimizers().map((e) => [`closure ${e.id}`, () => sh(process.execPath, ["--import", "tsx", `bench/optim/${e.id}.bench.ts`, "65536,1048576"])] as [string, () => string]),
  ["tfjs-cpu", () => sh(process.execPath, ["--import", "tsx", "bench/measure.ts", "tfjs-cpu", String(round), SIZES])],
  ["tfjs-wasm", () => sh(process.execPath, ["--import", "tsx", "bench/measure.ts", "tfjs-wasm", String(round), SIZES])],
  ...natives.map(([name, bin]) => {
    const kernels = name === "c-native-2t" ? ["roofline28_2t"] : [...CASES.filter((c) => c.native).map((c) => c.id), "roofline28"];
    return [name, () => sh(bin, [SIZES, kernels.join(","), "40", "5"]).split("\n").filter(Boolean).map((l) => {
      const r = JSON.parse(l) as { kernel: string; n: number; ns: number };
      const roofline = r.kernel.startsWith("roofline28");
      return JSON.stringify({ contender: roofline ? `roofline-${name}` : name, case: roofline ? "roofline28" : r.kernel, n: r.n, ns: r.ns, threads: name === "c-native-2t" ? 2 : 1 });
    }).join("\n")] as [string, () => string];
  }),
];
let round = 0;
for (; round < ROUNDS; round++) {
  const order = [...jobs.slice(round % jobs.length), ...jobs.slice(0, round % jobs.length)];
  for (const [name, job] of order) {
    const t0 = Date.now();
    for (const line of job().split("\n").filter(Boolean)) samples.push({ ...JSON.parse(line), round });
    console.error(`round ${round + 1}/${ROUNDS}: ${name} done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
}

const coldStart = process.env.BENCH_COLD_START === "0" ? [] : coldStarts();

const groups = new Map<string, Sample[]>();
for (const s of samples) {
  if (typeof s.ns !== "number") continue;
  const key = `${s.contender}|${s.case}|${s.n}`;
  groups.set(key, [...(groups.get(key) ?? []), s]);
}
const rows: Row[] = [...groups.values()].map((g) => ({
  contender: g[0]!.contender, case: g[0]!.case, n: g[0]!.n, ns: median(g.map((s) => s.ns as number)), rounds: g.length,
  threads: (g[0]!.threads as number | undefined) ?? 1,
}));
// Fixed cost (µs) and heap growth per context ("one optimizer per process", "all ... in one process").
const fixed = samples.filter((s) => s.usPerStep !== undefined);
const contexts = [...new Set(fixed.map((s) => s.context as string))];
const fixedCost = Object.fromEntries(contexts.map((ctx) => [ctx, Object.fromEntries(CASES.map((c) =>
  [c.id, median(fixed.filter((s) => s.case === c.id && s.context === ctx).map((s) => s.usPerStep as number))]))]));
const heap = contexts.map((ctx) => ({ context: ctx, bytesPerStep: Object.fromEntries(CASES.map((c) =>
  [c.id, median(samples.filter((s) => s.case === "heap" && s.optimizer === c.id && s.context === ctx)
    .map((s) => ((s.heapAfterNoGc as number) - (s.heapBefore as number)) / (s.steps as number)))])) }));
for (const key of new Set(samples.filter((s) => typeof s.msPerStep === "number").map((s) => `${s.case}|${s.n}|${s.contender}`))) {
  const g = samples.filter((s) => `${s.case}|${s.n}|${s.contender}` === key);
  notes.push(`${g[0]!.case} (closure steps) at ${g[0]!.n}: ${g[0]!.contender} ${median(g.map((s) => s.msPerStep as number)).toFixed(2)} ms per step, ` +
    `${median(g.map((s) => s.vsPlainJs as number)).toFixed(2)}× the plain-JS loop (median of ${g.length} rounds)`);
}
notes.push(...new Set(samples.filter((s) => s.skipped).map((s) => `${s.contender} at ${s.n}: skipped (${s.skipped as string})`)));

const tfjsVersion = (JSON.parse(sh(process.execPath, ["-e", "console.log(JSON.stringify(require('@tensorflow/tfjs-core/package.json').version))"])) as string);
const machine = {
  date: new Date().toISOString(),
  cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version, v8: process.versions.v8, tfjs: tfjsVersion,
  gcc: gcc.status === 0 ? gcc.stdout.split("\n")[0] : null, rounds: ROUNDS,
};
const result = { machine, notes, rows, fixedCostMicroseconds: fixedCost, heap, coldStart, cases: CASES.map((c) => ({ id: c.id, label: c.label, bytesPerParam: c.bytesPerParam })) };
writeResults(result);

// BENCH_TFJS=1: also gradstep/tfjs against tf.train inside TensorFlow.js (bench/tfjs.ts, its own interleaved run;
// `npm run bench:tfjs` alone), after the kernels, with this run's BENCH_ROUNDS.
if (process.env.BENCH_TFJS === "1") {
  const r = spawnSync(join(root, "node_modules", ".bin", "tsx"), ["bench/tfjs.ts"], { cwd: root, stdio: "inherit", env: { ...process.env, BENCH_ROUNDS: String(ROUNDS) } });
  if (r.status !== 0) process.exitCode = 1;
}
