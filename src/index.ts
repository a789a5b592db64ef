// gradstep: PyTorch-exact optimizer steps as WebAssembly SIMD kernels over zero-copy Float32Array views.
export { init, backendInfo, type BackendInfo, type BackendName, type InitOptions } from "./loader.js";
export { ParamStore, Param, type ParamStoreOptions } from "./store.js";
export {
  Optimizer, STATE_DICT_FORMAT, type ForeignParam, type OptimizerOptions, type ParamGroup, type ParamGroupInput,
  type ParamLike, type StateDict,
} from "./optimizer.js";
export { SGD, type SGDOptions } from "./sgd.js";
export { Adam, type AdamOptions } from "./adam.js";
export { AdamW, type AdamWOptions } from "./adamw.js";
export { Adagrad, type AdagradOptions } from "./adagrad.js";
export { RMSprop, type RMSpropOptions } from "./rmsprop.js";
