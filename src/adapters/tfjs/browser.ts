// gradstep/tfjs for browsers and Deno ("browser"/"deno" conditions): init() fetches the .wasm files, as gradstep's
// own browser entry; see index.ts.
export * from "./api.js";
export { init } from "../../browser.js";
