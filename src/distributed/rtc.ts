// Process groups over WebRTC data channels, one per pair of ranks. Signalling (offers, answers, ICE) is the
// application's: open the channels however it likes (the rendezvous server's relay can carry the signalling
// messages) and hand them here once open.
import { frameTransport } from "./frame.js";
import { type GroupOptions, MessageGroup, type ProcessGroup, checkWorld } from "./group.js";

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
  return new MessageGroup(rank, worldSize, transport, { maxMessageFloats: 1 << 14, ...groupOptions });
}
