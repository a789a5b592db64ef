// Everything gradstep/tfjs exports except init(), which each of its entries (index, node, browser, bun,
// workerd, edge-light: the same export conditions as gradstep's) takes from gradstep's entry of that runtime,
// so that the adapter loads the Wasm binaries the way the main entry does there (the .wasm files in Node and
// browsers; the embedded base64 copy only where gradstep's own default entry embeds it).
export { GradstepTfjsOptimizer, type NamedTensor } from "./optimizer.js";
export {
  AdadeltaOptimizer, AdagradOptimizer, AdamaxOptimizer, AdamOptimizer, MomentumOptimizer, RMSPropOptimizer, SGDOptimizer, train,
} from "./train.js";
export { fromGradstep } from "./from-gradstep.js";
export type { StateDict } from "../../core/optimizer.js";
