// Process groups over MessagePorts: Node worker_threads, Web Workers, Deno, Bun. A mesh of MessageChannels,
// one per pair of ranks, created where the workers are spawned and handed to them; messages carry their payload
// in a fresh ArrayBuffer that is transferred, not cloned (one copy per message, at the sender). With a shared
// block (workerMesh's sharedFloats) the data goes through shared memory instead (shared.ts).
import { type GroupOptions, type Header, MessageGroup, type ProcessGroup, type Transport, checkWorld } from "./group.js";
import { SharedArena, sharedBlock } from "./shared.js";

/** The part of a MessagePort a group uses (Node's `worker_threads` MessagePort and the web's both fit). */
export interface MessagePortLike {
  /** Sends one message (transferring `transfer`). */
  postMessage(message: unknown, transfer?: Transferable[]): void;
  /** "message" events carry `data`; "close" (Node) fires when the other end is gone. */
  addEventListener(type: "message" | "close", listener: (event: { data?: unknown }) => void): void;
  /** Starts delivery (web MessagePorts need it with addEventListener). */
  start?(): void;
  /** Closes the port. */
  close(): void;
}

/** What rank `rank` of a worker mesh needs; `workerMesh` makes one per rank (pass it to the rank's worker). */
export interface WorkerRank {
  /** This process's rank, 0 <= rank < worldSize. */
  rank: number;
  /** The number of ranks. */
  worldSize: number;
  /** `ports[p]`: this rank's end of the channel to rank p (`ports[rank]` unused). */
  ports: readonly (MessagePortLike | undefined | null)[];
  /**
   * The shared block of the SharedArrayBuffer path (the same for every rank), if the mesh has one: a shared
   * WebAssembly.Memory (its reduction then runs in gradstep's Wasm kernel), or a plain SharedArrayBuffer.
   */
  shared?: WebAssembly.Memory | SharedArrayBuffer;
}

/** Options of `workerGroup`: a `WorkerRank` from `workerMesh`, and the group options. */
export interface WorkerGroupOptions extends WorkerRank, GroupOptions {}

/**
 * The channels of a `worldSize`-rank mesh, one `WorkerRank` per rank: transfer `ports` to that rank's worker
 * (`transferList` in Node, the transfer argument of `postMessage` on the web) and pass the object to
 * `workerGroup` there.
 *
 * With `sharedFloats`, the mesh also gets shared memory (`shared`: a shared WebAssembly.Memory, sent to every
 * worker without copying): collectives then move their data through it (one copy in, one copy out, the reduction
 * summing the ranks' slots in place with gradstep's Wasm SIMD kernel once `await init()` ran in the worker) and
 * use the ports only to wake each other; `sharedFloats` floats per rank (`worldSize · sharedFloats · 4`
 * bytes in all) bound the round size, larger buffers take several rounds. Needs SharedArrayBuffer (browsers:
 * a cross-origin isolated page).
 * @example
 * import { Worker } from "node:worker_threads";
 * const mesh = workerMesh(2, { sharedFloats: 1 << 20 });
 * for (const init of mesh) {
 *   new Worker("./train.js", { workerData: init, transferList: init.ports.filter((p) => p !== undefined) });
 * }
 */
export function workerMesh(worldSize: number, options: { sharedFloats?: number } = {}): (WorkerRank & {
  /** This rank's ends of the channels, to transfer to its worker. */
  ports: (MessagePort | undefined)[];
})[] {
  checkWorld(0, worldSize);
  const { sharedFloats } = options;
  let shared: WebAssembly.Memory | SharedArrayBuffer | undefined;
  if (sharedFloats !== undefined) {
    if (!Number.isInteger(sharedFloats) || sharedFloats < worldSize) throw new RangeError(`workerMesh: invalid sharedFloats ${sharedFloats} (expected an integer >= worldSize, ${worldSize})`);
    if (typeof SharedArrayBuffer !== "function") throw new Error("workerMesh: sharedFloats needs SharedArrayBuffer, which this runtime does not offer (browsers: only on cross-origin isolated pages)");
    shared = sharedBlock(worldSize, sharedFloats);
  }
  const mesh = Array.from({ length: worldSize }, (_, rank) => ({ rank, worldSize, ports: new Array<MessagePort | undefined>(worldSize).fill(undefined), ...(shared ? { shared } : {}) }));
  for (let a = 0; a < worldSize; a++) {
    for (let b = a + 1; b < worldSize; b++) {
      const { port1, port2 } = new MessageChannel();
      mesh[a]!.ports[b] = port1;
      mesh[b]!.ports[a] = port2;
    }
  }
  return mesh;
}

/**
 * This rank's process group over the MessagePorts of a `workerMesh`. A peer whose worker ends (terminated,
 * crashed, exited) is detected where the runtime reports the port's closing (Node: the port's "close" event);
 * elsewhere (browsers) the collective's timeout names it.
 * @example
 * // inside each worker, with workerData from the example of workerMesh
 * import { workerData } from "node:worker_threads";
 * import { workerGroup } from "gradstep/distributed";
 * const group = workerGroup(workerData);
 * await group.allReduce(grads, { op: "mean" });
 */
export function workerGroup(options: WorkerGroupOptions): ProcessGroup {
  const { rank, worldSize, ports, shared, ...groupOptions } = options;
  checkWorld(rank, worldSize);
  if (ports?.length !== worldSize) throw new RangeError(`workerGroup: ports must be an array of ${worldSize} entries (one per rank, from workerMesh), got ${ports ? `${ports.length} entries` : ports}`);
  for (let p = 0; p < worldSize; p++) {
    if (p !== rank && !ports[p]) throw new TypeError(`workerGroup: ports[${p}] (the channel to rank ${p}) is missing`);
  }
  const arena = shared && new SharedArena(shared, worldSize);
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
  return new MessageGroup(rank, worldSize, transport, groupOptions, arena);
}
