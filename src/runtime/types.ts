// Names shared by the loader, the store and the worker pool. Kept apart so that types flow one way only
// (loader -> threads, store -> loader/threads) and src/runtime has no import cycle.

/** Where kernels run: the Wasm SIMD build, the Wasm scalar build, or the pure-TS reference. */
export type BackendName = "simd" | "scalar" | "js";
/** The two Wasm builds. */
export type WasmKind = "simd" | "scalar";
/** The four builds: SIMD or scalar, over a shared or a non-shared memory. */
export type Variant = "simd" | "scalar" | "simdShared" | "scalarShared";
