// The shared-memory path's reduction: gradstep's Wasm kernel (sum_ranks_f32) summing the ranks' slots in place,
// bit for bit the rank-order f32 sum written here with Math.fround (reference.ts), for every world size, length
// (SIMD body and scalar tail), op, and special values; the JS fallback over a plain SharedArrayBuffer too.
import { describe, expect, it } from "vitest";
import { type MessagePortLike, workerGroup, workerMesh } from "../../src/distributed/index.js";
import { SharedArena, sharedBlock, sharedBytes } from "../../src/distributed/shared.js";
import { firstBitDifference, randomF32, rankOrderSum, seeded } from "./reference.js";

const SPECIAL = [0, -0, Infinity, -Infinity, 3.4028234663852886e38, -3.4028234663852886e38, 1e-45, -1e-45, 1.1754942e-38, 1, -1, 0.1];

describe("the shared-memory reduction is the rank-order f32 sum, bit for bit", () => {
  const blocks: [string, (W: number, floats: number) => WebAssembly.Memory | SharedArrayBuffer, string][] = [
    ["Wasm SIMD kernel over a shared WebAssembly.Memory", (W, floats) => sharedBlock(W, floats), "wasm-simd"],
    ["JS loop over a plain SharedArrayBuffer", (W, floats) => new SharedArrayBuffer(sharedBytes(W, floats)), "js"],
  ];
  for (const [name, make, reducer] of blocks) {
    it(name, () => {
      const rand = seeded(5);
      for (const W of [1, 2, 3, 4]) {
        for (const n of [0, 1, 3, 4, 5, 17, 1000, 4099]) {
          for (const op of ["sum", "mean"] as const) {
            const arena = new SharedArena(make(W, W * 4100), W);
            expect(arena.reducer).toBe(reducer);
            for (let me = 0; me < W; me++) {
              const inputs = Array.from({ length: W }, () => randomF32(n, rand));
              // Special values at random places: overflow to ±Infinity, Infinity - Infinity = NaN, subnormals, -0.
              for (const x of inputs) for (let i = 0; i < Math.min(n, 8); i++) x[Math.floor(rand() * n)] = SPECIAL[Math.floor(rand() * SPECIAL.length)]!;
              inputs.forEach((x, q) => arena.piece(q, me, n).set(x));
              arena.reduce(me, n, op === "mean");
              const expected = rankOrderSum(inputs, op);
              const got = arena.piece(me, me, n);
              // NaN payloads aside (the only bits IEEE leaves open), every element's bits.
              const at = firstBitDifference(got.map((v) => (Number.isNaN(v) ? NaN : v)), expected.map((v) => (Number.isNaN(v) ? NaN : v)));
              expect(at, `W = ${W}, n = ${n}, ${op}, owner ${me}: element ${at}`).toBe(-1);
              // The other ranks' pieces are read, never written.
              inputs.forEach((x, q) => { if (q !== me) expect(firstBitDifference(arena.piece(q, me, n), x)).toBe(-1); });
            }
          }
        }
      }
    });
  }
});

describe("the shared-memory path wakes its peers through shared memory, not messages", () => {
  // Two ranks of a worker mesh in this thread (each waits for the other on the event loop), their ports counted.
  // Where the runtime has Atomics.waitAsync a collective sends no message at all (it used to send a doorbell to
  // every peer at each of its three stages); without it (some browsers) the doorbells remain, and the same bits.
  const W = 2, N = 1000, CALLS = 10;
  it.each([
    ["with Atomics.waitAsync: no message", true, 0],
    ["without Atomics.waitAsync: a doorbell to the peer at each of the three stages", false, 3 * CALLS],
  ])("%s", async (_, waitAsync, messages) => {
    const atomics = Atomics as { waitAsync?: unknown };
    const saved = atomics.waitAsync;
    if (!waitAsync) delete atomics.waitAsync;
    const sent = [0, 0];
    let groups;
    try {
      groups = workerMesh(W, { sharedFloats: N }).map((rank) => workerGroup({ ...rank, ports: rank.ports.map((p) => p && counted(p, () => sent[rank.rank]!++)) }));
    } finally {
      atomics.waitAsync = saved;
    }
    const rand = seeded(9);
    for (let i = 0; i < CALLS; i++) {
      const inputs = Array.from({ length: W }, () => randomF32(N, rand));
      const bufs = inputs.map((x) => x.slice());
      await Promise.all(groups.map((g, r) => g.allReduce(bufs[r]!, { op: "mean" })));
      const expected = rankOrderSum(inputs, "mean");
      bufs.forEach((b, r) => expect(firstBitDifference(b, expected), `call ${i}, rank ${r}`).toBe(-1));
    }
    expect(sent).toEqual([messages, messages]);
    await Promise.all(groups.map((g) => g.close()));
  });
});

/** `port`, calling `onPost` at every message it sends. */
function counted(port: MessagePortLike, onPost: () => void): MessagePortLike {
  return {
    postMessage: (m, transfer) => {
      onPost();
      port.postMessage(m, transfer);
    },
    addEventListener: (type, listener) => port.addEventListener(type, listener),
    start: () => port.start?.(),
    close: () => port.close(),
  };
}
