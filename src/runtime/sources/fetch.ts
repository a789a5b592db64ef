// Browsers and Deno: fetch the .wasm files next to the module and compile them while they stream.
import { FORBIDDEN, type Variant, type WasmSource } from "../loader.js";
import { checkMagic, MISSING_HINT, type WasmUrls } from "./files.js";

export function fetchSource(urls: WasmUrls): WasmSource {
  return {
    via: "fetch",
    downloads: true,
    async get(v: Variant) {
      const url = urls()[v];
      let res: Response;
      try {
        res = await fetch(url);
      } catch (e) {
        throw new Error(`gradstep: cannot fetch ${url.href} (${(e as Error).message}). In Deno allow reading it ` +
          `(--allow-read) or import "gradstep/embedded"; with a bundler: ${MISSING_HINT}`);
      }
      if (!res.ok) throw new Error(`gradstep: cannot fetch ${url.href} (HTTP ${res.status}); ${MISSING_HINT}`);
      const type = res.headers.get("content-type");
      if (type?.startsWith("application/wasm") && typeof WebAssembly.compileStreaming === "function") {
        const copy = res.clone(); // to name what came instead of a module, if it does not compile
        try {
          return await WebAssembly.compileStreaming(res);
        } catch (e) {
          checkMagic(new Uint8Array(await copy.arrayBuffer()), url.href, type);
          const msg = (e as Error).message;
          if (/disallowed|code generation|not allowed/i.test(msg)) throw new Error(`gradstep: ${FORBIDDEN} (${msg})`);
          throw new Error(`gradstep: ${url.href} is not a valid WebAssembly module (corrupt or truncated file?): ${msg}`);
        }
      }
      const bytes = new Uint8Array(await res.arrayBuffer());
      checkMagic(bytes, url.href, type);
      return bytes;
    },
  };
}
