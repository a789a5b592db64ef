// Everything the package exports except init(), which each entry point (index, node, browser, workerd,
// edge-light) defines with its own way of loading the Wasm binaries.
export { backendInfo, FORBIDDEN, type BackendInfo, type BackendName, type InitOptions, type Variant } from "./runtime/loader.js";
export { ParamStore, Param, type ParamStoreOptions, type ThreadInfo } from "./runtime/store.js";
export {
  Optimizer, STATE_DICT_FORMAT, type ForeignParam, type OptimizerOptions, type ParamGroup, type ParamGroupInput,
  type ParamLike, type StateDict,
} from "./core/optimizer.js";
export { SGD, type SGDOptions } from "./optim/sgd.js";
export { Adam, type AdamOptions } from "./optim/adam.js";
export { AdamW, type AdamWOptions } from "./optim/adamw.js";
export { Adagrad, type AdagradOptions } from "./optim/adagrad.js";
export { RMSprop, type RMSpropOptions } from "./optim/rmsprop.js";
