// The webgpu backend (src/core/backend.ts's Backend over a GpuMemory): a launch binds, at plan time, the
// pipeline of its kernel (built once per store and kernel from the driver and the spec's WGSL rule), a uniform
// buffer of its own and a bind group of the buffers its offsets fall in. A step writes each launch's numbers
// into its uniform buffer (queue.writeBuffer: offsets, n, scalars, gradScale, flags) and records one dispatch
// per launch into one compute pass; sync() submits the command buffer. Nothing is read back and nothing
// waits: later host reads (param.read(), stateDictAsync) are ordered after it by the queue.
// A launch over an external param (a caller's buffers, which the caller may rebind between steps: tfjs hands a
// new grad buffer every step) checks those buffers at every step and binds the new ones; its bind groups are
// cached by the buffers they bind (tfjs's grads come from a pool, so a few pairs recur).
import type { Backend, BoundSpec, GradRange, Launch, PrePassTransforms } from "../core/backend.js";
import { GRAD_SCALE } from "../abi/index.js";
import { ARGS_WORDS, kernelSource, MAX_BUFFERS, PRE_SCALE, PRE_SKIP, W_CLIP, W_FLAGS, W_GRAD_SCALE, W_N, W_ONE, W_PRE, W_SCALARS, WORKGROUP } from "./driver.js";
import { type Allocation, COPY_DST, type GPUBindGroup, type GPUBindGroupLayout, type GPUBuffer, type GPUCommandEncoder, type GPUComputePassEncoder,
  type GPUComputePipeline, STAGE_COMPUTE, STORAGE, UNIFORM, type GpuMemory } from "./gpu.js";
import { PrePass } from "./prepass.js";

interface Kernel { pipeline: GPUComputePipeline; layout: GPUBindGroupLayout; buffers: number }

/** What a launch keeps here (Launch.handle). */
interface Bound {
  kernel: Kernel;
  uniform: GPUBuffer;
  /** The uniform block's host copy, as words and as floats. */
  words: Uint32Array; floats: Float32Array;
  /** The offsets the bind group and the element offsets were made for (rebuilt when the plan moves a buffer). */
  at: Float64Array;
  group: GPUBindGroup | undefined;
  /** Per binding: the buffer bound, and where the element offset came from. */
  buffers: GPUBuffer[]; allocs: (Allocation | undefined)[]; offsets: number[];
  /** The bindings whose allocation is external (checked at every step: its caller may rebind it). */
  external: number[];
  /** Bind groups made for this launch, newest first, by the buffers they bind (at most GROUPS). */
  groups: { buffers: GPUBuffer[]; group: GPUBindGroup }[];
}

/** Bind groups a launch keeps: a step over buffers it saw lately makes none. */
const GROUPS = 8;

export class WebGpuBackend implements Backend {
  readonly name = "webgpu" as const;
  readonly #store: GpuMemory;
  #encoder: GPUCommandEncoder | undefined;
  #pass: GPUComputePassEncoder | undefined;
  #clipLo = 0;
  #clipHi = 0;
  /** What the launches of the current step read from the device pre-pass (PRE_SKIP | PRE_SCALE bits). */
  #pre = 0;
  readonly #prePass: PrePass;
  /** One unused buffer per state binding a launch leaves empty (offset 0): bindings must not alias. */
  readonly #empty: GPUBuffer[];

  constructor(store: GpuMemory) {
    this.#store = store;
    this.#prePass = new PrePass(store);
    this.#empty = Array.from({ length: MAX_BUFFERS }, () => store.device.createBuffer({ size: 16, usage: STORAGE }));
  }

  bind(l: Launch, _reference: unknown, bufferNames: readonly string[], spec: BoundSpec): void {
    const where = `${spec.name} on webgpu`;
    if (spec.wgsl === undefined) throw new TypeError(`${spec.name} is not supported on WebGPU yet (no WGSL kernel; step it on a ParamStore)`);
    if (l.dtype !== "f32") throw new TypeError(`${where}: stateDtype "${l.dtype}" is not supported on WebGPU yet (f32 state only)`);
    if (l.perTensor) throw new TypeError(`${spec.name} is not supported on WebGPU yet (per-tensor kernels: elementwise optimizers only)`);
    if (bufferNames.length > MAX_BUFFERS) throw new TypeError(`${where}: more than ${MAX_BUFFERS} state buffers`);
    const device = this.#store.device;
    const uniform = device.createBuffer({ size: 4 * ARGS_WORDS, usage: UNIFORM | COPY_DST });
    const host = new ArrayBuffer(4 * ARGS_WORDS);
    new Float32Array(host)[W_ONE] = 1;
    const b: Bound = {
      kernel: this.#kernel(l.kernel, spec, bufferNames.length), uniform, words: new Uint32Array(host), floats: new Float32Array(host),
      at: new Float64Array(l.offsets.length).fill(-1), group: undefined, buffers: [], allocs: [], offsets: [], external: [], groups: [],
    };
    l.handle = b;
  }

  /** The pipeline of kernel `name` (built once per store). */
  #kernel(name: string, spec: BoundSpec, buffers: number): Kernel {
    const cache = this.#store.pipelines as Map<string, Kernel>;
    let k = cache.get(name);
    if (k) return k;
    const device = this.#store.device;
    const storage = (binding: number, type: string) => ({ binding, visibility: STAGE_COMPUTE, buffer: { type } });
    const layout = device.createBindGroupLayout({
      entries: [
        storage(0, "storage"),
        ...Array.from({ length: buffers }, (_, i) => storage(i + 1, "storage")),
        storage(buffers + 1, "read-only-storage"),
        storage(buffers + 2, "uniform"),
        storage(buffers + 3, "read-only-storage"),
      ],
    });
    const module = device.createShaderModule({ code: kernelSource(spec, buffers) });
    const pipeline = device.createComputePipeline({ layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }), compute: { module, entryPoint: "main" } });
    k = { pipeline, layout, buffers };
    cache.set(name, k);
    return k;
  }

  execute(l: Launch): void {
    const n = l.n;
    if (n === 0) return;
    const b = l.handle as Bound, w = b.words, f = b.floats, offsets = l.offsets, np = offsets.length;
    let moved = false;
    for (let i = 0; i < np; i++) moved ||= offsets[i] !== b.at[i];
    for (let k = 0; k < b.external.length; k++) {
      const i = b.external[k]!, a = b.allocs[i]!;
      moved ||= a.buffer !== b.buffers[i] || a.offset !== b.offsets[i];
    }
    if (moved) this.#rebind(l, b);
    w[W_N] = n;
    let flags = l.flags;
    if (this.#pre & PRE_SCALE) flags |= GRAD_SCALE; // the clip coefficient is applied even when the user's scale is 1
    w[W_FLAGS] = flags >>> 0;
    const s = l.scalars;
    for (let i = 0; i < s.length; i++) f[W_SCALARS + i] = s[i]!;
    f[W_GRAD_SCALE] = l.gradScale;
    f[W_CLIP] = this.#clipLo;
    f[W_CLIP + 1] = this.#clipHi;
    w[W_PRE] = this.#pre;
    const device = this.#store.device;
    device.queue.writeBuffer(b.uniform, 0, w);
    if (!this.#pass) {
      this.#encoder = device.createCommandEncoder();
      this.#pass = this.#encoder.beginComputePass();
    }
    const groups = Math.ceil(n / WORKGROUP), x = Math.min(groups, device.limits.maxComputeWorkgroupsPerDimension);
    this.#pass.setPipeline(b.kernel.pipeline);
    this.#pass.setBindGroup(0, b.group!);
    this.#pass.dispatchWorkgroups(x, Math.ceil(groups / x));
  }

  /**
   * The bind group and element offsets for the launch's current offsets and buffers (plan time: after a re-plan
   * moved a buffer; at a step: after an external param was rebound).
   */
  #rebind(l: Launch, b: Bound): void {
    const offsets = l.offsets, np = offsets.length;
    b.external.length = 0;
    for (let i = 0; i < np; i++) {
      const ptr = offsets[i]!;
      // Word slots: param 0, state 1..4, grad 5 (the driver's layout), whatever the kernel's buffer count.
      const slot = i === np - 1 ? 5 : i;
      if (ptr === 0) {
        b.buffers[i] = this.#empty[i - 1]!;
        b.allocs[i] = undefined;
        b.words[slot] = 0;
      } else {
        const a = this.#store.locate(ptr);
        b.buffers[i] = a.buffer;
        b.allocs[i] = a;
        b.offsets[i] = a.offset;
        b.words[slot] = (ptr - a.base + a.offset) / 4;
        if (a.external) b.external.push(i);
      }
      b.at[i] = ptr;
    }
    b.buffers.length = np;
    const k = b.groups.findIndex((c) => c.buffers.every((x, i) => x === b.buffers[i]));
    const entry = k >= 0 ? b.groups.splice(k, 1)[0]! : { buffers: b.buffers.slice(), group: this.#group(b) };
    b.groups.unshift(entry);
    if (b.groups.length > GROUPS) b.groups.length = GROUPS;
    b.group = entry.group;
  }

  #group(b: Bound): GPUBindGroup {
    const nb = b.kernel.buffers, entries = b.buffers.map((buffer, binding) => ({ binding, resource: { buffer } }));
    entries.push({ binding: nb + 2, resource: { buffer: b.uniform } }, { binding: nb + 3, resource: { buffer: this.#prePass.decision } });
    return this.#store.device.createBindGroup({ layout: b.kernel.layout, entries });
  }

  prePass(planned: readonly { readonly layout: { readonly segments: readonly GradRange[] } }[], t: PrePassTransforms, gradScale: number): void {
    this.#flush();
    this.#prePass.run(planned, t, gradScale);
    this.#pre = (t.skipNonFinite ? PRE_SKIP : 0) | (t.maxGradNorm !== undefined ? PRE_SCALE : 0);
  }

  reduceSegments(): void {
    throw new Error("webgpu: gradients are reduced on the device (prePass)");
  }

  reduceRange(): void {
    throw new Error("webgpu: gradients are reduced on the device (prePass)");
  }

  setValueClip(v: number | undefined): void {
    if (v === undefined) return;
    this.#clipHi = Math.fround(v);
    this.#clipLo = -this.#clipHi;
  }

  sync(): void {
    this.#flush();
    this.#pre = 0;
  }

  /** Submits what the current pass recorded. */
  #flush(): void {
    if (!this.#pass) return;
    this.#pass.end();
    this.#store.device.queue.submit([this.#encoder!.finish()]);
    this.#pass = this.#encoder = undefined;
  }
}
