// gradstep for Vercel Edge ("edge-light" export condition). The Edge runtime forbids compiling WebAssembly
// from bytes; its bundler turns `import m from "./x.wasm?module"` into a precompiled WebAssembly.Module.
import { type BackendInfo, type InitOptions, initWith, type Variant } from "./runtime/loader.js";
import scalar from "./wasm/gradstep-scalar.wasm?module";
import scalarShared from "./wasm/gradstep-scalar-shared.wasm?module";
import simd from "./wasm/gradstep-simd.wasm?module";
import simdShared from "./wasm/gradstep-simd-shared.wasm?module";

export * from "./api.js";

const modules: Record<Variant, WebAssembly.Module> = { simd, scalar, simdShared, scalarShared };
const source = { via: "module import", get: async (v: Variant) => modules[v] };

/** Initializes from the bundled modules; see the default entry. */
export function init(options?: InitOptions): Promise<BackendInfo> {
  return initWith(source, options);
}
