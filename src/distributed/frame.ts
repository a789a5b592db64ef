// The binary message of the byte transports (WebSocket relay, WebRTC data channels): a 40-byte header of ten
// little-endian u32 — magic, kind, op, seq, phase, piece, length, root, from, to — then the f32 payload, so the
// payload starts 4-byte aligned and is read in place.
import type { Header, Transport } from "./group.js";

const MAGIC = 0x31445347; // "GSD1"
/** @internal */
export const HEADER_BYTES = 40;
/** @internal Byte offset of `from` (the relay overwrites it with the sender's rank it knows). */
export const FROM_OFFSET = 32;
/** @internal Byte offset of `to` (the relay routes on it). */
export const TO_OFFSET = 36;

// Float32Array views use the host's byte order; every JS engine in use is little-endian, and a big-endian one
// would silently corrupt the payload across machines, so it is refused.
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** @internal */
export function encodeFrame(from: number, to: number, h: Header, payload: Float32Array): Uint8Array {
  if (!littleEndian) throw new Error("gradstep/distributed: byte transports need a little-endian host");
  const bytes = new Uint8Array(HEADER_BYTES + payload.byteLength);
  const u = new Uint32Array(bytes.buffer, 0, HEADER_BYTES / 4);
  u.set([MAGIC, h.kind, h.op, h.seq, h.phase, h.piece, h.length, h.root, from, to]);
  new Float32Array(bytes.buffer, HEADER_BYTES, payload.length).set(payload);
  return bytes;
}

/** @internal Decodes a frame (copying it if it is not 4-byte aligned); undefined if it is not one. */
export function decodeFrame(data: ArrayBuffer | ArrayBufferView): { from: number; to: number; header: Header; payload: Float32Array } | undefined {
  let bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (bytes.byteLength < HEADER_BYTES || (bytes.byteLength - HEADER_BYTES) % 4 !== 0) return undefined;
  if (bytes.byteOffset % 4 !== 0) bytes = bytes.slice();
  const u = new Uint32Array(bytes.buffer, bytes.byteOffset, HEADER_BYTES / 4);
  if (u[0] !== MAGIC) return undefined;
  const header = { kind: u[1]!, op: u[2]!, seq: u[3]!, phase: u[4]!, piece: u[5]!, length: u[6]!, root: u[7]! } as Header;
  const payload = new Float32Array(bytes.buffer, bytes.byteOffset + HEADER_BYTES, (bytes.byteLength - HEADER_BYTES) / 4);
  return { from: u[8]!, to: u[9]!, header, payload };
}

/**
 * @internal A Transport over byte messages: `sendBytes(to, frame)` carries a frame to rank `to`; the returned
 * `receive` takes every frame that arrives (ignoring anything that is not one addressed to this rank).
 */
export function frameTransport(rank: number, sendBytes: (to: number, frame: Uint8Array) => void, close: () => void | Promise<void>): { transport: Transport; receive: (data: ArrayBuffer | ArrayBufferView) => void } {
  const transport: Transport = {
    send: (to, header, payload) => sendBytes(to, encodeFrame(rank, to, header, payload)),
    close,
  };
  const receive = (data: ArrayBuffer | ArrayBufferView) => {
    const m = decodeFrame(data);
    if (m && m.to === rank) transport.onMessage?.(m.from, m.header, m.payload);
  };
  return { transport, receive };
}
