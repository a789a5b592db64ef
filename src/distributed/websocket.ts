// Process groups over WebSocket through the rendezvous relay (`serveRendezvous`): every rank holds one socket
// to the relay, which routes each binary frame to the rank named in it. Text messages are the relay's control
// protocol (JSON): the client sends {type:"join", rank, worldSize}; the relay answers {type:"joined", ranks},
// {type:"ready"} once all ranks are in, {type:"left", rank, reason} when a rank's socket closes, {type:"error",
// message} before closing a socket it refuses.
import { frameTransport } from "./frame.js";
import { type GroupOptions, MessageGroup, type ProcessGroup, checkWorld } from "./group.js";

/** The part of the WebSocket API a group uses (the global WebSocket, or `ws`'s class). */
export interface WebSocketLike {
  /** Set to "arraybuffer" by the group. */
  binaryType: string;
  /** Sends one message. */
  send(data: string | ArrayBufferView): void;
  /** Listens for the socket's events. */
  // `any`: the DOM's and `ws`'s event types differ, and both must fit; the listeners below read only
  // data / code / reason.
  addEventListener(type: "open" | "message" | "close" | "error", listener: (event: any) => void): void;
  /** Closes the socket. */
  close(): void;
}

/** Options of `webSocketGroup`. */
export interface WebSocketGroupOptions extends GroupOptions {
  /** The rendezvous URL, e.g. `ws://127.0.0.1:8765/job-1` (the path names the world: several can share a relay). */
  url: string;
  /** This process's rank, 0 <= rank < worldSize. */
  rank: number;
  /** The number of ranks. */
  worldSize: number;
  /**
   * How long joining may take, from this call until every rank has joined (processes starting on a loaded
   * machine; default 60 000 ms). Apart from `timeoutMs`, each collective's limit once joined.
   */
  connectTimeoutMs?: number;
  /** The WebSocket class (default: the runtime's global WebSocket, else the `ws` package's). */
  WebSocket?: {
    /** Opens a socket to `url`. */
    new (url: string): WebSocketLike;
  };
}

/** @internal Imports the optional peer `ws` (a variable specifier, so that bundlers do not try to resolve it at build time). */
export async function importWs<T>(caller: string, why: string): Promise<T> {
  const name = "ws";
  try {
    return (await import(/* @vite-ignore */ /* webpackIgnore: true */ name)) as T;
  } catch (e) {
    throw new Error(`${caller} needs the optional peer dependency "ws" (${why}): npm install ws`, { cause: e });
  }
}

/** @internal The limit on making a world (`connectTimeoutMs` of webSocketGroup and rtcConnect), checked; default 60 s. */
export function connectTimeout(caller: string, ms: number = 60_000): number {
  if (!(ms > 0)) throw new RangeError(`${caller}: invalid connectTimeoutMs ${String(ms)} (expected a number > 0)`);
  return ms;
}

/** @internal What `joinRendezvous` needs: where, who, and how long to wait for the others. */
export interface JoinOptions {
  url: string;
  rank: number;
  worldSize: number;
  WebSocket?: new (url: string) => WebSocketLike;
  timeoutMs: number;
}

/**
 * @internal Joins the world `url` names as `rank` and resolves with the socket once every rank has joined
 * (rejecting, naming the ranks still missing, after `timeoutMs`, and on a refusal, a rank that left, a failed
 * connection). From then on every message and the close event go to `after` (control messages as strings).
 */
export async function joinRendezvous(caller: string, o: JoinOptions, after: { message(data: unknown): void; close(e: { code: number; reason: string }): void }): Promise<WebSocketLike> {
  const { url, rank, worldSize, timeoutMs } = o;
  const Ctor = o.WebSocket ?? (globalThis as { WebSocket?: new (url: string) => WebSocketLike }).WebSocket ?? (await importWs<{ WebSocket: new (url: string) => WebSocketLike }>(caller, "this runtime has no global WebSocket")).WebSocket;
  const socket = new Ctor(url);
  socket.binaryType = "arraybuffer";
  let ready = false;
  return new Promise<WebSocketLike>((resolve, reject) => {
    let joined: number[] = [];
    const fail = (message: string) => {
      clearTimeout(timer);
      ready = true; // nothing more to report: later events are the closing socket's
      socket.close();
      reject(new Error(`${caller} (rank ${rank}, ${url}): ${message}`));
    };
    const timer = setTimeout(() => {
      const missing = Array.from({ length: worldSize }, (_, r) => r).filter((r) => !joined.includes(r));
      fail(`rank${missing.length > 1 ? "s" : ""} ${missing.join(", ")} did not join within ${timeoutMs} ms`);
    }, timeoutMs);
    socket.addEventListener("open", () => socket.send(JSON.stringify({ type: "join", rank, worldSize })));
    socket.addEventListener("message", (e: { data: unknown }) => {
      if (ready) return after.message(e.data);
      if (typeof e.data !== "string") return;
      const m = JSON.parse(e.data) as { type: string; ranks?: number[]; rank?: number; message?: string };
      if (m.type === "joined") joined = m.ranks ?? [];
      else if (m.type === "error") fail(`the rendezvous refused: ${m.message}`);
      else if (m.type === "left") fail(`rank ${m.rank} disconnected before every rank joined`);
      else if (m.type === "ready") {
        clearTimeout(timer);
        ready = true;
        resolve(socket);
      }
    });
    socket.addEventListener("error", () => {
      if (!ready) fail("could not connect");
    });
    socket.addEventListener("close", (e: { code: number; reason: string }) => {
      if (!ready) fail(`the connection closed (code ${e.code})`);
      else after.close(e);
    });
  });
}

/**
 * Joins the world `url` names as `rank`; resolves once all `worldSize` ranks have joined (rejects, naming the
 * ranks still missing, after `connectTimeoutMs`, default 60 s). A rank whose socket closes (process died, network) rejects every
 * peer's pending collective naming it.
 * @example
 * import { webSocketGroup } from "gradstep/distributed";
 * const group = await webSocketGroup({ url: "ws://127.0.0.1:8765/run-1", rank, worldSize: 2 });
 * await group.allReduce(grads, { op: "mean" });
 * await group.close();
 */
export async function webSocketGroup(options: WebSocketGroupOptions): Promise<ProcessGroup> {
  const { url, rank, worldSize, WebSocket, connectTimeoutMs, ...groupOptions } = options;
  checkWorld(rank, worldSize);
  const timeoutMs = connectTimeout("webSocketGroup", connectTimeoutMs);
  let closing = false;
  let socket: WebSocketLike | undefined;
  const { transport, receive } = frameTransport(rank, (_to, frame) => socket!.send(frame), () => {
    closing = true;
    socket!.close();
  });
  socket = await joinRendezvous("webSocketGroup", { url, rank, worldSize, WebSocket, timeoutMs }, {
    message(data) {
      if (typeof data !== "string") {
        if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) receive(data);
        return;
      }
      const m = JSON.parse(data) as { type: string; rank?: number; reason?: string };
      if (m.type === "left") transport.onPeerLost?.(m.rank!, `disconnected from the rendezvous (${m.reason})`);
    },
    close(e) {
      if (!closing) transport.onLost?.(`the connection to the rendezvous closed (code ${e.code}${e.reason ? `, ${e.reason}` : ""})`);
    },
  });
  return new MessageGroup(rank, worldSize, transport, groupOptions);
}
