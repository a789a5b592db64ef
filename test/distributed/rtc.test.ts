// Real WebRTC in Node: node-datachannel's RTCPeerConnection over loopback (host candidates only, no STUN),
// signalling relayed by serveRendezvous. Every collective against the rank-order f32 sum and bit-identical to
// localGroups, buffers larger than the channel's message limit, DataParallel steps against one process on the
// rank-order mean, and a peer that closes, stalls or is killed rejecting every pending collective naming it.
import { RTCPeerConnection } from "node-datachannel/polyfill";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { AdamW } from "../../src/index.js";
import { DataParallel, type ProcessGroup, type Rendezvous, localGroups, rtcConnect, serveRendezvous } from "../../src/distributed/index.js";
import { CASES, MAX_MESSAGE_FLOATS, firstBitDifference, instance, randomF32, rankOrderSum, seeded } from "./reference.js";
import { runCommand } from "./rank-driver.js";
import { processRanks } from "./transports.js";
import { buildRank, gradsOf, rankOrderMean } from "./world.js";

let relay: Rendezvous;
const open: ProcessGroup[][] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).flat().map((g) => g.close()));
});
afterAll(() => relay?.close());

/** W ranks in this process, each with its own peer connections; `tracked[r]`: rank r's connections. */
async function rtcWorld(W: number, options: { timeoutMs?: number; maxMessageFloats?: number } = {}) {
  relay ??= await serveRendezvous();
  const url = `${relay.url}/rtc-${Math.random()}`;
  const tracked = Array.from({ length: W }, () => [] as { close(): void }[]);
  const groups = await Promise.all(Array.from({ length: W }, (_, rank) => {
    class Tracked extends RTCPeerConnection {
      constructor(c: object) {
        super(c);
        tracked[rank]!.push(this);
      }
    }
    return rtcConnect({ url, rank, worldSize: W, RTCPeerConnection: Tracked, timeoutMs: 20_000, ...options });
  }));
  open.push(groups);
  return { groups, tracked };
}

describe("collectives over real data channels", () => {
  it.each([2, 3])("W = %i: every collective and size equals the rank-order f32 sum and localGroups, bit for bit", async (W) => {
    const { groups } = await rtcWorld(W, { maxMessageFloats: MAX_MESSAGE_FLOATS });
    const locals = localGroups(W, { maxMessageFloats: MAX_MESSAGE_FLOATS });
    open.push(locals);
    for (const [i, c] of CASES.entries()) {
      const rtc = instance(c, W, seeded(5000 + i));
      const local = instance(c, W, seeded(5000 + i));
      await Promise.all(groups.map((g, r) => runCommand(g, { id: 0, method: c.method, bufs: rtc.bufs[r]!, arg: rtc.arg })));
      await Promise.all(locals.map((g, r) => runCommand(g, { id: 0, method: c.method, bufs: local.bufs[r]!, arg: local.arg })));
      rtc.bufs.forEach((bufs, r) => bufs.forEach((got, j) => {
        expect(firstBitDifference(got, rtc.expected[r]![j]!), `${c.method} n=${c.n} rank ${r} buffer ${j}`).toBe(-1);
        expect(firstBitDifference(got, local.bufs[r]![j]!), `${c.method} n=${c.n} rank ${r} buffer ${j} vs localGroups`).toBe(-1);
      }));
    }
  });

  it("a buffer of 4 MB (16x the channel's 256 KiB message limit) travels in pieces of the default size", async () => {
    const { groups } = await rtcWorld(3);
    const n = 1 << 20;
    expect(n * 4).toBeGreaterThan(16 * 256 * 1024 - 1);
    const rand = seeded(77);
    const inputs = groups.map(() => randomF32(n, rand));
    const expected = rankOrderSum(inputs, "mean");
    const bufs = inputs.map((x) => x.slice());
    await Promise.all(groups.map((g, r) => g.allReduce(bufs[r]!, { op: "mean" })));
    for (const b of bufs) expect(firstBitDifference(b, expected)).toBe(-1);
    const root = inputs.map((x, r) => (r === 1 ? x.slice() : new Float32Array(n)));
    await Promise.all(groups.map((g, r) => g.broadcast(root[r]!, 1)));
    for (const b of root) expect(firstBitDifference(b, inputs[1]!)).toBe(-1);
  });
});

it("DataParallel over real data channels: 3 AdamW steps, every rank equal to one process on the rank-order mean", async () => {
  const W = 3;
  const { groups } = await rtcWorld(W);
  const options = { lr: 0.01, weightDecay: 0.1 };
  const ranks = groups.map(() => buildRank(AdamW, options));
  const single = buildRank(AdamW, options);
  const ddps = ranks.map((r, k) => new DataParallel(r.opt, groups[k]!, { firstBucketBytes: 256 }));
  for (let t = 0; t < 3; t++) {
    const grads = ranks.map((_, k) => gradsOf(t, k));
    ranks.forEach((r, k) => r.params.forEach((p, i) => p.grad.set(grads[k]![i]!)));
    single.params.forEach((p, i) => p.grad.set(rankOrderMean(grads.map((g) => g[i]!))));
    await Promise.all(ddps.map((d) => d.step()));
    single.opt.step();
  }
  for (const r of ranks) r.params.forEach((p, i) => expect(firstBitDifference(p.value, single.params[i]!.value), `param ${i}`).toBe(-1));
});

describe("a peer that leaves or stalls: every pending collective rejects naming it, buffers unchanged", () => {
  // [case, fault, message, timeoutMs, within]: closing is seen at once, long before the 20 s timeout; a stall
  // after timeoutMs.
  const faults: [string, (w: Awaited<ReturnType<typeof rtcWorld>>) => Promise<unknown> | void, RegExp, number, number][] = [
    ["its group closes", (w) => w.groups[2]!.close(), /rank 2 (closed its process group|is gone \(its data channel closed\))/, 20_000, 5000],
    ["its peer connections close (no goodbye)", (w) => w.tracked[2]!.forEach((pc) => pc.close()), /rank 2 is gone \(its data channel closed\)/, 20_000, 5000],
    ["it stalls (never calls the collective)", () => {}, /rank 2 sent nothing for 3000 ms/, 3000, 7000],
  ];
  it.each(faults)("%s", async (_, fault, message, timeoutMs, withinMs) => {
    const w = await rtcWorld(3, { timeoutMs });
    const rand = seeded(9);
    const inputs = [randomF32(1000, rand), randomF32(1000, rand)];
    const bufs = inputs.map((x) => x.slice());
    const t0 = performance.now();
    const pending = bufs.map((b, r) => w.groups[r]!.allReduce(b).then(() => undefined, (e: Error & { peer?: number }) => e));
    await new Promise((r) => setTimeout(r, 50));
    await fault(w);
    const errors = await Promise.all(pending);
    expect(performance.now() - t0).toBeLessThan(withinMs);
    const relayed = /rank [01] aborted collective #0: rank 2 (is gone|sent nothing for \d+ ms)/;
    errors.forEach((e, r) => {
      expect(e?.peer, `rank ${r}`).toBe(2);
      expect(e?.message, `rank ${r}`).toMatch(new RegExp(`${message.source}|${relayed.source}`));
      expect(firstBitDifference(bufs[r]!, inputs[r]!), `rank ${r}'s buffer`).toBe(-1);
    });
  });
});

it("child processes over WebRTC: one killed (SIGKILL) mid-collective, the others reject naming it within the timeout", async () => {
  const timeoutMs = 3000;
  const ranks = await processRanks(3, { timeoutMs, maxMessageFloats: 1 << 14 }, "rtc-rank-process.ts");
  try {
    const rand = seeded(11);
    const inputs = [randomF32(1000, rand), randomF32(1000, rand)];
    const t0 = performance.now();
    const pending = inputs.map((x, r) => ranks.call(r, "allReduce", [x.slice()], { op: "mean" }));
    await new Promise((r) => setTimeout(r, 50));
    await ranks.kill(2);
    const replies = await Promise.all(pending);
    const elapsed = performance.now() - t0;
    replies.forEach((reply, r) => {
      expect(reply.error?.peer, `rank ${r}`).toBe(2);
      expect(reply.error?.message, `rank ${r}`).toMatch(/rank 2 (is gone \(its data channel closed\)|sent nothing for 3000 ms)/);
      expect(firstBitDifference(reply.bufs[0]!, inputs[r]!), `rank ${r}'s buffer`).toBe(-1);
    });
    expect(elapsed).toBeLessThan(timeoutMs + 4000);
  } finally {
    await ranks.close();
  }
});

/** Connects 2 ranks, rank 0 with `PC`, and checks an all-reduce between them. */
async function pairWith(PC: typeof RTCPeerConnection): Promise<void> {
  relay ??= await serveRendezvous();
  const url = `${relay.url}/pair-${Math.random()}`;
  const groups = await Promise.all([0, 1].map((rank) => rtcConnect({ url, rank, worldSize: 2, RTCPeerConnection: rank === 0 ? PC : RTCPeerConnection, connectTimeoutMs: 20_000 })));
  open.push(groups);
  const bufs = [new Float32Array([1, 2]), new Float32Array([3, 5])];
  await Promise.all(groups.map((g, r) => g.allReduce(bufs[r]!)));
  expect(bufs.map((b) => Array.from(b))).toEqual([[4, 7], [4, 7]]);
}

it("a connection that drops during the handshake is offered again (libdatachannel under load drops some)", async () => {
  let made = 0;
  // Rank 0's first connection (its offer to rank 1) closes as soon as its offer is out.
  class DropsFirst extends RTCPeerConnection {
    override async setLocalDescription(...a: Parameters<RTCPeerConnection["setLocalDescription"]>) {
      await super.setLocalDescription(...a);
      if (++made === 1) setTimeout(() => this.close(), 0);
    }
  }
  await pairWith(DropsFirst);
  expect(made).toBe(2);
});

it("a peer that leaves the rendezvous once connected, while its \"done\" still waits behind slow candidates here, is not taken for one that left early", async () => {
  // Rank 0 applies each remote candidate 1.5 s late: rank 1's "done" queues behind them, and rank 1 (connected
  // through rank 0's candidates, with every "done") leaves the rendezvous before rank 0 has read it.
  let slowed = 0;
  class SlowCandidates extends RTCPeerConnection {
    override async addIceCandidate(...a: Parameters<RTCPeerConnection["addIceCandidate"]>) {
      slowed++;
      await new Promise((r) => setTimeout(r, 1500));
      return super.addIceCandidate(...a);
    }
  }
  await pairWith(SlowCandidates);
  expect(slowed).toBeGreaterThan(0);
});

it("the group's timeoutMs does not bound the connecting (connectTimeoutMs does): a rank that starts late still connects", async () => {
  relay ??= await serveRendezvous();
  const url = `${relay.url}/late-${Math.random()}`;
  const connect = (rank: number) => rtcConnect({ url, rank, worldSize: 2, RTCPeerConnection, timeoutMs: 200, connectTimeoutMs: 20_000 });
  const first = connect(0);
  await new Promise((r) => setTimeout(r, 600)); // a process that takes longer to start than a collective may stall
  const groups = await Promise.all([first, connect(1)]);
  open.push(groups);
  const t0 = performance.now(); // the collectives' limit is 200 ms: rank 1 stalls, rank 0 rejects naming it
  await expect(groups[0]!.allReduce(new Float32Array(4))).rejects.toThrow(/rank 1 sent nothing for 200 ms/);
  expect(performance.now() - t0).toBeLessThan(5000);
});

describe("rtcConnect's errors", () => {
  it("a rank that never joins: rejects naming it after connectTimeoutMs", async () => {
    relay ??= await serveRendezvous();
    await expect(rtcConnect({ url: `${relay.url}/alone`, rank: 0, worldSize: 2, RTCPeerConnection, connectTimeoutMs: 300 }))
      .rejects.toThrow(/rtcConnect \(rank 0, .*\/alone\): rank 1 did not join within 300 ms/);
  });
  it("no RTCPeerConnection in the runtime (Node) and none given", async () => {
    await expect(rtcConnect({ url: "ws://127.0.0.1:1/x", rank: 0, worldSize: 2 })).rejects.toThrow(/this runtime has no RTCPeerConnection; pass one/);
  });
  it.each([0, -1, NaN])("connectTimeoutMs %s", async (connectTimeoutMs) => {
    await expect(rtcConnect({ url: "ws://127.0.0.1:1/x", rank: 0, worldSize: 2, RTCPeerConnection, connectTimeoutMs })).rejects.toThrow(/^rtcConnect: invalid connectTimeoutMs -?\w+ \(expected a number > 0\)$/);
  });
  it("the relay refuses a signal before the world is complete", async () => {
    relay ??= await serveRendezvous();
    const { WebSocket } = await import("ws");
    const ws = new WebSocket(`${relay.url}/early-signal`);
    const said: string[] = [];
    await new Promise<void>((resolve) => {
      ws.on("open", () => {
        ws.send(JSON.stringify({ type: "join", rank: 0, worldSize: 2 }));
        ws.send(JSON.stringify({ type: "signal", to: 1, data: {} }));
      });
      ws.on("message", (d) => said.push(String(d)));
      ws.on("close", () => resolve());
    });
    expect(said.at(-1)).toMatch(/"type":"error","message":"unexpected message \\"signal\\""/);
  });
  it("a signal reaches the named rank with the sender's rank stamped by the relay (a forged `from` is overwritten)", async () => {
    relay ??= await serveRendezvous();
    const { WebSocket } = await import("ws");
    const url = `${relay.url}/stamp`;
    const sockets = [0, 1].map(() => new WebSocket(url));
    const got = new Promise<string>((resolve) => sockets[1]!.on("message", (d) => { if (String(d).includes("signal")) resolve(String(d)); }));
    let ready = 0;
    await new Promise<void>((resolve) => sockets.forEach((s, rank) => {
      s.on("open", () => s.send(JSON.stringify({ type: "join", rank, worldSize: 2 })));
      s.on("message", (d) => { if (String(d).includes("ready") && ++ready === 2) resolve(); });
    }));
    sockets[0]!.send(JSON.stringify({ type: "signal", to: 1, from: 1, data: { x: 1 } }));
    expect(JSON.parse(await got)).toEqual({ type: "signal", from: 0, data: { x: 1 } });
    sockets.forEach((s) => s.close());
  });
});
