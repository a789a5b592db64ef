// The rendezvous relay for `webSocketGroup` (Node, with the `ws` package): ranks join a world named by the URL
// path; once all have joined, binary frames are routed to the rank each names (the relay stamps the sender's
// rank in, so a frame cannot claim another sender). A closed socket is announced to the rest of its world.
// It also relays signalling for WebRTC (`rtcConnect`): a text message {type:"signal", to, data} from a member of
// a ready world reaches rank `to` as {type:"signal", from, data}, `from` stamped by the relay.
import { FROM_OFFSET, HEADER_BYTES, TO_OFFSET } from "./frame.js";
import { importWs } from "./websocket.js";

/** Options of `serveRendezvous`. */
export interface RendezvousOptions {
  /** Interface to listen on (default "127.0.0.1": loopback only; "0.0.0.0" to accept other machines). */
  host?: string;
  /** Port (default 0: any free port; read it from the result). */
  port?: number;
}

/** A running rendezvous relay. */
export interface Rendezvous {
  /** `ws://host:port`; ranks join `${url}/<world name>`. */
  readonly url: string;
  /** The host it listens on. */
  readonly host: string;
  /** The port it listens on (the one given, or the one the OS chose for 0). */
  readonly port: number;
  /** Closes every connection and stops listening. */
  close(): Promise<void>;
}

/** The part of Node's Buffer the relay uses (the build has no Node types: the entry is for every runtime). */
interface Bytes {
  readonly byteLength: number;
  readUInt32LE(offset: number): number;
  writeUInt32LE(value: number, offset: number): number;
  toString(): string;
}
interface Socket {
  send(data: string | Bytes, opts?: { binary: boolean }): void;
  on(event: "message", cb: (data: Bytes, isBinary: boolean) => void): void;
  on(event: "close", cb: (code: number) => void): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
}
interface Server {
  on(event: "connection", cb: (socket: Socket, req: { url?: string }) => void): void;
  once(event: "listening" | "error", cb: (e?: Error) => void): void;
  address(): { port: number };
  clients: Set<Socket>;
  close(cb: () => void): void;
}

/**
 * Starts the relay that `webSocketGroup` connects to (Node only; needs the optional peer dependency `ws`).
 * @example
 * import { serveRendezvous, webSocketGroup } from "gradstep/distributed";
 * const relay = await serveRendezvous({ port: 8765 }); // ws://127.0.0.1:8765
 * // in each of the 2 processes:
 * const group = await webSocketGroup({ url: `${relay.url}/run-1`, rank, worldSize: 2 });
 */
export async function serveRendezvous(options: RendezvousOptions = {}): Promise<Rendezvous> {
  const { host = "127.0.0.1", port = 0 } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`serveRendezvous: invalid port ${port} (expected an integer 0..65535)`);
  const { WebSocketServer } = await importWs<{ WebSocketServer: new (o: { host: string; port: number }) => Server }>("serveRendezvous", "the relay is a ws server");
  const server = new WebSocketServer({ host, port });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", () => resolve());
    server.once("error", (e) => reject(e));
  });
  const worlds = new Map<string, { worldSize: number; members: Map<number, Socket>; ready: boolean }>();
  server.on("connection", (socket, req) => {
    const name = req.url ?? "/";
    let rank = -1;
    let world: { worldSize: number; members: Map<number, Socket>; ready: boolean } | undefined;
    const refuse = (message: string) => {
      socket.send(JSON.stringify({ type: "error", message }));
      socket.close(1008, "refused");
    };
    socket.on("message", (data, isBinary) => {
      if (isBinary) {
        if (!world?.ready || data.byteLength < HEADER_BYTES) return;
        const to = world.members.get(data.readUInt32LE(TO_OFFSET));
        data.writeUInt32LE(rank, FROM_OFFSET);
        to?.send(data, { binary: true });
        return;
      }
      let m: { type?: string; rank?: number; worldSize?: number; to?: number; data?: unknown };
      try {
        m = JSON.parse(data.toString());
      } catch {
        return refuse("not JSON");
      }
      if (m.type === "signal" && world?.ready) {
        // A peer that already left gets nothing: its "left" message tells the sender.
        world.members.get(m.to!)?.send(JSON.stringify({ type: "signal", from: rank, data: m.data }));
        return;
      }
      if (m.type !== "join" || world) return refuse(`unexpected message ${JSON.stringify(m.type)}`);
      const w = worlds.get(name) ?? { worldSize: m.worldSize!, members: new Map(), ready: false };
      if (m.worldSize !== w.worldSize) return refuse(`world ${name} has worldSize ${w.worldSize}, this rank says ${m.worldSize}`);
      if (!Number.isInteger(m.rank) || m.rank! < 0 || m.rank! >= w.worldSize) return refuse(`invalid rank ${m.rank} for worldSize ${w.worldSize}`);
      if (w.members.has(m.rank!)) return refuse(`rank ${m.rank} already joined world ${name}`);
      rank = m.rank!;
      world = w;
      worlds.set(name, w);
      w.members.set(rank, socket);
      const joined = JSON.stringify({ type: "joined", ranks: [...w.members.keys()].sort((a, b) => a - b) });
      for (const s of w.members.values()) s.send(joined);
      if (w.members.size === w.worldSize) {
        w.ready = true;
        for (const s of w.members.values()) s.send(JSON.stringify({ type: "ready" }));
      }
    });
    socket.on("close", (code) => {
      if (!world || world.members.get(rank) !== socket) return;
      world.members.delete(rank);
      if (world.members.size === 0) worlds.delete(name);
      const left = JSON.stringify({ type: "left", rank, reason: `socket closed, code ${code}` });
      for (const s of world.members.values()) s.send(left);
    });
  });
  const actual = server.address().port;
  return {
    url: `ws://${host.includes(":") ? `[${host}]` : host}:${actual}`,
    host,
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of server.clients) s.terminate();
        server.close(() => resolve());
      }),
  };
}
