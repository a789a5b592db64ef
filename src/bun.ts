// gradstep for Bun ("bun" export condition: `bun run`, `bun build`, `bun build --compile`). Bun's bundler
// treats an imported .wasm as a file asset: `bun build` copies it next to the bundle and `--compile`
// embeds it in the executable, and the import gives the path to read it from (also when run unbundled).
import { readFile } from "node:fs/promises";
import { type BackendInfo, type InitOptions, initWith } from "./runtime/loader.js";
import { fsSource } from "./runtime/sources/fs.js";
import scalar from "./wasm/gradstep-scalar.wasm" with { type: "file" };
import scalarShared from "./wasm/gradstep-scalar-shared.wasm" with { type: "file" };
import simd from "./wasm/gradstep-simd.wasm" with { type: "file" };
import simdShared from "./wasm/gradstep-simd-shared.wasm" with { type: "file" };

export * from "./api.js";

// An absolute path (bun run, --compile's /$bunfs/…) or, in a `bun build` bundle, one relative to the bundle.
const at = (p: unknown) => (String(p).startsWith(".") ? new URL(String(p), import.meta.url) : String(p));
const source = fsSource(readFile, () => ({ simd: at(simd), scalar: at(scalar), simdShared: at(simdShared), scalarShared: at(scalarShared) }));

/** Compiles and caches the kernels (the .wasm files Bun resolved or bundled); see the default entry. */
export function init(options?: InitOptions): Promise<BackendInfo> {
  return initWith(source, options);
}
