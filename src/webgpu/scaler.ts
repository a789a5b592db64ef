// torch.amp.GradScaler for optimizers over GPU params, with its state on the device: the scale, the growth
// tracker and found_inf live in a 32-byte buffer of the store ([scale f32, tracker u32, found_inf u32, 0,
// growthFactor f32, backoffFactor f32, growthInterval u32, 0]). step(opt) runs the optimizer's step with its
// device pre-pass (skipNonFinite) taking the gradient scale 1/scale from that buffer and OR-ing its skip into
// found_inf (PyTorch's fused optimizers take grad_scale and found_inf as device tensors the same way); update()
// is one single-invocation kernel doing what torch's _amp_update_scale_ does. The host never waits: the user's
// backward reads the scale from `scaleBuffer`, and getScaleAsync()/stateDictAsync() read it back.
//
// The same numbers as gradstep's GradScaler (src/transforms/grad-scaler.ts, whose options, checks and edge
// rules this one keeps): inv_scale is the f32 division 1/scale (torch divides in f64 and rounds: the same bits
// where `/` is correctly rounded), and the growth and backoff products are f32 products, which equal torch's f64
// products rounded to f32 because both factors must be f32 values here (2 and 0.5 are). One edge differs: the
// scale stays a normal f32 (at least 2^-126), where GradScaler backs off into subnormals down to about 2.9e-39:
// WGSL lets a device flush subnormals to 0 (SwiftShader does), which would make 1/scale infinite.
import { Optimizer } from "../core/optimizer.js";
import { GradScaler, type GradScalerOptions, type GradScalerState } from "../transforms/grad-scaler.js";
import { WebGpuBackend } from "./backend.js";
import type { GPUBuffer } from "./gpu.js";
import { cachedKernel, NON_FINITE } from "./kernel.js";
import type { GpuParamStore } from "./store.js";

const UPDATE = /* wgsl */ `${NON_FINITE}
@group(0) @binding(0) var<storage, read_write> s: array<u32>;
@compute @workgroup_size(1)
fn main() {
  let scale = bitcast<f32>(s[0]);
  if (s[2] != 0u) {
    // Backoff, unless the scale would leave the normal f32s (torch goes on to 0; see GpuGradScaler's doc).
    let b = scale * bitcast<f32>(s[5]);
    if ((bitcast<u32>(b) & 0x7f800000u) != 0u && !nonFinite(b)) { s[0] = bitcast<u32>(b); }
    s[1] = 0u;
  } else if (s[1] + 1u == s[6]) {
    let g = scale * bitcast<f32>(s[4]);
    if (!nonFinite(g)) { s[0] = bitcast<u32>(g); }
    s[1] = 0u;
  } else {
    s[1] = s[1] + 1u;
  }
  s[2] = 0u;
}
`;

const WORDS = 8;

/** The smallest normal f32: the device's smallest scale (see the header). */
const MIN_SCALE = 2 ** -126;

/** Checks what the device needs beyond GradScaler's rules: f32 factors and a normal scale (see the header). */
function checkDevice(where: string, o: { growthFactor: number; backoffFactor: number; growthInterval: number }, scale: number): void {
  if (scale < MIN_SCALE) throw new RangeError(`${where}: scale ${scale} is below 2^-126 (the smallest normal f32: a GPU may flush smaller ones to 0)`);
  for (const k of ["growthFactor", "backoffFactor"] as const) {
    if (Math.fround(o[k]) !== o[k]) throw new RangeError(`${where}: ${k} ${o[k]} is not an f32 value (the scale is updated in f32 on the GPU: use one such as 2 or 0.5)`);
  }
  if (o.growthInterval >= 2 ** 32) throw new RangeError(`${where}: growthInterval ${o.growthInterval} does not fit the device's u32 (expected < 2^32)`);
}

/**
 * Loss scaling (torch.amp.GradScaler) for optimizers over GPU params, its scale and growth tracker kept on the
 * GPU. Per iteration: your backward seeds the loss gradient with the scale it reads from `scaleBuffer`, then
 * `scaler.step(opt)` (the gradients are unscaled inside the step; a step whose unscaled gradients hold inf or
 * NaN changes no param and no state), then `scaler.update()`. Nothing waits for the GPU.
 * The optimizer must be built with `skipNonFinite: true`: its device pre-pass is where inf and NaN are found.
 *
 * @example
 * const scaler = new GpuGradScaler(store);                  // initScale 65536, growthInterval 2000, ...
 * const opt = new AdamW(store.params, { lr: 1e-3, skipNonFinite: true });
 * // your WGSL binds scaler.scaleBuffer (an f32 at byte scaler.scaleOffset) and multiplies the loss gradient by it
 * for (const batch of data) { backward(batch); scaler.step(opt); scaler.update(); }
 * console.log(await scaler.getScaleAsync());
 */
export class GpuGradScaler {
  /** The store whose params the scaler's optimizers step (its buffer is one of the store's). */
  readonly store: GpuParamStore;
  /** GradScalerOptions.enabled: false makes the scaler a pass-through (its buffer then holds the scale 1). */
  readonly enabled: boolean;
  /** The options, checked by GradScaler's own rules (its scale is the initial one only). */
  #options: GradScaler;
  readonly #ptr: number;
  readonly #stepped = new Set<Optimizer<object>>();

  constructor(store: GpuParamStore, options: GradScalerOptions = {}) {
    if (store === null || typeof store !== "object" || (store as { deviceKind?: unknown }).deviceKind !== "webgpu") {
      throw new TypeError("GpuGradScaler: expected a GpuParamStore (new GpuGradScaler(store, options))");
    }
    const o = new GradScaler(options);
    checkDevice("GpuGradScaler", o, o.getScale());
    this.store = store;
    this.enabled = o.enabled;
    this.#options = o;
    this.#ptr = store.allocBytes(4 * WORDS);
    this.#write(o.getScale(), 0);
  }

  /** The GPUBuffer holding the current scale (an f32 at byte `scaleOffset`): bind it in your backward's WGSL. */
  get scaleBuffer(): GPUBuffer {
    return this.store.locate(this.#ptr).buffer;
  }

  /** Byte offset of the scale in `scaleBuffer` (0: the buffer is the scaler's own). */
  get scaleOffset(): number {
    return this.#ptr - this.store.locate(this.#ptr).base;
  }

  /** The smallest scale a GpuGradScaler holds (2^-126, the smallest normal f32): backoff stops there. */
  static readonly MIN_SCALE = MIN_SCALE;

  /** GradScalerOptions.growthFactor. */
  get growthFactor(): number { return this.#options.growthFactor; }
  /** GradScalerOptions.backoffFactor. */
  get backoffFactor(): number { return this.#options.backoffFactor; }
  /** GradScalerOptions.growthInterval. */
  get growthInterval(): number { return this.#options.growthInterval; }

  /** Writes the scale, the tracker and the options (found_inf, of steps not yet update()d, is kept). */
  #write(scale: number, tracker: number): void {
    const words = new Uint32Array(WORDS), floats = new Float32Array(words.buffer), o = this.#options;
    floats[0] = scale;
    words[1] = tracker;
    floats[4] = o.growthFactor;
    floats[5] = o.backoffFactor;
    words[6] = o.growthInterval;
    const a = this.store.locate(this.#ptr), at = this.#ptr - a.base, queue = this.store.device.queue;
    queue.writeBuffer(a.buffer, at, words.subarray(0, 2));
    queue.writeBuffer(a.buffer, at + 16, words.subarray(4));
  }

  async #read(): Promise<{ scale: number; tracker: number }> {
    const a = this.store.locate(this.#ptr);
    const bytes = await this.store.readBytes(a.buffer, this.#ptr - a.base, 8);
    return { scale: new Float32Array(bytes, 0, 1)[0]!, tracker: new Uint32Array(bytes, 4, 1)[0]! };
  }

  /** The current scale (1 when disabled), read back after everything queued so far: torch's get_scale(). */
  async getScaleAsync(): Promise<number> {
    return this.enabled ? (await this.#read()).scale : 1;
  }

  /**
   * Queues `opt.step()` with the gradients unscaled by 1/scale inside the step; a step whose unscaled gradients
   * hold inf or NaN is skipped on the device and recorded for update(). Once per optimizer between update()s.
   */
  step(opt: Optimizer<object>): void {
    if (!(opt instanceof Optimizer)) throw new TypeError("GpuGradScaler.step: expected a gradstep optimizer");
    if (!this.enabled) {
      opt.step();
      return;
    }
    if (opt.disposed) throw new Error("GpuGradScaler.step: the optimizer has been disposed");
    if (opt.store !== (this.store as unknown)) {
      throw new Error("GpuGradScaler.step: the optimizer's params are not in this scaler's GpuParamStore");
    }
    if (!opt.transforms.skipNonFinite) {
      throw new Error("GpuGradScaler.step: build the optimizer with skipNonFinite: true (its device pre-pass is where inf and NaN gradients are found)");
    }
    if (this.#stepped.has(opt)) throw new Error("GpuGradScaler.step: step() has already been called on this optimizer since the last update()");
    const backend = opt._backend();
    if (!(backend instanceof WebGpuBackend)) throw new Error("GpuGradScaler.step: the optimizer does not step on the webgpu backend");
    backend.scaleNextStep(this.scaleBuffer);
    try {
      opt.step();
    } finally {
      backend.scaleNextStep(undefined);
    }
    this.#stepped.add(opt);
  }

  /**
   * Torch's unscale_ is not offered: step() unscales inside the optimizer's step, and the optimizer's own
   * maxGradNorm clips the unscaled gradients' norm there.
   */
  unscale(_opt: Optimizer<object>): never {
    throw new Error("GpuGradScaler.unscale: not supported on the GPU (step() unscales inside the step; use the optimizer's maxGradNorm to clip the unscaled gradients)");
  }

  /**
   * Queues the scale's update for the next iteration (torch's update(): backoffFactor × after an inf/NaN in any
   * optimizer stepped since the last update, growthFactor × after growthInterval finite steps in a row, if the
   * result is finite). `newScale` sets the scale instead (the growth tracker is kept, as torch's).
   */
  update(newScale?: number): void {
    if (!this.enabled) return;
    if (newScale !== undefined) {
      const check = new GradScaler({ growthFactor: this.growthFactor, backoffFactor: this.backoffFactor, growthInterval: this.growthInterval });
      check.update(newScale); // GradScaler's checks of newScale
      checkDevice("GpuGradScaler.update", check, newScale);
      const a = this.store.locate(this.#ptr), at = this.#ptr - a.base;
      this.store.device.queue.writeBuffer(a.buffer, at, new Float32Array([newScale]));
      this.store.device.queue.writeBuffer(a.buffer, at + 8, new Uint32Array(1)); // the found_inf of the steps since: dropped
      this.#stepped.clear();
      return;
    }
    if (this.#stepped.size === 0) throw new Error("GpuGradScaler.update: no inf checks were recorded prior to update() (call step(opt) first)");
    const device = this.store.device, k = cachedKernel(this.store.pipelines, device, "gradScaler.update", UPDATE, ["storage"]);
    const encoder = device.createCommandEncoder(), pass = encoder.beginComputePass();
    pass.setPipeline(k.pipeline);
    pass.setBindGroup(0, device.createBindGroup({ layout: k.layout, entries: [{ binding: 0, resource: { buffer: this.scaleBuffer, offset: this.scaleOffset, size: 4 * WORDS } }] }));
    pass.dispatchWorkgroups(1);
    pass.end();
    device.queue.submit([encoder.finish()]);
    this.#stepped.clear();
  }

  /** GradScaler's stateDict() (torch's keys camelCased), read back after everything queued; empty when disabled. */
  async stateDictAsync(): Promise<GradScalerState | Record<string, never>> {
    if (!this.enabled) return {};
    const { scale, tracker } = await this.#read();
    return { scale, growthFactor: this.growthFactor, backoffFactor: this.backoffFactor, growthInterval: this.growthInterval, growthTracker: tracker };
  }

  /**
   * Restores a state dict of a GradScaler or a GpuGradScaler (queued): every key checked first, by GradScaler's
   * rules and for f32 factors; a dict that does not fit throws and changes nothing.
   */
  loadStateDict(dict: GradScalerState): void {
    if (!this.enabled) return;
    const o = new GradScaler();
    o.loadStateDict(dict);
    checkDevice("GpuGradScaler.loadStateDict", o, o.getScale());
    this.#options = o;
    this.#write(o.getScale(), o.growthTracker);
  }
}
