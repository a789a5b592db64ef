// Data-parallel MNIST on one machine (examples/distributed-mnist.ts): training samples/s with 1 and 2 worker
// threads, measured interleaved (1, 2, 1, 2, ...) so that both see the same background load, medians reported
// with the load average before and after. Each run: the MLP 784-128-10, AdamW, global batch `batch` (default 64:
// one micro-batch of 64 on 1 worker, two of 32 on 2), `steps` timed steps after 3 warm-up steps. Beside the
// training runs, the same workers with forward/backward only (no all-reduce, no step): how far two threads scale
// on this machine at all, at this load, the bound for the training's scaling.
// Run: npm run build && npx tsx bench/distributed-mnist.ts [repeats] [steps] [batch]   (not part of npm test)
import os from "node:os";
import { runDataParallel } from "../examples/distributed-mnist.js";

const REPEATS = Number(process.argv[2] ?? 5);
const STEPS = Number(process.argv[3] ?? 150);
const BATCH = Number(process.argv[4] ?? 64);
const COUNTS = [1, 2];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const load = () => os.loadavg().map((x) => x.toFixed(1)).join(" ");

console.log(`global batch ${BATCH}, ${STEPS} steps; ${os.cpus().length} cores (${os.cpus()[0]?.model}), Node ${process.version}, ${new Date().toISOString()}, load average ${load()}`);
const MODES = [["data parallel (forward/backward, all-reduce, AdamW step)", false], ["forward/backward only", true]] as const;
const samples = new Map<string, number[]>();
for (let i = 0; i < REPEATS; i++) {
  for (const [mode, computeOnly] of MODES) {
    for (const workers of COUNTS) {
      const r = await runDataParallel({ workers, steps: STEPS, batch: BATCH, computeOnly });
      const key = `${mode}|${workers}`;
      samples.set(key, [...(samples.get(key) ?? []), r.samplesPerSec]);
    }
  }
}
console.log("| run | workers | samples/s (median) | runs | speedup |");
console.log("|---|---|---|---|---|");
for (const [mode] of MODES) {
  const base = median(samples.get(`${mode}|1`)!);
  for (const w of COUNTS) {
    const s = samples.get(`${mode}|${w}`)!;
    console.log(`| ${mode} | ${w} | ${median(s).toFixed(0)} | ${s.map((x) => x.toFixed(0)).join(", ")} | ${(median(s) / base).toFixed(2)}× |`);
  }
}
console.log(`load average after: ${load()}`);
