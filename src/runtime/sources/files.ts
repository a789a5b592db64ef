// Where the .wasm files sit next to the built entry points (dist/wasm/, copied by scripts/build-wasm.mjs).
import type { Variant } from "../loader.js";

const FILES: Record<Variant, string> = {
  simd: "gradstep-simd.wasm", scalar: "gradstep-scalar.wasm",
  simdShared: "gradstep-simd-shared.wasm", scalarShared: "gradstep-scalar-shared.wasm",
};

/** The URL of a variant's .wasm file, relative to the entry module at `base`. */
export function wasmUrl(v: Variant, base: string): URL {
  return new URL(`./wasm/${FILES[v]}`, base);
}
