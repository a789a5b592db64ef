// gradstep/tfjs: gradstep's optimizers as TensorFlow.js optimizers. `train` has tf.train's factory names and
// positional signatures and runs gradstep's kernels with flavor "tfjs" (tfjs's formulas, defaults and epsilon);
// `fromGradstep(Class, options)` wraps any gradstep optimizer (AdamW, Lion, schedules, clipping...). Each is a
// real `tf.Optimizer` subclass registered with tf.serialization, so it works in model.compile/fit,
// minimize(f, returnCost, varList), applyGradients, getWeights/setWeights (tfjs's weight format) and
// getConfig/fromConfig.
//
// Value movement (the only copies): each step copies every gradient into the store (from `dataSync`, which is
// the cpu backend's own array and a download from webgl; on wasm straight from a view of tfjs's heap) and writes
// every new value back as a fresh tensor assigned to the variable (one copy out: the cpu backend keeps the
// array it is given, so it gets a copy; the wasm backend copies into its heap at once, so it gets a view of
// gradstep's memory). Values are never written into a variable's existing memory: tfjs-backend-wasm keeps its
// XNNPACK matmul operators (with packed weights) per tensor id, so a matMul after an in-place write returns the
// old product (checked with 4.22). A variable's value is copied in only when its tensor is not the one this optimizer assigned
// last (the variable's dataId changed: model.setWeights, a load, another optimizer); optimizer state never
// leaves Wasm memory except in getWeights. This module is the only one importing @tensorflow/tfjs-core (an
// optional peer dependency); the main entry never does.
import * as tf from "@tensorflow/tfjs-core";

type NamedTensor = { name: string; tensor: tf.Tensor };
import { backendInfo } from "../../runtime/loader.js";
import { ParamStore, type Param } from "../../runtime/store.js";
import type { Optimizer as GradstepOptimizer, StateDict } from "../../core/optimizer.js";
import type { StateValue } from "../../core/state-dict.js";
import { STEP_OPTIMIZERS, type OptimizerClass, SGD, Adam, Adadelta, Adagrad, Adamax, RMSprop } from "../../optim/index.js";

export { init } from "../../index.js";

/** How one gradstep state buffer appears in tfjs's getWeights: `<variable name>/<suffix>`, in `order`. */
interface StateName {
  readonly buffer: string;
  readonly suffix: string;
  /** Whether tfjs lists it for these options (RMSProp's `mg` only when centered). */
  readonly listed?: (o: Record<string, unknown>) => boolean;
  /** Whether gradstep keeps it for these options (no momentum buffer when momentum is 0). */
  readonly kept?: (o: Record<string, unknown>) => boolean;
}

interface Entry {
  readonly name: string;
  variable: tf.Variable;
  readonly param: Param;
  readonly shape: readonly number[];
  /** The dataId this optimizer last assigned to the variable: while it is still there, param.value holds it. */
  dataId: object | null;
  cluster: Cluster | null;
}

/** A gradstep optimizer over the variables that are stepped together. */
interface Cluster {
  readonly names: readonly string[];
  readonly opt: GradstepOptimizer<object>;
}

/** State of one variable outside any gradstep optimizer (from setWeights, or moved between clusters). */
interface Pending {
  step: number;
  buffers: Record<string, Float32Array>;
}

function isVariable(v: unknown): v is tf.Variable {
  return v instanceof tf.Variable;
}

function fail(where: string, msg: string): never {
  throw new Error(`${where}: ${msg}`);
}

/**
 * The gradstep side of one tfjs optimizer: a store, one entry per tfjs variable (by name), and clusters —
 * gradstep optimizers over the sets of variables that tfjs steps together. model.fit steps all trainable
 * variables at once (one cluster, one kernel call per contiguous run); minimize with different varLists
 * splits clusters so that each call steps exactly its variables (state moves with them, exactly).
 */
class Bridge {
  #store: ParamStore | null = null;
  readonly entries = new Map<string, Entry>();
  readonly order: string[] = [];
  #clusters: Cluster[] = [];
  #pending = new Map<string, Pending>();
  #disposed = false;

  constructor(readonly where: string, readonly cls: OptimizerClass, readonly options: Record<string, unknown>,
      readonly hasStep: boolean) {}

  get disposed(): boolean { return this.#disposed; }

  assertUsable(): void {
    if (this.#disposed) fail(this.where, "this optimizer has been disposed");
  }

  /** Steps the variables of `pairs` (gradients already checked) and writes their new values. */
  step(pairs: readonly { name: string; variable: tf.Variable; grad: tf.Tensor }[]): void {
    this.assertUsable();
    this.#ensureStore();
    // Check everything before changing anything.
    for (const { name, variable, grad } of pairs) {
      const e = this.entries.get(name);
      if (e && !sameShape(e.shape, variable.shape)) {
        fail(this.where, `variable "${name}" has shape [${variable.shape.join(", ")}], but this optimizer holds state for shape [${e.shape.join(", ")}]`);
      }
      const p = this.#pending.get(name);
      if (!e && p) {
        const size = variable.size;
        for (const [b, data] of Object.entries(p.buffers)) {
          if (data.length !== size) fail(this.where, `the weights set for "${name}/${b}" hold ${data.length} values, the variable has ${size}`);
        }
      }
      if (!sameShape(grad.shape, variable.shape)) {
        fail(this.where, `the gradient of "${name}" has shape [${grad.shape.join(", ")}], the variable [${variable.shape.join(", ")}]`);
      }
    }
    for (const { name, variable } of pairs) {
      let e = this.entries.get(name);
      if (!e) {
        e = { name, variable, param: this.#store!.param(name, variable.size), shape: variable.shape.slice(), dataId: null, cluster: null };
        this.entries.set(name, e);
        this.order.push(name);
      } else if (e.variable !== variable) {
        e.variable = variable;
        e.dataId = null;
      }
    }
    const clusters = this.#clustersFor(pairs.map((p) => p.name));
    const heap = wasmHeap();
    for (const { name, variable, grad } of pairs) {
      const e = this.entries.get(name)!;
      if (variable.dataId !== e.dataId) e.param.value.set(readFloats(variable, heap));
      e.param.grad.set(readFloats(grad, heap));
    }
    for (const c of clusters) c.opt.step();
    for (const { name, variable } of pairs) {
      const e = this.entries.get(name)!;
      // tfjs-backend-wasm copies the array into its heap at once (no slice needed); the others keep it.
      const t = tf.tensor(heap ? e.param.value : e.param.value.slice(), e.shape as number[], "float32");
      variable.assign(t);
      t.dispose();
      e.dataId = variable.dataId;
    }
  }

  #ensureStore(): void {
    if (this.#store) return;
    try {
      backendInfo();
    } catch {
      fail(this.where, "gradstep is not initialized: call `await init()` (from \"gradstep/tfjs\" or \"gradstep\") once before training");
    }
    this.#store = new ParamStore();
  }

  /** The clusters whose union is exactly `names`, splitting and creating clusters as needed. */
  #clustersFor(names: readonly string[]): Cluster[] {
    const want = new Set(names);
    const out = new Set<Cluster>();
    const loose: string[] = [];
    for (const n of names) {
      const c = this.entries.get(n)!.cluster;
      if (c === null) loose.push(n);
      else if (!out.has(c) && c.names.every((x) => want.has(x))) out.add(c);
      else if (!out.has(c)) {
        // Split: the part stepped now and the rest, each its own optimizer, state moved exactly.
        this.#release(c);
        const inside = c.names.filter((x) => want.has(x)), outside = c.names.filter((x) => !want.has(x));
        out.add(this.#makeCluster(inside));
        this.#makeCluster(outside);
      }
    }
    if (loose.length > 0) out.add(this.#makeCluster(loose));
    return [...out];
  }

  /** Moves a cluster's state to pending and forgets the cluster. */
  #release(c: Cluster): void {
    const dict = c.opt.stateDict();
    c.names.forEach((n, i) => {
      const s = dict.state[i];
      if (s) this.#pending.set(n, fromEntry(s));
      this.entries.get(n)!.cluster = null;
    });
    this.#clusters = this.#clusters.filter((x) => x !== c);
    c.opt.dispose();
  }

  #makeCluster(names: readonly string[]): Cluster {
    const opt = new this.cls(names.map((n) => this.entries.get(n)!.param), this.options) as GradstepOptimizer<object>;
    const dict = opt.stateDict();
    let any = false;
    names.forEach((n, i) => {
      const p = this.#pending.get(n);
      if (!p) return;
      dict.state[i] = { ...p.buffers, ...(this.hasStep ? { step: p.step } : {}) };
      any = true;
    });
    if (any) opt.loadStateDict(dict);
    for (const n of names) this.#pending.delete(n);
    const c: Cluster = { names, opt };
    for (const n of names) this.entries.get(n)!.cluster = c;
    this.#clusters.push(c);
    return c;
  }

  /** Per variable (first-seen order): its steps and state buffers (copies). */
  state(): Map<string, Pending> {
    const out = new Map<string, Pending>();
    for (const c of this.#clusters) {
      const dict = c.opt.stateDict();
      c.names.forEach((n, i) => { const s = dict.state[i]; if (s) out.set(n, fromEntry(s)); });
    }
    for (const [n, p] of this.#pending) out.set(n, p);
    return out;
  }

  /** Replaces all state (already checked): every cluster is released and `state` becomes pending. */
  replaceState(state: Map<string, Pending>, order: readonly string[]): void {
    for (const c of [...this.#clusters]) this.#release(c);
    this.#pending = state;
    for (const n of order) if (!this.order.includes(n)) this.order.push(n);
  }

  /** The gradstep optimizers behind this one (one per set of variables stepped together). */
  get optimizers(): readonly GradstepOptimizer<object>[] {
    return this.#clusters.map((c) => c.opt);
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const c of this.#clusters) c.opt.dispose();
    this.#clusters = [];
    this.#pending.clear();
    this.#store?.dispose();
    this.#store = null;
  }
}

/** The parts of tfjs-backend-wasm's backend (4.x) read here: a view of a tensor's floats in its heap. */
interface WasmHeapBackend {
  refCount(dataId: object): number;
  typedArrayFromHeap(t: tf.Tensor): Float32Array;
}

/** The active backend when it is tfjs-backend-wasm (its tensors' floats can be viewed in its heap), else null. */
function wasmHeap(): WasmHeapBackend | null {
  if (tf.getBackend() !== "wasm") return null;
  const b = tf.backend() as unknown as Partial<WasmHeapBackend>;
  return typeof b.typedArrayFromHeap === "function" && typeof b.refCount === "function" ? b as WasmHeapBackend : null;
}

/**
 * A float32 tensor's values, to be copied at once: on wasm a view of tfjs's heap (one copy instead of
 * dataSync's slice and then ours), when the data lives in this backend (refCount > 0); else dataSync(), which on
 * tfjs-backend-cpu is the backend's own array (no copy) and elsewhere a download.
 */
function readFloats(t: tf.Tensor, heap: WasmHeapBackend | null): Float32Array {
  if (heap && heap.refCount(t.dataId) > 0) return heap.typedArrayFromHeap(t);
  return t.dataSync() as Float32Array;
}

function fromEntry(s: Record<string, StateValue>): Pending {
  const buffers: Record<string, Float32Array> = {};
  let step = 0;
  for (const [k, v] of Object.entries(s)) {
    if (k === "step") step = v as number;
    else buffers[k] = v as Float32Array;
  }
  return { step, buffers };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * A tfjs optimizer backed by gradstep. Subclasses fix the gradstep class, the options and the names of the
 * state in tfjs's getWeights format.
 */
export abstract class GradstepTfjsOptimizer extends tf.Optimizer {
  readonly #bridge: Bridge;
  readonly #names: readonly StateName[];
  #lastWeights: tf.Tensor[] = [];

  /**
   * `instanceof` by prototype chain. tf.Optimizer defines a static Symbol.hasInstance that accepts any object
   * with minimize/computeGradients/applyGradients (for copies of tfjs-core), and subclasses inherit it, which
   * would make every tfjs optimizer an instance of this class.
   */
  static [Symbol.hasInstance](x: unknown): boolean {
    return Function.prototype[Symbol.hasInstance].call(this, x);
  }

  protected constructor(cls: OptimizerClass, options: Record<string, unknown>, names: readonly StateName[]) {
    super();
    const where = (this.constructor as unknown as { className: string }).className;
    const entry = STEP_OPTIMIZERS.find((e) => e.cls === cls);
    if (!entry) throw new TypeError(`${where}: ${String((cls as { name?: string })?.name ?? cls)} is not a gradstep optimizer class`);
    probe(cls, options);
    this.#bridge = new Bridge(where, cls, options, entry.spec.hasStep as boolean);
    this.#names = names;
  }

  /** The gradstep options every step runs with (flavor "tfjs" for the `train` factories). */
  get gradstepOptions(): Readonly<Record<string, unknown>> {
    return this.#bridge.options;
  }

  /** The gradstep optimizers behind this one (one per set of variables stepped together; empty before a step). */
  get gradstepOptimizers(): readonly GradstepOptimizer<object>[] {
    return this.#bridge.optimizers;
  }

  /** tfjs's minimize, refused before the gradients are computed when this optimizer is disposed. */
  override minimize(f: () => tf.Scalar, returnCost = false, varList?: tf.Variable[]): tf.Scalar | null {
    this.#bridge.assertUsable();
    return super.minimize(f, returnCost, varList);
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[]): void {
    const where = this.#bridge.where;
    this.#bridge.assertUsable();
    if (variableGradients === null || typeof variableGradients !== "object") {
      fail(where, "applyGradients expects a map { variableName: gradient } or an array of { name, tensor }");
    }
    const list = Array.isArray(variableGradients)
      ? variableGradients.map((x) => [x?.name, x?.tensor] as const)
      : Object.entries(variableGradients);
    const registered = tf.engine().registeredVariables;
    const pairs: { name: string; variable: tf.Variable; grad: tf.Tensor }[] = [];
    const seen = new Set<string>();
    for (const [name, grad] of list) {
      if (grad == null) continue; // tfjs skips variables without a gradient
      if (typeof name !== "string") fail(where, `a gradient has no variable name (got ${String(name)})`);
      const variable = registered[name];
      if (!isVariable(variable)) fail(where, `"${name}" is not a tfjs variable (tf.variable) registered with the engine`);
      if (!(grad instanceof tf.Tensor)) fail(where, `the gradient of "${name}" is not a tf.Tensor`);
      if (grad.isDisposed) fail(where, `the gradient of "${name}" has been disposed`);
      if (variable.dtype !== "float32" || grad.dtype !== "float32") fail(where, `"${name}" must be float32 (variable ${variable.dtype}, gradient ${grad.dtype})`);
      if (seen.has(name)) fail(where, `"${name}" appears twice`);
      seen.add(name);
      pairs.push({ name, variable, grad });
    }
    if (pairs.length > 0) this.#bridge.step(pairs);
    this.incrementIterations();
  }

  /** tfjs's format: `iter` (int32 scalar), then each state in order for every variable (first-seen order). */
  override async getWeights(): Promise<NamedTensor[]> {
    this.#bridge.assertUsable();
    // The tensors returned by the previous call are released here (tfjs's own getWeights creates a new `iter`
    // tensor per call that nobody disposes; repeated saves must not grow tf.memory()).
    tf.dispose(this.#lastWeights);
    const state = this.#bridge.state();
    const out: NamedTensor[] = [{ name: "iter", tensor: tf.scalar(this.iterations, "int32") }];
    for (const s of this.#names) {
      if (s.listed && !s.listed(this.#bridge.options)) continue;
      for (const n of this.#bridge.order) {
        const e = this.#bridge.entries.get(n)!;
        const data = state.get(n)?.buffers[s.buffer] ?? new Float32Array(e.param.length);
        out.push({ name: `${n}/${s.suffix}`, tensor: tf.tensor(data, e.shape as number[], "float32") });
      }
    }
    this.#lastWeights = out.map((w) => w.tensor);
    return out;
  }

  /** Restores weights in tfjs's format (from getWeights, tfjs's own optimizer or a saved model); checked first. */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const where = `${this.#bridge.where}.setWeights`;
    this.#bridge.assertUsable();
    if (!Array.isArray(weightValues) || weightValues.length === 0) fail(where, "expected an array of { name, tensor } starting with iter");
    for (const w of weightValues) {
      if (w === null || typeof w !== "object" || typeof w.name !== "string" || !(w.tensor instanceof tf.Tensor) || w.tensor.isDisposed) {
        fail(where, "every weight must be { name: string, tensor: tf.Tensor } (not disposed)");
      }
    }
    const [iterW, ...rest] = weightValues;
    if (iterW!.name !== "iter" || iterW!.tensor.size !== 1) fail(where, `the first weight must be the scalar "iter", got "${iterW!.name}"`);
    const iter = (await iterW!.tensor.data())[0]!;
    if (!Number.isSafeInteger(iter) || iter < 0) fail(where, `invalid iter ${iter} (expected an integer >= 0)`);
    const listed = this.#names.filter((s) => !s.listed || s.listed(this.#bridge.options));
    if (listed.length === 0) {
      if (rest.length !== 0) fail(where, `${this.#bridge.where} has no state but ${rest.length} weights were given after iter`);
    } else if (rest.length % listed.length !== 0) {
      fail(where, `expected ${listed.map((s) => `"<variable>/${s.suffix}"`).join(", then ")} for every variable, got ${rest.length} weights after iter`);
    }
    const count = listed.length === 0 ? 0 : rest.length / listed.length;
    const order: string[] = [];
    const state = new Map<string, Pending>();
    for (let k = 0; k < listed.length; k++) {
      const s = listed[k]!;
      for (let i = 0; i < count; i++) {
        const w = rest[k * count + i]!;
        const cut = w.name.lastIndexOf("/");
        const name = w.name.slice(0, cut), suffix = w.name.slice(cut + 1);
        if (cut <= 0 || suffix !== s.suffix) fail(where, `weight ${k * count + i + 1} is "${w.name}", expected "<variable>/${s.suffix}"`);
        if (k === 0) order.push(name);
        else if (order[i] !== name) fail(where, `weight "${w.name}" is out of order (expected "${order[i]}/${s.suffix}")`);
        const known = this.#bridge.entries.get(name);
        if (known && !sameShape(known.shape, w.tensor.shape)) {
          fail(where, `"${w.name}" has shape [${w.tensor.shape.join(", ")}], the variable "${name}" has [${known.shape.join(", ")}]`);
        }
        if (w.tensor.dtype !== "float32") fail(where, `"${w.name}" must be float32, got ${w.tensor.dtype}`);
      }
    }
    if (new Set(order).size !== order.length) fail(where, "a variable appears twice");
    // Read everything, then apply (nothing can fail after this point).
    for (let i = 0; i < count; i++) state.set(order[i]!, { step: iter, buffers: {} });
    for (let k = 0; k < listed.length; k++) {
      const s = listed[k]!;
      if (s.kept && !s.kept(this.#bridge.options)) continue;
      for (let i = 0; i < count; i++) {
        state.get(order[i]!)!.buffers[s.buffer] = Float32Array.from(await rest[k * count + i]!.tensor.data() as Float32Array);
      }
    }
    if (this.#bridge.disposed) fail(where, "this optimizer was disposed while the weights were read");
    this.#bridge.replaceState(state, order);
    this.iterations_ = iter;
  }

  override dispose(): void {
    tf.dispose(this.#lastWeights);
    this.#lastWeights = [];
    this.#bridge.dispose();
  }
}

/** Checks options at construction when gradstep is initialized (a throwaway optimizer over one foreign param). */
function probe(cls: OptimizerClass, options: Record<string, unknown>): void {
  try {
    backendInfo();
  } catch {
    return; // checked at the first step instead, where init() is required anyway
  }
  const one = { value: new Float32Array(1), grad: new Float32Array(1) };
  new cls([one], { ...options, backend: "js" }).dispose();
}

// ---- tf.train's factories, with tfjs's formulas (flavor "tfjs"), defaults and state names -----------------------

const eps = (e: number | null | undefined): number => e ?? tf.backend().epsilon();

/** tf.train.sgd(learningRate): θ ← θ − lr·g. */
export class SGDOptimizer extends GradstepTfjsOptimizer {
  static get className(): string { return "SGD"; }
  constructor(readonly learningRate: number) {
    super(SGD, { lr: learningRate, flavor: "tfjs" }, []);
  }
  override getConfig(): tf.serialization.ConfigDict { return { learningRate: this.learningRate }; }
  static override fromConfig<T extends tf.serialization.Serializable>(cls: tf.serialization.SerializableConstructor<T>, c: tf.serialization.ConfigDict): T {
    return new cls(c.learningRate);
  }
}

/** tf.train.momentum(learningRate, momentum, useNesterov = false). */
export class MomentumOptimizer extends GradstepTfjsOptimizer {
  static get className(): string { return "Momentum"; }
  constructor(readonly learningRate: number, readonly momentum: number, readonly useNesterov = false) {
    // Nesterov with momentum 0 is plain SGD in tfjs (g + 0·a); gradstep rejects that combination, so it is dropped.
    super(SGD, { lr: learningRate, momentum, nesterov: useNesterov && momentum > 0, flavor: "tfjs" },
      [{ buffer: "momentum_buffer", suffix: "momentum", kept: (o) => o.momentum !== 0 }]);
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, momentum: this.momentum, useNesterov: this.useNesterov };
  }
  static override fromConfig<T extends tf.serialization.Serializable>(cls: tf.serialization.SerializableConstructor<T>, c: tf.serialization.ConfigDict): T {
    return new cls(c.learningRate, c.momentum, c.useNesterov);
  }
}

/** tf.train.adam(learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon = backend epsilon). */
export class AdamOptimizer extends GradstepTfjsOptimizer {
  static get className(): string { return "Adam"; }
  readonly epsilon: number;
  constructor(readonly learningRate = 0.001, readonly beta1 = 0.9, readonly beta2 = 0.999, epsilon: number | null = null) {
    const e = eps(epsilon);
    super(Adam, { lr: learningRate, betas: [beta1, beta2], eps: e, flavor: "tfjs" },
      [{ buffer: "exp_avg", suffix: "m" }, { buffer: "exp_avg_sq", suffix: "v" }]);
    this.epsilon = e;
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
  static override fromConfig<T extends tf.serialization.Serializable>(cls: tf.serialization.SerializableConstructor<T>, c: tf.serialization.ConfigDict): T {
    return new cls(c.learningRate, c.beta1, c.beta2, c.epsilon);
  }
}

/** tf.train.adagrad(learningRate, initialAccumulatorValue = 0.1); ε is the backend's epsilon, inside the sqrt. */
export class AdagradOptimizer extends GradstepTfjsOptimizer {
  static get className(): string { return "Adagrad"; }
  constructor(readonly learningRate: number, readonly initialAccumulatorValue = 0.1) {
    super(Adagrad, { lr: learningRate, initialAccumulatorValue, eps: eps(null), flavor: "tfjs" },
      [{ buffer: "sum", suffix: "accumulator" }]);
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, initialAccumulatorValue: this.initialAccumulatorValue };
  }
  static override fromConfig<T extends tf.serialization.Serializable>(cls: tf.serialization.SerializableConstructor<T>, c: tf.serialization.ConfigDict): T {
    return new cls(c.learningRate, c.initialAccumulatorValue);
  }
}

/**
 * tf.train.adadelta(learningRate = 0.001, rho = 0.95, epsilon = backend epsilon): tfjs's accumulator order (the update uses the
 * accumulators from before the step). State in tfjs's order: every `<var>/accum_grad`, then every `<var>/accum_var`.
 */
export class AdadeltaOptimizer extends GradstepTfjsOptimizer {
  static get className(): string { return "Adadelta"; }
  readonly epsilon: number;
  constructor(readonly learningRate = 0.001, readonly rho = 0.95, epsilon: number | null = null) {
    const e = eps(epsilon);
    super(Adadelta, { lr: learningRate, rho, eps: e, flavor: "tfjs" },
      [{ buffer: "square_avg", suffix: "accum_grad" }, { buffer: "acc_delta", suffix: "accum_var" }]);
    this.epsilon = e;
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, rho: this.rho, epsilon: this.epsilon };
  }
  static override fromConfig<T extends tf.serialization.Serializable>(cls: tf.serialization.SerializableConstructor<T>, c: tf.serialization.ConfigDict): T {
    return new cls(c.learningRate, c.rho, c.epsilon);
  }
}

/** tf.train.rmsprop(learningRate, decay = 0.9, momentum = 0, epsilon = backend epsilon, centered = false). */
export class RMSPropOptimizer extends GradstepTfjsOptimizer {
  static get className(): string { return "RMSProp"; }
  readonly epsilon: number;
  constructor(readonly learningRate: number, readonly decay = 0.9, readonly momentum = 0, epsilon: number | null = null,
      readonly centered = false) {
    const e = eps(epsilon);
    super(RMSprop, { lr: learningRate, alpha: decay, momentum, eps: e, centered, flavor: "tfjs" }, [
      { buffer: "square_avg", suffix: "rms" },
      { buffer: "momentum_buffer", suffix: "momentum", kept: (o) => o.momentum !== 0 },
      { buffer: "grad_avg", suffix: "mg", listed: (o) => o.centered === true },
    ]);
    this.epsilon = e;
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, decay: this.decay, momentum: this.momentum, epsilon: this.epsilon, centered: this.centered };
  }
  static override fromConfig<T extends tf.serialization.Serializable>(cls: tf.serialization.SerializableConstructor<T>, c: tf.serialization.ConfigDict): T {
    return new cls(c.learningRate, c.decay, c.momentum, c.epsilon, c.centered);
  }
}

/**
 * tf.train.adamax(learningRate = 0.002, beta1 = 0.9, beta2 = 0.999, epsilon = backend epsilon, decay = 0).
 * tfjs's own Adamax cannot save its state (getWeights throws); this one saves `<var>/m`, `<var>/v`.
 */
export class AdamaxOptimizer extends GradstepTfjsOptimizer {
  static get className(): string { return "Adamax"; }
  readonly epsilon: number;
  constructor(readonly learningRate = 0.002, readonly beta1 = 0.9, readonly beta2 = 0.999, epsilon: number | null = null,
      readonly decay = 0) {
    const e = eps(epsilon);
    super(Adamax, { lr: learningRate, betas: [beta1, beta2], eps: e, lrDecay: decay, flavor: "tfjs" },
      [{ buffer: "exp_avg", suffix: "m" }, { buffer: "exp_inf", suffix: "v" }]);
    this.epsilon = e;
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, decay: this.decay };
  }
  static override fromConfig<T extends tf.serialization.Serializable>(cls: tf.serialization.SerializableConstructor<T>, c: tf.serialization.ConfigDict): T {
    return new cls(c.learningRate, c.beta1, c.beta2, c.epsilon, c.decay);
  }
}

for (const cls of [SGDOptimizer, MomentumOptimizer, AdamOptimizer, AdagradOptimizer, AdadeltaOptimizer, RMSPropOptimizer,
  AdamaxOptimizer]) {
  tf.serialization.registerClass(cls as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);
}

/**
 * tf.train's factories, same names and positional signatures, backed by gradstep with flavor "tfjs": the
 * numbers of tfjs's own optimizers (tfjs-backend-cpu: bit for bit in our tests), state in tfjs's format.
 *
 * @example
 * import { init, train } from "gradstep/tfjs";
 * await init();
 * model.compile({ optimizer: train.adam(1e-3), loss: "categoricalCrossentropy" });   // was tf.train.adam(1e-3)
 */
export const train = {
  sgd: (learningRate: number) => new SGDOptimizer(learningRate),
  momentum: (learningRate: number, momentum: number, useNesterov = false) => new MomentumOptimizer(learningRate, momentum, useNesterov),
  adam: (learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon: number | null = null) => new AdamOptimizer(learningRate, beta1, beta2, epsilon),
  adagrad: (learningRate: number, initialAccumulatorValue = 0.1) => new AdagradOptimizer(learningRate, initialAccumulatorValue),
  adadelta: (learningRate = 0.001, rho = 0.95, epsilon: number | null = null) => new AdadeltaOptimizer(learningRate, rho, epsilon),
  rmsprop: (learningRate: number, decay = 0.9, momentum = 0, epsilon: number | null = null, centered = false) =>
    new RMSPropOptimizer(learningRate, decay, momentum, epsilon, centered),
  adamax: (learningRate = 0.002, beta1 = 0.9, beta2 = 0.999, epsilon: number | null = null, decay = 0) =>
    new AdamaxOptimizer(learningRate, beta1, beta2, epsilon, decay),
};

// ---- any gradstep optimizer ----------------------------------------------------------------------------------

const wrapped = new Map<OptimizerClass, new (options?: Record<string, unknown>) => GradstepTfjsOptimizer>();

/**
 * Any gradstep optimizer (AdamW, Lion, LAMB, ... with maxGradNorm, skipNonFinite) as a tfjs optimizer, with
 * gradstep's own semantics. getWeights names state `<variable>/<gradstep state name>` (`w/exp_avg`); the
 * class is registered as `gradstep.<Name>` (tfjs has no such optimizer, so a saved model names it apart).
 *
 * @example
 * const opt = fromGradstep(AdamW, { lr: 3e-4, weightDecay: 0.1, maxGradNorm: 1 });
 * model.compile({ optimizer: opt, loss: "meanSquaredError" });
 */
export function fromGradstep(cls: OptimizerClass, options: Record<string, unknown> = {}): GradstepTfjsOptimizer {
  let Wrapped = wrapped.get(cls);
  if (!Wrapped) {
    const entry = STEP_OPTIMIZERS.find((e) => e.cls === cls);
    if (!entry) throw new TypeError(`fromGradstep: ${String((cls as { name?: string })?.name ?? cls)} is not a gradstep optimizer class`);
    const name = `gradstep.${entry.spec.name as string}`;
    const names: StateName[] = (entry.spec.buffers as readonly { name: string }[]).map((b) => ({ buffer: b.name, suffix: b.name }));
    const C = class extends GradstepTfjsOptimizer {
      static get className(): string { return name; }
      constructor(o: Record<string, unknown> = {}) {
        if (o === null || typeof o !== "object" || Array.isArray(o)) throw new TypeError(`${name}: options must be an object`);
        super(cls, structuredClone(o), names);
      }
      override getConfig(): tf.serialization.ConfigDict {
        return structuredClone(this.gradstepOptions) as tf.serialization.ConfigDict;
      }
      static override fromConfig<T extends tf.serialization.Serializable>(c: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict): T {
        return new c(config);
      }
    };
    tf.serialization.registerClass(C as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);
    wrapped.set(cls, C);
    Wrapped = C;
  }
  return new Wrapped(options);
}

export type { StateDict };
