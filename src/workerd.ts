// gradstep for Cloudflare Workers ("workerd" export condition). Workers forbid compiling WebAssembly from
// bytes; wrangler bundles each imported .wasm as a precompiled WebAssembly.Module instead.
import { type BackendInfo, type InitOptions, initWith, type Variant } from "./runtime/loader.js";
import scalar from "./wasm/gradstep-scalar.wasm";
import scalarShared from "./wasm/gradstep-scalar-shared.wasm";
import simd from "./wasm/gradstep-simd.wasm";
import simdShared from "./wasm/gradstep-simd-shared.wasm";

export * from "./api.js";

const modules: Record<Variant, WebAssembly.Module> = { simd, scalar, simdShared, scalarShared };
const source = { via: "module import", get: async (v: Variant) => modules[v] };

/** Initializes from the bundled modules; see the default entry. */
export function init(options?: InitOptions): Promise<BackendInfo> {
  return initWith(source, options);
}
