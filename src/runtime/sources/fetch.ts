// Browsers and Deno: fetch the .wasm files next to the module and compile them while they stream.
import type { Variant, WasmSource } from "../loader.js";
import { wasmUrl } from "./files.js";

export function fetchSource(base: string): WasmSource {
  return {
    via: "fetch",
    async get(v: Variant) {
      const url = wasmUrl(v, base);
      let res: Response;
      try {
        res = await fetch(url);
      } catch (e) {
        throw new Error(`gradstep: cannot fetch ${url.href} (${(e as Error).message}). In Deno allow reading it ` +
          `(--allow-read) or import "gradstep/embedded"; with a bundler, make sure it copies gradstep's .wasm files`);
      }
      if (!res.ok) throw new Error(`gradstep: cannot fetch ${url.href} (HTTP ${res.status}); serve gradstep's dist/wasm/ next to its modules`);
      if (typeof WebAssembly.compileStreaming === "function" && res.headers.get("content-type")?.startsWith("application/wasm")) {
        try {
          return await WebAssembly.compileStreaming(res);
        } catch (e) {
          throw new Error(`gradstep: ${url.href} is not a valid WebAssembly module (corrupt or truncated file?): ${(e as Error).message}`);
        }
      }
      return new Uint8Array(await res.arrayBuffer());
    },
  };
}
