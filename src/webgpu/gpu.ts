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
// Opaque handles, `any` for the reason the descriptors below are: the DOM's are branded types.
export type GPUComputePipeline = any;
export type GPUBindGroup = any;
export type GPUBindGroupLayout = any;
export interface GPUQueue {
  // data: SharedArrayBuffer too, so that the DOM's GPUQueue (and @webgpu/types') is assignable to this one.
  writeBuffer(buffer: GPUBuffer, offset: number, data: ArrayBufferView | ArrayBuffer | SharedArrayBuffer, dataOffset?: number, size?: number): void;
  // Iterable<any>: the DOM's submit takes Iterable<GPUCommandBuffer>, a type this file does not declare.
  submit(buffers: Iterable<any>): void;
  onSubmittedWorkDone(): Promise<void>;
}
/** What an adapter says it is (GPUAdapterInfo). */
export interface GPUAdapterInfo { readonly vendor?: string; readonly architecture?: string; readonly device?: string; readonly description?: string }
// The descriptors are `any`: the DOM's (and @webgpu/types') descriptors name branded types (GPUBindGroupLayout,
// Iterable<...>) that this file does not declare, and a parameter both sides can accept is what lets a real
// GPUDevice be passed where this GPUDevice is expected (checked by test/hover.test.ts's consumer compile).
export interface GPUDevice {
  readonly queue: GPUQueue;
  /** The adapter's info (newer implementations only). */
  readonly adapterInfo?: GPUAdapterInfo;
  readonly limits: { readonly maxStorageBufferBindingSize: number; readonly maxBufferSize: number; readonly maxComputeWorkgroupsPerDimension: number };
  createBuffer(d: { size: number; usage: number; mappedAtCreation?: boolean }): GPUBuffer;
  createShaderModule(d: { code: string }): any;
  createBindGroupLayout(d: any): GPUBindGroupLayout;
  createPipelineLayout(d: any): any;
  createComputePipeline(d: any): GPUComputePipeline;
  createBindGroup(d: any): GPUBindGroup;
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
