// gradstep (default entry): PyTorch-exact optimizer steps as WebAssembly SIMD kernels over zero-copy
// Float32Array views. This entry embeds the binaries (base64), so it runs wherever WebAssembly can be
// compiled from bytes; runtime-specific entries (package.json "exports") load .wasm files instead.
import { type BackendInfo, type InitOptions, initWith } from "./runtime/loader.js";
import { embeddedSource } from "./runtime/sources/embedded.js";

export * from "./api.js";

/**
 * Compiles and caches the kernels, and chooses the default backend. Call once before creating optimizers;
 * calling again with the same options returns the same result, with different options throws.
 *
 * @example
 * const info = await init();            // { backend: "simd", simd: true, sharedMemory: true, ... }
 */
export function init(options?: InitOptions): Promise<BackendInfo> {
  return initWith(embeddedSource, options);
}
