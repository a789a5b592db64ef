// gradstep/tfjs on @tensorflow/tfjs-backend-webgpu: the variables' values and grads never leave the GPU. The
// GPU bridge keeps one GPU param store on tfjs's own GPUDevice, one param per variable, and one gradstep
// optimizer over them (stepped with one dispatch per contiguous run). Each step, on the GPU, in queue order:
//   1. tfjs's pending kernels (the grads) are submitted (backend.submitQueue());
//   2. one command buffer copies each grad tensor's GPUBuffer into the store's grad buffer, and a variable's
//      value into the store when the variable's tensor is not the one this bridge wrote last (a load, an
//      assign: the dataId changed);
//   3. the gradstep optimizer steps the store;
//   4. one command buffer copies each new value into the variable's own GPUBuffer, in place (no new tensor,
//      so tf.memory() stays flat), and tfjs's CPU copy of the variable, if it kept one, is dropped.
// tfjs binds every tensor as a whole buffer from offset 0, so a variable cannot live inside the store's
// packed buffer; the copies cost 16 bytes per float per step on top of the optimizer's own traffic.
// tfjs-backend-webgpu's internals read here (4.x): backend.device, tensorMap.get(dataId).resource (the
// tensor's GPUBuffer once uploadToGPU(dataId) ran) and .values (its CPU copy), refCount(dataId), and its own flush before a readback
// (ensureCommandEncoderReady, endComputePassEncoder, submitQueue: its open compute pass must be ended, or its
// next kernels would record into a finished encoder).
import * as tf from "@tensorflow/tfjs-core";
import { GpuParamStore, type GpuParam } from "../../webgpu/index.js";
import type { GPUBuffer, GPUDevice } from "../../webgpu/gpu.js";
import type { Optimizer as GradstepOptimizer } from "../../core/optimizer.js";
import type { OptimizerClass } from "../../optim/index.js";
import { fail, sameShape, type Pending, type StateArray, type StateName } from "./bridge.js";

/** The parts of tfjs-backend-webgpu's backend (4.x) used here. */
interface WebgpuBackend {
  device: GPUDevice;
  tensorMap: { get(dataId: object): { resource?: unknown; values?: unknown } | undefined };
  uploadToGPU(dataId: object): void;
  refCount(dataId: object): number;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

/** The active tfjs backend when it is tfjs-backend-webgpu, else null. */
export function webgpuBackend(): WebgpuBackend | null {
  if (tf.getBackend() !== "webgpu") return null;
  const b = tf.backend() as unknown as Partial<WebgpuBackend>;
  const methods = ["uploadToGPU", "refCount", "ensureCommandEncoderReady", "endComputePassEncoder", "submitQueue"] as const;
  return b.device && b.tensorMap && methods.every((m) => typeof b[m] === "function") ? b as WebgpuBackend : null;
}

/** The GPUBuffer holding a float32 tensor's values (uploaded first if tfjs still has them on the CPU). */
function bufferOf(b: WebgpuBackend, t: tf.Tensor): GPUBuffer {
  b.uploadToGPU(t.dataId);
  const r = b.tensorMap.get(t.dataId)?.resource as Partial<GPUBuffer> | undefined;
  if (typeof r?.mapAsync !== "function") throw new Error(`tfjs-backend-webgpu keeps tensor ${t.id} in ${r ? `a ${(r as object).constructor.name}` : "no resource"}, not a GPUBuffer`);
  return r as GPUBuffer;
}

/**
 * A GpuParamStore on tfjs's device, of `capacity` floats in one block, made synchronously: applyGradients is
 * synchronous, and GpuParamStore.create({ device }) waits for nothing but is async. Its constructor is private
 * to TypeScript only; docs/webgpu-apps.md asks the core for a synchronous factory.
 */
function storeOn(device: GPUDevice, capacity: number): GpuParamStore {
  return new (GpuParamStore as unknown as new (device: GPUDevice, ownsDevice: boolean, capacity: number) => GpuParamStore)(device, false, capacity);
}

interface GpuEntry {
  readonly name: string;
  variable: tf.Variable;
  readonly param: GpuParam;
  readonly shape: readonly number[];
  /** The dataId whose buffer this bridge wrote last: while the variable still has it, the store holds its value. */
  dataId: object | null;
}

/**
 * The gradstep side of one tfjs optimizer on tfjs-backend-webgpu. Every step steps the same variables (the
 * first step's: model.fit's trainable weights); a step over another set is refused with nothing changed.
 * State is read back asynchronously (getWeights), and loaded (setWeights) before or between steps.
 */
export class GpuBridge {
  #store: GpuParamStore | null = null;
  #opt: GradstepOptimizer<object> | null = null;
  readonly entries = new Map<string, GpuEntry>();
  #order: string[] = [];
  #pending = new Map<string, Pending>();
  #disposed = false;

  constructor(readonly where: string, readonly cls: OptimizerClass, readonly options: Record<string, unknown>,
      readonly hasStep: boolean, readonly names: readonly StateName[]) {}

  get order(): readonly string[] { return this.#order; }
  get optimizers(): readonly GradstepOptimizer<object>[] { return this.#opt ? [this.#opt] : []; }

  step(pairs: readonly { name: string; variable: tf.Variable; grad: tf.Tensor }[]): void {
    const b = webgpuBackend();
    if (!b) fail(this.where, `this optimizer stepped on tfjs-backend-webgpu and cannot step on "${tf.getBackend()}"`);
    if (this.#opt) {
      const unknown = pairs.filter((p) => !this.entries.has(p.name)).map((p) => `"${p.name}"`);
      if (unknown.length > 0 || pairs.length !== this.entries.size) {
        fail(this.where, `on webgpu every step steps the same variables (the first step's ${this.entries.size}); this one steps ${pairs.length}` +
          (unknown.length ? `, among them ${unknown.join(", ")}` : ""));
      }
    }
    for (const { name, variable, grad } of pairs) {
      const e = this.entries.get(name);
      if (e && !sameShape(e.shape, variable.shape)) {
        fail(this.where, `variable "${name}" has shape [${variable.shape.join(", ")}], but this optimizer holds state for shape [${e.shape.join(", ")}]`);
      }
      if (!sameShape(grad.shape, variable.shape)) fail(this.where, `the gradient of "${name}" has shape [${grad.shape.join(", ")}], the variable [${variable.shape.join(", ")}]`);
      const p = this.#pending.get(name);
      for (const s of this.names) {
        const got = p?.shapes?.[s.buffer];
        if (got && s.shape === undefined && !sameShape(got, variable.shape)) {
          fail(this.where, `the weights set for "${name}/${s.suffix}" have shape [${got.join(", ")}], the variable [${variable.shape.join(", ")}]`);
        }
      }
    }
    if (!this.#opt) this.#create(b, pairs);
    for (const { name, variable } of pairs) {
      const e = this.entries.get(name)!;
      if (e.variable !== variable) { e.variable = variable; e.dataId = null; }
      // The variable must own its buffer before it is written in place (tf.variable(x) shares x's).
      if (e.dataId !== variable.dataId && b.refCount(variable.dataId) > 1) {
        const own = tf.mul(variable, 1);
        variable.assign(own);
        own.dispose();
      }
    }
    // Every tensor on the GPU first: tfjs keeps small results on the CPU (its CPU forwarding) and uploads them
    // through copies recorded in its own encoder, which the flush below must submit before the bridge's copies.
    const buffers = pairs.map(({ variable, grad }) => ({ grad: bufferOf(b, grad), value: bufferOf(b, variable) }));
    b.ensureCommandEncoderReady();
    b.endComputePassEncoder();
    b.submitQueue();
    const device = b.device, into = device.createCommandEncoder();
    pairs.forEach(({ name, variable }, i) => {
      const e = this.entries.get(name)!, bytes = 4 * e.param.length;
      into.copyBufferToBuffer(buffers[i]!.grad, 0, e.param.gradBuffer, e.param.gradOffset, bytes);
      if (e.dataId !== variable.dataId) into.copyBufferToBuffer(buffers[i]!.value, 0, e.param.buffer, e.param.offset, bytes);
    });
    device.queue.submit([into.finish()]);
    this.#opt!.step();
    const back = device.createCommandEncoder();
    pairs.forEach(({ name, variable }, i) => {
      const e = this.entries.get(name)!;
      back.copyBufferToBuffer(e.param.buffer, e.param.offset, buffers[i]!.value, 0, 4 * e.param.length);
      // tfjs keeps a CPU copy of what was read back (and computes small ops from it): now stale.
      b.tensorMap.get(variable.dataId)!.values = null;
      e.dataId = variable.dataId;
    });
    device.queue.submit([back.finish()]);
  }

  #create(b: WebgpuBackend, pairs: readonly { name: string; variable: tf.Variable }[]): void {
    const store = storeOn(b.device, pairs.reduce((n, p) => n + p.variable.size, 0));
    for (const { name, variable } of pairs) {
      const shape = variable.shape.length > 0 ? variable.shape : [1];
      this.entries.set(name, { name, variable, param: store.param(name, variable.size, { shape }), shape: variable.shape.slice(), dataId: null });
    }
    const opt = new this.cls([...this.entries.values()].map((e) => e.param), this.options) as GradstepOptimizer<object>;
    if (this.#pending.size > 0) {
      // State set before the first step: this step cannot wait for a read-back, and the dict is only the frame
      // (options, ids) that the set state fills, so it is taken from zeroed host copies.
      store.openHost();
      let dict;
      try { dict = opt.stateDict(); } finally { store.closeHost(false); }
      [...this.entries.keys()].forEach((n, i) => {
        const p = this.#pending.get(n);
        if (!p) return;
        const buffers = Object.fromEntries(Object.entries(p.buffers).filter(([, v]) => v.length > 0));
        dict.state[i] = { ...buffers, ...(this.hasStep ? { step: p.step } : {}) };
      });
      opt.loadStateDict(dict);
    }
    this.#pending.clear();
    this.#store = store;
    this.#opt = opt;
    if (this.#order.length === 0) this.#order = [...this.entries.keys()];
  }

  /** Per variable: its steps and state buffers (read back from the GPU), or what setWeights gave before a step. */
  async state(): Promise<Map<string, Pending>> {
    if (!this.#opt) return new Map(this.#pending);
    const dict = await this.#opt.stateDictAsync();
    const out = new Map<string, Pending>();
    [...this.entries.keys()].forEach((n, i) => {
      const s = dict.state[i];
      if (!s) return;
      const buffers: Record<string, StateArray> = {};
      let step = 0;
      for (const [k, v] of Object.entries(s)) {
        if (k === "step") step = v as number;
        else buffers[k] = v as StateArray;
      }
      out.set(n, { step, buffers });
    });
    return out;
  }

  /**
   * Replaces all state (already checked): kept until the first step (synchronously, before any await), or
   * loaded into the GPU optimizer.
   */
  async replaceState(state: Map<string, Pending>, order: readonly string[]): Promise<void> {
    if (!this.#opt) { this.#order = order.slice(); this.#pending = new Map(state); return; }
    const missing = [...this.entries.keys()].filter((n) => !state.has(n));
    if (missing.length > 0) fail(this.where, `on webgpu, setWeights after a step must give the state of every stepped variable; missing ${missing.map((n) => `"${n}"`).join(", ")}`);
    const dict = await this.#opt.stateDictAsync();
    this.#order = order.slice();
    [...this.entries.keys()].forEach((n, i) => {
      const p = state.get(n)!;
      const buffers = Object.fromEntries(Object.entries(p.buffers).filter(([, v]) => v.length > 0));
      dict.state[i] = { ...buffers, ...(this.hasStep ? { step: p.step } : {}) };
    });
    this.#opt.loadStateDict(dict);
  }

  get disposed(): boolean { return this.#disposed; }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#opt?.dispose();
    this.#store?.dispose();
    this.#opt = null;
    this.#store = null;
  }
}
