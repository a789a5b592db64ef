// Data-parallel MNIST on one machine (examples/distributed-mnist.ts): training samples/s with 1 and 2 worker
// threads, measured interleaved (1, 2, 1, 2, ...) so that both see the same background load, medians reported
// with the load average before and after. Each run: the MLP 784-128-10, AdamW, global batch `batch` (default 64:
// one micro-batch of 64 on 1 worker, two of 32 on 2), `steps` timed steps after 3 warm-up steps.
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
const samples = new Map<number, number[]>(COUNTS.map((w) => [w, []]));
for (let i = 0; i < REPEATS; i++) {
  for (const workers of COUNTS) {
    const r = await runDataParallel({ workers, steps: STEPS, batch: BATCH });
    samples.get(workers)!.push(r.samplesPerSec);
  }
}
const base = median(samples.get(1)!);
console.log("| workers | samples/s (median) | runs | speedup |");
console.log("|---|---|---|---|");
for (const w of COUNTS) {
  const s = samples.get(w)!;
  console.log(`| ${w} | ${median(s).toFixed(0)} | ${s.map((x) => x.toFixed(0)).join(", ")} | ${(median(s) / base).toFixed(2)}× |`);
}
console.log(`load average after: ${load()}`);
