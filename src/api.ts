// Everything the package exports except init(), which each entry point (index, node, browser, workerd,
// edge-light) defines with its own way of loading the Wasm binaries.
export { backendInfo, FORBIDDEN, type BackendInfo, type BackendName, type InitOptions, type Variant } from "./loader.js";
export { ParamStore, Param, type ParamStoreOptions, type ThreadInfo } from "./store.js";
export {
  Optimizer, STATE_DICT_FORMAT, type ForeignParam, type OptimizerOptions, type ParamGroup, type ParamGroupInput,
  type ParamLike, type StateDict,
} from "./optimizer.js";
export { SGD, type SGDOptions } from "./sgd.js";
export { Adam, type AdamOptions } from "./adam.js";
export { AdamW, type AdamWOptions } from "./adamw.js";
export { Adagrad, type AdagradOptions } from "./adagrad.js";
export { RMSprop, type RMSpropOptions } from "./rmsprop.js";
