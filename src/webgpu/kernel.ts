// Small compute kernels of gradstep/webgpu's toolkit (the pre-pass, GpuGradScaler, GpuAveragedParams): a pipeline
// and its bind group layout from WGSL and the binding types, built once per store and name.
import { type GPUBindGroupLayout, type GPUComputePipeline, type GPUDevice, STAGE_COMPUTE } from "./gpu.js";

export interface Kernel { pipeline: GPUComputePipeline; layout: GPUBindGroupLayout }

/**
 * The pipeline of `code`'s `entryPoint` whose bindings 0.. have `types` ("storage", "uniform", ...), or the
 * layout of another kernel of the same module (whose bind groups it then takes).
 */
export function computeKernel(device: GPUDevice, code: string, types: readonly string[] | GPUBindGroupLayout, entryPoint = "main"): Kernel {
  const layout = Array.isArray(types)
    ? device.createBindGroupLayout({ entries: types.map((type, binding) => ({ binding, visibility: STAGE_COMPUTE, buffer: { type } })) }) : types;
  const pipeline = device.createComputePipeline({
    layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }), compute: { module: device.createShaderModule({ code }), entryPoint },
  });
  return { pipeline, layout };
}

/** `name`'s kernel in `cache` (a store's pipelines), built on first use (computeKernel's arguments). */
export function cachedKernel(cache: Map<string, unknown>, device: GPUDevice, name: string, ...args: Parameters<typeof computeKernel> extends [unknown, ...infer R] ? R : never): Kernel {
  let k = cache.get(name) as Kernel | undefined;
  if (!k) cache.set(name, k = computeKernel(device, ...args));
  return k;
}

/** WGSL: whether x is Inf or NaN, from its bits (a compiler may assume that float comparisons never see NaN). */
export const NON_FINITE = /* wgsl */ `fn nonFinite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u; }`;
