// GradstepTfjsOptimizer: the tf.Optimizer subclass every gradstep/tfjs optimizer is (train.ts's tf.train
// drop-ins, from-gradstep.ts's wrapped gradstep classes). It works in model.compile/fit, minimize(f,
// returnCost, varList), applyGradients and getWeights/setWeights (tfjs's weight format); the steps and the
// state are the bridge's (bridge.ts).
import * as tf from "@tensorflow/tfjs-core";
import { backendInfo } from "../../runtime/loader.js";
import type { Optimizer as GradstepOptimizer } from "../../core/optimizer.js";
import { closureOptimizers, stepOptimizers, type OptimizerClass, type StepEntry } from "../../optim/index.js";
import { Bridge, fail, isVariable, sameShape, sizeOf, tensorShape, type Pending, type StateArray, type StateName } from "./bridge.js";
import { GpuBridge, webgpuBackend } from "./webgpu.js";

/** A named tensor of tfjs's getWeights()/setWeights() format. */
export type NamedTensor = {
  /** The weight's name (tfjs's: `iter`, then `<variable>/<state>`). */
  name: string;
  /** Its value. */
  tensor: tf.Tensor;
};

/**
 * A tfjs optimizer backed by gradstep. Subclasses fix the gradstep class, the options and the names of the
 * state in tfjs's getWeights format.
 */
export abstract class GradstepTfjsOptimizer extends tf.Optimizer {
  readonly #bridge: Bridge;
  /** Set by the first step on tfjs-backend-webgpu: from then on, steps and state go through it (webgpu.ts). */
  #gpu: GpuBridge | null = null;
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
    return (this.#gpu ?? this.#bridge).optimizers;
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
    if (pairs.length > 0) (this.#gpu ?? this.#onWebgpu() ?? this.#bridge).step(pairs);
    this.incrementIterations();
  }

  /** The GPU bridge when this first step runs on tfjs-backend-webgpu (state set before it moves there). */
  #onWebgpu(): GpuBridge | null {
    const b = this.#bridge;
    if (!webgpuBackend()) return null;
    if (b.optimizers.length > 0) fail(b.where, "this optimizer stepped on another tfjs backend and cannot step on webgpu");
    this.#gpu = new GpuBridge(b.where, b.cls, b.options, b.hasStep, b.names);
    if (b.order.length > 0) void this.#gpu.replaceState(b.state(), b.order); // no step yet: kept, synchronously
    return this.#gpu;
  }

  /**
   * tfjs's format: `iter` (int32 scalar), then each state in order for every variable (getWeights' order: first
   * stepped first, or the order setWeights was given). Low-precision state is an int32 tensor of its codes.
   */
  override async getWeights(): Promise<NamedTensor[]> {
    this.#bridge.assertUsable();
    const b = this.#gpu ?? this.#bridge;
    const state = this.#gpu ? await this.#gpu.state() : this.#bridge.state();
    // The tensors returned by the previous call are released here (tfjs's own getWeights creates a new `iter`
    // tensor per call that nobody disposes; repeated saves must not grow tf.memory()).
    tf.dispose(this.#lastWeights);
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
    const b = this.#gpu ?? this.#bridge;
    const where = `${b.where}.setWeights`;
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
    await b.replaceState(state, order);
    this.iterations_ = iter;
  }

  override dispose(): void {
    tf.dispose(this.#lastWeights);
    this.#lastWeights = [];
    this.#bridge.dispose();
    this.#gpu?.dispose();
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
export function stepEntry(cls: OptimizerClass, where: string): StepEntry {
  const entry = stepOptimizers().find((e) => e.cls === cls);
  if (entry?.spec.global) {
    throw new TypeError(`${where}: ${entry.spec.name}'s step reduces over every variable between its passes (a global estimate); ` +
      "the adapter steps variables in separate clusters with per-variable state, so it cannot be wrapped");
  }
  if (entry) return entry;
  const closure = closureOptimizers().find((e) => e.cls === (cls as unknown));
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

/** Registers tfjs optimizer classes with tf.serialization (by their static className). */
export function register(classes: Iterable<abstract new (...args: never[]) => GradstepTfjsOptimizer>): void {
  for (const cls of classes) {
    tf.serialization.registerClass(cls as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);
  }
}
