// The independent expectation of every collective: the rank-order f32 sum written with Math.fround, element by
// element, and seeded inputs whose magnitudes spread over 2^±12 so that another summation order gives other bits.
import { chunkRange } from "../../src/distributed/index.js";
import { randomF32, seeded } from "../runtimes/distributed-app/random.mjs";

export { randomF32, seeded };

export function rankOrderSum(inputs: Float32Array[], op: "sum" | "mean"): Float32Array {
  const out = new Float32Array(inputs[0]!.length);
  for (let i = 0; i < out.length; i++) {
    let acc = inputs[0]![i]!;
    for (let r = 1; r < inputs.length; r++) acc = Math.fround(acc + inputs[r]![i]!);
    out[i] = op === "mean" ? Math.fround(acc / inputs.length) : acc;
  }
  return out;
}

/** Index of the first element whose bits differ, or -1 (also -1 for -0 vs -0, unlike ===, which loses signs). */
export function firstBitDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

export type Case = { method: "allReduce" | "reduceScatter" | "allGather" | "broadcast" | "barrier"; op?: "sum" | "mean"; n: number };

/** Every rank's arguments for `c`, and what each must hold afterwards. */
export function instance(c: Case, worldSize: number, rand: () => number): { bufs: Float32Array[][]; arg: unknown; expected: Float32Array[][] } {
  const W = worldSize;
  const inputs = Array.from({ length: W }, () => randomF32(c.n, rand));
  const chunk = (r: number) => chunkRange(c.n, W, r);
  switch (c.method) {
    case "allReduce": {
      const sum = rankOrderSum(inputs, c.op!);
      return { bufs: inputs.map((x) => [x]), arg: { op: c.op }, expected: inputs.map(() => [sum]) };
    }
    case "reduceScatter": {
      const sum = rankOrderSum(inputs, c.op!);
      return {
        bufs: inputs.map((x, r) => [x, new Float32Array(chunk(r).length)]),
        arg: { op: c.op },
        expected: inputs.map((x, r) => [x.slice(), sum.slice(chunk(r).start, chunk(r).end)]),
      };
    }
    case "allGather": {
      const full = inputs[0]!;
      const parts = inputs.map((_, r) => full.slice(chunk(r).start, chunk(r).end));
      return { bufs: parts.map((p) => [p, new Float32Array(c.n).fill(NaN)]), arg: undefined, expected: parts.map((p) => [p.slice(), full]) };
    }
    case "broadcast": {
      const root = W - 1;
      return { bufs: inputs.map((x) => [x]), arg: root, expected: inputs.map(() => [inputs[root]!.slice()]) };
    }
    case "barrier":
      return { bufs: inputs.map(() => []), arg: undefined, expected: inputs.map(() => []) };
  }
}

export const SIZES = [0, 1, 7, 1000];
/** Small enough that the 1000-float cases travel in several pieces per chunk (333 floats per rank at W = 3). */
export const MAX_MESSAGE_FLOATS = 64;
export const CASES: Case[] = SIZES.flatMap((n) => [
  { method: "allReduce", op: "sum", n },
  { method: "allReduce", op: "mean", n },
  { method: "reduceScatter", op: "sum", n },
  { method: "reduceScatter", op: "mean", n },
  { method: "allGather", n },
  { method: "broadcast", n },
] satisfies Case[] as Case[]).concat([{ method: "barrier", n: 0 }]);
