// The safetensors format (https://github.com/huggingface/safetensors): 8 bytes little-endian header length
// N, a JSON header of N bytes ({ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__":
// { string: string } }), then the tensor bytes (offsets relative to the end of the header). Read strictly:
// every offset in range, no overlap, no gap, dtype and shape consistent — a corrupt file is an error.

/** F32 (params, f32 state), BF16 (bf16 optimizer state, raw bits), U8 (int8 state codes). */
export type Tensor =
  | { dtype: "F32"; shape: readonly number[]; data: Float32Array }
  | { dtype: "BF16"; shape: readonly number[]; data: Uint16Array }
  | { dtype: "U8"; shape: readonly number[]; data: Uint8Array };
const WIDTH = { F32: 4, BF16: 2, U8: 1 } as const;

const MAX_HEADER = 100 * 1024 * 1024; // the reference implementation's limit

/** Serializes tensors (in name order) and string metadata. */
export function encodeSafetensors(tensors: ReadonlyMap<string, Tensor>, metadata: Record<string, string>): Uint8Array {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    const bytes = t.data.length * WIDTH[t.dtype];
    header[name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - ((8 + new TextEncoder().encode(json).length) % 8)) % 8); // data 8-byte aligned
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const name of names) {
    const t = tensors.get(name)!, d = t.data, w = WIDTH[t.dtype];
    const le = new DataView(out.buffer, at, d.length * w);
    for (let i = 0; i < d.length; i++) {
      if (w === 4) le.setFloat32(4 * i, d[i]!, true);
      else if (w === 2) le.setUint16(2 * i, d[i]!, true);
      else le.setUint8(i, d[i]!);
    }
    at += d.length * w;
  }
  return out;
}

/** Parses a safetensors file; throws a clear error for anything malformed. F32, BF16 and U8 tensors are accepted. */
export function decodeSafetensors(bytes: Uint8Array): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  const bad = (msg: string) => new Error(`checkpoint: not a valid safetensors file: ${msg}`);
  if (!(bytes instanceof Uint8Array)) throw new TypeError("checkpoint: expected the bytes of a safetensors file (a Uint8Array)");
  if (bytes.length < 8) throw bad(`${bytes.length} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n > MAX_HEADER || 8 + n > bytes.length) throw bad(`header length ${n} does not fit in ${bytes.length} bytes`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw bad(`the header is not JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) throw bad("the header is not a JSON object");
  const dataLength = bytes.length - 8 - n;
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, Tensor>();
  const spans: Array<[number, number, string]> = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") {
      if (entry === null || typeof entry !== "object") throw bad("__metadata__ is not an object");
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== "string") throw bad(`__metadata__.${k} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (e === null || typeof e !== "object") throw bad(`tensor "${name}" is not an object`);
    if (e.dtype !== "F32" && e.dtype !== "BF16" && e.dtype !== "U8") {
      throw bad(`tensor "${name}" has dtype ${JSON.stringify(e.dtype)} (gradstep reads F32, and BF16 and U8 for low-precision optimizer state)`);
    }
    const dtype = e.dtype, w = WIDTH[dtype];
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw bad(`tensor "${name}" has an invalid shape`);
    const offs = e.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((x) => Number.isSafeInteger(x) && x >= 0) || offs[0] > offs[1] || offs[1] > dataLength) {
      throw bad(`tensor "${name}" has data offsets ${JSON.stringify(offs)} outside the ${dataLength} data bytes`);
    }
    const count = (e.shape as number[]).reduce((a, d) => a * d, 1);
    if (offs[1] - offs[0] !== w * count) throw bad(`tensor "${name}": shape [${(e.shape as number[]).join(", ")}] needs ${w * count} bytes, its offsets span ${offs[1] - offs[0]}`);
    spans.push([offs[0], offs[1], name]);
    const le = new DataView(bytes.buffer, bytes.byteOffset + 8 + n + offs[0], w * count);
    const shape = Object.freeze([...(e.shape as number[])]);
    if (dtype === "F32") {
      const data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = le.getFloat32(4 * i, true);
      tensors.set(name, { dtype, shape, data });
    } else if (dtype === "BF16") {
      const data = new Uint16Array(count);
      for (let i = 0; i < count; i++) data[i] = le.getUint16(2 * i, true);
      tensors.set(name, { dtype, shape, data });
    } else {
      tensors.set(name, { dtype, shape, data: new Uint8Array(bytes.subarray(8 + n + offs[0], 8 + n + offs[1])) });
    }
  }
  spans.sort((a, b) => a[0] - b[0]);
  let end = 0;
  for (const [b, e, name] of spans) {
    if (b !== end) throw bad(`tensor "${name}" ${b < end ? "overlaps the previous one" : "leaves a gap before it"}`);
    end = e;
  }
  if (end !== dataLength) throw bad(`${dataLength - end} bytes after the last tensor`);
  return { tensors, metadata };
}
