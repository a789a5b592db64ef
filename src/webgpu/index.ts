// gradstep/webgpu: the optimizers over params in GPU buffers (docs/webgpu.md). A GpuParamStore's params step on
// the webgpu backend with the same classes as on Wasm: `new Adam(store.params, options)`.
export { type GpuBinding, type GpuExternalOptions, GpuParam, type GpuParamOptions, GpuParamStore, type GpuParamStoreOptions } from "./store.js";
export type {
  GPU, GPUAdapter, GPUAdapterInfo, GPUBindGroup, GPUBindGroupLayout, GPUBuffer, GPUCommandEncoder, GPUComputePassEncoder,
  GPUComputePipeline, GPUDevice, GPUQueue,
} from "./gpu.js";
export { type AsyncStateful, type GpuCheckpointParts, loadCheckpointAsync, saveCheckpointAsync } from "./checkpoint.js";
export { GpuGradScaler } from "./scaler.js";
export { GpuAveragedParams, type GpuAveragedParamsOptions } from "./averaged.js";
