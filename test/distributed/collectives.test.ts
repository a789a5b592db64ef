// Every collective on every transport and size against the rank-order f32 sum computed here, bit for bit on
// every rank; random message delays change no bit.
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_MAX_MESSAGE_FLOATS, chunkRange, localGroups } from "../../src/distributed/index.js";
import { CASES, type Case, MAX_MESSAGE_FLOATS, firstBitDifference, instance, randomF32, rankOrderSum, seeded } from "./reference.js";
import { type Ranks, localRanks, processRanks, rtcRanks, webSocketRanks, workerRanks } from "./transports.js";

async function check(ranks: Ranks, c: Case, seed: number): Promise<void> {
  const { bufs, arg, expected } = instance(c, ranks.worldSize, seeded(seed));
  const replies = await Promise.all(bufs.map((b, r) => ranks.call(r, c.method, b, arg)));
  replies.forEach((reply, r) => {
    expect(reply.error, `rank ${r}`).toBeUndefined();
    reply.bufs.forEach((got, i) => expect(firstBitDifference(got, expected[r]![i]!), `${c.method} ${c.op ?? ""} n=${c.n}: rank ${r} buffer ${i}`).toBe(-1));
  });
}

const label = (c: Case) => `${c.method}${c.op ? ` ${c.op}` : ""} n=${c.n}`;

const worlds: [string, () => Promise<Ranks> | Ranks][] = [
  ["local W=3", () => localRanks(3, { maxMessageFloats: MAX_MESSAGE_FLOATS })],
  ["local W=1", () => localRanks(1, { maxMessageFloats: MAX_MESSAGE_FLOATS })],
  ["worker threads W=2", () => workerRanks(2, { maxMessageFloats: MAX_MESSAGE_FLOATS })],
  ["worker threads W=4", () => workerRanks(4, { maxMessageFloats: MAX_MESSAGE_FLOATS })],
  // The SharedArrayBuffer path, rounds of MAX_MESSAGE_FLOATS floats per chunk as in the message path.
  ["worker threads, shared memory W=3", () => workerRanks(3, { sharedFloats: 3 * MAX_MESSAGE_FLOATS })],
  ["worker threads, shared memory W=4", () => workerRanks(4, { sharedFloats: 4 * MAX_MESSAGE_FLOATS })],
  ["worker threads, shared memory W=3, doorbell messages (no Atomics.waitAsync)", () => workerRanks(3, { sharedFloats: 3 * MAX_MESSAGE_FLOATS, waitAsync: false })],
  ["worker threads, shared memory W=1", () => workerRanks(1, { sharedFloats: MAX_MESSAGE_FLOATS })],
  ["WebSocket clients W=3", () => webSocketRanks(3, { maxMessageFloats: MAX_MESSAGE_FLOATS })],
  ["child processes over WebSocket W=3", () => processRanks(3, { timeoutMs: 20_000, maxMessageFloats: MAX_MESSAGE_FLOATS })],
  ["fake RTC W=3", () => rtcRanks(3, { maxMessageFloats: MAX_MESSAGE_FLOATS })],
];

for (const [name, make] of worlds) {
  describe(name, () => {
    let ranks: Ranks | undefined;
    afterAll(() => ranks?.close());
    it("every collective and size equals the rank-order f32 sum, bit-identical on every rank", async () => {
      ranks = await make();
      // One world runs all cases in a row: the collectives' sequence numbers advance across kinds and sizes.
      for (const [i, c] of CASES.entries()) await check(ranks, c, 1000 + i);
    });
  });
}

it("the inputs are order-sensitive: reverse rank order gives other bits (so the checks above can fail)", () => {
  const inputs = Array.from({ length: 3 }, () => randomF32(1000, seeded(7)));
  const rand = seeded(7);
  const distinct = Array.from({ length: 3 }, () => randomF32(1000, rand));
  expect(firstBitDifference(rankOrderSum(distinct, "sum"), rankOrderSum(distinct.slice().reverse(), "sum"))).not.toBe(-1);
  expect(firstBitDifference(rankOrderSum(inputs, "sum"), rankOrderSum(inputs.slice().reverse(), "sum"))).toBe(-1); // identical inputs: any order agrees
});

describe("message timing", () => {
  const shuffled: [string, (seed: number) => Ranks][] = [
    ["local", (seed) => { const rand = seeded(seed); return localRanks(4, { maxMessageFloats: MAX_MESSAGE_FLOATS, delayMs: () => rand() * 4 }); }],
    ["fake RTC", (seed) => { const rand = seeded(seed); return rtcRanks(4, { maxMessageFloats: MAX_MESSAGE_FLOATS, delayMs: () => rand() * 4 }); }],
  ];
  for (const [name, make] of shuffled) {
    it(`${name}: random per-message delays (3 schedules) change no bit`, async () => {
      const cases = CASES.filter((c) => c.n === 1000 || c.method === "barrier");
      for (const schedule of [1, 2, 3]) {
        const ranks = make(schedule);
        for (const [i, c] of cases.entries()) await check(ranks, c, 2000 + i);
        await ranks.close();
      }
    });
  }
});

describe("large buffers use the default message size", () => {
  const n = 2 * DEFAULT_MAX_MESSAGE_FLOATS + 5;
  it(`local W=2, allReduce of ${n} floats`, async () => {
    await check(localRanks(2), { method: "allReduce", op: "mean", n }, 3000);
  });
  it.each([
    ["messages", undefined],
    ["shared memory", 1 << 20],
  ])(`worker threads W=2 (%s), allReduce and reduceScatter of ${n} floats`, async (_, sharedFloats) => {
    const ranks = await workerRanks(2, { sharedFloats });
    try {
      await check(ranks, { method: "allReduce", op: "sum", n }, 3001);
      await check(ranks, { method: "reduceScatter", op: "mean", n }, 3002);
    } finally {
      await ranks.close();
    }
  });
});

describe("chunkRange", () => {
  it.each([
    [10, 4, [3, 3, 2, 2]],
    [2, 3, [1, 1, 0]],
    [0, 2, [0, 0]],
    [9, 3, [3, 3, 3]],
  ])("%i floats over %i ranks: chunk lengths %j, contiguous from 0 to the end", (n, W, lengths) => {
    const chunks = lengths.map((_, r) => chunkRange(n, W, r));
    expect(chunks.map((c) => c.length)).toEqual(lengths);
    chunks.forEach((c, r) => expect(c.start).toBe(r === 0 ? 0 : chunks[r - 1]!.end));
    expect(chunks.at(-1)!.end).toBe(n);
  });
});

it("localGroups: the groups report their rank and world size", () => {
  expect(localGroups(3).map((g) => [g.rank, g.worldSize])).toEqual([[0, 3], [1, 3], [2, 3]]);
});
