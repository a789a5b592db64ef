// The lifecycle every optimizer class shares, whatever its step: the elementwise/per-tensor Optimizer (one fused
// kernel call per run), LBFGS (a closure evaluated several times per step) and Lookahead (a wrapper around an
// Optimizer). Here: the store the params pick (and whether the optimizer made it), the backend and className
// options, dispose and the errors of a disposed optimizer, getConfig/fromConfig, and loadStateDict's shape: the
// envelope (object, format, optimizer name) first, then the subclass checks everything else and only then applies,
// so a dict that does not fit changes nothing. Params parsing is params.ts; option rules are options.ts.
import { deviceStore, type DeviceStore } from "./backend.js";
import { checkBackend } from "./options.js";
import type { ParamLike } from "./spec.js";
import { STATE_DICT_FORMAT } from "./state-dict.js";
import { defaults as initDefaults } from "../runtime/loader.js";
import type { BackendName } from "../runtime/types.js";
import { Param, ParamStore } from "../runtime/store.js";

/** What every saved optimizer state has, whatever else it holds. */
export interface StateEnvelope { format: number; optimizer: string }

/** Something whose end ends the optimizer: its ParamStore, or the optimizer Lookahead wraps. */
/** Something an object depends on (an optimizer's store): once it is disposed, so is the object. */
export interface Dependency {
  /** Whether it was disposed. */
  readonly disposed: boolean;
}

/** Throws unless `dict` is a state dict of optimizer `name` in the current format (the first check of every load). */
export function checkEnvelope(name: string, dict: unknown): asserts dict is StateEnvelope {
  const where = `${name}.loadStateDict`;
  if (dict === null || typeof dict !== "object") throw new TypeError(`${where}: expected a state dict object`);
  const { format, optimizer } = dict as Partial<StateEnvelope>;
  if (format !== STATE_DICT_FORMAT) throw new Error(`${where}: unsupported format ${String(format)} (expected ${STATE_DICT_FORMAT})`);
  if (optimizer !== name) throw new Error(`${where}: the state dict is from ${String(optimizer)}, not ${name}`);
}

/** Throws unless a config's `className` (getConfig() writes it) names class `name`. */
export function checkClassName(name: string, className: unknown): void {
  if (className !== undefined && className !== name) {
    throw new TypeError(`${name}: the config is from ${JSON.stringify(className)}, not ${name} (use ${String(className)}.fromConfig)`);
  }
}

/** The `backend` option checked, "auto" (or absent) resolved to the one init() chose. */
export function resolveBackend(name: string, backend: unknown = "auto"): BackendName {
  checkBackend(name, backend);
  return backend === "auto" ? initDefaults().backend : (backend as BackendName);
}

export abstract class OptimizerBase<D extends StateEnvelope = StateEnvelope, L = unknown> {
  /** The class name: the first word of every message, `optimizer` of the state dict, `className` of the config. */
  readonly #name: string;
  #disposed = false;
  #ownsStore = false;

  protected constructor(name: string) {
    this.#name = name;
  }

  /** The store that holds the params (and the state): a ParamStore, or a device store (a GpuParamStore). */
  abstract readonly store: ParamStore | DeviceStore;
  abstract get paramGroups(): readonly object[];
  abstract zeroGrad(): void;
  abstract stateDict(): D;
  /** The constructor options with defaults filled in, and `className`: a JSON-safe copy (for logging and fromConfig). */
  abstract getConfig(): object & { className: string };

  /**
   * Checks everything of a dict whose envelope is right (checkEnvelope) against this optimizer and returns what
   * applies it: a function that cannot fail (allocation, which changes no value, happens before it returns).
   */
  protected abstract planLoad(dict: D, options: L | undefined): () => void;

  /**
   * An optimizer of this class over `params` (Lookahead: the optimizer it wraps), configured by a config saved
   * with getConfig() (validated like constructor options; a config of another class is rejected). Example:
   * `const opt = Adam.fromConfig(store.params, JSON.parse(saved))`.
   */
  static fromConfig<P, C, T>(this: new (params: P, options?: C) => T, params: P, config: C): T {
    return new this(params, config);
  }

  /**
   * The store of params `lists` (every group's params): the one their store params come from, or a new one that
   * this optimizer owns (and disposes) when they are all foreign `{ value, grad }` arrays.
   */
  protected storeOf(lists: readonly (readonly ParamLike[])[]): ParamStore {
    const stores = new Set<ParamStore>();
    for (const ps of lists) for (const p of ps) if (p instanceof Param) stores.add(p.store);
    if (stores.size > 1) throw new Error(`${this.#name}: params come from ${stores.size} different ParamStores (use one store per optimizer)`);
    const [shared] = stores;
    this.#ownsStore = shared === undefined;
    return shared ?? new ParamStore();
  }

  /**
   * What ends this optimizer besides dispose(): its store by default. Asked on every step (and by a scheduler's),
   * so it allocates nothing; its name in a message is dependencyName()'s.
   */
  protected dependency(): Dependency {
    return this.store;
  }

  /** How the message of a disposed dependency() names it. */
  protected dependencyName(): string {
    const dev = deviceStore(this.store);
    return dev ? `its ${dev.deviceKind} store` : "its ParamStore";
  }

  /** Whether dispose() was called on this optimizer (or what it depends on was disposed): it can no longer step. */
  get disposed(): boolean {
    return this.#disposed || this.dependency().disposed;
  }

  protected assertUsable(): void {
    if (this.#disposed) throw new Error(`${this.#name} has been disposed`);
    if (this.dependency().disposed) throw new Error(`${this.#name}: ${this.dependencyName()} has been disposed`);
  }

  /**
   * Restores a dict saved by stateDict() of the same class over the same params. Everything is checked first:
   * a dict that does not fit throws and changes nothing. Resuming is bit-exact.
   */
  loadStateDict(dict: D, options?: L): void {
    this.assertUsable();
    checkEnvelope(this.#name, dict);
    this.planLoad(dict, options)();
  }

  /** Releases the optimizer (and the private store it made for foreign params, if any). */
  dispose(): void {
    this.#disposed = true;
    if (this.#ownsStore) (this.store as ParamStore).dispose();
  }
}
