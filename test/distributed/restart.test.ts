// Kill and restart: a world of 3 child processes over WebSocket trains a DataParallel (int8-compressed gradients,
// so each rank's checkpoint holds its own error buffers) and a ZeRO-1 model, checkpointing every 4 steps. The test SIGKILLs rank 1 after its 6th step: both survivors' pending collective
// rejects within the (short) timeout naming rank 1. A new world restarts from the last complete checkpoint (step
// 4) and trains to step 12: every rank ends bit-identical to an uninterrupted run of the same training.
import { type ChildProcess, fork } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { localGroups, serveRendezvous } from "../../src/distributed/index.js";
import { firstBitDifference } from "./reference.js";
import { type TrainOptions, train } from "./restart-train.js";

const W = 3, STEPS = 12, EVERY = 4, KILL_AFTER = 6, TIMEOUT_MS = 3000;
const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0)) await f();
});

type Message = { step?: number; done?: { ddp: Float32Array[]; zero: Float32Array[]; from: number }; error?: { name: string; message: string; peer?: number } };

/** Starts a world of W child processes; `on(rank, message, child)` sees every message; resolves with each rank's last message. */
async function world(name: string, options: TrainOptions & { ackRank?: number }, on: (rank: number, m: Message, c: ChildProcess) => void = () => {}) {
  const relay = await serveRendezvous();
  cleanup.push(() => relay.close());
  const children = Array.from({ length: W }, (_, rank) =>
    fork(join(import.meta.dirname, "restart-rank.ts"), [`${relay.url}/${name}`, String(rank), String(W), String(TIMEOUT_MS), JSON.stringify(options)], { execArgv: ["--import", "tsx"], serialization: "advanced", stdio: "inherit" }));
  cleanup.push(() => children.forEach((c) => c.exitCode === null && c.signalCode === null && c.kill("SIGKILL")));
  return Promise.all(children.map((c, rank) => new Promise<Message | undefined>((resolve) => {
    let last: Message | undefined;
    c.on("message", (m: Message) => { last = m; on(rank, m, c); if (m.done || m.error) resolve(m); });
    c.on("exit", () => resolve(last));
  })));
}

it("a rank SIGKILLed mid-training: survivors reject naming it within the timeout; the restarted world ends bit-identical to an uninterrupted run", async () => {
  const dir = mkdtempSync(join(tmpdir(), "gradstep-restart-"));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  // The uninterrupted run: the same training, in this process.
  const reference = await Promise.all(localGroups(W).map((g) => train(g, { steps: STEPS, every: EVERY })));

  // The world that loses rank 1 after its 6th step (rank 1 waits for the test's ack after each step).
  let killedAt = 0;
  const first = await world("first", { steps: STEPS, every: EVERY, dir, ackRank: 1 }, (rank, m, c) => {
    if (rank !== 1 || m.step === undefined) return;
    if (m.step < KILL_AFTER) c.send("go");
    else {
      killedAt = performance.now();
      c.kill("SIGKILL");
    }
  });
  const rejectedAfter = performance.now() - killedAt;
  expect(first[1]).toEqual({ step: KILL_AFTER }); // its last word
  for (const r of [0, 2]) {
    expect(first[r]!.error, `rank ${r}`).toMatchObject({ name: "ProcessGroupError", peer: 1 });
    expect(first[r]!.error!.message, `rank ${r}`).toMatch(/rank 1 (disconnected from the rendezvous|is gone)|rank 1 aborted|aborted collective #\d+: rank 1/);
  }
  expect(rejectedAfter).toBeLessThan(TIMEOUT_MS + 2000);
  expect(readFileSync(join(dir, "latest"), "utf8")).toBe(String(EVERY)); // the checkpoint of step 8 never completed

  // The restarted world: every rank resumes from the last checkpoint and trains to the end.
  const second = await world("second", { steps: STEPS, every: EVERY, dir, resume: true });
  second.forEach((m, r) => {
    expect(m?.error, `rank ${r}`).toBeUndefined();
    expect(m!.done!.from).toBe(EVERY);
    for (const model of ["ddp", "zero"] as const) {
      m!.done![model].forEach((v, i) => expect(firstBitDifference(v, reference[r]![model][i]!), `rank ${r} ${model} param ${i}`).toBe(-1));
    }
  });
}, 60_000);
