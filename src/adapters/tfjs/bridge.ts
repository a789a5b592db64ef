// The bridge between tfjs variables and gradstep params: one ParamStore per tfjs optimizer, one param per
// variable (by name), and the gradstep optimizers that step them (GradstepTfjsOptimizer in optimizer.ts is its
// tfjs face).
//
// Value movement (the only copies): each step copies every gradient into the store (from `dataSync`, which is
// the cpu backend's own array and a download from webgl; on wasm straight from a view of tfjs's heap) and writes
// every new value back as a fresh tensor assigned to the variable (one copy out: the cpu backend keeps the
// array it is given, so it gets a copy; the wasm backend copies into its heap at once, so it gets a view of
// gradstep's memory). Values are never written into a variable's existing memory: tfjs-backend-wasm keeps its
// XNNPACK matmul operators (with packed weights) per tensor id, so a matMul after an in-place write returns the
// old product (checked with 4.22). A variable's value is copied in only when its tensor is not the one this optimizer assigned
// last (the variable's dataId changed: model.setWeights, a load, another optimizer); optimizer state never
// leaves Wasm memory except in getWeights. Only this folder imports @tensorflow/tfjs-core (an optional peer
// dependency); the main entry never does.
import * as tf from "@tensorflow/tfjs-core";
import { backendInfo } from "../../runtime/loader.js";
import { ParamStore, type Param } from "../../runtime/store.js";
import type { Optimizer as GradstepOptimizer } from "../../core/optimizer.js";
import type { StateValue } from "../../core/state-dict.js";
import type { OptimizerClass } from "../../optim/index.js";

/** A saved state buffer: f32 values, or the bf16 bits / int8 codes of low-precision state. */
export type StateArray = Float32Array | Uint16Array | Uint8Array;

/** How one gradstep state buffer appears in tfjs's getWeights: `<variable name>/<suffix>`, in `order`. */
export interface StateName {
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

export const tensorShape = (s: StateName, variable: readonly number[]): number[] => s.shape?.(variable) ?? variable.slice();
export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, d) => a * d, 1);

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
export interface Pending {
  step: number;
  buffers: Record<string, StateArray>;
  /** The tensor shapes setWeights was given (by buffer), checked against the variable the state goes to. */
  shapes?: Record<string, number[]>;
}

export function isVariable(v: unknown): v is tf.Variable {
  return v instanceof tf.Variable;
}

export function fail(where: string, msg: string): never {
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
export class Bridge {
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

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
