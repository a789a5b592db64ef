// The ranks of a test world on each transport, behind one interface: call a collective on a rank and get its
// buffers back with the error, if any. In-process groups (local, WebSocket clients, fake RTC), worker threads
// and child processes over WebSocket; and a local world whose every payload byte is counted.
import { type ChildProcess, fork } from "node:child_process";
import { join } from "node:path";
import { type MessagePort as NodePort, Worker } from "node:worker_threads";
import { type DataChannelLike, type GroupOptions, type ProcessGroup, type Rendezvous, localGroups, rtcGroup, serveRendezvous, webSocketGroup, workerMesh } from "../../src/distributed/index.js";
import { MessageGroup, type Header, type Transport } from "../../src/distributed/group.js";
import { type Command, type Method, type Reply, runCommand } from "./rank-driver.js";

export interface Ranks {
  readonly worldSize: number;
  /** Runs `method` on `rank` with `bufs`; resolves with the buffers afterwards and the error, if it failed. */
  call(rank: number, method: Method, bufs: Float32Array[], arg?: unknown): Promise<Reply>;
  /** Ends a rank abruptly (terminates its worker, kills its process, drops its socket or channels). */
  kill(rank: number): Promise<void>;
  close(): Promise<void>;
}

const here = import.meta.dirname;
const tsx = ["--import", "tsx"];

export function inProcess(groups: ProcessGroup[], kill: (rank: number) => Promise<void>, teardown: () => Promise<void> = async () => {}): Ranks {
  return {
    worldSize: groups.length,
    async call(rank, method, bufs, arg) {
      const t = performance.now();
      try {
        await runCommand(groups[rank]!, { id: 0, method, bufs, arg });
        return { id: 0, bufs, ms: performance.now() - t };
      } catch (e) {
        const err = e as Error & { peer?: number };
        return { id: 0, bufs, error: { name: err.name, message: err.message, peer: err.peer } };
      }
    },
    kill,
    async close() {
      await Promise.all(groups.map((g) => g.close()));
      await teardown();
    },
  };
}

export function localRanks(worldSize: number, options: Parameters<typeof localGroups>[1] = {}): Ranks {
  return inProcess(localGroups(worldSize, options), () => Promise.reject(new Error("local ranks cannot be killed")));
}

/** Remote ranks (workers, processes) answer commands by id. */
function remote(worldSize: number, post: (rank: number, c: Command) => void, kill: (rank: number) => Promise<void>, teardown: () => Promise<void>) {
  let next = 0;
  const pending = new Map<number, (r: Reply) => void>();
  const ranks: Ranks = {
    worldSize,
    call(rank, method, bufs, arg) {
      const id = next++;
      return new Promise<Reply>((resolve) => {
        pending.set(id, resolve);
        post(rank, { id, method, bufs, arg });
      });
    },
    kill,
    close: teardown,
  };
  return { ranks, answer: (r: Reply) => pending.get(r.id)?.(r) };
}

/** `wasm: false`: the workers do not initialize gradstep (their shared-memory reduction is then the JS loop). */
export async function workerRanks(worldSize: number, options: GroupOptions & { sharedFloats?: number; wasm?: boolean } = {}): Promise<Ranks> {
  const { sharedFloats, ...groupOptions } = options;
  const mesh = workerMesh(worldSize, { sharedFloats });
  const workers: Worker[] = [];
  const { ranks, answer } = remote(
    worldSize,
    (rank, c) => workers[rank]!.postMessage(c),
    async (rank) => void (await workers[rank]!.terminate()),
    async () => void (await Promise.all(workers.map((w) => w.terminate()))),
  );
  await Promise.all(
    mesh.map((init) => {
      const w = new Worker(join(here, "rank-worker.mjs"), { workerData: { ...init, ...groupOptions }, transferList: init.ports.filter((p) => p !== undefined) as unknown as NodePort[] });
      workers.push(w);
      return new Promise<void>((resolve, reject) => {
        w.on("message", (r: Reply) => (r.id === -1 ? resolve() : answer(r)));
        w.once("error", reject);
      });
    }),
  );
  return ranks;
}

/** Child processes over a rendezvous in this process (`script`: over WebSocket, or rtc-rank-process.ts over WebRTC). */
export async function processRanks(worldSize: number, options: { timeoutMs: number; maxMessageFloats: number }, script = "rank-process.ts"): Promise<Ranks> {
  const relay = await serveRendezvous();
  const url = `${relay.url}/processes`;
  const children: ChildProcess[] = [];
  const { ranks, answer } = remote(
    worldSize,
    (rank, c) => children[rank]!.send(c),
    async (rank) => {
      const c = children[rank]!;
      await new Promise((resolve) => {
        c.once("exit", resolve);
        c.kill("SIGKILL");
      });
    },
    async () => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
      await relay.close();
    },
  );
  const started = Array.from({ length: worldSize }, (_, rank) => {
    const c = fork(join(here, script), [url, String(rank), String(worldSize), String(options.timeoutMs), String(options.maxMessageFloats)], { execArgv: tsx, serialization: "advanced", stdio: "inherit" });
    children.push(c);
    return new Promise<void>((resolve, reject) => {
      c.on("message", (r: Reply) => (r.id === -1 ? resolve() : answer(r)));
      c.once("error", reject);
      // A rank whose group could not be made exits: the world's start fails at once instead of waiting forever.
      c.once("exit", (code, signal) => reject(new Error(`rank ${rank} exited (${code ?? signal}) before its group was made`)));
    });
  });
  try {
    await Promise.all(started);
  } catch (e) {
    await ranks.close();
    throw e;
  }
  return ranks;
}

/** WebSocket clients in this process (through `ws`, Node 20 having no global WebSocket). */
export async function webSocketRanks(worldSize: number, options: GroupOptions = {}, relay?: Rendezvous): Promise<Ranks & { relay: Rendezvous }> {
  const own = relay ?? (await serveRendezvous());
  const url = `${own.url}/in-process-${Math.random()}`;
  const sockets: { close(): void }[] = [];
  // Spies on the sockets the groups open, so that kill() can drop one as a dying process would.
  const { WebSocket } = await import("ws");
  class Tracked extends WebSocket {
    constructor(u: string) {
      super(u);
      sockets.push(this);
    }
  }
  const groups = await Promise.all(Array.from({ length: worldSize }, (_, rank) => webSocketGroup({ url, rank, worldSize, WebSocket: Tracked, ...options })));
  return {
    ...inProcess(groups, async (rank) => sockets.find((_, i) => i === rank)?.close(), async () => void (relay ? undefined : await own.close())),
    relay: own,
  };
}

/** An in-process pair of channels that behave like RTCDataChannel: ordered, binary, copies, a message size limit, close on both ends. */
export class FakeChannel implements DataChannelLike {
  static readonly maxMessageBytes = 256 * 1024;
  binaryType = "blob";
  readyState = "open";
  peer!: FakeChannel;
  #listeners = { message: [] as ((e: { data?: unknown }) => void)[], close: [] as ((e: { data?: unknown }) => void)[] };
  #due = 0;
  constructor(readonly delayMs: () => number = () => 0) {}
  static pair(delayMs?: () => number): [FakeChannel, FakeChannel] {
    const a = new FakeChannel(delayMs);
    const b = new FakeChannel(delayMs);
    a.peer = b;
    b.peer = a;
    return [a, b];
  }
  send(data: ArrayBufferView): void {
    if (this.readyState !== "open") throw new Error(`InvalidStateError: channel is ${this.readyState}`);
    if (data.byteLength > FakeChannel.maxMessageBytes) throw new TypeError(`message of ${data.byteLength} bytes exceeds the channel's maximum`);
    const copy = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice().buffer;
    const at = Math.max(this.#due, performance.now() + this.delayMs());
    this.#due = at;
    setTimeout(() => {
      if (this.peer.readyState !== "closed") for (const l of this.peer.#listeners.message) l({ data: this.peer.binaryType === "arraybuffer" ? copy : new Blob([copy]) });
    }, at - performance.now());
  }
  addEventListener(type: "message" | "close", listener: (e: { data?: unknown }) => void): void {
    this.#listeners[type].push(listener);
  }
  /** Like RTCDataChannel: messages already sent are still delivered, then both ends close. */
  close(): void {
    if (this.readyState !== "open") return;
    this.readyState = "closing";
    const at = Math.max(this.#due, performance.now());
    setTimeout(() => {
      for (const ch of [this, this.peer]) {
        if (ch.readyState === "closed") continue;
        ch.readyState = "closed";
        ch.#listeners.close.forEach((l) => l({}));
      }
    }, at - performance.now());
  }
}

/** A full mesh of fake data channels: `channels[r][p]` is rank r's end of the channel to rank p. */
export function fakeRtcMesh(worldSize: number, delayMs?: () => number): (FakeChannel | undefined)[][] {
  const channels = Array.from({ length: worldSize }, () => new Array<FakeChannel | undefined>(worldSize).fill(undefined));
  for (let a = 0; a < worldSize; a++) {
    for (let b = a + 1; b < worldSize; b++) [channels[a]![b], channels[b]![a]] = FakeChannel.pair(delayMs);
  }
  return channels;
}

export function fakeRtcGroups(worldSize: number, options: GroupOptions = {}, channels = fakeRtcMesh(worldSize)): ProcessGroup[] {
  return channels.map((chs, rank) => rtcGroup({ rank, worldSize, channels: chs, ...options }));
}

export function rtcRanks(worldSize: number, options: GroupOptions & { delayMs?: () => number } = {}): Ranks {
  const { delayMs, ...groupOptions } = options;
  const channels = fakeRtcMesh(worldSize, delayMs);
  return inProcess(fakeRtcGroups(worldSize, groupOptions, channels), async (rank) => channels[rank]!.forEach((c) => c?.close()));
}

/** localGroups' message passing with every payload byte counted per sending rank (an independent meter). */
export function countingGroups(world: number): { groups: ProcessGroup[]; sent: number[] } {
  const sent = new Array<number>(world).fill(0);
  const transports: Transport[] = [];
  for (let rank = 0; rank < world; rank++) {
    transports.push({
      send(to: number, header: Header, payload: Float32Array) {
        sent[rank]! += payload.byteLength;
        const copy = payload.slice();
        queueMicrotask(() => transports[to]!.onMessage?.(rank, { ...header }, copy));
      },
      close() {},
    });
  }
  return { groups: transports.map((t, r) => new MessageGroup(r, world, t)), sent };
}
