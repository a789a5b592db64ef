// The part of the WebGPU API this backend uses, declared here so that the package needs no type dependency
// (@webgpu/types): a browser's, Deno's or the npm `webgpu` package's objects satisfy these structurally.
/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * A buffer in GPU memory: the structural subset of the WebGPU API's GPUBuffer that gradstep uses (a browser's,
 * Deno's or the npm `webgpu` package's GPUBuffer satisfies it).
 */
export interface GPUBuffer {
  /** Its length in bytes. */
  readonly size: number;
  /** Its GPUBufferUsage flags. */
  readonly usage: number;
  /** Maps it for reading by the host (`mode`: GPUMapMode.READ); resolves once the GPU is done with it. */
  mapAsync(mode: number, offset?: number, size?: number): Promise<void>;
  /** The mapped bytes (valid until unmap()). */
  getMappedRange(offset?: number, size?: number): ArrayBuffer;
  /** Hands the mapped buffer back to the GPU. */
  unmap(): void;
  /** Frees its GPU memory. */
  destroy(): void;
}
/** A compute pass being recorded: the structural subset of the WebGPU API's GPUComputePassEncoder that gradstep uses. */
export interface GPUComputePassEncoder {
  /** The compute pipeline the next dispatches run. */
  setPipeline(p: GPUComputePipeline): void;
  /** Binds `group` at @group(`index`) for the next dispatches. */
  setBindGroup(index: number, group: GPUBindGroup): void;
  /** Runs the pipeline on x·y·z workgroups. */
  dispatchWorkgroups(x: number, y?: number, z?: number): void;
  /** Ends the pass. */
  end(): void;
}
/** Records GPU commands: the structural subset of the WebGPU API's GPUCommandEncoder that gradstep uses. */
export interface GPUCommandEncoder {
  /** Starts recording a compute pass. */
  beginComputePass(): GPUComputePassEncoder;
  /** Records a copy of `size` bytes from `src` at `srcOffset` to `dst` at `dstOffset`. */
  copyBufferToBuffer(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, size: number): void;
  /** The recorded commands, as a command buffer for GPUQueue.submit. */
  finish(): unknown;
}
// Opaque handles, `any` for the reason the descriptors below are: the DOM's are branded types.
/** A compiled compute pipeline (the WebGPU API's GPUComputePipeline), opaque to gradstep. */
export type GPUComputePipeline = any;
/** A set of buffer bindings for a pipeline (the WebGPU API's GPUBindGroup), opaque to gradstep. */
export type GPUBindGroup = any;
/** The layout of a bind group (the WebGPU API's GPUBindGroupLayout), opaque to gradstep. */
export type GPUBindGroupLayout = any;
/** A device's command queue: the structural subset of the WebGPU API's GPUQueue that gradstep uses. */
export interface GPUQueue {
  // data: SharedArrayBuffer too, so that the DOM's GPUQueue (and @webgpu/types') is assignable to this one.
  /** Queues writing `data` (from `dataOffset`, `size` elements) into `buffer` at byte `offset`. */
  writeBuffer(buffer: GPUBuffer, offset: number, data: ArrayBufferView | ArrayBuffer | SharedArrayBuffer, dataOffset?: number, size?: number): void;
  // Iterable<any>: the DOM's submit takes Iterable<GPUCommandBuffer>, a type this file does not declare.
  /** Queues command buffers (GPUCommandEncoder.finish()) for execution, in order. */
  submit(buffers: Iterable<any>): void;
  /** Resolves when everything submitted so far has run. */
  onSubmittedWorkDone(): Promise<void>;
}
/**
 * What an adapter says it is: the structural subset of the WebGPU API's GPUAdapterInfo that gradstep reads
 * (an implementation may leave any of them out or empty).
 */
export interface GPUAdapterInfo {
  /** The vendor's name. */
  readonly vendor?: string;
  /** The GPU family or architecture. */
  readonly architecture?: string;
  /** A vendor-specific device identifier. */
  readonly device?: string;
  /** A human-readable description of the adapter. */
  readonly description?: string;
}
// The descriptors are `any`: the DOM's (and @webgpu/types') descriptors name branded types (GPUBindGroupLayout,
// Iterable<...>) that this file does not declare, and a parameter both sides can accept is what lets a real
// GPUDevice be passed where this GPUDevice is expected (checked by a consumer compile against the declarations).
/**
 * A logical GPU device: the structural subset of the WebGPU API's GPUDevice that gradstep uses; a browser's,
 * Deno's or the npm `webgpu` package's GPUDevice satisfies it.
 */
export interface GPUDevice {
  /** The queue commands and buffer writes go through. */
  readonly queue: GPUQueue;
  /** The adapter's info (newer implementations only). */
  readonly adapterInfo?: GPUAdapterInfo;
  /** The device's limits that gradstep sizes its buffers and dispatches by. */
  readonly limits: {
    /** The largest buffer binding a shader can address, in bytes. */
    readonly maxStorageBufferBindingSize: number;
    /** The largest buffer, in bytes. */
    readonly maxBufferSize: number;
    /** The most workgroups of one dispatch, per dimension. */
    readonly maxComputeWorkgroupsPerDimension: number;
  };
  /** A new buffer of `size` bytes with the given GPUBufferUsage flags. */
  createBuffer(d: { size: number; usage: number; mappedAtCreation?: boolean }): GPUBuffer;
  /** Compiles WGSL source. */
  createShaderModule(d: { code: string }): any;
  /** A bind group layout (GPUBindGroupLayoutDescriptor). */
  createBindGroupLayout(d: any): GPUBindGroupLayout;
  /** A pipeline layout (GPUPipelineLayoutDescriptor). */
  createPipelineLayout(d: any): any;
  /** A compute pipeline (GPUComputePipelineDescriptor). */
  createComputePipeline(d: any): GPUComputePipeline;
  /** A bind group (GPUBindGroupDescriptor). */
  createBindGroup(d: any): GPUBindGroup;
  /** A new command encoder. */
  createCommandEncoder(): GPUCommandEncoder;
  /** Starts capturing errors of this kind (`filter`: "validation", "out-of-memory" or "internal"). */
  pushErrorScope?(filter: string): void;
  /** Stops the innermost capture: its first error, or null. */
  popErrorScope?(): Promise<{
    /** What went wrong. */
    message: string;
  } | null>;
  /** Destroys the device and frees its resources. */
  destroy?(): void;
}
/** A physical GPU: the structural subset of the WebGPU API's GPUAdapter that gradstep uses. */
export interface GPUAdapter {
  /** The adapter's largest buffer limits (what a device may request). */
  readonly limits: {
    /** The largest buffer binding a shader can address, in bytes. */
    readonly maxStorageBufferBindingSize: number;
    /** The largest buffer, in bytes. */
    readonly maxBufferSize: number;
  };
  /** What the adapter says it is (newer implementations only). */
  readonly info?: GPUAdapterInfo;
  /** A device on this adapter, with `requiredLimits` raised from the defaults. */
  requestDevice(d?: { requiredLimits?: Record<string, number> }): Promise<GPUDevice>;
}
/** The WebGPU entry point (`navigator.gpu`): the structural subset of the WebGPU API's GPU that gradstep uses. */
export interface GPU {
  /** An adapter (GPURequestAdapterOptions in `o`), or null where there is none. */
  requestAdapter(o?: object): Promise<GPUAdapter | null>;
}

/**
 * One GPUBuffer of a GpuParamStore, at `base` in its address space: address `base + x` is byte `offset + x` of
 * `buffer`. The store's own allocations start their buffer (`offset` 0); an external param's value or grad is a
 * range of a buffer its caller owns, which the caller may rebind (GpuParam.bind: `buffer` and `offset` change,
 * `base` and `bytes` never), so a launch over it checks them at every step.
 */
export interface Allocation { readonly base: number; readonly bytes: number; buffer: GPUBuffer; offset: number; readonly external: boolean }

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
