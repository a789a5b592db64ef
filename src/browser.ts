// gradstep for browsers and Deno ("browser"/"deno" export conditions): fetches dist/wasm/*.wasm next to
// this module (`new URL(..., import.meta.url)`, which bundlers understand) and compiles it while it streams.
import { type BackendInfo, type InitOptions, initWith } from "./runtime/loader.js";
import { fetchSource } from "./runtime/sources/fetch.js";

export * from "./api.js";

const source = fetchSource(import.meta.url);

/** Compiles and caches the kernels (fetched from the package's .wasm files); see the default entry. */
export function init(options?: InitOptions): Promise<BackendInfo> {
  return initWith(source, options);
}
