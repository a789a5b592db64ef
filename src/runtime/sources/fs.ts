// Node and Bun: read the .wasm files with fs (Node 20's fetch cannot read file: URLs). The entry passes
// readFile in (a static `node:fs/promises` import there), so bundlers for Node servers see an ordinary
// built-in import rather than a computed specifier they cannot resolve.
import type { Variant, WasmSource } from "../loader.js";
import { checkMagic, MISSING_HINT } from "./files.js";

type ReadFile = (file: URL | string) => Promise<Uint8Array>;

/** `files`: each variant's file: URL, or a path (what Bun's file imports give). */
export function fsSource(readFile: ReadFile, files: () => Record<Variant, URL | string>): WasmSource {
  return {
    via: "fs",
    async get(v: Variant) {
      const url = files()[v];
      const path = typeof url === "string" ? url : url.protocol === "file:" ? decodeURIComponent(url.pathname) : url.href;
      let bytes: Uint8Array;
      try {
        bytes = await readFile(url);
      } catch (e) {
        throw new Error(`gradstep: cannot read ${path} (${(e as Error).message}); ${MISSING_HINT}. If gradstep was not ` +
          "bundled, reinstall it");
      }
      checkMagic(bytes, path);
      return new Uint8Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    },
  };
}
