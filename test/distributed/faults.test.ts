// Faults and bad input: a rank that dies, closes or stalls makes every surviving rank's pending collective reject
// within the timeout with an error naming it; bad input rejects clearly. In every case the buffers keep their bits.
import { afterEach, describe, expect, it } from "vitest";
import { type MessagePortLike, type ProcessGroup, ProcessGroupError, localGroups, rtcGroup, serveRendezvous, webSocketGroup, workerGroup, workerMesh } from "../../src/distributed/index.js";
import type { Reply } from "./rank-driver.js";
import { firstBitDifference, randomF32, seeded } from "./reference.js";
import { FakeChannel, type Ranks, fakeRtcGroups, fakeRtcMesh, localRanks, processRanks, rtcRanks, webSocketRanks, workerRanks } from "./transports.js";

const W = 3;
const N = 1000;
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((f) => f()));
});

function everyTransport(timeoutMs: number): [string, () => Promise<Ranks> | Ranks][] {
  return [
    ["local", () => localRanks(W, { timeoutMs })],
    ["worker threads", () => workerRanks(W, { timeoutMs })],
    ["worker threads, shared memory", () => workerRanks(W, { timeoutMs, sharedFloats: 3 * 64 })],
    ["WebSocket", () => webSocketRanks(W, { timeoutMs })],
    ["fake RTC", () => rtcRanks(W, { timeoutMs })],
  ];
}

/** Ranks 0..W-2 start an allReduce; `fault` then happens to rank W-1; every survivor must reject naming it, buffers unchanged. */
async function survivorsReject(ranks: Ranks, fault: () => Promise<unknown>, message: RegExp, withinMs: number): Promise<number> {
  cleanup.push(() => ranks.close());
  const rand = seeded(42);
  const inputs = Array.from({ length: W - 1 }, () => randomF32(N, rand));
  const t0 = performance.now();
  const pending = inputs.map((x, r) => ranks.call(r, "allReduce", [x.slice()], { op: "mean" }));
  await new Promise((r) => setTimeout(r, 50));
  await fault();
  const replies: Reply[] = await Promise.all(pending);
  const elapsed = performance.now() - t0;
  // The first survivor to see the fault reports it as `message` and tells the others, which may hear that first.
  const relayed = /rank [01] aborted collective #0: rank 2 (is gone|sent nothing for \d+ ms)$/;
  replies.forEach((reply, r) => {
    expect(reply.error?.name, `rank ${r}`).toBe("ProcessGroupError");
    expect(reply.error?.peer, `rank ${r}`).toBe(W - 1);
    expect(reply.error?.message, `rank ${r}`).toMatch(new RegExp(`${message.source}|${relayed.source}`));
    expect(firstBitDifference(reply.bufs[0]!, inputs[r]!), `rank ${r}'s buffer`).toBe(-1);
  });
  expect(replies.some((reply) => message.test(reply.error!.message))).toBe(true);
  expect(elapsed).toBeLessThan(withinMs);
  // The group stays failed: the next collective rejects at once with the same error.
  const again = await ranks.call(0, "barrier", []);
  expect(again.error?.message).toBe(replies[0]!.error?.message);
  return elapsed;
}

describe("a stalled rank: the pending collective rejects after timeoutMs, naming it", () => {
  const timeoutMs = 300;
  for (const [name, make] of everyTransport(timeoutMs)) {
    it(name, async () => {
      const ranks = await make();
      // The bound's slack is for the round trips of the test's commands to worker threads on a loaded machine.
      const elapsed = await survivorsReject(ranks, async () => {}, /collective #0 timed out: rank 2 sent nothing for 300 ms/, timeoutMs + 4000);
      expect(elapsed).toBeGreaterThanOrEqual(timeoutMs - 5);
    });
  }
});

describe("a rank that dies or closes: survivors reject at once (long before the 20 s timeout), naming it", () => {
  const timeoutMs = 20_000;
  const faults: [string, () => Promise<Ranks> | Ranks, RegExp][] = [
    ["worker thread terminated", () => workerRanks(W, { timeoutMs }), /rank 2 is gone \(its MessagePort closed/],
    ["worker thread terminated, shared memory", () => workerRanks(W, { timeoutMs, sharedFloats: 3 * 64 }), /rank 2 is gone \(its MessagePort closed/],
    ["child process killed (SIGKILL) over WebSocket", () => processRanks(W, { timeoutMs, maxMessageFloats: 64 }), /rank 2 disconnected from the rendezvous \(socket closed/],
    ["WebSocket closed", () => webSocketRanks(W, { timeoutMs }), /rank 2 disconnected from the rendezvous/],
    ["RTC data channels closed", () => rtcRanks(W, { timeoutMs }), /rank 2 is gone \(its data channel closed\)/],
  ];
  for (const [name, make, message] of faults) {
    it(name, async () => {
      const ranks = await make();
      await survivorsReject(ranks, () => ranks.kill(W - 1), message, 5000);
    });
  }
  for (const [name, make] of everyTransport(timeoutMs)) {
    it(`close() of a rank: ${name}`, async () => {
      const ranks = await make();
      await survivorsReject(ranks, () => ranks.call(W - 1, "close", []), /rank 2 closed its process group/, 5000);
    });
  }
});

describe("a rank that leaves once its part is done does not fail the peers still finishing theirs", () => {
  const makers: [string, (W: number) => Promise<ProcessGroup[]> | ProcessGroup[]][] = [
    ["local", (W) => localGroups(W)],
    ["fake RTC", (W) => fakeRtcGroups(W)],
    ["WebSocket", async (W) => {
      const relay = await serveRendezvous();
      cleanup.push(() => relay.close());
      const url = `${relay.url}/close-after`;
      return Promise.all(Array.from({ length: W }, (_, rank) => webSocketGroup({ url, rank, worldSize: W })));
    }],
  ];
  it.each(makers)("%s: a broadcast's root leaves before the others even call it", async (_, make) => {
    const groups = await make(3);
    const x = new Float32Array([1.5, -2]);
    await groups[0]!.broadcast(x, 0); // the root only sends: done at once
    await groups[0]!.close();
    await new Promise((r) => setTimeout(r, 50)); // the others are busy elsewhere while the root's messages arrive
    const bufs = [new Float32Array(2), new Float32Array(2)];
    await Promise.all([groups[1]!.broadcast(bufs[0]!, 0), groups[2]!.broadcast(bufs[1]!, 0)]);
    expect(bufs.map((b) => Array.from(b))).toEqual([[1.5, -2], [1.5, -2]]);
    // What needs rank 0 now fails, naming it.
    await expect(groups[1]!.allReduce(new Float32Array(2))).rejects.toThrow(/rank 1: rank 0 closed its process group/);
  });
  it.each(makers)("%s: every rank closing right after an allReduce", async (_, make) => {
    for (const worldSize of [2, 3, 4]) {
      const groups = await make(worldSize);
      const bufs = groups.map((_, r) => new Float32Array([r, 1, 2, 3, 4]));
      await Promise.all(groups.map((g, r) => g.allReduce(bufs[r]!).then(() => g.close())));
      const sum = (worldSize * (worldSize - 1)) / 2;
      for (const b of bufs) expect(Array.from(b)).toEqual([sum, worldSize, 2 * worldSize, 3 * worldSize, 4 * worldSize]);
    }
  });
});

it("a survivor with a longer timeout learns of a stalled rank from the first survivor to time out", async () => {
  const channels = fakeRtcMesh(3);
  const groups = [300, 20_000, 20_000].map((timeoutMs, rank) => rtcGroup({ rank, worldSize: 3, channels: channels[rank]!, timeoutMs }));
  cleanup.push(() => Promise.all(groups.map((g) => g.close())));
  const bufs = [new Float32Array([1, 2]), new Float32Array([3, 4])];
  const t0 = performance.now();
  const results = await Promise.allSettled(bufs.map((b, r) => groups[r]!.allReduce(b)));
  expect(performance.now() - t0).toBeLessThan(5000);
  const errors = results.map((r) => (r as PromiseRejectedResult).reason as ProcessGroupError);
  expect(errors.map((e) => e.peer)).toEqual([2, 2]);
  expect(errors[0]!.message).toMatch(/rank 0: collective #0 timed out: rank 2 sent nothing for 300 ms/);
  expect(errors[1]!.message).toMatch(/rank 1: rank 0 aborted collective #0: rank 2 sent nothing for 300 ms/);
  expect(bufs.map((b) => Array.from(b))).toEqual([[1, 2], [3, 4]]);
});

it("the relay going away rejects every pending collective", async () => {
  const relay = await serveRendezvous();
  const ranks = await webSocketRanks(2, { timeoutMs: 20_000 }, relay);
  cleanup.push(() => ranks.close());
  const x = new Float32Array([1, 2, 3]);
  const pending = ranks.call(0, "allReduce", [x]);
  await relay.close();
  const reply = await pending;
  expect(reply.error?.message).toMatch(/the connection to the rendezvous closed/);
  expect(Array.from(reply.bufs[0]!)).toEqual([1, 2, 3]);
});

describe("bad input rejects with a clear error, buffers unchanged, and the group still works", () => {
  const f = (n: number) => Float32Array.from({ length: n }, (_, i) => i + 0.5);
  const cases: [string, (g: ProcessGroup, bufs: Float32Array[]) => Promise<void>, () => Float32Array[], RegExp][] = [
    ["allReduce of a Float64Array", (g) => g.allReduce(new Float64Array(3) as unknown as Float32Array), () => [], /allReduce: buf must be a Float32Array, got Float64Array/],
    ["allReduce with op max", (g, [b]) => g.allReduce(b!, { op: "max" as "sum" }), () => [f(4)], /allReduce: invalid op "max" \(expected "sum" or "mean"\)/],
    ["reduceScatter output of the wrong length", (g, [i, o]) => g.reduceScatter(i!, o!), () => [f(5), f(2)], /reduceScatter: output.length is 2, expected 3 \(rank 0's chunk of 5 floats over 2 ranks/],
    ["reduceScatter with op max", (g, [i, o]) => g.reduceScatter(i!, o!, { op: "max" as "sum" }), () => [f(5), f(3)], /reduceScatter: invalid op "max"/],
    ["allGather input of the wrong length", (g, [i, o]) => g.allGather(i!, o!), () => [f(2), f(5)], /allGather: input.length is 2, expected 3 \(rank 0's chunk of 5 floats/],
    ["allGather output not a Float32Array", (g, [i]) => g.allGather(i!, [1, 2] as unknown as Float32Array), () => [f(1)], /allGather: output must be a Float32Array, got Array/],
    ["broadcast root out of range", (g, [b]) => g.broadcast(b!, 2), () => [f(3)], /broadcast: invalid root 2 \(expected an integer rank, 0 <= root < 2\)/],
    ["broadcast root not an integer", (g, [b]) => g.broadcast(b!, 0.5), () => [f(3)], /broadcast: invalid root 0.5/],
  ];
  it.each(cases)("%s", async (_, call, make, message) => {
    const [g0, g1] = localGroups(2) as [ProcessGroup, ProcessGroup];
    const bufs = make();
    const before = bufs.map((b) => b.slice());
    await expect(call(g0, bufs)).rejects.toThrow(message);
    bufs.forEach((b, i) => expect(firstBitDifference(b, before[i]!)).toBe(-1));
    const x = [new Float32Array([1, 2]), new Float32Array([3, 4])];
    await Promise.all([g0.allReduce(x[0]!), g1.allReduce(x[1]!)]);
    expect(x.map((b) => Array.from(b))).toEqual([[4, 6], [4, 6]]);
  });

  it("use after close", async () => {
    const [g0] = localGroups(2) as [ProcessGroup];
    await g0.close();
    await g0.close(); // idempotent
    const b = f(3);
    await expect(g0.allReduce(b)).rejects.toThrow(/allReduce: the process group is closed/);
    await expect(g0.barrier()).rejects.toThrow(/barrier: the process group is closed/);
    expect(Array.from(b)).toEqual([0.5, 1.5, 2.5]);
  });

  it("close() rejects this rank's own pending collective", async () => {
    const [g0] = localGroups(2) as [ProcessGroup];
    const b = f(3);
    const pending = g0.allReduce(b);
    await g0.close();
    await expect(pending).rejects.toThrow(/rank 0 closed its group/);
    expect(Array.from(b)).toEqual([0.5, 1.5, 2.5]);
  });
});

describe("ranks that call different collectives: both reject naming the other, buffers unchanged", () => {
  const cases: [string, (g: ProcessGroup, b: Float32Array) => Promise<void>, (g: ProcessGroup, b: Float32Array) => Promise<void>, RegExp, RegExp][] = [
    ["op sum vs mean", (g, b) => g.allReduce(b), (g, b) => g.allReduce(b, { op: "mean" }), /rank 1 called allReduce\(op "mean", length 4\), rank 0 called allReduce\(op "sum", length 4\)/, /rank 0 called allReduce\(op "sum", length 4\), rank 1 called allReduce\(op "mean", length 4\)/],
    ["length 4 vs 3", (g, b) => g.allReduce(b), (g, b) => g.allReduce(b.subarray(1)), /rank 1 called allReduce\(op "sum", length 3\)/, /rank 0 called allReduce\(op "sum", length 4\)/],
    // Rank 1 finds the mismatch (rank 0 sends it an allReduce chunk); rank 0, which waits for rank 1's chunk, learns it from rank 1's abort.
    ["allReduce vs broadcast from rank 0", (g, b) => g.allReduce(b), (g, b) => g.broadcast(b, 0), /rank 1 aborted collective #0: the ranks called different collectives \(rank 0 called allReduce\(op "sum", length 4\)\)/, /rank 0 called allReduce\(op "sum", length 4\), rank 1 called broadcast\(root 0, length 4\)/],
    ["barrier vs allGather", (g) => g.barrier(), (g, b) => g.allGather(b.subarray(0, 2), b), /rank 1 called allGather\(length 4\), rank 0 called barrier\(\)/, /rank 0 called barrier\(\), rank 1 called allGather\(length 4\)/],
  ];
  it.each(cases)("%s", async (_, call0, call1, message0, message1) => {
    const groups = localGroups(2, { timeoutMs: 2000 });
    const bufs = [new Float32Array([1, 2, 3, 4]), new Float32Array([5, 6, 7, 8])];
    const results = await Promise.allSettled([call0(groups[0]!, bufs[0]!), call1(groups[1]!, bufs[1]!)]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    const errors = results.map((r) => (r as PromiseRejectedResult).reason as ProcessGroupError);
    expect(errors[0]).toBeInstanceOf(ProcessGroupError);
    expect(errors.map((e) => e.peer)).toEqual([1, 0]);
    expect(errors[0]!.message).toMatch(message0);
    expect(errors[1]!.message).toMatch(message1);
    expect(bufs.map((b) => Array.from(b))).toEqual([[1, 2, 3, 4], [5, 6, 7, 8]]);
  });
});

it("shared memory: every rank checks every other's call, the broadcast root too", async () => {
  const ranks = await workerRanks(2, { timeoutMs: 5000, sharedFloats: 128 });
  cleanup.push(() => ranks.close());
  const bufs = [new Float32Array([1, 2, 3]), new Float32Array([4, 5, 6])];
  const replies = await Promise.all([ranks.call(0, "broadcast", [bufs[0]!], 0), ranks.call(1, "allReduce", [bufs[1]!], { op: "mean" })]);
  expect(replies.map((r) => r.error?.peer)).toEqual([1, 0]);
  expect(replies[0]!.error?.message).toMatch(/rank 0: collective #0 mismatch: rank 1 called allReduce\(op "mean", length 3\), rank 0 called broadcast\(root 0, length 3\)|rank 1 aborted collective #0/);
  expect(replies[1]!.error?.message).toMatch(/rank 1: collective #0 mismatch: rank 0 called broadcast\(root 0, length 3\), rank 1 called allReduce\(op "mean", length 3\)|rank 0 aborted collective #0/);
  expect(replies.map((r) => Array.from(r.bufs[0]!))).toEqual([[1, 2, 3], [4, 5, 6]]);
});

describe("constructors reject bad options", () => {
  const open = () => FakeChannel.pair();
  const cases: [string, () => unknown, RegExp][] = [
    ["localGroups(0)", () => localGroups(0), /Invalid worldSize: 0 \(expected an integer >= 1\)/],
    ["localGroups(2.5)", () => localGroups(2.5), /Invalid worldSize: 2.5/],
    ["timeoutMs 0", () => localGroups(2, { timeoutMs: 0 }), /Invalid timeoutMs: 0 \(expected a number > 0\)/],
    ["maxMessageFloats 0.5", () => localGroups(2, { maxMessageFloats: 0.5 }), /Invalid maxMessageFloats: 0.5 \(expected an integer >= 1\)/],
    ["workerGroup rank 2 of 2", () => workerGroup({ rank: 2, worldSize: 2, ports: [] }), /Invalid rank: 2 \(expected an integer, 0 <= rank < 2\)/],
    ["workerGroup ports of the wrong length", () => workerGroup({ rank: 0, worldSize: 2, ports: [] }), /workerGroup: ports must be an array of 2 entries \(one per rank, from workerMesh\), got 0 entries/],
    ["workerGroup missing port", () => workerGroup({ rank: 0, worldSize: 2, ports: [undefined, undefined] }), /workerGroup: ports\[1\] \(the channel to rank 1\) is missing/],
    ["workerMesh sharedFloats below worldSize", () => workerMesh(3, { sharedFloats: 2 }), /workerMesh: invalid sharedFloats 2 \(expected an integer >= worldSize, 3\)/],
    ["workerGroup shared block of another size", () => workerGroup({ rank: 0, worldSize: 2, ports: [undefined, {} as MessagePortLike], shared: new SharedArrayBuffer(100) }), /workerGroup: shared is 100 bytes, not a block made by workerMesh for 2 ranks/],
    ["rtcGroup missing channel", () => rtcGroup({ rank: 1, worldSize: 2, channels: [undefined, undefined] }), /rtcGroup: channels\[0\] \(the channel to rank 0\) is missing/],
    ["rtcGroup channel not open", () => { const [a] = open(); a.readyState = "connecting"; return rtcGroup({ rank: 0, worldSize: 2, channels: [undefined, a] }); }, /rtcGroup: channels\[1\] is "connecting", expected "open"/],
  ];
  it.each(cases)("%s", (_, make, message) => {
    expect(make).toThrow(message);
  });

  it("webSocketGroup: a duplicate rank and a different worldSize are refused; a missing rank is named after connectTimeoutMs", async () => {
    const relay = await serveRendezvous();
    cleanup.push(() => relay.close());
    const url = `${relay.url}/refusals`;
    const first = webSocketGroup({ url, rank: 0, worldSize: 3, connectTimeoutMs: 500 });
    await expect(webSocketGroup({ url, rank: 0, worldSize: 3 })).rejects.toThrow(/the rendezvous refused: rank 0 already joined world \/refusals/);
    await expect(webSocketGroup({ url, rank: 1, worldSize: 2 })).rejects.toThrow(/the rendezvous refused: world \/refusals has worldSize 3, this rank says 2/);
    await expect(webSocketGroup({ url, rank: 4, worldSize: 3 })).rejects.toThrow(/Invalid rank: 4 \(expected an integer, 0 <= rank < 3\)/);
    await expect(first).rejects.toThrow(/webSocketGroup \(rank 0, .*\): ranks 1, 2 did not join within 500 ms/);
  });

  it("webSocketGroup: the group's timeoutMs does not bound joining (connectTimeoutMs does): a rank that starts late still joins", async () => {
    const relay = await serveRendezvous();
    cleanup.push(() => relay.close());
    const url = `${relay.url}/late`;
    const first = webSocketGroup({ url, rank: 0, worldSize: 2, timeoutMs: 200 });
    await new Promise((r) => setTimeout(r, 600));
    const groups = await Promise.all([first, webSocketGroup({ url, rank: 1, worldSize: 2, timeoutMs: 200 })]);
    const bufs = groups.map((_, r) => new Float32Array([r + 1, 2 * r]));
    await Promise.all(groups.map((g, r) => g.allReduce(bufs[r]!, { op: "sum" })));
    expect(bufs.map((b) => [...b])).toEqual([[3, 2], [3, 2]]);
    await Promise.all(groups.map((g) => g.close()));
  });

  it.each([0, -1, NaN])("webSocketGroup: connectTimeoutMs %s is refused", async (connectTimeoutMs) => {
    await expect(webSocketGroup({ url: "ws://127.0.0.1:1/x", rank: 0, worldSize: 2, connectTimeoutMs }))
      .rejects.toThrow(/^webSocketGroup: invalid connectTimeoutMs -?\w+ \(expected a number > 0\)$/);
  });

  it("webSocketGroup: no server at the URL", async () => {
    const relay = await serveRendezvous();
    const { url } = relay;
    await relay.close();
    await expect(webSocketGroup({ url, rank: 0, worldSize: 1, timeoutMs: 5000 })).rejects.toThrow(/could not connect|the connection closed/);
  });

  it("serveRendezvous: invalid port", async () => {
    await expect(serveRendezvous({ port: 70000 })).rejects.toThrow(/serveRendezvous: invalid port 70000/);
  });
});
