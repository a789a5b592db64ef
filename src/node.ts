// gradstep for Node and Bun run directly ("node"/"bun" export conditions): reads dist/wasm/*.wasm with fs.
// Bundlers for Node servers (webpack and Turbopack in Next.js, esbuild, Vite SSR) match the "module"
// condition first and get the embedded entry instead, since a bundle rarely keeps node_modules beside it.
import { readFile } from "node:fs/promises";
import { type BackendInfo, type InitOptions, initWith } from "./runtime/loader.js";
import { fsSource } from "./runtime/sources/fs.js";

export * from "./api.js";

const source = fsSource(readFile, () => ({
  simd: new URL("./wasm/gradstep-simd.wasm", import.meta.url),
  scalar: new URL("./wasm/gradstep-scalar.wasm", import.meta.url),
  simdShared: new URL("./wasm/gradstep-simd-shared.wasm", import.meta.url),
  scalarShared: new URL("./wasm/gradstep-scalar-shared.wasm", import.meta.url),
}));

/** Compiles and caches the kernels (read from the package's .wasm files); see the default entry. */
export function init(options?: InitOptions): Promise<BackendInfo> {
  return initWith(source, options);
}
