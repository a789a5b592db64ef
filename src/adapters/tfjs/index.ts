// gradstep/tfjs: gradstep's optimizers as TensorFlow.js optimizers. `train` has tf.train's factory names and
// positional signatures and runs gradstep's kernels with flavor "tfjs" (tfjs's formulas, defaults and epsilon);
// `fromGradstep(Class, options)` wraps any gradstep optimizer (AdamW, Lion, schedules, clipping...). Each is a
// real `tf.Optimizer` subclass registered with tf.serialization when this module is imported (every
// `gradstep.<Name>` too: tf.loadLayersModel, and engines that ship a model with its optimizer config, find them),
// so it works in model.compile/fit, minimize(f, returnCost, varList), applyGradients, getWeights/setWeights
// (tfjs's weight format), getConfig/fromConfig and model.save({ includeOptimizer: true }) / tf.loadLayersModel.
// Registering at import is this module's side effect: package.json lists its files under `sideEffects`.
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
import type { OptimizerSpec } from "../../core/spec.js";
import { Q8_BLOCK } from "../../core/lowp.js";
import { CLOSURE_OPTIMIZERS, STEP_OPTIMIZERS, type OptimizerClass, type StepEntry, SGD, Adam, Adadelta, Adagrad, Adamax, RMSprop } from "../../optim/index.js";

export { init } from "../../index.js";

/** A saved state buffer: f32 values, or the bf16 bits / int8 codes of low-precision state. */
type StateArray = Float32Array | Uint16Array | Uint8Array;

/** How one gradstep state buffer appears in tfjs's getWeights: `<variable name>/<suffix>`, in `order`. */
interface StateName {
  readonly buffer: string;
  readonly suffix: string;
  /** Whether tfjs lists it for these options (RMSProp's `mg` only when centered). */
  readonly listed?: (o: Record<string, unknown>) => boolean;
  /** Whether gradstep keeps it for these options (no momentum buffer when momentum is 0). */
  readonly kept?: (o: Record<string, unknown>) => boolean;
  /** The tensor's shape for a variable of this shape; default: the variable's (Adafactor's factors: flat). */
  readonly shape?: (variable: readonly number[]) => number[];
  /** Low-precision state travels as an int32 tensor of its codes (bf16 bits, int8 codes), exactly. */
  readonly codes?: Uint16ArrayConstructor | Uint8ArrayConstructor;
  /** The variable's own step count (an int32 scalar), not a buffer. */
  readonly step?: true;
}

const tensorShape = (s: StateName, variable: readonly number[]): number[] => s.shape?.(variable) ?? variable.slice();
const sizeOf = (shape: readonly number[]): number => shape.reduce((a, d) => a * d, 1);

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
  buffers: Record<string, StateArray>;
  /** The tensor shapes setWeights was given (by buffer), checked against the variable the state goes to. */
  shapes?: Record<string, number[]>;
}

function isVariable(v: unknown): v is tf.Variable {
  return v instanceof tf.Variable;
}

function fail(where: string, msg: string): never {
  throw new Error(`${where}: ${msg}`);
}

const list = (names: readonly string[]): string => names.map((n) => `"${n}"`).join(", ");

/**
 * The gradstep side of one tfjs optimizer: a store, one entry per tfjs variable (by name), and clusters —
 * gradstep optimizers over the sets of variables that tfjs steps together. model.fit steps all trainable
 * variables at once (one cluster, one kernel call per contiguous run); minimize with different varLists
 * splits clusters so that each call steps exactly its variables (state moves with them, exactly).
 *
 * State set by setWeights goes to variables by name or, as tfjs's own optimizers do, by position: tfjs keeps
 * its state in an array indexed by the variable's place in applyGradients' list and never reads the saved
 * names, so a model loaded while its original lives (tfjs-layers names the new variables `..._1`) resumes
 * with its state. Here: the first step after setWeights whose variables match none of the saved names takes
 * the saved state in saved order, when it steps exactly as many variables with the saved shapes; any other
 * step is refused with nothing changed.
 */
class Bridge {
  #store: ParamStore | null = null;
  readonly entries = new Map<string, Entry>();
  /** getWeights' variable order (first stepped first; setWeights' order after it), each name once. */
  #order: string[] = [];
  #ordered = new Set<string>();
  #clusters: Cluster[] = [];
  #pending = new Map<string, Pending>();
  /** Names whose state setWeights gave and no step has claimed yet, in saved order; `whole` until one is. */
  #restored: { names: string[]; whole: boolean } | null = null;
  #disposed = false;

  constructor(readonly where: string, readonly cls: OptimizerClass, readonly options: Record<string, unknown>,
      readonly hasStep: boolean, readonly names: readonly StateName[]) {}

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
      if (!sameShape(grad.shape, variable.shape)) {
        fail(this.where, `the gradient of "${name}" has shape [${grad.shape.join(", ")}], the variable [${variable.shape.join(", ")}]`);
      }
    }
    const positional = this.#positional(pairs);
    for (const [i, { name, variable }] of pairs.entries()) {
      const p = positional ? this.#pending.get(positional[i]!) : this.#pending.get(name);
      if (p?.shapes) this.#checkFits(p, positional ? `the state saved for "${positional[i]}"` : `the weights set for "${name}"`, name, variable.shape);
    }
    // Apply.
    if (positional) {
      const moved = new Map(positional.map((from, i) => [pairs[i]!.name, this.#pending.get(from)!]));
      for (const from of positional) this.#pending.delete(from);
      for (const [n, p] of moved) this.#pending.set(n, p);
      this.#setOrder(pairs.map((p) => p.name));
      this.#restored = null;
    } else if (this.#restored) {
      const claimed = new Set(pairs.map((p) => p.name));
      const left = this.#restored.names.filter((n) => !claimed.has(n));
      this.#restored = left.length === 0 ? null : { names: left, whole: left.length === this.#restored.names.length && this.#restored.whole };
    }
    for (const { name, variable } of pairs) {
      let e = this.entries.get(name);
      if (!e) {
        // The store needs a shape of at least one dimension (a tfjs scalar is a 1-element vector here).
        const shape = variable.shape.length > 0 ? variable.shape : [1];
        e = { name, variable, param: this.#store!.param(name, variable.size, { shape }), shape: variable.shape.slice(), dataId: null, cluster: null };
        this.entries.set(name, e);
      } else if (e.variable !== variable) {
        e.variable = variable;
        e.dataId = null;
      }
      if (!this.#ordered.has(name)) {
        this.#order.push(name);
        this.#ordered.add(name);
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

  /**
   * When this step is the first after setWeights and names none of the saved variables: the saved names in
   * order, to be given to `pairs` position by position (tfjs's own rule). Throws when that cannot fit.
   */
  #positional(pairs: readonly { name: string; variable: tf.Variable }[]): string[] | null {
    const r = this.#restored;
    if (!r || !r.whole || pairs.some((p) => r.names.includes(p.name))) return null;
    if (pairs.length !== r.names.length) {
      fail(this.where, `the state set by setWeights is for ${r.names.length} variables (${list(r.names)}); this step's ` +
        `${pairs.length} (${list(pairs.map((p) => p.name))}) match none of them by name, and tfjs's rule (by position) needs as many`);
    }
    return r.names.slice();
  }

  /** Throws unless every tensor setWeights gave for `p` has the shape this optimizer keeps for `shape`. */
  #checkFits(p: Pending, what: string, name: string, shape: readonly number[]): void {
    for (const s of this.names) {
      const got = p.shapes![s.buffer];
      if (got && !sameShape(got, tensorShape(s, shape))) {
        fail(this.where, `${what}/${s.suffix} has shape [${got.join(", ")}], but variable "${name}" of shape [${shape.join(", ")}] needs [${tensorShape(s, shape).join(", ")}]`);
      }
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
      // A buffer of no floats (Adafactor's factors of a vector) is not state gradstep keeps: not given back.
      const buffers = Object.fromEntries(Object.entries(p.buffers).filter(([, v]) => v.length > 0));
      dict.state[i] = { ...buffers, ...(this.hasStep ? { step: p.step } : {}) };
      any = true;
    });
    if (any) opt.loadStateDict(dict);
    for (const n of names) this.#pending.delete(n);
    const c: Cluster = { names, opt };
    for (const n of names) this.entries.get(n)!.cluster = c;
    this.#clusters.push(c);
    return c;
  }

  /** Per variable: its steps and state buffers (copies), and the shapes of those set and not yet stepped. */
  state(): Map<string, Pending> {
    const out = new Map<string, Pending>();
    for (const c of this.#clusters) {
      const dict = c.opt.stateDict();
      c.names.forEach((n, i) => { const s = dict.state[i]; if (s) out.set(n, fromEntry(s)); });
    }
    for (const [n, p] of this.#pending) out.set(n, p);
    return out;
  }

  /** Replaces all state (already checked): every cluster is released, `state` becomes all there is. */
  replaceState(state: Map<string, Pending>, order: readonly string[]): void {
    for (const c of [...this.#clusters]) this.#release(c);
    this.#pending = state;
    this.#setOrder(order);
    this.#restored = order.length > 0 ? { names: order.slice(), whole: true } : null;
  }

  get order(): readonly string[] {
    return this.#order;
  }

  #setOrder(names: readonly string[]): void {
    this.#order = names.slice();
    this.#ordered = new Set(names);
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
  const buffers: Record<string, StateArray> = {};
  let step = 0;
  for (const [k, v] of Object.entries(s)) {
    if (k === "step") step = v as number;
    else buffers[k] = v as StateArray;
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
    const entry = stepEntry(cls, where);
    probe(cls, options);
    const listed = names.filter((s) => !s.listed || s.listed(options));
    this.#bridge = new Bridge(where, cls, options, entry.spec.hasStep as boolean, listed);
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

  /**
   * tfjs's format: `iter` (int32 scalar), then each state in order for every variable (getWeights' order: first
   * stepped first, or the order setWeights was given). Low-precision state is an int32 tensor of its codes.
   */
  override async getWeights(): Promise<NamedTensor[]> {
    const b = this.#bridge;
    b.assertUsable();
    // The tensors returned by the previous call are released here (tfjs's own getWeights creates a new `iter`
    // tensor per call that nobody disposes; repeated saves must not grow tf.memory()).
    tf.dispose(this.#lastWeights);
    const state = b.state();
    const out: NamedTensor[] = [{ name: "iter", tensor: tf.scalar(this.iterations, "int32") }];
    for (const s of b.names) {
      for (const n of b.order) {
        const e = b.entries.get(n), p = state.get(n);
        // A variable whose state was set and not stepped since has the shapes it was set with.
        const shape = p?.shapes?.[s.buffer] ?? tensorShape(s, e!.shape);
        const data = p?.buffers[s.buffer];
        out.push({
          name: `${n}/${s.suffix}`,
          tensor: s.step ? tf.scalar(p?.step ?? 0, "int32")
            : s.codes ? tf.tensor(Int32Array.from(data ?? []), shape, "int32")
            : tf.tensor(data ?? new Float32Array(sizeOf(shape)), shape, "float32"),
        });
      }
    }
    this.#lastWeights = out.map((w) => w.tensor);
    return out;
  }

  /** Restores weights in tfjs's format (from getWeights, tfjs's own optimizer or a saved model); checked first. */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const b = this.#bridge;
    const where = `${b.where}.setWeights`;
    b.assertUsable();
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
    const listed = b.names;
    if (listed.length === 0) {
      if (rest.length !== 0) fail(where, `${b.where} has no state but ${rest.length} weights were given after iter`);
    } else if (rest.length % listed.length !== 0) {
      fail(where, `expected ${listed.map((s) => `"<variable>/${s.suffix}"`).join(", then ")} for every variable, got ${rest.length} weights after iter`);
    }
    const count = listed.length === 0 ? 0 : rest.length / listed.length;
    const order: string[] = [];
    for (let k = 0; k < listed.length; k++) {
      const s = listed[k]!;
      for (let i = 0; i < count; i++) {
        const w = rest[k * count + i]!;
        const cut = w.name.lastIndexOf("/");
        const name = w.name.slice(0, cut), suffix = w.name.slice(cut + 1);
        if (cut <= 0 || suffix !== s.suffix) fail(where, `weight ${k * count + i + 1} is "${w.name}", expected "<variable>/${s.suffix}"`);
        if (k === 0) order.push(name);
        else if (order[i] !== name) fail(where, `weight "${w.name}" is out of order (expected "${order[i]}/${s.suffix}")`);
        const known = b.entries.get(name);
        if (known && !sameShape(tensorShape(s, known.shape), w.tensor.shape)) {
          fail(where, `"${w.name}" has shape [${w.tensor.shape.join(", ")}], the variable "${name}" has [${known.shape.join(", ")}]`);
        }
        const dtype = s.codes || s.step ? "int32" : "float32";
        if (w.tensor.dtype !== dtype) fail(where, `"${w.name}" must be ${dtype}, got ${w.tensor.dtype}`);
      }
    }
    if (new Set(order).size !== order.length) fail(where, "a variable appears twice");
    // Read everything, then apply (nothing can fail after this point).
    const state = new Map<string, Pending>(order.map((n) => [n, { step: iter, buffers: {}, shapes: {} }]));
    for (let k = 0; k < listed.length; k++) {
      const s = listed[k]!;
      for (let i = 0; i < count; i++) {
        const w = rest[k * count + i]!, p = state.get(order[i]!)!;
        const data = await w.tensor.data();
        p.shapes![s.buffer] = w.tensor.shape.slice();
        if (s.step) p.step = toStep(data as Int32Array, w.name, where);
        else if (!s.kept || s.kept(b.options)) {
          p.buffers[s.buffer] = s.codes ? toCodes(data as Int32Array, s.codes, w.name, where) : Float32Array.from(data as Float32Array);
        }
      }
    }
    if (b.disposed) fail(where, "this optimizer was disposed while the weights were read");
    b.replaceState(state, order);
    this.iterations_ = iter;
  }

  override dispose(): void {
    tf.dispose(this.#lastWeights);
    this.#lastWeights = [];
    this.#bridge.dispose();
  }
}

/** A variable's step count from its int32 scalar. */
function toStep(data: Int32Array, name: string, where: string): number {
  if (data.length !== 1 || data[0]! < 0) fail(where, `"${name}" must be a scalar step count >= 0, got [${Array.from(data).join(", ")}]`);
  return data[0]!;
}

/** Low-precision state's codes from an int32 tensor's values, range-checked (bf16 bits: 16, int8 codes: 8). */
function toCodes(data: Int32Array, codes: Uint16ArrayConstructor | Uint8ArrayConstructor, name: string, where: string): StateArray {
  const max = codes === Uint16Array ? 0xffff : 0xff;
  const bad = data.findIndex((x) => x < 0 || x > max);
  if (bad >= 0) fail(where, `"${name}"[${bad}] is ${data[bad]}, not ${codes === Uint16Array ? "a bf16 bit pattern (0..65535)" : "an int8 state code (0..255)"}`);
  return codes.from(data);
}

/** The registry entry of a step-kind class, or a TypeError saying why `cls` cannot be a tfjs optimizer. */
function stepEntry(cls: OptimizerClass, where: string): StepEntry {
  const entry = STEP_OPTIMIZERS.find((e) => e.cls === cls);
  if (entry) return entry;
  const closure = CLOSURE_OPTIMIZERS.find((e) => e.cls === (cls as unknown));
  if (closure) {
    throw new TypeError(`${where}: ${closure.spec.name} steps with a closure (step(closure) re-evaluates the loss several times per step); ` +
      "a tfjs optimizer is given gradients once per step, so it cannot be wrapped");
  }
  throw new TypeError(`${where}: ${String((cls as { name?: string })?.name ?? cls)} is not a gradstep optimizer class`);
}

/**
 * Checks options at construction when gradstep is initialized: a throwaway optimizer over one 1×1 foreign param
 * (2-D, so that optimizers of matrices only, as Muon, accept it).
 */
function probe(cls: OptimizerClass, options: Record<string, unknown>): void {
  try {
    backendInfo();
  } catch {
    return; // checked at the first step instead, where init() is required anyway
  }
  const one = { value: new Float32Array(1), grad: new Float32Array(1), shape: [1, 1] };
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

/**
 * getWeights' names for a gradstep optimizer with these options: the buffers it keeps, under their state names
 * (`<variable>/exp_avg`), then each variable's `step` when it counts steps (tfjs's one `iter` is not it: a step
 * skipped by skipNonFinite, or a minimize whose varList left a variable out, does not count for it). A buffer
 * of its own length (Adafactor's factors) is flat; low-precision state is its codes (int32) and, for int8, the
 * block maxima `<buffer>_absmax` (float32, one per 256 values), as in its state dict.
 */
function stateNames(spec: OptimizerSpec<Record<string, unknown>>, options: Record<string, unknown>): StateName[] {
  const o = { ...spec.defaults, ...options };
  const dtype = o.stateDtype === "bf16" || o.stateDtype === "int8" ? o.stateDtype : "f32";
  const step: StateName[] = spec.hasStep ? [{ buffer: "step", suffix: "step", shape: () => [], step: true }] : [];
  return spec.buffers.filter((b) => b.needed(o)).flatMap((b): StateName[] => {
    const length = b.length ? (s: readonly number[]) => b.length!(s) : sizeOf;
    const flat = b.length ? (s: readonly number[]) => [length(s)] : undefined;
    if (dtype === "f32") return [{ buffer: b.name, suffix: b.name, shape: flat }];
    if (dtype === "bf16") return [{ buffer: b.name, suffix: b.name, shape: flat, codes: Uint16Array }];
    return [
      { buffer: b.name, suffix: b.name, shape: flat, codes: Uint8Array },
      { buffer: `${b.name}_absmax`, suffix: `${b.name}_absmax`, shape: (s) => [Math.ceil(length(s) / Q8_BLOCK)] },
    ];
  }).concat(step);
}

/**
 * A config as tfjs-layers gives it back from a saved model: it adds `customObjects`, and camel-cases every
 * string on load (`"match_rms_adamw"` arrives as `"matchRmsAdamw"`). A string the option's rule refuses is
 * restored to snake_case when the rule accepts that.
 */
function fromLayersConfig(spec: OptimizerSpec<Record<string, unknown>>, config: Record<string, unknown>): Record<string, unknown> {
  const { customObjects: _, ...o } = config;
  for (const [k, v] of Object.entries(o)) {
    const rule = Object.hasOwn(spec.rules, k) ? spec.rules[k] : undefined;
    if (typeof v !== "string" || !rule || accepts(rule, v, k)) continue;
    const snake = v.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    if (accepts(rule, snake, k)) o[k] = snake;
  }
  return o;
}

function accepts(rule: (v: unknown, key: string) => void, v: unknown, key: string): boolean {
  try {
    rule(v, key);
    return true;
  } catch {
    return false;
  }
}

type Wrapped = new (options?: Record<string, unknown>) => GradstepTfjsOptimizer;

/** The tfjs class of one registry entry, `gradstep.<Name>`. */
function wrap(entry: StepEntry): Wrapped {
  const spec = entry.spec as OptimizerSpec<Record<string, unknown>>;
  const name = `gradstep.${spec.name}`;
  return class extends GradstepTfjsOptimizer {
    static get className(): string { return name; }
    constructor(o: Record<string, unknown> = {}) {
      if (o === null || typeof o !== "object" || Array.isArray(o)) throw new TypeError(`${name}: options must be an object`);
      const options = structuredClone(o);
      super(entry.cls, options, stateNames(spec, options));
    }
    override getConfig(): tf.serialization.ConfigDict {
      return structuredClone(this.gradstepOptions) as tf.serialization.ConfigDict;
    }
    static override fromConfig<T extends tf.serialization.Serializable>(c: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict): T {
      return new c(fromLayersConfig(spec, config as Record<string, unknown>));
    }
  };
}

/** Every step-kind optimizer's tfjs class, registered with tf.serialization now (this module's side effect). */
const WRAPPED = new Map<OptimizerClass, Wrapped>(STEP_OPTIMIZERS.map((e) => [e.cls, wrap(e)]));
for (const C of WRAPPED.values()) {
  tf.serialization.registerClass(C as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);
}

/**
 * Any gradstep optimizer (AdamW, Lion, LAMB, ... with maxGradNorm, skipNonFinite) as a tfjs optimizer, with
 * gradstep's own semantics. getWeights names state `<variable>/<gradstep state name>` (`w/exp_avg`); the
 * class is registered as `gradstep.<Name>` (tfjs has no such optimizer, so a saved model names it apart).
 * Closure-kind optimizers (LBFGS) are refused: a tfjs optimizer gets gradients, not a closure.
 *
 * @example
 * const opt = fromGradstep(AdamW, { lr: 3e-4, weightDecay: 0.1, maxGradNorm: 1 });
 * model.compile({ optimizer: opt, loss: "meanSquaredError" });
 */
export function fromGradstep(cls: OptimizerClass, options: Record<string, unknown> = {}): GradstepTfjsOptimizer {
  const Wrapped = WRAPPED.get(cls) ?? WRAPPED.get(stepEntry(cls, "fromGradstep").cls)!;
  return new Wrapped(options);
}

export type { StateDict };
