// The webgpu backend (src/core/backend.ts's Backend over a GpuMemory): a launch binds, at plan time, the
// pipeline of its kernel (built once per store and kernel from the driver and the kernel's WGSL rule), a uniform
// buffer of its own and a bind group of the buffers its offsets fall in. A step writes each launch's numbers
// into its uniform buffer (queue.writeBuffer: offsets, n, scalars, gradScale, flags) and records one dispatch
// per launch into one compute pass (a per-tensor launch: three or four, src/webgpu/per-tensor.ts); sync() submits the
// command buffer. Nothing is read back and nothing waits: later host reads (param.read(), stateDictAsync) are
// ordered after it by the queue.
// A launch over an external param (a caller's buffers, which the caller may rebind between steps: tfjs hands a
// new grad buffer every step) checks those buffers at every step and binds the new ones; its bind groups are
// cached by the buffers they bind (tfjs's grads come from a pool, so a few pairs recur).
import type { Backend, BoundSpec, GradRange, Launch, PrePassTransforms } from "../core/backend.js";
import { F32_FLAGS, GRAD_SCALE, SEED_MASK, SEED_SHIFT, STOCHASTIC } from "../abi/index.js";
import { ARGS_WORDS, BF16_STOCHASTIC, kernelSource, MAX_BUFFERS, PRE_SCALE, PRE_SKIP, W_BF16, W_CLIP, W_FLAGS, W_GRAD_SCALE, W_MIX, W_N, W_ONE, W_PRE, W_SCALARS,
  WORKGROUP, wgslRule } from "./driver.js";
import { type Allocation, COPY_DST, type GPUBindGroup, type GPUBindGroupLayout, type GPUBuffer, type GPUCommandEncoder, type GPUComputePassEncoder,
  type GPUComputePipeline, STAGE_COMPUTE, STORAGE, UNIFORM, type GpuMemory } from "./gpu.js";
import { PrePass } from "./prepass.js";
import { TENSOR_ENTRIES, TENSOR_WORKGROUP, tensorFolds, tensorKernelSource, tensorPartials, tensorSumsBytes } from "./per-tensor.js";
import { scheduleFreeSwap } from "./schedule-free.js";

/** One pipeline (elementwise), or a per-tensor kernel's three (src/webgpu/per-tensor.ts), over one layout. */
interface Kernel { pipelines: GPUComputePipeline[]; layout: GPUBindGroupLayout; buffers: number; tensor: boolean }

/** What a launch keeps here (Launch.handle). */
interface Bound {
  kernel: Kernel;
  uniform: GPUBuffer;
  /** The uniform block's host copy, as words and as floats. */
  words: Uint32Array; floats: Float32Array;
  /** The offsets the bind group and the element offsets were made for (rebuilt when the plan moves a buffer). */
  at: Float64Array;
  group: GPUBindGroup | undefined;
  /** Per-tensor launches: the block partials' sums and the tensor's number (per-tensor.ts). */
  sums: GPUBuffer | undefined;
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
  /** The GpuGradScaler buffer the next pre-pass unscales by and records found_inf into (scaleNextStep). */
  #scaler: GPUBuffer | undefined;
  /** One unused buffer per state binding a launch leaves empty (offset 0): bindings must not alias. */
  readonly #empty: GPUBuffer[];

  constructor(store: GpuMemory) {
    this.#store = store;
    this.#prePass = new PrePass(store);
    this.#empty = Array.from({ length: MAX_BUFFERS }, () => store.device.createBuffer({ size: 16, usage: STORAGE }));
  }

  bind(l: Launch, _reference: unknown, _bufferNames: readonly string[], spec: BoundSpec): void {
    const where = `${spec.name} on webgpu`;
    const rule = wgslRule(spec);
    if (rule === undefined) throw new TypeError(`${spec.name} is not supported on WebGPU yet (no WGSL kernel; step it on a ParamStore)`);
    if (l.dtype === "int8") throw new TypeError(`${where}: stateDtype "int8" is not supported on WebGPU yet (f32 and bf16 state only)`);
    if (l.perTensor && l.dtype !== "f32") throw new TypeError(`${where}: stateDtype "${l.dtype}" is not supported on WebGPU yet for per-tensor optimizers (f32 state only)`);
    // State buffers, and a tensor kind's scratch area (the offsets between param and grad).
    const buffers = l.offsets.length - 2;
    if (buffers > MAX_BUFFERS) throw new TypeError(`${where}: more than ${MAX_BUFFERS} state buffers`);
    const device = this.#store.device;
    const uniform = device.createBuffer({ size: 4 * ARGS_WORDS, usage: UNIFORM | COPY_DST });
    const host = new ArrayBuffer(4 * ARGS_WORDS);
    new Float32Array(host)[W_ONE] = 1;
    const b: Bound = {
      kernel: this.#kernel(l.kernel, spec, rule, buffers, l.perTensor, l.dtype === "bf16"), uniform, words: new Uint32Array(host), floats: new Float32Array(host),
      at: new Float64Array(l.offsets.length).fill(-1), group: undefined, sums: undefined, buffers: [], allocs: [], offsets: [], external: [], groups: [],
    };
    l.handle = b;
  }

  /** The pipeline of kernel `name` (built once per store). */
  #kernel(name: string, spec: BoundSpec, rule: string, buffers: number, tensor: boolean, bf16: boolean): Kernel {
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
        ...(tensor ? [storage(buffers + 4, "storage")] : []),
      ],
    });
    const module = device.createShaderModule({ code: tensor ? tensorKernelSource(spec, rule, buffers) : kernelSource(spec, rule, buffers, bf16 ? "bf16" : "f32") });
    const pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: [layout] });
    const pipelines = (tensor ? TENSOR_ENTRIES : ["main"]).map((entryPoint) => device.createComputePipeline({ layout: pipelineLayout, compute: { module, entryPoint } }));
    k = { pipelines, layout, buffers, tensor };
    cache.set(name, k);
    return k;
  }

  execute(l: Launch): void {
    const n = l.n, b = l.handle as Bound;
    // An empty tensor still has its number (NovoGrad's second moment moves with a zero norm).
    if (n === 0 && !b.kernel.tensor) return;
    const w = b.words, f = b.floats, offsets = l.offsets, np = offsets.length;
    let moved = false;
    for (let i = 0; i < np; i++) moved ||= offsets[i] !== b.at[i];
    for (let k = 0; k < b.external.length; k++) {
      const i = b.external[k]!, a = b.allocs[i]!;
      moved ||= a.buffer !== b.buffers[i] || a.offset !== b.offsets[i];
    }
    if (b.kernel.tensor && (b.sums?.size ?? 0) < tensorSumsBytes(n)) moved = true;
    if (moved) this.#rebind(l, b);
    w[W_N] = n;
    let flags = l.flags;
    if (this.#pre & PRE_SCALE) flags |= GRAD_SCALE; // the clip coefficient is applied even when the user's scale is 1
    const bf16 = l.dtype === "bf16";
    if (bf16) {
      // The rule sees the f32 kernel's flags (assembly/lib/lowp.ts F32_FLAGS); the rounding, its own words.
      w[W_BF16] = (w[W_BF16]! & ~BF16_STOCHASTIC) | (flags & STOCHASTIC ? BF16_STOCHASTIC : 0);
      w[W_MIX] = Math.imul((flags >>> SEED_SHIFT) & SEED_MASK, 0x9e3779b1) >>> 0;
      flags &= F32_FLAGS;
    }
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
    const pass = this.#pass, k = b.kernel;
    pass.setBindGroup(0, b.group!);
    // bf16: one invocation per word of state (two elements; one more word when the run starts at an odd element).
    const groups = Math.ceil((bf16 ? Math.ceil((n + (w[1]! & 1)) / 2) : n) / (k.tensor ? TENSOR_WORKGROUP : WORKGROUP));
    const x = Math.min(groups, device.limits.maxComputeWorkgroupsPerDimension), y = Math.ceil(groups / x);
    if (!k.tensor) {
      pass.setPipeline(k.pipelines[0]);
      pass.dispatchWorkgroups(x, y);
      return;
    }
    // Per-tensor: the norms, their folds, the tensor's number, the update (per-tensor.ts); each dispatch sees the last's writes.
    const max = device.limits.maxComputeWorkgroupsPerDimension, partials = Math.ceil(tensorPartials(n) / TENSOR_WORKGROUP), folds = tensorFolds(n);
    if (groups > 0) {
      pass.setPipeline(k.pipelines[0]);
      pass.dispatchWorkgroups(Math.min(partials, max), Math.ceil(partials / max));
    }
    if (folds > 0) {
      pass.setPipeline(k.pipelines[1]);
      pass.dispatchWorkgroups(Math.min(folds, max), Math.ceil(folds / max));
    }
    pass.setPipeline(k.pipelines[2]);
    pass.dispatchWorkgroups(1);
    if (groups > 0) {
      pass.setPipeline(k.pipelines[3]);
      pass.dispatchWorkgroups(x, y);
    }
  }

  /**
   * The bind group and element offsets for the launch's current offsets and buffers (plan time: after a re-plan
   * moved a buffer; at a step: after an external param was rebound).
   */
  #rebind(l: Launch, b: Bound): void {
    const offsets = l.offsets, np = offsets.length, nb = b.kernel.buffers, bf16 = l.dtype === "bf16";
    let used = 0;
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
        const a = this.#store.locate(ptr), state = i > 0 && i < np - 1;
        b.buffers[i] = a.buffer;
        b.allocs[i] = a;
        b.offsets[i] = a.offset;
        b.words[slot] = (ptr - a.base + a.offset) / (bf16 && state ? 2 : 4);
        if (state) used |= 1 << (i - 1);
        if (a.external) b.external.push(i);
      }
      b.at[i] = ptr;
    }
    b.buffers.length = np;
    if (bf16) {
      // The driver pairs elements by the first state buffer's word parity: every state buffer must share it.
      const first = b.words.subarray(1, 1 + nb).find((_, k) => (used & (1 << k)) !== 0) ?? 0;
      for (let k = 0; k < nb; k++) {
        if (used & (1 << k) && (b.words[1 + k]! & 1) !== (first & 1)) throw new Error(`${l.kernel} on webgpu: bf16 state buffers of one run at offsets of different parity`);
      }
      b.words[W_BF16] = used;
      // word 1 is the parity the driver reads: the first bound buffer's when buffer a is not bound.
      if (!(used & 1)) b.words[1] = first & 1;
    }
    if (b.kernel.tensor && (!b.sums || b.sums.size < tensorSumsBytes(l.n))) {
      b.sums?.destroy();
      b.sums = this.#store.device.createBuffer({ size: tensorSumsBytes(l.n), usage: STORAGE });
      b.groups.length = 0; // they bind the old sums
    }
    const k = b.groups.findIndex((c) => c.buffers.every((x, i) => x === b.buffers[i]));
    const entry = k >= 0 ? b.groups.splice(k, 1)[0]! : { buffers: b.buffers.slice(), group: this.#group(b) };
    b.groups.unshift(entry);
    if (b.groups.length > GROUPS) b.groups.length = GROUPS;
    b.group = entry.group;
  }

  #group(b: Bound): GPUBindGroup {
    const nb = b.kernel.buffers, entries = b.buffers.map((buffer, binding) => ({ binding, resource: { buffer } }));
    entries.push({ binding: nb + 2, resource: { buffer: b.uniform } }, { binding: nb + 3, resource: { buffer: this.#prePass.decision } });
    if (b.sums) entries.push({ binding: nb + 4, resource: { buffer: b.sums } });
    return this.#store.device.createBindGroup({ layout: b.kernel.layout, entries });
  }

  prePass(planned: readonly { readonly layout: { readonly segments: readonly GradRange[] } }[], t: PrePassTransforms, gradScale: number): void {
    this.#flush();
    const scaler = this.#scaler;
    this.#scaler = undefined;
    this.#prePass.run(planned, t, gradScale, scaler);
    this.#pre = (t.skipNonFinite ? PRE_SKIP : 0) | (t.maxGradNorm !== undefined || scaler ? PRE_SCALE : 0);
  }

  /**
   * The next pre-pass (gradstep/webgpu's GpuGradScaler, around one step) takes its gradient scale from
   * `scaler` (1/scale) and records a skip there; undefined: the step's own gradScale.
   */
  scaleNextStep(scaler: GPUBuffer | undefined): void {
    this.#scaler = scaler;
  }

  scheduleFreeSwap(valuePtr: number, zPtr: number, n: number, toEval: boolean, beta1: number, c: number): void {
    this.#flush();
    scheduleFreeSwap(this.#store, valuePtr, zPtr, n, toEval, beta1, c);
  }

  /** [scale, skip, norm, 0] of the last pre-pass, read by the step's launches (and by GpuAveragedParams after it). */
  get decision(): GPUBuffer {
    return this.#prePass.decision;
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
