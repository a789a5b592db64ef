// gradstep/tfjs on @tensorflow/tfjs-backend-webgpu: the variables' values and grads never leave the GPU, and
// nothing is copied. The GPU bridge keeps one GPU param store on tfjs's own GPUDevice with one external param
// per variable (store.external: its values are the variable's own GPUBuffer, its grads the grad tensor's), and
// one gradstep optimizer over them (one dispatch per variable; the state in the store). Each step:
//   1. every variable owns its buffer (tf.variable(x) shares x's: the variable gets a copy first) and every
//      tensor is on the GPU (tfjs keeps small results on the CPU);
//   2. tfjs's pending kernels (the grads, and those uploads) are submitted (backend.submitQueue());
//   3. each param is bound to its variable's buffer (a new one after an assign or a load) and its grad
//      tensor's (a new one every step: bind groups cached per buffer pair, src/webgpu/backend.ts);
//   4. the gradstep optimizer steps the variables' buffers in place (no new tensor: tf.memory() stays flat), and
//      tfjs's CPU copy of each variable, if it kept one, is dropped.
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
  /** The dataId whose buffer this bridge stepped last. */
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
    for (const { name, variable } of pairs) {
      const e = this.entries.get(name);
      if (e && e.variable !== variable) { e.variable = variable; e.dataId = null; }
      // The variable must own its buffer before it is written in place, at every step: tf.variable(x) shares
      // x's, tf.clone(v) shares v's (and must keep v's value, as it does under tf.train, whose assign gives v a
      // new buffer), and a grad that is the variable's own tensor shares it too (one buffer bound twice).
      if (b.refCount(variable.dataId) > 1) {
        const own = tf.mul(variable, 1);
        variable.assign(own);
        own.dispose();
      }
    }
    // Every tensor on the GPU first: tfjs keeps small results on the CPU (its CPU forwarding) and uploads them
    // through copies recorded in its own encoder, which the flush below must submit before the step.
    const buffers = pairs.map(({ variable, grad }) => ({ gradBuffer: bufferOf(b, grad), buffer: bufferOf(b, variable) }));
    b.ensureCommandEncoderReady();
    b.endComputePassEncoder();
    b.submitQueue();
    if (!this.#opt) this.#create(b, pairs, buffers);
    else pairs.forEach(({ name }, i) => this.entries.get(name)!.param.bind(buffers[i]!));
    this.#opt!.step();
    for (const { name, variable } of pairs) {
      // tfjs keeps a CPU copy of what was read back (and computes small ops from it): now stale.
      b.tensorMap.get(variable.dataId)!.values = null;
      this.entries.get(name)!.dataId = variable.dataId;
    }
  }

  #create(b: WebgpuBackend, pairs: readonly { name: string; variable: tf.Variable }[], buffers: readonly { buffer: GPUBuffer; gradBuffer: GPUBuffer }[]): void {
    const store = storeOn(b.device, 0);
    pairs.forEach(({ name, variable }, i) => {
      const shape = variable.shape.length > 0 ? variable.shape : [1];
      this.entries.set(name, { name, variable, param: store.external(name, { ...buffers[i]!, shape }), shape: variable.shape.slice(), dataId: null });
    });
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
