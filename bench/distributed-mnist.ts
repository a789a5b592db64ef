// Data-parallel MNIST on one machine (examples/distributed-mnist.ts): training samples/s with 1 and 2 worker
// threads, measured interleaved (1, 2, 1, 2, ...) so that both see the same background load, medians reported
// with the load average before and after. Each run: the MLP 784-128-10, AdamW, global batch B (split into one
// micro-batch per worker: B on 1 worker, two of B/2 on 2), `steps` timed steps after 3 warm-up steps. Beside the
// training runs, the same workers with forward/backward only (no all-reduce, no step): how far two threads scale
// on this machine at all, at this load, the bound for the training's scaling. Each row also gives where a step's
// time goes (medians over the runs of each worker's mean per step, the slowest worker's): zeroGrad and
// forward/backward, and ddp.step() (the all-reduce, with its wait for the other worker, and the AdamW step).
// Run: npm run build && npx tsx bench/distributed-mnist.ts [repeats] [steps] [batches]   (not part of npm test)
// e.g. npx tsx bench/distributed-mnist.ts 5 150 64,256
import os from "node:os";
import { runDataParallel } from "../examples/distributed-mnist.js";

const REPEATS = Number(process.argv[2] ?? 5);
const STEPS = Number(process.argv[3] ?? 150);
const BATCHES = (process.argv[4] ?? "64,256").split(",").map(Number);
const COUNTS = [1, 2];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const load = () => os.loadavg().map((x) => x.toFixed(1)).join(" ");

console.log(`${STEPS} steps, global batches ${BATCHES.join(", ")}; ${os.cpus().length} cores (${os.cpus()[0]?.model}), Node ${process.version}, ${new Date().toISOString()}, load average ${load()}`);
const MODES = [["data parallel", false], ["forward/backward only", true]] as const;
const runs = new Map<string, { samples: number; compute: number; step: number }[]>();
for (let i = 0; i < REPEATS; i++) {
  for (const batch of BATCHES) {
    for (const [mode, computeOnly] of MODES) {
      for (const workers of COUNTS) {
        const r = await runDataParallel({ workers, steps: STEPS, batch, computeOnly });
        const key = `${batch}|${mode}|${workers}`;
        const slowest = (f: (p: (typeof r.phases)[number]) => number) => Math.max(...r.phases.map(f));
        runs.set(key, [...(runs.get(key) ?? []), { samples: r.samplesPerSec, compute: slowest((p) => p.compute), step: slowest((p) => p.step) }]);
      }
    }
  }
}
console.log("| global batch (per worker) | run | workers | samples/s (median) | runs | vs 1 worker | compute ms/step | ddp.step ms/step |");
console.log("|---|---|---|---|---|---|---|---|");
for (const batch of BATCHES) {
  for (const [mode] of MODES) {
    const base = median(runs.get(`${batch}|${mode}|1`)!.map((x) => x.samples));
    for (const w of COUNTS) {
      const xs = runs.get(`${batch}|${mode}|${w}`)!;
      const s = xs.map((x) => x.samples);
      console.log(`| ${batch} (${batch / w}) | ${mode} | ${w} | ${median(s).toFixed(0)} | ${s.map((x) => x.toFixed(0)).join(", ")} | ${(median(s) / base).toFixed(2)}× | ` +
        `${median(xs.map((x) => x.compute)).toFixed(2)} | ${mode === "data parallel" ? median(xs.map((x) => x.step)).toFixed(2) : "–"} |`);
    }
  }
}
console.log(`load average after: ${load()}`);
