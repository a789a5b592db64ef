// gradstep/tfjs for Bun ("bun" condition): init() reads the .wasm files Bun resolved or bundled, as gradstep's own
// bun entry; see index.ts.
export * from "./api.js";
export { init } from "../../bun.js";
