// What the benchmark processes share: the timer and the seeded fill (bench/measure.ts, bench/versus.ts).
import Benchmark from "benchmark";

/** Seconds per cell (BENCH_MAX_TIME, default 0.25): how long benchmark.js samples one contender. */
export const MAX_TIME = Number(process.env.BENCH_MAX_TIME ?? 0.25);

/** Median seconds per call of fn, via benchmark.js. */
export function time(fn: () => void): number {
  const b = new Benchmark(fn, { maxTime: MAX_TIME, minSamples: 5, initCount: 1 });
  b.run();
  const s = [...b.stats.sample].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)]!;
}

/** a filled with a fixed LCG sequence from `seed`, uniform in [-0.05, 0.05). */
export function randomFill(a: Float32Array, seed: number): Float32Array {
  let x = seed >>> 0;
  for (let i = 0; i < a.length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    a[i] = (x / 4294967296 - 0.5) * 0.1;
  }
  return a;
}
