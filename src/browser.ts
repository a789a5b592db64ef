// gradstep for browsers and Deno ("browser"/"deno" export conditions): fetches dist/wasm/*.wasm next to
// this module and compiles it while it streams. One literal `new URL("./wasm/…", import.meta.url)` per
// file, in this module: the form Vite, webpack 5 and Parcel recognise, so they emit the .wasm as an asset.
import { type BackendInfo, type InitOptions, initWith } from "./runtime/loader.js";
import { fetchSource } from "./runtime/sources/fetch.js";

export * from "./api.js";

const source = fetchSource(() => ({
  simd: new URL("./wasm/gradstep-simd.wasm", import.meta.url),
  scalar: new URL("./wasm/gradstep-scalar.wasm", import.meta.url),
  simdShared: new URL("./wasm/gradstep-simd-shared.wasm", import.meta.url),
  scalarShared: new URL("./wasm/gradstep-scalar-shared.wasm", import.meta.url),
}));

/** Compiles and caches the kernels (fetched from the package's .wasm files); see the default entry. */
export function init(options?: InitOptions): Promise<BackendInfo> {
  return initWith(source, options);
}
