/// <reference types="@webgpu/types" />
// The MLP on the GPU, runtime-agnostic: it needs a GPUDevice and where the four params live (a GPU param
// store's params: value buffer + byte offset, grad buffer + byte offset), nothing else. `backward(batch)`
// encodes forward + backward and writes the grads in place into the store's grad buffer; the optimizer steps
// them there. Loss and accuracy accumulate on the GPU in stats slots, read once at the end (`readStats`), so
// that training never waits for the GPU.
import { WGSL } from "./shaders.js";

export const IN = 784, OUT = 10;

/** Where a param's value and grad live (what `gradstep/webgpu`'s params expose). */
export interface GpuParamLocation {
  readonly length: number;
  readonly buffer: GPUBuffer;
  readonly offset: number;
  readonly gradBuffer: GPUBuffer;
  readonly gradOffset: number;
}

export interface MlpParams { W1: GpuParamLocation; b1: GpuParamLocation; W2: GpuParamLocation; b2: GpuParamLocation }

/** Images (784 floats each, row after row) and labels, already on the host. */
export interface Images { X: Float32Array; Y: Int32Array | Uint32Array }

export interface Mlp {
  /** Encodes and submits forward + backward over images `idx` (≤ cap): the grads are then in the store. */
  backward(idx: ArrayLike<number>, slot: number): void;
  /** Encodes and submits the forward pass only, adding loss and hits to `slot`. */
  forward(idx: ArrayLike<number>, slot: number): void;
  /** Reads the (loss sum, hit count) of slots [0, slots), waiting for the GPU once. */
  readStats(): Promise<Float32Array>;
  /** Zeroes every stats slot. */
  clearStats(): void;
  destroy(): void;
}

const WORKGROUP = 64;

/**
 * Builds the pipelines and buffers of an MLP with `hidden` units over `images`, batches of at most `cap`
 * images, and `slots` stats slots. Throws if the params do not share one value and one grad buffer (a GPU
 * param store packs them that way).
 */
export function createMlp(device: GPUDevice, params: MlpParams, images: Images, opts: { hidden: number; cap: number; slots: number }): Mlp {
  const { hidden, cap, slots } = opts;
  const want = { W1: IN * hidden, b1: hidden, W2: hidden * OUT, b2: OUT };
  for (const [k, n] of Object.entries(want)) {
    const p = params[k as keyof MlpParams];
    if (p.length !== n) throw new Error(`${k} has ${p.length} floats, the MLP needs ${n}`);
  }
  const ps = Object.values(params);
  if (ps.some((p) => p.buffer !== params.W1.buffer || p.gradBuffer !== params.W1.gradBuffer)) {
    throw new Error("the MLP's params must share one value buffer and one grad buffer (one GPU param store)");
  }
  const S = GPUBufferUsage.STORAGE, C = GPUBufferUsage.COPY_DST;
  const upload = (data: ArrayBufferView, usage: number) => {
    const b = device.createBuffer({ size: Math.max(16, Math.ceil(data.byteLength / 4) * 4), usage: usage | C });
    device.queue.writeBuffer(b, 0, data.buffer, data.byteOffset, data.byteLength);
    return b;
  };
  const X = upload(images.X, S), Y = upload(Uint32Array.from(images.Y), S);
  const I = device.createBuffer({ size: cap * 4, usage: S | C });
  const A = device.createBuffer({ size: 2 * cap * hidden * 4, usage: S });
  const statsAt = cap * (OUT + 2) * 4, statsBytes = slots * 2 * 4;
  const O = device.createBuffer({ size: statsAt + statsBytes, usage: S | C | GPUBufferUsage.COPY_SRC });
  const dims = new Uint32Array(12);
  const U = device.createBuffer({ size: dims.byteLength, usage: GPUBufferUsage.UNIFORM | C });
  const el = (p: GpuParamLocation, grad: boolean) => (grad ? p.gradOffset : p.offset) / 4;
  dims.set([0, cap, hidden, 0, el(params.W1, false), el(params.b1, false), el(params.W2, false), el(params.b2, false),
    el(params.W1, true), el(params.b1, true), el(params.W2, true), el(params.b2, true)]);

  const entries: Array<[GPUBufferBindingType, GPUBuffer]> = [
    ["uniform", U], ["read-only-storage", params.W1.buffer], ["storage", params.W1.gradBuffer], ["read-only-storage", X],
    ["read-only-storage", Y], ["read-only-storage", I], ["storage", A], ["storage", O],
  ];
  const layout = device.createBindGroupLayout({
    entries: entries.map(([type], binding) => ({ binding, visibility: GPUShaderStage.COMPUTE, buffer: { type } })),
  });
  const group = device.createBindGroup({ layout, entries: entries.map(([, buffer], binding) => ({ binding, resource: { buffer } })) });
  const module = device.createShaderModule({ code: WGSL });
  const pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: [layout] });
  const pipeline = (entryPoint: string) => device.createComputePipeline({ layout: pipelineLayout, compute: { module, entryPoint } });
  const P = {
    forwardHidden: pipeline("forward_hidden"), forwardOut: pipeline("forward_out"),
    backwardHidden: pipeline("backward_hidden"), grads: pipeline("grads"), stats: pipeline("stats"),
  };
  const gradCount = IN * hidden + hidden + hidden * OUT + OUT;
  const indices = new Uint32Array(cap);

  function run(idx: ArrayLike<number>, slot: number, withBackward: boolean): void {
    const n = idx.length;
    if (n < 1 || n > cap) throw new Error(`a batch has 1 to ${cap} images, not ${n}`);
    if (slot < 0 || slot >= slots || !Number.isInteger(slot)) throw new Error(`stats slot ${slot} is not in [0, ${slots})`);
    for (let i = 0; i < n; i++) indices[i] = idx[i]!;
    dims[0] = n;
    dims[3] = slot;
    device.queue.writeBuffer(I, 0, indices, 0, n);
    device.queue.writeBuffer(U, 0, dims);
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setBindGroup(0, group);
    const go = (p: GPUComputePipeline, threads: number) => {
      pass.setPipeline(p);
      pass.dispatchWorkgroups(Math.ceil(threads / WORKGROUP));
    };
    go(P.forwardHidden, n * hidden);
    go(P.forwardOut, n);
    if (withBackward) {
      go(P.backwardHidden, n * hidden);
      go(P.grads, gradCount);
    }
    pass.setPipeline(P.stats);
    pass.dispatchWorkgroups(1);
    pass.end();
    device.queue.submit([enc.finish()]);
  }

  const zeros = new Uint8Array(statsBytes);
  return {
    backward: (idx, slot) => run(idx, slot, true),
    forward: (idx, slot) => run(idx, slot, false),
    clearStats: () => device.queue.writeBuffer(O, statsAt, zeros),
    readStats: () => readFloats(device, O, statsAt, slots * 2),
    destroy() {
      for (const b of [X, Y, I, A, O, U]) b.destroy();
    },
  };
}

/** `count` floats of `buffer` from byte `offset` (the buffer needs COPY_SRC), waiting for the GPU once. */
export async function readFloats(device: GPUDevice, buffer: GPUBuffer, offset: number, count: number): Promise<Float32Array> {
  const staging = device.createBuffer({ size: count * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(buffer, offset, staging, 0, count * 4);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(staging.getMappedRange().slice(0));
  staging.destroy();
  return out;
}
