/**
 * Lookahead (Zhang, Lucas, Hinton & Ba 2019, "Lookahead Optimizer: k steps forward, 1 step back",
 * https://arxiv.org/abs/1907.08610) — Optax's `optax.lookahead` (0.2.8, reset_state false) around any gradstep
 * optimizer, f32.
 *
 *   every step:            θ ← inner step of θ                    (the fast weights: what the params hold)
 *   every syncPeriod-th:   φ ← φ + α·(θ − φ);  θ ← φ               (φ: the slow weights, one copy per param)
 *
 * Defaults: syncPeriod 6, slowStepSize (α) 0.5. φ starts as the params at construction (Optax's
 * LookaheadParams.init_synced). The inner optimizer's state is kept across syncs (Optax's reset_state false).
 *
 * What the params hold: the fast weights. Between syncs they are the inner optimizer's iterate (gradients are
 * taken there, as in Optax, which keeps `fast` and `slow` side by side); right after a sync step they equal the
 * slow weights bit for bit (the paper's "fast ← slow", done in place by one lookahead_f32 pass per param). Optax
 * merges the sync into its update (fast + (u − (1 − α)·d)), so its fast weights after a sync match φ within an f32
 * rounding; its slow weights match ours exactly in their order of operations. Evaluate on the slow weights
 * between syncs with `slowParams()` (copies). A step the inner optimizer skips (skipNonFinite) does not count.
 *
 * Not a registry optimizer: it has no OptimizerSpec of its own (it steps another optimizer, then runs an
 * elementwise kernel on the params), so it is exported beside the registry's classes and tested by
 * its own tests (fixtures from Optax around Adam and SGD, backends bit for bit, state dict, errors).
 *
 * @example
 * await init();
 * const store = new ParamStore();
 * const w = store.param("w", new Float32Array([0.1, -0.2, 0.3]));
 * const opt = new Lookahead(new Adam(store.params, { lr: 1e-3 }), { syncPeriod: 6, slowStepSize: 0.5 });
 * w.grad.set([0.5, 0.5, 0.5]); opt.step(); opt.zeroGrad();
 */
import { type LoadOptions, Optimizer, STATE_DICT_FORMAT, type StateDict } from "../core/optimizer.js";
import { checkClassName, type Dependency, OptimizerBase } from "../core/optimizer-base.js";
import { invalid, located, num, rejectUnknown } from "../core/options.js";
import { checkOptionsArgument } from "../core/params.js";
import { floatsOf } from "../core/state-dict.js";
import type { ParamGroup, ParamLike } from "../core/spec.js";
import { Param, type ParamStore } from "../runtime/store.js";
import type { BackendName } from "../runtime/types.js";
import { LBFGS } from "./lbfgs.js";
import { lookahead_f32 } from "./lookahead.reference.js";

/** The options of {@link Lookahead} (Optax's lookahead names: sync_period, slow_step_size). */
export interface LookaheadOptions {
  /** Inner steps between two syncs of the slow weights (k). @defaultValue 6 */
  syncPeriod: number;
  /** Step size α of the slow weights toward the fast ones at a sync, 0 <= α <= 1. @defaultValue 0.5 */
  slowStepSize: number;
}

/** Lookahead's state dict: the inner optimizer's, the slow weights (one per param, in the inner order), the count. */
export interface LookaheadStateDict {
  /** The layout version, STATE_DICT_FORMAT. */
  format: number;
  /** The class that saved it. */
  optimizer: "Lookahead";
  /** LookaheadOptions.syncPeriod when saved. */
  syncPeriod: number;
  /** LookaheadOptions.slowStepSize when saved. */
  slowStepSize: number;
  /** Steps since the last sync (Optax's steps_since_sync), 0 <= stepsSinceSync < syncPeriod. */
  stepsSinceSync: number;
  /** The slow weights φ, one array per param in the inner optimizer's order. */
  slow: Float32Array[];
  /** The inner optimizer's state dict. */
  inner: StateDict;
}

/** Checks the options; `where` names the call in the message (`Lookahead: Invalid syncPeriod: 0 (...)`). */
function checkOptions(o: LookaheadOptions, where: string): void {
  try {
    RULES.syncPeriod(o.syncPeriod, "syncPeriod");
    RULES.slowStepSize(o.slowStepSize, "slowStepSize");
  } catch (e) {
    throw located(where, e);
  }
}

const RULES = {
  syncPeriod: num((x) => Number.isSafeInteger(x) && x >= 1, "an integer >= 1"),
  slowStepSize: num((x) => x >= 0 && x <= 1, "0 <= {} <= 1"),
};

/** Lookahead around any gradstep optimizer (Optax's `lookahead`). */
export class Lookahead extends OptimizerBase<LookaheadStateDict, LoadOptions> {
  /** The optimizer that takes the fast steps. */
  readonly inner: Optimizer<object>;
  readonly #params: ParamLike[];
  /** Per param: the slow weights' byte offset in the store (store params) or their own array (foreign params). */
  readonly #slowPtr: number[];
  readonly #slowForeign: (Float32Array | null)[];
  #syncPeriod: number;
  #slowStepSize: number;
  #stepsSinceSync = 0;

  constructor(inner: Optimizer<object>, options: Partial<LookaheadOptions> & { className?: string } = {}) {
    super("Lookahead");
    if (!(inner instanceof Optimizer)) {
      throw new TypeError("Lookahead: expected a gradstep optimizer to wrap (new Lookahead(new Adam(params), options))" +
        `${(inner as unknown) instanceof LBFGS ? "; LBFGS is closure-kind (several evaluations per step) and cannot be wrapped" : ""}`);
    }
    if (inner.disposed) throw new Error("Lookahead: the inner optimizer has been disposed");
    if (inner.backend === "webgpu") throw new Error("Lookahead: not supported on webgpu params yet");
    checkOptionsArgument("Lookahead", options);
    rejectUnknown("Lookahead", options, RULES, [], ["className"]);
    checkClassName("Lookahead", options.className);
    const o = { syncPeriod: options.syncPeriod ?? 6, slowStepSize: options.slowStepSize ?? 0.5 };
    checkOptions(o, "Lookahead");
    this.inner = inner;
    this.#syncPeriod = o.syncPeriod;
    this.#slowStepSize = o.slowStepSize;
    this.#params = (inner.paramGroups as readonly ParamGroup<object>[]).flatMap((g) => [...g.params]);
    const store = inner.store as ParamStore;
    this.#slowPtr = this.#params.map((p) => (p instanceof Param ? store.alloc(p.length) : 0));
    this.#slowForeign = this.#params.map((p) => (p instanceof Param ? null : Float32Array.from(p.value)));
    this.#params.forEach((p, i) => { if (p instanceof Param) store.f32.set(p.value, this.#slowPtr[i]! / 4); });
  }

  /** LookaheadOptions.syncPeriod. */
  get syncPeriod(): number { return this.#syncPeriod; }
  /** LookaheadOptions.slowStepSize. */
  get slowStepSize(): number { return this.#slowStepSize; }
  /** Steps since the last sync (0 right after one). */
  get stepsSinceSync(): number { return this.#stepsSinceSync; }
  /** The inner optimizer's param groups (the params hold the fast weights). */
  get paramGroups(): readonly ParamGroup<object>[] { return this.inner.paramGroups as readonly ParamGroup<object>[]; }
  /** The inner optimizer's store (it holds the slow weights too). */
  get store(): ParamStore { return this.inner.store as ParamStore; }

  protected override dependency(): Dependency {
    return this.inner;
  }

  protected override dependencyName(): string {
    return "its inner optimizer";
  }

  /** The options with `className`: `Lookahead.fromConfig(inner, config)` wraps `inner` alike. */
  getConfig(): LookaheadOptions & {
    /** "Lookahead": fromConfig() checks it. */
    className: string;
  } {
    return { syncPeriod: this.#syncPeriod, slowStepSize: this.#slowStepSize, className: "Lookahead" };
  }

  /** One inner step; every syncPeriod-th step also moves the slow weights toward the params and resets the params to them. */
  step(): void {
    this.assertUsable();
    const skipped = this.inner.skippedSteps;
    this.inner.step();
    if (this.inner.skippedSteps !== skipped) return;
    if (this.#stepsSinceSync + 1 < this.#syncPeriod) {
      this.#stepsSinceSync++;
      return;
    }
    this.#stepsSinceSync = 0;
    const store = this.store, backend = this.inner.backend as BackendName;
    const kernel = backend === "js" ? null : store.kernels(backend).lookahead_f32!;
    for (let i = 0; i < this.#params.length; i++) {
      const p = this.#params[i]!, foreign = this.#slowForeign[i];
      if (foreign) lookahead_f32(p.value, foreign, foreign.length, this.#slowStepSize);
      else if (kernel) kernel((p as Param).valuePtr, this.#slowPtr[i]!, p.value.length, this.#slowStepSize);
      else lookahead_f32(p.value, store.view(this.#slowPtr[i]!, p.value.length), p.value.length, this.#slowStepSize);
    }
  }

  /** Sets every gradient to zero. */
  zeroGrad(): void {
    this.assertUsable();
    this.inner.zeroGrad();
  }

  /** The slow weights, one copy per param (inner param order): what to evaluate between syncs. */
  slowParams(): Float32Array[] {
    this.assertUsable();
    return this.#params.map((p, i) => this.#slowForeign[i]?.slice() ?? this.store.view(this.#slowPtr[i]!, p.value.length).slice());
  }

  /** The inner optimizer's state dict, the slow weights and the step count since the last sync (copies). */
  stateDict(): LookaheadStateDict {
    this.assertUsable();
    return {
      format: STATE_DICT_FORMAT, optimizer: "Lookahead", syncPeriod: this.#syncPeriod, slowStepSize: this.#slowStepSize,
      stepsSinceSync: this.#stepsSinceSync, slow: this.slowParams(), inner: this.inner.stateDict(),
    };
  }

  /**
   * A dict of a Lookahead over the same params. Ours is checked here; the inner optimizer's load, which checks
   * its own dict before it changes anything, runs first when applying: a dict that does not fit changes nothing.
   * `options` are the inner optimizer's (`stateDtype`).
   */
  protected planLoad(dict: LookaheadStateDict, options: LoadOptions | undefined): () => void {
    const o = { syncPeriod: dict.syncPeriod, slowStepSize: dict.slowStepSize };
    checkOptions(o, "Lookahead.loadStateDict");
    const s = dict.stepsSinceSync;
    if (!Number.isSafeInteger(s) || s < 0 || s >= o.syncPeriod) {
      invalid("Lookahead.loadStateDict", "stepsSinceSync", s, `an integer from 0 to ${o.syncPeriod - 1}`);
    }
    if (!Array.isArray(dict.slow) || dict.slow.length !== this.#params.length) {
      throw new Error(`Lookahead.loadStateDict: "slow" has ${Array.isArray(dict.slow) ? dict.slow.length : "no"} entries, this optimizer has ${this.#params.length} params`);
    }
    const slow = dict.slow.map((v: unknown, i) => {
      const n = this.#params[i]!.value.length;
      const values = floatsOf(v, `Lookahead.loadStateDict: slow[${i}]`, n);
      if (!values) throw new TypeError(`Lookahead.loadStateDict: slow[${i}] must be a Float32Array (or an array of numbers)`);
      if (values.length !== n) throw new Error(`Lookahead.loadStateDict: slow[${i}] has length ${values.length}, the param has ${n}`);
      return Float32Array.from(values);
    });
    return () => {
      this.inner.loadStateDict(dict.inner, options);
      this.#syncPeriod = o.syncPeriod;
      this.#slowStepSize = o.slowStepSize;
      this.#stepsSinceSync = s;
      slow.forEach((v, i) => {
        const foreign = this.#slowForeign[i];
        if (foreign) foreign.set(v);
        else this.store.f32.set(v, this.#slowPtr[i]! / 4);
      });
    };
  }

  /** Disposes the inner optimizer too (the slow weights live in its store). */
  override dispose(): void {
    super.dispose();
    this.inner.dispose();
  }
}
