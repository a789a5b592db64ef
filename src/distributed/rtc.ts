// Process groups over WebRTC data channels, one per pair of ranks. `rtcGroup` takes channels the application
// opened with its own signalling; `rtcConnect` opens them itself, signalling through the rendezvous relay
// (`serveRendezvous`): the lower rank of each pair offers and creates the channel, offers, answers and ICE
// candidates travel as the relay's "signal" messages, and once every rank's channels are open (each tells the
// others "done") the sockets to the relay close: the data then flows peer to peer only.
import { frameTransport } from "./frame.js";
import { type GroupOptions, MessageGroup, type ProcessGroup, checkWorld } from "./group.js";
import { type WebSocketLike, connectTimeout, joinRendezvous } from "./websocket.js";

/**
 * The part of an `RTCDataChannel` a group uses (browsers' channels; in Node, `node-datachannel`'s polyfill).
 * It must be open, ordered and reliable (the defaults of `createDataChannel`).
 */
export interface DataChannelLike {
  /** Set to "arraybuffer" by the group. */
  binaryType: string;
  /** "open" once usable. */
  readonly readyState: string;
  /** Sends one message. */
  send(data: ArrayBufferView): void;
  /** Listens for messages and for the channel closing. */
  addEventListener(type: "message" | "close", listener: (event: { data?: unknown }) => void): void;
  /** Closes the channel. */
  close(): void;
}

/** Options of `rtcGroup`. */
export interface RtcGroupOptions extends GroupOptions {
  /** This process's rank, 0 <= rank < worldSize. */
  rank: number;
  /** The number of ranks. */
  worldSize: number;
  /** `channels[p]`: an open data channel to rank p (`channels[rank]` unused). */
  channels: readonly (DataChannelLike | undefined | null)[];
}

/**
 * This rank's process group over open WebRTC data channels. Messages are at most 64 KiB of payload by default
 * (`maxMessageFloats` 16 384): SCTP implementations differ in the largest message they take (browsers 256 KiB).
 * A channel that closes (the peer left or its connection failed) rejects the pending collective naming the peer.
 * @example
 * // after signalling: `channel` is an open RTCDataChannel between ranks 0 and 1
 * const group = rtcGroup({ rank: 0, worldSize: 2, channels: [undefined, channel] });
 * await group.allReduce(grads, { op: "mean" });
 */
export function rtcGroup(options: RtcGroupOptions): ProcessGroup {
  return channelGroup(options, () => {});
}

/**
 * rtcGroup, with `release` run when the group closes (rtcConnect closes its peer connections there) and the
 * messages that arrived before it existed (`early[p]`: from rank p, in order), received first.
 */
function channelGroup(options: RtcGroupOptions, release: () => void, early: readonly unknown[][] = []): ProcessGroup {
  const { rank, worldSize, channels, ...groupOptions } = options;
  checkWorld(rank, worldSize);
  if (channels?.length !== worldSize) throw new RangeError(`rtcGroup: channels must be an array of ${worldSize} entries (one per rank), got ${channels ? `${channels.length} entries` : channels}`);
  for (let p = 0; p < worldSize; p++) {
    if (p === rank) continue;
    const ch = channels[p];
    if (!ch) throw new TypeError(`rtcGroup: channels[${p}] (the channel to rank ${p}) is missing`);
    if (ch.readyState !== "open") throw new Error(`rtcGroup: channels[${p}] is "${ch.readyState}", expected "open"`);
  }
  let closing = false;
  const { transport, receive } = frameTransport(rank, (to, frame) => {
    // A closed channel means a gone peer, reported by its close event; the frame has no one to reach.
    if (channels[to]!.readyState === "open") channels[to]!.send(frame);
  }, () => {
    closing = true;
    for (const ch of channels) ch?.close();
    release();
  });
  for (let p = 0; p < worldSize; p++) {
    const ch = channels[p];
    if (p === rank || !ch) continue;
    ch.binaryType = "arraybuffer";
    ch.addEventListener("message", (e) => {
      if (e.data instanceof ArrayBuffer || ArrayBuffer.isView(e.data)) receive(e.data);
    });
    ch.addEventListener("close", () => {
      if (!closing) transport.onPeerLost?.(p, "is gone (its data channel closed)");
    });
  }
  const group = new MessageGroup(rank, worldSize, transport, { maxMessageFloats: 1 << 14, ...groupOptions });
  for (const data of early.flat()) if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) receive(data);
  return group;
}

/** The part of `RTCPeerConnection` rtcConnect uses (browsers', Deno's none, Node's through `node-datachannel/polyfill`). */
export interface PeerConnectionLike {
  /** The description set by setLocalDescription (sent to the peer), or null before. */
  readonly localDescription: {
    /** "offer" or "answer". */
    type: string;
    /** The session description (SDP). */
    sdp: string;
  } | null;
  /** A new data channel to the peer, ordered and reliable (the offering side creates it). */
  createDataChannel(label: string): OpenableChannel;
  /**
   * Called without an argument: the offer or answer the signalling state calls for (every current browser).
   * `any`: node-datachannel's typings declare the argument required, though its polyfill takes none.
   */
  setLocalDescription(description?: any): Promise<void>;
  /** Applies the peer's offer or answer. */
  setRemoteDescription(d: { type: string; sdp?: string }): Promise<void>;
  /** Adds an ICE candidate the peer sent. */
  addIceCandidate(c: unknown): Promise<void>;
  // `any`: the DOM's and the polyfill's event types differ; the listeners read only `candidate` / `channel`.
  /** Listens for local ICE candidates, for the peer's data channel, and for connection state changes. */
  addEventListener(type: "icecandidate" | "datachannel" | "connectionstatechange", listener: (event: any) => void): void;
  /** Closes the connection. */
  close(): void;
}

/** Options of `rtcConnect`. */
export interface RtcConnectOptions extends GroupOptions {
  /** The rendezvous URL that relays the signalling, e.g. `ws://127.0.0.1:8765/job-1` (as webSocketGroup's). */
  url: string;
  /** This process's rank, 0 <= rank < worldSize. */
  rank: number;
  /** The number of ranks. */
  worldSize: number;
  /** The RTCPeerConnection class (default: the runtime's global; in Node, `node-datachannel/polyfill`'s). */
  RTCPeerConnection?: {
    /** A peer connection with `configuration` (RTCConfiguration). */
    new (configuration: object): PeerConnectionLike;
  };
  /** The peer connections' configuration (default `{ iceServers: [] }`: host candidates only, for one network). */
  configuration?: object;
  /**
   * How long making the world may take, from this call until every channel is open: the other ranks joining the
   * rendezvous (processes starting) and the handshakes (default 60 000 ms). Apart from `timeoutMs`, each
   * collective's limit once connected: a short one there still lets a loaded machine start its processes.
   */
  connectTimeoutMs?: number;
  /** The WebSocket class for the relay (default: the runtime's global WebSocket, else the `ws` package's). */
  WebSocket?: {
    /** Opens a socket to `url`. */
    new (url: string): WebSocketLike;
  };
}

/**
 * Joins the world `url` names as `rank`, opens a WebRTC data channel to every other rank with signalling
 * relayed by the rendezvous, and resolves with this rank's `rtcGroup` over them once all are open (rejecting,
 * naming the ranks not connected, after `connectTimeoutMs`, default 60 s). The group's close() closes the peer
 * connections. A browser or `node-datachannel`'s polyfill; STUN/TURN servers go in `configuration` when the
 * peers are on different networks.
 * @example
 * import { RTCPeerConnection } from "node-datachannel/polyfill"; // Node; browsers have their own
 * const group = await rtcConnect({ url: "ws://127.0.0.1:8765/run-1", rank, worldSize: 2, RTCPeerConnection });
 * await group.allReduce(grads, { op: "mean" });
 * await group.close();
 */
export async function rtcConnect(options: RtcConnectOptions): Promise<ProcessGroup> {
  const { url, rank, worldSize, RTCPeerConnection: given, configuration = { iceServers: [] }, WebSocket, connectTimeoutMs, ...groupOptions } = options;
  checkWorld(rank, worldSize);
  const timeoutMs = connectTimeout("rtcConnect", connectTimeoutMs);
  const PC = given ?? (globalThis as { RTCPeerConnection?: new (c: object) => PeerConnectionLike }).RTCPeerConnection;
  if (typeof PC !== "function") throw new TypeError("rtcConnect: this runtime has no RTCPeerConnection; pass one (in Node: `import { RTCPeerConnection } from \"node-datachannel/polyfill\"`)");
  const peers = Array.from({ length: worldSize }, (_, p) => p).filter((p) => p !== rank);
  // Per peer: the current attempt (its number, connection, channel, whether its remote description is set, the
  // candidates that came before it). An attempt whose connection closes before its channel opened is replaced
  // by a new offer from the lower rank (libdatachannel under load sometimes drops a connection mid-handshake).
  interface Attempt { n: number; pc: PeerConnectionLike; channel?: OpenableChannel; described: boolean; early: unknown[]; retried?: boolean }
  const attempts = new Array<Attempt | undefined>(worldSize);
  const doneFrom = new Set<number>();
  const queues = new Array<Promise<void>>(worldSize).fill(Promise.resolve()); // each peer's signals in order
  // A peer that is done first may send its first collective's frames before this rank's group exists.
  const early = Array.from({ length: worldSize }, () => [] as unknown[]);
  let holding = true;
  let socket: WebSocketLike | undefined;
  let settle!: { resolve: () => void; reject: (e: Error) => void };
  const connected = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  connected.catch(() => undefined); // awaited below; a failure during the join is reported by the join
  const fail = (message: string) => settle.reject(new Error(`rtcConnect (rank ${rank}, ${url}): ${message}`));
  const signal = (to: number, data: object) => socket?.send(JSON.stringify({ type: "signal", to, data }));
  const isOpen = (p: number) => attempts[p]?.channel?.readyState === "open";
  const check = () => {
    if (peers.every(isOpen) && doneFrom.size === peers.length) settle.resolve();
  };
  const adopt = (p: number, a: Attempt, ch: OpenableChannel) => {
    ch.binaryType = "arraybuffer";
    a.channel = ch;
    ch.addEventListener("message", (e) => {
      if (holding && attempts[p] === a) early[p]!.push(e.data);
    });
    const ready = () => {
      if (attempts[p] !== a) return;
      if (peers.every(isOpen)) for (const q of peers) signal(q, { done: true });
      check();
    };
    if (ch.readyState === "open") ready();
    else ch.addEventListener("open", ready);
  };
  const attempt = (p: number, n: number): Attempt => {
    attempts[p]?.pc.close();
    const pc = new PC(configuration);
    const a: Attempt = { n, pc, described: false, early: [] };
    attempts[p] = a;
    pc.addEventListener("icecandidate", (e: { candidate?: { toJSON?(): unknown } | null }) => {
      if (e.candidate && attempts[p] === a) signal(p, { n, candidate: e.candidate.toJSON ? e.candidate.toJSON() : e.candidate });
    });
    pc.addEventListener("datachannel", (e: { channel: OpenableChannel }) => adopt(p, a, e.channel));
    pc.addEventListener("connectionstatechange", () => {
      const state = (pc as { connectionState?: string }).connectionState;
      if (state === "failed" || state === "closed") retry(p, a, `connection ${state}`);
    });
    return a;
  };
  const retry = (p: number, a: Attempt, why: string) => {
    if (attempts[p] !== a || isOpen(p) || a.retried) return;
    a.retried = true;
    if (p < rank) signal(p, { n: a.n, retry: true });
    else if (a.n >= 5) fail(`no connection with rank ${p} after ${a.n} attempts (the last: ${why})`);
    else offer(p, a.n + 1).catch((e: Error) => fail(`offering to rank ${p} failed: ${e.message}`));
  };
  const offer = async (p: number, n: number) => {
    const a = attempt(p, n);
    adopt(p, a, a.pc.createDataChannel("gradstep"));
    await a.pc.setLocalDescription();
    signal(p, { n, description: a.pc.localDescription });
  };
  const handle = async (p: number, data: { n?: number; description?: { type: string; sdp: string }; candidate?: unknown; done?: boolean; retry?: boolean }) => {
    if (data.done) {
      doneFrom.add(p);
      return check();
    }
    if (data.retry) return attempts[p]?.n === data.n ? retry(p, attempts[p]!, `rank ${p} gave the attempt up`) : undefined;
    if (data.description?.type === "offer" && data.n !== attempts[p]?.n) attempt(p, data.n!);
    const a = attempts[p];
    if (!a || a.n !== data.n) return; // from an attempt given up
    if (data.candidate !== undefined) {
      if (a.described) await addCandidate(a.pc, data.candidate);
      else a.early.push(data.candidate);
      return;
    }
    await a.pc.setRemoteDescription(withoutCandidates(data.description!));
    a.described = true;
    for (const c of a.early.splice(0)) await addCandidate(a.pc, c);
    if (data.description!.type === "offer") {
      await a.pc.setLocalDescription();
      signal(p, { n: a.n, description: a.pc.localDescription });
    }
  };
  const timer = setTimeout(() => {
    const missing = peers.filter((p) => !isOpen(p) || !doneFrom.has(p));
    fail(`no data channel with rank${missing.length > 1 ? "s" : ""} ${missing.join(", ")} within ${timeoutMs} ms`);
  }, timeoutMs);
  try {
    socket = await joinRendezvous("rtcConnect", { url, rank, worldSize, WebSocket, timeoutMs }, {
      message(data) {
        if (typeof data !== "string") return;
        const m = JSON.parse(data) as { type: string; from?: number; data?: never; rank?: number };
        if (m.type === "signal") {
          const p = m.from!;
          // A signal the connection refuses (it went down meanwhile) ends the attempt: the offering rank makes another.
          queues[p] = queues[p]!.then(() => handle(p, m.data!)).catch((e: Error) => retry(p, attempts[p]!, e.message));
        } else if (m.type === "left") {
          // A peer leaves once it has every channel and every "done": its own "done" came before, but may still
          // wait in its queue behind signals being applied (a candidate retried under load). Judged after them.
          const p = m.rank!;
          queues[p] = queues[p]!.then(() => {
            if (!doneFrom.has(p)) fail(`rank ${p} left the rendezvous before its data channels were open`);
          });
        }
      },
      close(e) {
        void Promise.all(queues).then(() => {
          if (doneFrom.size < peers.length) fail(`the connection to the rendezvous closed (code ${e.code})`);
        });
      },
    });
    for (const p of peers) if (p > rank) await offer(p, 1);
    await connected;
  } catch (e) {
    for (const a of attempts) a?.pc.close();
    socket?.close();
    throw e;
  } finally {
    clearTimeout(timer);
  }
  // Every peer is connected and done with the relay.
  socket.close();
  holding = false;
  const channels = attempts.map((a) => a?.channel);
  return channelGroup({ rank, worldSize, channels, ...groupOptions }, () => {
    for (const a of attempts) a?.pc.close();
  }, early);
}

/** A data channel being opened (PeerConnectionLike.createDataChannel's): a DataChannelLike with an "open" event. */
export type OpenableChannel = DataChannelLike & {
  /** Listens for the channel opening. */
  addEventListener(type: "open", listener: () => void): void;
};

// libdatachannel (node-datachannel) under load can take a remote candidate before its ICE transport is up and
// refuse it ("Got a remote candidate without ICE transport"), in setRemoteDescription when the description
// carries candidates. Candidates travel apart (trickled), so descriptions are applied without theirs, and a
// candidate refused so is retried for up to a second.
function withoutCandidates(d: { type: string; sdp: string }): { type: string; sdp: string } {
  return { type: d.type, sdp: d.sdp.split("\r\n").filter((l) => !l.startsWith("a=candidate:")).join("\r\n") };
}

async function addCandidate(pc: PeerConnectionLike, candidate: unknown): Promise<void> {
  for (let tries = 1; ; tries++) {
    try {
      return await pc.addIceCandidate(candidate);
    } catch (e) {
      if (tries >= 40 || !/without ICE transport/.test((e as Error).message)) throw e;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}
