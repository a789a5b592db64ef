// gradstep/tfjs for Node run directly ("node" condition): init() reads the .wasm files with fs, as gradstep's own
// node entry; see index.ts.
export * from "./api.js";
export { init } from "../../node.js";
