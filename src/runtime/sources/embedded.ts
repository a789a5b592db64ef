// The binaries embedded as base64 (src/generated/wasm.ts): no file access, works wherever compiling
// WebAssembly from bytes is allowed.
import { WASM_BASE64 } from "../../generated/wasm.js";
import type { Variant, WasmSource } from "../loader.js";

function decode(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export const embeddedSource: WasmSource = {
  via: "embedded",
  get: async (v: Variant) => decode(WASM_BASE64[v]),
};
