// The part of the WebGPU API this backend uses, declared here so that the package needs no type dependency
// (@webgpu/types): a browser's, Deno's or the npm `webgpu` package's objects satisfy these structurally.
/* eslint-disable @typescript-eslint/no-explicit-any */

export interface GPUBuffer {
  readonly size: number;
  mapAsync(mode: number, offset?: number, size?: number): Promise<void>;
  getMappedRange(offset?: number, size?: number): ArrayBuffer;
  unmap(): void;
  destroy(): void;
}
export interface GPUComputePassEncoder {
  setPipeline(p: GPUComputePipeline): void;
  setBindGroup(index: number, group: GPUBindGroup): void;
  dispatchWorkgroups(x: number, y?: number, z?: number): void;
  end(): void;
}
export interface GPUCommandEncoder {
  beginComputePass(): GPUComputePassEncoder;
  copyBufferToBuffer(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, size: number): void;
  finish(): unknown;
}
export type GPUComputePipeline = object;
export type GPUBindGroup = object;
export type GPUBindGroupLayout = object;
export interface GPUQueue {
  writeBuffer(buffer: GPUBuffer, offset: number, data: ArrayBufferView | ArrayBuffer, dataOffset?: number, size?: number): void;
  submit(buffers: unknown[]): void;
  onSubmittedWorkDone(): Promise<void>;
}
/** What an adapter says it is (GPUAdapterInfo). */
export interface GPUAdapterInfo { readonly vendor?: string; readonly architecture?: string; readonly device?: string; readonly description?: string }
export interface GPUDevice {
  readonly queue: GPUQueue;
  /** The adapter's info (newer implementations only). */
  readonly adapterInfo?: GPUAdapterInfo;
  readonly limits: { readonly maxStorageBufferBindingSize: number; readonly maxBufferSize: number; readonly maxComputeWorkgroupsPerDimension: number };
  createBuffer(d: { size: number; usage: number; mappedAtCreation?: boolean }): GPUBuffer;
  createShaderModule(d: { code: string }): any;
  createBindGroupLayout(d: { entries: any[] }): GPUBindGroupLayout;
  createPipelineLayout(d: { bindGroupLayouts: GPUBindGroupLayout[] }): any;
  createComputePipeline(d: { layout: any; compute: { module: any; entryPoint: string } }): GPUComputePipeline;
  createBindGroup(d: { layout: GPUBindGroupLayout; entries: { binding: number; resource: { buffer: GPUBuffer } }[] }): GPUBindGroup;
  createCommandEncoder(): GPUCommandEncoder;
  pushErrorScope?(filter: string): void;
  popErrorScope?(): Promise<{ message: string } | null>;
  destroy?(): void;
}
export interface GPUAdapter {
  readonly limits: { readonly maxStorageBufferBindingSize: number; readonly maxBufferSize: number };
  readonly info?: GPUAdapterInfo;
  requestDevice(d?: { requiredLimits?: Record<string, number> }): Promise<GPUDevice>;
}
export interface GPU { requestAdapter(o?: object): Promise<GPUAdapter | null> }

/** One GPUBuffer of a GpuParamStore, at `base` in its address space (src/webgpu/store.ts). */
export interface Allocation { base: number; bytes: number; buffer: GPUBuffer; param: boolean }

/** What the backend and the pre-pass use of a GpuParamStore. */
export interface GpuMemory {
  readonly device: GPUDevice;
  /** The allocation that holds address `ptr`. */
  locate(ptr: number): Allocation;
  /** Per kernel: its pipeline, built once per store. */
  readonly pipelines: Map<string, unknown>;
}

// The WebGPU constants (GPUBufferUsage, GPUMapMode, GPUShaderStage): fixed by the specification, written out so
// that nothing depends on the host defining the globals.
export const MAP_READ = 1, COPY_SRC = 4, COPY_DST = 8, UNIFORM = 64, STORAGE = 128;
export const MAP_MODE_READ = 1;
export const STAGE_COMPUTE = 4;
