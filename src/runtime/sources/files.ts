// The .wasm files next to the built entry points (dist/wasm/, copied by scripts/build-wasm.mjs), and the
// checks and messages shared by the sources that read them (fs, fetch).
//
// Each entry module builds its own URLs with a literal `new URL("./wasm/gradstep-<variant>.wasm",
// import.meta.url)` per variant: that exact expression, in the module that sits next to `wasm/`, is what
// Vite, webpack 5, Parcel and Turbopack recognise as an asset reference (they emit the file and rewrite the
// URL). A URL computed from a variable or in another module is invisible to them.
import type { Variant } from "../loader.js";

/** The URL of each variant's .wasm file; a function, so a host without a usable import.meta.url fails at init(), not at import. */
export type WasmUrls = () => Record<Variant, URL>;

/** What to do when the .wasm files are not where the entry module expects them. */
export const MISSING_HINT = "the .wasm files must sit in wasm/ next to the module that loads them. Vite and webpack 5 " +
  "copy them by themselves; a bundler that does not (esbuild, bun build, Rollup without a plugin) needs " +
  "node_modules/gradstep/dist/wasm/ copied to wasm/ next to its output, or import \"gradstep/embedded\" instead " +
  "(the binaries inlined; see gradstep's README, \"Build tools\")";

const MAGIC = [0x00, 0x61, 0x73, 0x6d];

/**
 * Throws a clear error when `bytes` are not a WebAssembly binary: an HTML page (a server's or a dev server's
 * fallback page served where the .wasm was expected) is named as such, not reported as a corrupt module.
 */
export function checkMagic(bytes: Uint8Array, where: string, contentType?: string | null): void {
  if (MAGIC.every((b, i) => bytes[i] === b)) return;
  const head = new TextDecoder().decode(bytes.subarray(0, 256)).trimStart().toLowerCase();
  const type = contentType ? `, content-type ${contentType}` : "";
  if (head.startsWith("<") || /^text\/html/i.test(contentType ?? "")) {
    throw new Error(`gradstep: ${where} is an HTML page, not WebAssembly (${bytes.length} bytes${type}): the server answered ` +
      `with a page (a single-page-app fallback or an error page) because it does not serve gradstep's .wasm at that URL; ${MISSING_HINT}`);
  }
  const hex = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join(" ");
  throw new Error(`gradstep: ${where} is not a WebAssembly file (${bytes.length} bytes${type}; it starts with ${hex || "nothing"}, ` +
    `expected 00 61 73 6d); ${MISSING_HINT}`);
}
