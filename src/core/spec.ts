// What an optimizer is made of: its OptimizerSpec (options with their rules and kinds, state buffers, the
// kernel and its step scalars, the pure-TS reference) and the types params and groups have. Each file in
// src/optim/ supplies one spec; the generic Optimizer (optimizer.ts) and the registry (src/optim/index.ts)
// do the rest.
import type { Param } from "../runtime/store.js";

/** A param whose arrays live outside any store: copied in before and out after every step (slower). */
export interface ForeignParam {
  /** The param's values, updated in place by every step. */
  value: Float32Array;
  /** Its gradient, read by every step. */
  grad: Float32Array;
  /** Optional tensor shape (product = value.length), for optimizers that need it (Adafactor, Muon). */
  shape?: readonly number[];
}
/** What the step plan reads of a param that lives in a store: where its value and grad are, its length and shape. */
export interface StoreParam {
  /** The param's name (unique in its store). */
  readonly name: string;
  /** Its number of floats. */
  readonly length: number;
  /** Its shape (`[length]` when none was given). */
  readonly shape: readonly number[];
  /** Byte offset of its value in its store's memory. */
  readonly valuePtr: number;
  /** Byte offset of its gradient in its store's memory. */
  readonly gradPtr: number;
}
/** A param in a device store's memory (a GpuParamStore's GpuParam): the optimizer runs on that store's backend. */
export interface DeviceParam extends StoreParam {
  /** Its store: what the optimizer needs to know of it (the device kind, and whether it was disposed). */
  readonly store: {
    /** The backend that steps the store's params. */
    readonly deviceKind: "webgpu";
    /** Whether the store was disposed (its buffers destroyed). */
    readonly disposed: boolean;
  };
}
/** A param an optimizer can step: a ParamStore's Param, or a ForeignParam (arrays of the store's memory). */
export type ParamLike = Param | ForeignParam;
/** What an Optimizer (elementwise and per-tensor) steps: host params and a device store's. */
export type AnyParam = ParamLike | DeviceParam;

/** Whether `p` is a device store's param. */
export function isDeviceParam(p: unknown): p is DeviceParam {
  const store = p !== null && typeof p === "object" ? (p as { store?: { deviceKind?: unknown } }).store : undefined;
  return typeof store === "object" && store !== null && typeof store.deviceKind === "string";
}
/** A param group as the optimizer holds it: its options (every one filled in) and its params. */
export type ParamGroup<O> = O & {
  /** The params of this group, in order (a device store's params too, typed as host params for the host-only helpers that read them). */
  readonly params: readonly ParamLike[];
};
/** Options as users may write them: arrays may be readonly tuples (`[0.9, 0.999] as const`). */
export type OptionsInput<O> = { [K in keyof O]?: O[K] extends readonly (infer E)[] ? readonly E[] & O[K] | Readonly<O[K]> : O[K] };
/** A param group as given to a constructor or addParamGroup: its params and the options it sets (the others: the optimizer's defaults). */
export type ParamGroupInput<O> = OptionsInput<O> & {
  /** The params of this group (a ParamStore's, foreign ones, or a GpuParamStore's). */
  params: Iterable<AnyParam>;
};

/**
 * The dtype state buffers are stored in: "f32", "bf16" (round to nearest even) or "int8" (bitsandbytes'
 * blockwise dynamic quantization: 256-element blocks with an f32 absmax).
 */
export type StateDtype = "f32" | "bf16" | "int8";

/**
 * The options many optimizers share, documented once: each `<Name>Options` picks those it has (the same
 * meaning and default on every optimizer).
 */
export interface SharedOptions {
  /** Maximize the objective: step along the gradient instead of against it (PyTorch's `maximize`). @defaultValue false */
  maximize: boolean;
  /**
   * How the state buffers are stored: "f32", "bf16" or "int8" (bitsandbytes' blockwise quantization); the
   * optimizers guide's low-precision section lists which optimizers take which.
   * @defaultValue "f32"
   */
  stateDtype: StateDtype;
  /**
   * bf16 state only: false (round to nearest even) or an integer seed: round stochastically, reproducibly (the
   * same seed gives the same run on every backend and thread count).
   * @defaultValue false
   */
  stochasticRounding: false | number;
}

/** A state buffer: PyTorch's name, when it is needed, what it starts as, how it is stored. */
export interface BufferSpec<O> {
  readonly name: string;
  needed(o: O): boolean;
  fill?(o: O): number;
  /** Default "f32". */
  readonly dtype?: StateDtype;
  /**
   * Floats this buffer holds for a param of this shape; default: the param's length. Tensor-kind optimizers
   * only (an elementwise kernel indexes every buffer like the param). 0 = this param has no such buffer (it is
   * never saved, and a state dict must not give it): Adafactor's factored `row_var`/`col_var` for >= 2-D params,
   * `variance` for the others. A function of the shape alone: state is laid out once, options cannot resize it.
   */
  length?(shape: readonly number[]): number;
  /** The kernel flag bit without which the kernel does not touch this buffer (AMSGRAD, MOMENTUM, CENTERED). */
  readonly flag?: number;
  /** int8 state: the dynamic map this buffer is quantized with (default "signed"; "unsigned" for values >= 0). */
  readonly q8?: "signed" | "unsigned";
  /**
   * Not state: per-element terms a pass writes for a global reduction to read (GlobalSpec). Allocated and
   * split across threads like state, never saved nor loaded.
   */
  readonly transient?: boolean;
}

/**
 * A step whose kernel runs in several passes over every run of every group, with reductions over all of them
 * between passes (Prodigy's global d: Σg·(θ0 − θ) and Σ|s| over all params between the moments and the update).
 * Per step: pass 0 over every run (stepScalars with `pass` 0), then the backend's reductions of the buffers
 * `reduce[0]` names over each run, folded in run order (`fold`), then `update` on the host, then pass 1, and
 * so on. The reductions are the pre-pass's (blocked f32 partials, f64 totals, one order on every backend), so
 * every backend, thread count and verify mode gives the same bits.
 */
export interface GlobalSpec<O> {
  /** The optimizer-wide scalars (the reference's names), saved as the state dict's `global`. */
  readonly state: readonly string[];
  /** Their values before the first step, from the first group's options at construction. */
  init(g: Float64Array, o: O): void;
  /** Kernel passes per step. */
  readonly passes: number;
  /** After pass k (k < passes − 1): the buffers reduced over each run, as [buffer index, reduction mode (ALL, SUM_SQ or SUM)]. */
  readonly reduce: readonly (readonly (readonly [number, number])[])[];
  /** Floats of the step's totals `fold` accumulates into (zeroed before each reduction). */
  readonly totals: number;
  /**
   * Folds one run's reductions into `acc`: out[3j..3j+3) is reduction j of reduce[pass] over the run
   * (Σx², Σ|x| or Σx, max|x|). Runs come in group order, then run order. Must not allocate.
   */
  fold(acc: Float64Array, pass: number, out: Float64Array, run: Run, o: O, g: Float64Array): void;
  /** The global scalars `g` after pass `pass`, from the totals (host math, rounded as the reference does). */
  update(g: Float64Array, acc: Float64Array, pass: number, o: O): void;
}

/**
 * A contiguous range of params (of one segment) that one kernel call updates: what a spec's stepScalars sees.
 * Where its buffers are (offsets) is the step plan's and the backend's business (core/backend).
 */
export interface Run {
  readonly n: number;
  /** Steps already taken (PyTorch's state["step"]); the next step uses t = step + 1. */
  step: number;
  /** Per state buffer: holds state (PyTorch would have it in the state dict). */
  readonly ready: boolean[];
  /** The tensor's shape for tensor-kind optimizers (one run per tensor); `[n]` for elementwise runs. */
  readonly shape: readonly number[];
  readonly first: number; // index of the first slot in its segment
  readonly count: number;
  readonly offset: number; // elements from the segment start
}

export interface OptimizerSpec<O> {
  /** The class name (PyTorch's), used in messages, state dicts and configs. */
  readonly name: string;
  readonly defaults: O;
  /** One rule per option (core/options), in the order of `defaults`: the spec's own and the shared ones (core/define-spec). */
  readonly rules: { readonly [K in keyof O]: (value: unknown, key: string) => void };
  /**
   * Structural options: a change re-plans the step (allocates state buffers, changes the kernel path).
   * Booleans, `stateDtype` and `flavor` are structural by default; list numeric ones whose zero/non-zero
   * switches a buffer (momentum).
   * Every other option is a scalar option: editing it every step (what a scheduler does) costs a range
   * check and nothing else.
   */
  readonly structural?: readonly string[];
  /** A step in passes with global reductions between them (GlobalSpec); the flags of pass k are stepScalars'. */
  readonly global?: GlobalSpec<O>;
  /** Checks across options, after the per-option rules (builds a message only when it fails). */
  check?(o: O): void;
  /**
   * Whether option sets `a` and `b` are equal: every option of `defaults` by `===`, arrays element-wise (derived
   * by core/define-spec, allocation-free). step() calls it on every call to skip validation when no option
   * changed; the registry suites check that it sees a change to every option.
   */
  same(a: O, b: O): boolean;
  /**
   * "elementwise" (default): every element's update depends only on that element, so one kernel call steps a
   * whole contiguous run of params, split across threads when large. "tensor": the update needs the whole
   * tensor (norms, shapes, matrix products): one kernel call per param, on the calling thread, with the
   * param's `shape` in the run.
   */
  readonly kind?: "elementwise" | "tensor";
  /**
   * Tensor kind only: floats of scratch memory one kernel call needs for a tensor of this shape. The core
   * allocates one scratch area per optimizer (the largest any of its tensors needs) and passes it as the
   * last in-out pointer ("scratch", before grad). Its contents are not state: they are never saved.
   */
  scratchFloats?(shape: readonly number[], o: O): number;
  /**
   * Tensor kind only: the kernel in WGSL for the webgpu backend, the functions `norms`, `perTensor` and `apply`
   * (of the backend's per-tensor driver), its scalars by the names of `scalars`, its state buffers `a`..`d` in the
   * order of `buffers`; absent: the optimizer is refused on WebGPU params. An elementwise kernel's WGSL is
   * generated from its Wasm rule at build time.
   */
  readonly wgsl?: string;
  /** The Wasm export (and reference function) name: `<algo>_f32`. */
  readonly kernel: string;
  /**
   * The option `stateDtype` exists (core/define-spec sets it): the kernel has `<algo>_bf16` and `<algo>_i8` twins (the kernels' low-precision code)
   * and every state buffer may be stored in low precision.
   */
  readonly lowp?: boolean;
  /**
   * Without `lowp`: why the state must stay f32, when it is not just unimplemented (a buffer that is a param
   * iterate, not a statistic); the stateDtype error quotes it.
   */
  readonly f32Only?: string;
  /** State buffers in the kernel's pointer order (between param and grad). */
  readonly buffers: readonly BufferSpec<O>[];
  /**
   * The kernel's scalars after `n`, in order, without the `gradScale` and `flags` every kernel ends with.
   * With `buffers` this is the kernel's whole signature (optim/index derives the ABI table from it).
   */
  readonly scalars: readonly string[];
  /** The pure-TS reference of the kernel: same signature, Float32Arrays in place of pointers. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly reference: (...args: any[]) => void;
  /** PyTorch keeps state["step"]. */
  readonly hasStep: boolean;
  /** State is created at construction, as PyTorch's Adagrad does. */
  readonly eager?: boolean;
  /**
   * The step scalars of one kernel launch for `run` with group options `o`, the same for every backend: writes
   * them into `s` in the order of `scalars` and returns the launch's flags (the step plan adds the offsets, `n`
   * and `gradScale`, and a backend runs the launch: core/backend). They are computed here, once per
   * launch, in f64, and written straight into `s` (a Float64Array the plan allocated with the run): never
   * through an object, whose fields V8 may box (a step must allocate nothing on the JS heap). `gradScale` is
   * the step plan's gradient scale (1 = none): it decides the GRAD_SCALE flag. With `global`, it is called
   * before every pass with the pass number and the global scalars (the launch keeps what earlier passes wrote).
   */
  stepScalars(s: Float64Array, run: Run, o: O, gradScale: number, pass: number, g: Float64Array): number;
}

/** Whether option `key` of `spec` is structural (see OptimizerSpec.structural). */
export function isStructural<O>(spec: OptimizerSpec<O>, key: keyof O & string): boolean {
  return typeof spec.defaults[key] === "boolean" || key === "stateDtype" || key === "flavor" || (spec.structural?.includes(key) ?? false);
}

/**
 * A closure-kind optimizer (L-BFGS): `step(closure)` re-evaluates the loss and gradients several times per step,
 * so there is no per-run kernel and no step plan. The class owns its step; the spec gives the registry what it
 * derives from every entry: the name, options and their rules, and the Wasm exports it calls with their
 * pure-TS references (same names; the ABI test checks both builds export them with the references' arity).
 */
export interface ClosureSpec<O> {
  readonly name: string;
  readonly kind: "closure";
  readonly defaults: O;
  readonly rules: { readonly [K in keyof O]: (value: unknown, key: string) => void };
  /** The Wasm exports the optimizer calls (listed in AUX_KERNELS with their arity). */
  readonly kernels: readonly string[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly reference: Readonly<Record<string, (...args: any[]) => any>>;
}
