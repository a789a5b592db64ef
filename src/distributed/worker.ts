// Process groups over MessagePorts: Node worker_threads, Web Workers, Deno, Bun. A mesh of MessageChannels,
// one per pair of ranks, created where the workers are spawned and handed to them; messages carry their payload
// in a fresh ArrayBuffer that is transferred, not cloned (one copy per message, at the sender).
import { type GroupOptions, type Header, MessageGroup, type ProcessGroup, type Transport, checkWorld } from "./group.js";

/** The part of a MessagePort a group uses (Node's `worker_threads` MessagePort and the web's both fit). */
export interface MessagePortLike {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  /** "message" events carry `data`; "close" (Node) fires when the other end is gone. */
  addEventListener(type: "message" | "close", listener: (event: { data?: unknown }) => void): void;
  start?(): void;
  close(): void;
}

/** Options of `workerGroup`. */
export interface WorkerGroupOptions extends GroupOptions {
  rank: number;
  worldSize: number;
  /** `ports[p]`: this rank's end of the channel to rank p (`ports[rank]` unused), from `workerMesh(worldSize)[rank]`. */
  ports: readonly (MessagePortLike | undefined | null)[];
}

/**
 * The channels of a `worldSize`-rank mesh: `mesh[r]` is what rank r passes to `workerGroup` as `ports`
 * (transfer them to its worker: `transferList` in Node, the transfer argument of `postMessage` on the web).
 * @example
 * import { Worker } from "node:worker_threads";
 * const mesh = workerMesh(2);
 * for (let rank = 0; rank < 2; rank++) {
 *   const ports = mesh[rank]!.filter((p) => p !== undefined);
 *   new Worker("./train.js", { workerData: { rank, worldSize: 2, ports: mesh[rank] }, transferList: ports });
 * }
 */
export function workerMesh(worldSize: number): (MessagePort | undefined)[][] {
  checkWorld(0, worldSize);
  const mesh = Array.from({ length: worldSize }, () => new Array<MessagePort | undefined>(worldSize).fill(undefined));
  for (let a = 0; a < worldSize; a++) {
    for (let b = a + 1; b < worldSize; b++) {
      const { port1, port2 } = new MessageChannel();
      mesh[a]![b] = port1;
      mesh[b]![a] = port2;
    }
  }
  return mesh;
}

/**
 * This rank's process group over the MessagePorts of a `workerMesh`. A peer whose worker ends (terminated,
 * crashed, exited) is detected where the runtime reports the port's closing (Node: the port's "close" event);
 * elsewhere (browsers) the collective's timeout names it.
 * @example
 * // inside worker `rank`, with workerData from the example of workerMesh
 * import { workerData } from "node:worker_threads";
 * import { workerGroup } from "gradstep/distributed";
 * const group = workerGroup(workerData);
 * await group.allReduce(grads, { op: "mean" });
 */
export function workerGroup(options: WorkerGroupOptions): ProcessGroup {
  const { rank, worldSize, ports, ...groupOptions } = options;
  checkWorld(rank, worldSize);
  if (ports?.length !== worldSize) throw new RangeError(`workerGroup: ports must be an array of ${worldSize} entries (one per rank, from workerMesh), got ${ports ? `${ports.length} entries` : ports}`);
  for (let p = 0; p < worldSize; p++) {
    if (p !== rank && !ports[p]) throw new TypeError(`workerGroup: ports[${p}] (the channel to rank ${p}) is missing`);
  }
  let closing = false;
  const transport: Transport = {
    send(to: number, header: Header, payload: Float32Array) {
      const copy = payload.slice();
      ports[to]!.postMessage({ h: header, d: copy }, [copy.buffer]);
    },
    close() {
      closing = true;
      for (const p of ports) p?.close();
    },
  };
  for (let p = 0; p < worldSize; p++) {
    const port = ports[p];
    if (p === rank || !port) continue;
    port.addEventListener("message", (e) => {
      const m = e.data as { h?: Header; d?: unknown };
      if (m && m.h && m.d instanceof Float32Array) transport.onMessage?.(p, m.h, m.d);
    });
    port.addEventListener("close", () => {
      if (!closing) transport.onPeerLost?.(p, "is gone (its MessagePort closed: the worker ended or closed it)");
    });
    port.start?.();
  }
  return new MessageGroup(rank, worldSize, transport, groupOptions);
}
