// Everything the package exports except init(), which each entry point (index, node, browser, workerd,
// edge-light) defines with its own way of loading the Wasm binaries.
export { backendInfo, FORBIDDEN, type BackendInfo, type BackendName, type InitOptions, type Variant } from "./runtime/loader.js";
export { ParamStore, Param, type ParamOptions, type ParamStoreOptions, type ThreadInfo } from "./runtime/store.js";
export {
  Optimizer, STATE_DICT_FORMAT, type ForeignParam, type OptimizerOptions, type ParamGroup, type ParamGroupInput,
  type ParamLike, type ParamsInput, type StateDict, type StepOptions,
} from "./core/optimizer.js";
export type { AnyParam, DeviceParam, OptionsInput, SharedOptions, StateDtype, StoreParam } from "./core/spec.js";
export type { DeviceStore } from "./core/backend.js";
export type { Memory } from "./core/layout.js";
export type { LoadOptions, TransformsConfig } from "./core/optimizer.js";
export type { StateValue } from "./core/state-dict.js";
export type { Transforms } from "./core/prepass.js";
export type { Dependency } from "./core/optimizer-base.js";
export type { ImprovementMode, ThresholdMode } from "./core/improvement.js";
export type { Flavor } from "./optim/flavor.js";
export type { MuonAdjustLrFn } from "./optim/muon.js";
// Every optimizer class and its options type, from the registry.
export * from "./optim/index.js";
// LR schedulers (PyTorch torch.optim.lr_scheduler) and pure schedule functions (Optax style).
export * from "./schedules/index.js";
// Gradient clipping and the training toolkit (src/transforms/).
export * from "./transforms/index.js";
// Checkpoint files (safetensors): params + optimizer + scheduler.
export { CHECKPOINT_FORMAT, loadCheckpoint, saveCheckpoint, type CheckpointLoadOptions, type CheckpointParts, type Stateful } from "./checkpoint/index.js";
// Choosing a learning rate and when to stop: LR range test, EarlyStopping, ConvergenceMonitor (src/tuning/).
export * from "./tuning/index.js";
