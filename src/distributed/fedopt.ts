// FedOpt server optimizers (Reddi et al., "Adaptive Federated Optimization", ICLR 2021) with Flower's formulas,
// defaults and order of operations (flwr/server/strategy: fedavg.py, fedavgm.py, fedopt.py, fedadagrad.py,
// fedadam.py, fedyogi.py; aggregate.py), over gradstep's params. A round: the clients' params are averaged,
// weighted by their example counts, and the server steps its params with the pseudo-gradient Δ = average − x.
//
//   FedAvg      x = Σ f32(x_k·(n_k/N))                      (aggregate_inplace: f64 factors, f32 sums in client order)
//   FedAvgM     a = f32(Σ f32(x_k·n_k)) / N                   (aggregate(): f32 throughout)
//               with a server lr ≠ 1 or momentum ≠ 0:  d = x − a;  m = d (round 1), m = μ·m + d;  x = x − lr·m
//   FedAdagrad  m = β1·m + (1−β1)·Δ (β1 = 0);  v = v + Δ²;                                x = x + η·m/(√v + τ)
//   FedAdam     m = β1·m + (1−β1)·Δ;  v = β2·v + (1−β2)·Δ²;  x = x + η_t·m/(√v + τ),  η_t = η·√(1−β2^(t+1))/(1−β1^(t+1))
//   FedYogi     m = β1·m + (1−β1)·Δ;  v = v − (1−β2)·Δ²·sign(v − Δ²);                   x = x + η·m/(√v + τ)
//
// Arithmetic as numpy 2 does it on f32 arrays: Python floats are rounded to f32 and every operation is rounded
// to f32, except FedAvg's f64 scaling factors and FedAdam's η_t, a numpy f64 scalar, whose product and quotient
// are f64. Flower then keeps FedAdam's server weights in f64; gradstep's params are f32, so each round's result
// is rounded to f32 (as a client receiving them does).
import { checkOptionsArgument, checkParam, groupInputs } from "../core/params.js";
import { rejectUnknown } from "../core/options.js";
import type { ParamLike } from "../core/spec.js";
import { floatsOf } from "../core/state-dict.js";

/** What stateDict() returns: structured-clone-able; through JSON the buffers come back as index-keyed objects, which load. */
export interface FedStateDict {
  /** The server optimizer's name ("FedAdam"). */
  optimizer: string;
  /** Rounds aggregated so far. */
  round: number;
  /** Per server param: its first (`m`) and second (`v`) moment, when the optimizer has them. */
  state: {
    /** The first moment (server momentum). */
    m?: Float32Array;
    /** The second moment. */
    v?: Float32Array;
  }[];
}

/** One client's result of a round: its params (one array per server param, in order) and its example count. */
export interface ClientResult {
  /** The client's params after its local training, one array per server param. */
  params: readonly Float32Array[];
  /** The examples it trained on: its weight in the average. */
  numExamples: number;
}

/** The options of FedAdam and FedYogi (Flower's names and meanings; defaults: FedAdam's, FedYogi's). */
export interface FedAdamOptions {
  /** The server learning rate η (FedAdam 0.1, FedYogi 0.01). */
  eta?: number;
  /** Decay rate of the server momentum (0.9). */
  beta1?: number;
  /** Decay rate of the second moment (0.99). */
  beta2?: number;
  /** The adaptivity τ added to √v (FedAdam 1e-9, FedYogi 1e-3). */
  tau?: number;
}
/** The options of FedYogi: FedAdam's, with FedYogi's defaults (eta 0.01, tau 1e-3). */
export type FedYogiOptions = FedAdamOptions;
/** The options of FedAdagrad. */
export interface FedAdagradOptions {
  /** The server learning rate η. @defaultValue 0.1 */
  eta?: number;
  /** The adaptivity τ added to √v. @defaultValue 1e-9 */
  tau?: number;
}
/** The options of FedAvgM. */
export interface FedAvgMOptions {
  /** The server learning rate. @defaultValue 1 */
  serverLearningRate?: number;
  /** The server momentum. @defaultValue 0 */
  serverMomentum?: number;
}
/** FedAvg takes no options. */
export type FedAvgOptions = Record<string, never>;

type Opts = Required<FedAdamOptions> & Required<FedAvgMOptions>;
type Rule = (x: number) => boolean;

interface Spec {
  name: string;
  defaults: Partial<Opts>;
  rules: Partial<Record<keyof Opts, [Rule, string]>>;
}

const positive: [Rule, string] = [(x) => x > 0 && x < Infinity, "a finite number > 0"];
const nonNegative: [Rule, string] = [(x) => x >= 0 && x < Infinity, "a finite number >= 0"];
const beta: [Rule, string] = [(x) => x >= 0 && x < 1, "a number in [0, 1)"];
const ADAPTIVE = { eta: positive, beta1: beta, beta2: beta, tau: nonNegative };

/** A server param: where its values are read and written. */
interface Server { p: ParamLike; o: Opts; m?: Float32Array<ArrayBufferLike>; v?: Float32Array<ArrayBufferLike> }

abstract class FedOptimizer<O extends object> {
  readonly #spec: Spec;
  readonly #params: Server[];
  #round = 0;

  protected constructor(spec: Spec, params: Iterable<ParamLike> | Iterable<{ params: Iterable<ParamLike> } & O> | ParamLike, options: O) {
    this.#spec = spec;
    checkOptionsArgument(spec.name, options);
    const top = this.#options(spec.name, options as Record<string, unknown>, spec.defaults as Opts);
    const groups = groupInputs(spec.name, params) as ({ params: Iterable<ParamLike> } & Record<string, unknown>)[];
    this.#params = groups.flatMap((g, gi) => {
      const where = `${spec.name}: param group ${gi}`;
      if (g === null || typeof g !== "object") throw new TypeError(`${where}: expected { params, ...options }`);
      const { params: ps, ...own } = g;
      const o = this.#options(where, own, top);
      if (ps === null || typeof ps !== "object" || !(Symbol.iterator in ps)) throw new TypeError(`${where}: params must be an array of params`);
      const list = [...ps];
      if (list.length === 0) throw new Error(`${where}: has no params`);
      list.forEach((p, i) => checkParam(where, p, i));
      return list.map((p) => ({ p, o }));
    });
    if (new Set(this.#params.map((s) => s.p)).size !== this.#params.length) throw new Error(`${spec.name}: a param appears more than once`);
  }

  #options(where: string, given: Record<string, unknown>, base: Opts): Opts {
    rejectUnknown(where, given, this.#spec.rules, []);
    const o = { ...base, ...given } as Opts;
    for (const [k, [ok, what]] of Object.entries(this.#spec.rules) as [keyof Opts, [Rule, string]][]) {
      const x = o[k];
      if (typeof x !== "number" || !ok(x)) throw new RangeError(`${where}: invalid ${k} ${String(x)} (expected ${what})`);
    }
    return o;
  }

  /** Rounds aggregated so far (Flower's server_round of the last one). */
  get round(): number {
    return this.#round;
  }

  /** The server params, in the order client results list theirs. */
  get params(): readonly ParamLike[] {
    return this.#params.map((s) => s.p);
  }

  /**
   * Aggregates one round (Flower's aggregate_fit with every client's result): averages the clients' params
   * weighted by example count and steps the server params. Everything is checked first: bad results throw
   * and change nothing.
   */
  aggregate(results: readonly ClientResult[]): void {
    const name = `${this.#spec.name}.aggregate`;
    if (!Array.isArray(results) || results.length === 0) throw new TypeError(`${name}: expected a non-empty array of client results { params, numExamples }`);
    results.forEach((r, k) => {
      if (r === null || typeof r !== "object") throw new TypeError(`${name}: results[${k}] is not a { params, numExamples } object`);
      if (!Number.isSafeInteger(r.numExamples) || r.numExamples <= 0) {
        throw new RangeError(`${name}: results[${k}].numExamples is ${String(r.numExamples)} (expected an integer > 0)`);
      }
      if (!Array.isArray(r.params) || r.params.length !== this.#params.length) {
        throw new RangeError(`${name}: results[${k}].params must be an array of ${this.#params.length} Float32Arrays, one per server param`);
      }
      r.params.forEach((a: unknown, i: number) => {
        const n = this.#params[i]!.p.value.length;
        if (!(a instanceof Float32Array) || a.length !== n) {
          throw new RangeError(`${name}: results[${k}].params[${i}] must be a Float32Array of length ${n}`);
        }
      });
    });
    const t = ++this.#round;
    const total = results.reduce((s, r) => s + r.numExamples, 0);
    this.#params.forEach((s, i) => this.update(s, this.average(results.map((r) => r.params[i]!), results.map((r) => r.numExamples), total), t));
  }

  /** The weighted average of one param over the clients (Flower's aggregate_inplace, FedAvg's default). */
  protected average(xs: Float32Array[], counts: number[], total: number): Float32Array {
    const out = new Float32Array(xs[0]!.length);
    xs.forEach((x, k) => {
      const w = counts[k]! / total;
      if (k === 0) for (let j = 0; j < out.length; j++) out[j] = x[j]! * w;
      else for (let j = 0; j < out.length; j++) out[j] = out[j]! + Math.fround(x[j]! * w);
    });
    return out;
  }

  /** The server step of round `t` on one param, from the clients' average `a`. */
  protected abstract update(s: Server, a: Float32Array, t: number): void;

  /** The state: the round, and per server param its `m` and `v` (copies; absent until used). */
  stateDict(): FedStateDict {
    return {
      optimizer: this.#spec.name, round: this.#round,
      state: this.#params.map((s) => ({ ...(s.m ? { m: s.m.slice() } : {}), ...(s.v ? { v: s.v.slice() } : {}) })),
    };
  }

  /** Restores a state saved by stateDict() of the same class over params of the same lengths; checks everything first. */
  loadStateDict(dict: FedStateDict): void {
    const name = `${this.#spec.name}.loadStateDict`;
    if (dict === null || typeof dict !== "object") throw new TypeError(`${name}: expected a state dict { optimizer, round, state }`);
    if (dict.optimizer !== this.#spec.name) throw new TypeError(`${name}: the state is ${JSON.stringify(dict.optimizer)}'s, not ${this.#spec.name}'s`);
    if (!Number.isSafeInteger(dict.round) || dict.round < 0) throw new RangeError(`${name}: invalid round ${String(dict.round)} (expected an integer >= 0)`);
    if (!Array.isArray(dict.state) || dict.state.length !== this.#params.length) {
      throw new RangeError(`${name}: state must hold one entry per server param (${this.#params.length})`);
    }
    const loaded = dict.state.map((e, i) => {
      const n = this.#params[i]!.p.value.length, out: { m?: Float32Array; v?: Float32Array } = {};
      for (const k of ["m", "v"] as const) {
        if (e?.[k] === undefined) continue;
        const a = floatsOf(e[k], `${name}: state[${i}].${k}`, n);
        if (a === undefined || a.length !== n) throw new RangeError(`${name}: state[${i}].${k} must be ${n} floats`);
        out[k] = Float32Array.from(a);
      }
      return out;
    });
    this.#round = dict.round;
    this.#params.forEach((s, i) => { s.m = loaded[i]!.m; s.v = loaded[i]!.v; });
  }
}

/** FedAvg: the server params become the clients' weighted average. */
export class FedAvg extends FedOptimizer<FedAvgOptions> {
  constructor(params: Iterable<ParamLike> | ParamLike, options: FedAvgOptions = {}) {
    super({ name: "FedAvg", defaults: {}, rules: {} }, params, options);
  }

  protected update(s: Server, a: Float32Array): void {
    s.p.value.set(a);
  }
}

/** FedAvgM (Hsu et al., 2019): server SGD with heavy-ball momentum on x − average. */
export class FedAvgM extends FedOptimizer<FedAvgMOptions> {
  constructor(params: Iterable<ParamLike> | Iterable<{ params: Iterable<ParamLike> } & FedAvgMOptions> | ParamLike, options: FedAvgMOptions = {}) {
    super({
      name: "FedAvgM", defaults: { serverLearningRate: 1, serverMomentum: 0 },
      rules: { serverLearningRate: positive, serverMomentum: beta },
    }, params, options);
  }

  protected override average(xs: Float32Array[], counts: number[], total: number): Float32Array {
    const out = new Float32Array(xs[0]!.length), nt = Math.fround(total);
    xs.forEach((x, k) => {
      const c = Math.fround(counts[k]!);
      for (let j = 0; j < out.length; j++) out[j] = k === 0 ? x[j]! * c : out[j]! + Math.fround(x[j]! * c);
    });
    for (let j = 0; j < out.length; j++) out[j] = out[j]! / nt;
    return out;
  }

  protected update(s: Server, a: Float32Array, t: number): void {
    const { serverLearningRate: lr, serverMomentum: mu } = s.o, x = s.p.value, f = Math.fround;
    if (lr === 1 && mu === 0) return void x.set(a);
    const d = new Float32Array(a.length);
    for (let j = 0; j < d.length; j++) d[j] = x[j]! - a[j]!;
    let g: Float32Array<ArrayBufferLike> = d;
    if (mu > 0) {
      if (t > 1 && s.m) for (let j = 0; j < d.length; j++) s.m[j] = f(f(mu) * s.m[j]!) + d[j]!;
      else s.m = d;
      g = s.m;
    }
    for (let j = 0; j < x.length; j++) x[j] = x[j]! - f(f(lr) * g[j]!);
  }
}

/** The adaptive server optimizers: the moment updates differ, the step x + η·m/(√v + τ) is shared. */
abstract class FedAdaptive<O extends object> extends FedOptimizer<O> {
  protected update(s: Server, a: Float32Array, t: number): void {
    const x = s.p.value, n = x.length, f = Math.fround;
    const m = (s.m ??= new Float32Array(n)), v = (s.v ??= new Float32Array(n));
    const b1 = f(s.o.beta1), c1 = f(1 - s.o.beta1), tau = f(s.o.tau);
    const eta = this.eta(s.o, t);
    for (let j = 0; j < n; j++) {
      const d = f(a[j]! - x[j]!);
      m[j] = f(b1 * m[j]!) + f(c1 * d);
      v[j] = this.second(s.o, v[j]!, f(d * d));
      const den = f(f(Math.sqrt(v[j]!)) + tau);
      x[j] = eta.f64 ? x[j]! + (eta.value * m[j]!) / den : x[j]! + f(f(eta.value * m[j]!) / den);
    }
  }

  /** η of round t; f64 when Flower's is a numpy f64 scalar (then the update is computed in f64). */
  protected eta(o: Opts, _t: number): { value: number; f64: boolean } {
    return { value: Math.fround(o.eta), f64: false };
  }

  /** The new second moment from the old one and f32(Δ²). */
  protected abstract second(o: Opts, v: number, d2: number): number;
}

/** FedAdagrad: v accumulates Δ² (β1 = 0: m = Δ). Flower's defaults η 0.1, τ 1e-9. */
export class FedAdagrad extends FedAdaptive<FedAdagradOptions> {
  constructor(params: Iterable<ParamLike> | Iterable<{ params: Iterable<ParamLike> } & FedAdagradOptions> | ParamLike, options: FedAdagradOptions = {}) {
    super({ name: "FedAdagrad", defaults: { eta: 1e-1, tau: 1e-9, beta1: 0, beta2: 0 }, rules: { eta: positive, tau: nonNegative } }, params, options);
  }

  protected second(_o: Opts, v: number, d2: number): number {
    return Math.fround(v + d2);
  }
}

/** FedAdam: Adam's moments, η bias-corrected per round. Flower's defaults η 0.1, β1 0.9, β2 0.99, τ 1e-9. */
export class FedAdam extends FedAdaptive<FedAdamOptions> {
  constructor(params: Iterable<ParamLike> | Iterable<{ params: Iterable<ParamLike> } & FedAdamOptions> | ParamLike, options: FedAdamOptions = {}) {
    super({ name: "FedAdam", defaults: { eta: 1e-1, beta1: 0.9, beta2: 0.99, tau: 1e-9 }, rules: ADAPTIVE }, params, options);
  }

  protected override eta(o: Opts, t: number): { value: number; f64: boolean } {
    return { value: (o.eta * Math.sqrt(1 - o.beta2 ** (t + 1))) / (1 - o.beta1 ** (t + 1)), f64: true };
  }

  protected second(o: Opts, v: number, d2: number): number {
    const f = Math.fround;
    return f(f(f(o.beta2) * v) + f(f(1 - o.beta2) * d2));
  }
}

/** FedYogi: v moves towards Δ² by (1−β2)·Δ² in the direction of the sign. Flower's defaults η 1e-2, β1 0.9, β2 0.99, τ 1e-3. */
export class FedYogi extends FedAdaptive<FedYogiOptions> {
  constructor(params: Iterable<ParamLike> | Iterable<{ params: Iterable<ParamLike> } & FedYogiOptions> | ParamLike, options: FedYogiOptions = {}) {
    super({ name: "FedYogi", defaults: { eta: 1e-2, beta1: 0.9, beta2: 0.99, tau: 1e-3 }, rules: ADAPTIVE }, params, options);
  }

  protected second(o: Opts, v: number, d2: number): number {
    const f = Math.fround;
    return f(v - f(f(f(1 - o.beta2) * d2) * Math.sign(f(v - d2))));
  }
}
