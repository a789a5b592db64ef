// Small compute kernels of gradstep/webgpu's toolkit (the pre-pass, GpuGradScaler, GpuAveragedParams): a pipeline
// and its bind group layout from WGSL and the binding types, built once per store and name.
import { type GPUBindGroupLayout, type GPUComputePipeline, type GPUDevice, STAGE_COMPUTE } from "./gpu.js";

export interface Kernel { pipeline: GPUComputePipeline; layout: GPUBindGroupLayout }

/** The pipeline of `code` (entry point `main`) whose bindings 0.. have `types` ("storage", "uniform", ...). */
export function computeKernel(device: GPUDevice, code: string, types: readonly string[]): Kernel {
  const layout = device.createBindGroupLayout({ entries: types.map((type, binding) => ({ binding, visibility: STAGE_COMPUTE, buffer: { type } })) });
  const pipeline = device.createComputePipeline({
    layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }), compute: { module: device.createShaderModule({ code }), entryPoint: "main" },
  });
  return { pipeline, layout };
}

/** `name`'s kernel in `cache` (a store's pipelines), built on first use. */
export function cachedKernel(cache: Map<string, unknown>, device: GPUDevice, name: string, code: string, types: readonly string[]): Kernel {
  let k = cache.get(name) as Kernel | undefined;
  if (!k) cache.set(name, k = computeKernel(device, code, types));
  return k;
}

/** WGSL: whether x is Inf or NaN, from its bits (a compiler may assume that float comparisons never see NaN). */
export const NON_FINITE = /* wgsl */ `fn nonFinite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u; }`;
