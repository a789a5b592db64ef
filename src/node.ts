// gradstep for Node and Bun ("node"/"bun" export conditions): reads dist/wasm/*.wasm with fs.
import { type BackendInfo, type InitOptions, initWith } from "./runtime/loader.js";
import { fsSource } from "./runtime/sources/fs.js";

export * from "./api.js";

const source = fsSource(import.meta.url);

/** Compiles and caches the kernels (read from the package's .wasm files); see the default entry. */
export function init(options?: InitOptions): Promise<BackendInfo> {
  return initWith(source, options);
}
