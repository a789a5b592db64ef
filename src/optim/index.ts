// THE registry of optimizers. One line per optimizer; everything else is derived from it: the package's
// exports (src/api.ts re-exports this file), the kernel signature table (kernels(), from each spec's buffers
// and scalars), the registry test suites (test/suites/), the benchmark's list (bench/optim/<id>.bench.ts)
// and the fixture generator's case list (test/fixtures/cases.json, written from test/optim/<id>.cases.ts).
// How to add an optimizer: CONTRIBUTING.md.
import type { KernelSignature } from "../abi/index.js";
import type { Optimizer, OptimizerOptions, ParamsInput, StateDict } from "../core/optimizer.js";
import type { ParamStore } from "../runtime/store.js";
import type { ClosureSpec, OptimizerSpec, OptionsInput, StateDtype } from "../core/spec.js";
import { kernelName, lowpReference, pointerStride } from "../core/lowp.js";
import { Adagrad, ADAGRAD_SPEC } from "./adagrad.js";
import { Adam, ADAM_SPEC } from "./adam.js";
import { AdamW, ADAMW_SPEC } from "./adamw.js";
import { RMSprop, RMSPROP_SPEC } from "./rmsprop.js";
import { SGD, SGD_SPEC } from "./sgd.js";
import { Adadelta, ADADELTA_SPEC } from "./adadelta.js";
import { Adamax, ADAMAX_SPEC } from "./adamax.js";
import { NAdam, NADAM_SPEC } from "./nadam.js";
import { RAdam, RADAM_SPEC } from "./radam.js";
import { ASGD, ASGD_SPEC } from "./asgd.js";
import { Rprop, RPROP_SPEC } from "./rprop.js";
import { Lion, LION_SPEC } from "./lion.js";
import { AdaBelief, ADABELIEF_SPEC } from "./adabelief.js";
import { Yogi, YOGI_SPEC } from "./yogi.js";
import { Adan, ADAN_SPEC } from "./adan.js";
import { AdEMAMix, ADEMAMIX_SPEC } from "./ademamix.js";
import { ScheduleFreeAdamW, SCHEDULEFREEADAMW_SPEC } from "./schedulefreeadamw.js";
import { LAMB, LAMB_SPEC } from "./lamb.js";
import { Muon, MUON_SPEC } from "./muon.js";
import { LARS, LARS_SPEC } from "./lars.js";
import { ScheduleFreeSGD, SCHEDULEFREESGD_SPEC } from "./schedulefreesgd.js";
import { Adafactor, ADAFACTOR_SPEC } from "./adafactor.js";
import { LBFGS, LBFGS_SPEC } from "./lbfgs.js";
import { ADOPT, ADOPT_SPEC } from "./adopt.js";
import { NovoGrad, NOVOGRAD_SPEC } from "./novograd.js";
import { Prodigy, PRODIGY_SPEC } from "./prodigy.js";
import { MADGRAD, MADGRAD_SPEC } from "./madgrad.js";

export { SGD, type SGDOptions } from "./sgd.js";
export { Adam, type AdamOptions } from "./adam.js";
export { AdamW, type AdamWOptions } from "./adamw.js";
export { Adagrad, type AdagradOptions } from "./adagrad.js";
export { RMSprop, type RMSpropOptions } from "./rmsprop.js";
export { Adadelta, type AdadeltaOptions } from "./adadelta.js";
export { Adamax, type AdamaxOptions } from "./adamax.js";
export { NAdam, type NAdamOptions } from "./nadam.js";
export { RAdam, type RAdamOptions } from "./radam.js";
export { ASGD, type ASGDOptions } from "./asgd.js";
export { Rprop, type RpropOptions } from "./rprop.js";
export { Lion, type LionOptions } from "./lion.js";
export { AdaBelief, type AdaBeliefOptions } from "./adabelief.js";
export { Yogi, type YogiOptions } from "./yogi.js";
export { Adan, type AdanOptions } from "./adan.js";
export { AdEMAMix, type AdEMAMixOptions } from "./ademamix.js";
export { ScheduleFreeAdamW, type ScheduleFreeAdamWOptions, type ScheduleFreeStateDict } from "./schedulefreeadamw.js";
export { LAMB, type LAMBOptions } from "./lamb.js";
export { Muon, type MuonOptions } from "./muon.js";
export { LARS, type LARSOptions } from "./lars.js";
export { ScheduleFreeSGD, type ScheduleFreeSGDOptions } from "./schedulefreesgd.js";
export { Adafactor, type AdafactorOptions } from "./adafactor.js";
export { ADOPT, type ADOPTOptions } from "./adopt.js";
export { NovoGrad, type NovoGradOptions } from "./novograd.js";
export { Prodigy, type ProdigyOptions } from "./prodigy.js";
export { MADGRAD, type MADGRADOptions } from "./madgrad.js";
export { LBFGS, type LBFGSOptions, type LBFGSClosure, type LBFGSLineSearchFn } from "./lbfgs.js";
// Lookahead wraps another optimizer: not a registry entry (no spec of its own; test/lookahead.test.ts).
export { Lookahead, type LookaheadOptions, type LookaheadStateDict } from "./lookahead.js";

/** A registry optimizer class (Adam, SGD, ...): its constructor and its static fromConfig. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type OptimizerClass<O extends object = any> = (new (params: ParamsInput<O>, options?: OptionsInput<O> & OptimizerOptions) => Optimizer<O>) & {
  /** An optimizer from a getConfig() result (the class it names must be this one). */
  fromConfig(params: ParamsInput<O>, config: OptionsInput<O> & OptimizerOptions): Optimizer<O>;
};

/** An optimizer stepped by `step()`: one OptimizerSpec, one kernel per run (elementwise, per-tensor, matrix). */
export interface StepEntry {
  /** The optimizer's file stem (`adam`): its source, reference, kernel, test cases and benchmark share it. */
  readonly id: string;
  /** Absent: a step-kind entry (ClosureEntry has "closure"). */
  readonly kind?: undefined;
  /** The optimizer class. */
  readonly cls: OptimizerClass;
  /** What the class is made of: options, rules, buffers, kernel and reference. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly spec: OptimizerSpec<any>;
  /** Where the kernel lives when it is another optimizer's (AdamW runs Adam's kernel). */
  readonly kernelOf?: string;
}

/** The class of a closure-kind optimizer: `step(closure)`, its own state dict (LBFGS). */
export interface ClosureOptimizerClass {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  /** Constructs it over params with options. */
  new (params: any, options?: any): {
    /** One optimization step; `closure` recomputes the loss and the gradients. Returns the first loss. */
    step(closure: () => number): number;
    /** Its state, PyTorch's layout. */
    stateDict(): StateDict;
    /** Restores a stateDict(). */
    loadStateDict(d: StateDict): void;
    /** Its options and className. */
    getConfig(): object;
    /** Frees its Wasm memory. */
    dispose(): void;
    /** The store of its params. */
    readonly store: ParamStore;
  };
  /** An optimizer from a getConfig() result. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  fromConfig(params: any, config: any): unknown;
}

/**
 * An optimizer stepped by `step(closure)` (L-BFGS): same files, same registry line, its own kind. The suites run
 * its cases with the closure checks (the closure suite) instead of the per-run kernel checks.
 */
export interface ClosureEntry {
  /** File stem in every folder (see StepEntry.id). */
  readonly id: string;
  /** The closure kind: `step(closure)`. */
  readonly kind: "closure";
  /** The optimizer class. */
  readonly cls: ClosureOptimizerClass;
  /** Its options, rules and kernels. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly spec: ClosureSpec<any>;
  /** Never set: a closure optimizer runs its own kernels. */
  readonly kernelOf?: undefined;
}

/** One registry entry: a step-kind or a closure-kind optimizer. */
export type OptimizerEntry = StepEntry | ClosureEntry;
const LOW_DTYPES: readonly StateDtype[] = ["bf16", "int8"];

/** The registry: every optimizer class, its spec and its file stem, in the order the docs list them. */
export const OPTIMIZERS: readonly OptimizerEntry[] = [
  { id: "sgd", cls: SGD, spec: SGD_SPEC },
  { id: "adam", cls: Adam, spec: ADAM_SPEC },
  { id: "adamw", cls: AdamW, spec: ADAMW_SPEC, kernelOf: "adam" },
  { id: "adagrad", cls: Adagrad, spec: ADAGRAD_SPEC },
  { id: "rmsprop", cls: RMSprop, spec: RMSPROP_SPEC },
  { id: "adadelta", cls: Adadelta, spec: ADADELTA_SPEC },
  { id: "adamax", cls: Adamax, spec: ADAMAX_SPEC },
  { id: "nadam", cls: NAdam, spec: NADAM_SPEC },
  { id: "radam", cls: RAdam, spec: RADAM_SPEC },
  { id: "asgd", cls: ASGD, spec: ASGD_SPEC },
  { id: "rprop", cls: Rprop, spec: RPROP_SPEC },
  { id: "lion", cls: Lion, spec: LION_SPEC },
  { id: "adabelief", cls: AdaBelief, spec: ADABELIEF_SPEC },
  { id: "yogi", cls: Yogi, spec: YOGI_SPEC },
  { id: "adan", cls: Adan, spec: ADAN_SPEC },
  { id: "ademamix", cls: AdEMAMix, spec: ADEMAMIX_SPEC },
  { id: "schedulefreeadamw", cls: ScheduleFreeAdamW, spec: SCHEDULEFREEADAMW_SPEC },
  { id: "lamb", cls: LAMB, spec: LAMB_SPEC },
  { id: "muon", cls: Muon, spec: MUON_SPEC },
  { id: "lars", cls: LARS, spec: LARS_SPEC },
  { id: "schedulefreesgd", cls: ScheduleFreeSGD, spec: SCHEDULEFREESGD_SPEC },
  { id: "adafactor", cls: Adafactor, spec: ADAFACTOR_SPEC },
  { id: "adopt", cls: ADOPT, spec: ADOPT_SPEC },
  { id: "novograd", cls: NovoGrad, spec: NOVOGRAD_SPEC },
  { id: "prodigy", cls: Prodigy, spec: PRODIGY_SPEC },
  { id: "madgrad", cls: MADGRAD, spec: MADGRAD_SPEC },
  { id: "lbfgs", kind: "closure", cls: LBFGS, spec: LBFGS_SPEC },
];

// Nothing below runs at import time: each table is derived from OPTIMIZERS on its first use and kept, so that a
// bundler drops every optimizer a program does not import (package.json `sideEffects: false`; docs/design.md,
// "Tree shaking"). OPTIMIZERS itself is a literal, which bundlers know to be free of side effects.
const memo = <T>(derive: () => T): (() => T) => {
  let value: T | undefined;
  return () => (value ??= derive());
};

/** The entries stepped by `step()` (everything but the closure kind): the kernel table, the step suites. */
export const stepOptimizers: () => readonly StepEntry[] = /* @__PURE__ */ memo(() => OPTIMIZERS.filter((e): e is StepEntry => e.kind !== "closure"));
/** The closure-kind entries (LBFGS). */
export const closureOptimizers: () => readonly ClosureEntry[] = /* @__PURE__ */ memo(() => OPTIMIZERS.filter((e): e is ClosureEntry => e.kind === "closure"));

/** The kernel ABI, derived: pointers = param, the spec's state buffers, grad; scalars = the spec's, gradScale, flags. */
export function signatureOf(spec: OptimizerSpec<unknown>): KernelSignature {
  return {
    pointers: ["param", ...spec.buffers.map((b) => b.name), ...(spec.kind === "tensor" && spec.scratchFloats ? ["scratch"] : []), "grad"],
    scalars: [...spec.scalars, "gradScale", "flags"],
  };
}

/** Every kernel, by export name (optimizers that share a kernel must agree on its signature: a test checks it). */
export const kernels: () => Readonly<Record<string, KernelSignature>> = /* @__PURE__ */ memo(() => Object.fromEntries([
  ...stepOptimizers().map((e) => [e.spec.kernel, signatureOf(e.spec)]),
  // Low-precision twins (<algo>_bf16, <algo>_i8): the same signature, state pointers strided by their dtype.
  ...stepOptimizers().filter((e) => e.spec.lowp).flatMap((e) => LOW_DTYPES.map((d) => {
    const sig = signatureOf(e.spec);
    const strides = sig.pointers.map((_, i) => (i > 0 && i < sig.pointers.length - 1 ? pointerStride(d) : pointerStride("f32")));
    return [kernelName(e.spec, d), { ...sig, strides }];
  })),
]));

/** The pure-TS reference of every kernel, by export name. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const references: () => Readonly<Record<string, (...args: any[]) => void>> = /* @__PURE__ */ memo(() => Object.fromEntries([
  ...stepOptimizers().map((e) => [e.spec.kernel, e.spec.reference]),
  ...stepOptimizers().filter((e) => e.spec.lowp).flatMap((e) => LOW_DTYPES.map((d) => [kernelName(e.spec, d), lowpReference(e.spec, d)])),
]));
