// gradstep/tfjs for Cloudflare Workers ("workerd" condition): init() uses the .wasm modules wrangler bundles, as
// gradstep's own workerd entry; see index.ts.
export * from "./api.js";
export { init } from "../../workerd.js";
