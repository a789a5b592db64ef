// gradstep/tfjs for Vercel Edge ("edge-light" condition): init() uses the precompiled .wasm modules, as gradstep's
// own edge-light entry; see index.ts.
export * from "./api.js";
export { init } from "../../edge-light.js";
