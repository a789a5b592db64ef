// All-reduce throughput of the process groups: W ranks as worker threads (messages, and the shared-memory path
// with its Wasm SIMD reduction and with the JS loop) and as WebSocket clients through the relay, sum of N floats, median of ROUNDS timed calls after one
// warm-up. The figure is the "algorithm bandwidth" N·4 bytes / time (what one rank's buffer moves per second).
// Run: npx tsx bench/distributed.ts [rounds] [sizes] [worldSize]   (not part of npm test; timings never gate tests)
// The ranks are the tests' (test/distributed/transports.ts), so the bench runs exactly what the tests check.
import os from "node:os";
import { type Ranks, webSocketRanks, workerRanks } from "../test/distributed/transports.js";

const ROUNDS = Number(process.argv[2] ?? 5);
const SIZES = (process.argv[3] ?? "1048576,16777216").split(",").map(Number);
const W = Number(process.argv[4] ?? 2);

async function time(ranks: Ranks, n: number): Promise<number> {
  const bufs = Array.from({ length: W }, (_, r) => new Float32Array(n).fill(r + 1));
  const samples: number[] = [];
  for (let i = 0; i <= ROUNDS; i++) {
    const replies = await Promise.all(bufs.map((b, r) => ranks.call(r, "allReduce", [b])));
    if (replies.some((x) => x.error)) throw new Error(replies.find((x) => x.error)!.error!.message);
    // Timed inside the ranks, the last one to start (the others' clocks include waiting for its command, whose
    // own trip to a worker is not the collective's).
    const dt = Math.min(...replies.map((x) => x.ms!));
    if (i > 0) samples.push(dt);
  }
  return samples.sort((a, b) => a - b)[samples.length >> 1]!;
}

const transports: [string, (n: number) => Promise<Ranks>][] = [
  ["worker threads, messages", () => workerRanks(W)],
  ["worker threads, shared memory, Wasm SIMD reduction", (n) => workerRanks(W, { sharedFloats: Math.min(n, 1 << 22) })],
  ["worker threads, shared memory, JS reduction", (n) => workerRanks(W, { sharedFloats: Math.min(n, 1 << 22), wasm: false })],
  ["WebSocket relay (in-process clients)", () => webSocketRanks(W)],
];
console.log(`W = ${W}, ${os.cpus().length} cores (${os.cpus()[0]?.model}), Node ${process.version}, ${new Date().toISOString()}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}`);
console.log("| transport | " + SIZES.map((n) => `${n} floats`).join(" | ") + " |");
console.log("|---|" + SIZES.map(() => "---|").join(""));
for (const [name, make] of transports) {
  const cells: string[] = [];
  for (const n of SIZES) {
    const ranks = await make(n);
    try {
      const ms = await time(ranks, n);
      cells.push(`${ms.toFixed(1)} ms, ${((n * 4) / (ms / 1000) / 1e9).toFixed(2)} GB/s`);
    } finally {
      await ranks.close();
    }
  }
  console.log(`| ${name} | ${cells.join(" | ")} |`);
}
