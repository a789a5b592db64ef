// Node and Bun: read the .wasm files with fs (Node 20's fetch cannot read file: URLs).
import type { Variant, WasmSource } from "../loader.js";
import { wasmUrl } from "./files.js";

export function fsSource(base: string): WasmSource {
  return {
    via: "fs",
    async get(v: Variant) {
      const url = wasmUrl(v, base);
      const name = "node:fs/promises"; // in a variable: bundlers for browsers must not resolve it
      const fs = (await import(/* @vite-ignore */ name)) as { readFile(u: URL): Promise<Uint8Array> };
      try {
        const bytes = await fs.readFile(url);
        return new Uint8Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
      } catch (e) {
        throw new Error(`gradstep: cannot read ${url.pathname} (${(e as Error).message}); reinstall the package, or import "gradstep/embedded"`);
      }
    },
  };
}
