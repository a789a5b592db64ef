// What a cases file (test/optim/<id>.cases.ts) holds for one optimizer — the registry suites read it.
// One table per kind, backend choice stays out of the tables.
import { SHARED_RULES } from "../../src/core/define-spec.js";
import { bool, type Rule } from "../../src/core/options.js";

export interface Config { desc: string; options: Record<string, unknown> }
export interface ErrorCase { options: Record<string, unknown>; error: RegExp; type?: typeof RangeError | typeof TypeError }
/** Two configurations (of this or another registry optimizer, by class name) whose trajectories must be bit-identical. */
export interface Identity {
  desc: string;
  a: [string, Record<string, unknown>];
  b: [string, Record<string, unknown>];
  /** Gradients grow 2^t per step (|g| never shrinks), e.g. AMSGrad's max is then a no-op. */
  growing?: boolean;
}
/** A case the reference framework generates fixtures for (scripts/gen-fixtures.py via test/fixtures/cases.json). */
export interface FixtureCase {
  reference: "torch" | "optax";
  options: Record<string, unknown>;
  /** lr set before each step (the way a scheduler edits it). */
  lrSchedule?: number[];
  /** Shaped optimizers (Muon, Adafactor): the reference runs on params of these shapes, with their own seeded values and gradients. */
  shapes?: number[][];
  /** Indices of the fixture's params that start at all zeros instead (trust-ratio and other ‖θ‖ = 0 paths). */
  zeroInit?: number[];
}

export interface OptimizerCases {
  /**
   * Parity, resume, state-dict and config round trips run over these, "defaults" and every fixture's options
   * (test/registry.ts, registryConfigs): list only what the fixtures do not cover.
   */
  configs?: Config[];
  /**
   * Invalid options of its own rules and cross-option checks (the shared rules' errors come from SHARED_ERRORS):
   * checked at construction and at the next step() after a group edit.
   */
  errors?: ErrorCase[];
  identities?: Identity[];
  fixtures: FixtureCase[];
  /** The shape the registry suites give a param of `length` floats, for optimizers that need one (Muon: 2-D). */
  shape?: (length: number) => number[];
  /** How the fixture generator builds the optimizer in Optax, for `reference: "optax"` fixtures (or an entry of its own there). */
  optax?: OptaxCall;
}

/**
 * One Optax call, as scripts/gen-fixtures.py makes it (through test/fixtures/cases.json): `fn(lr, **args)`, where
 * `lr` is the case's lr (or its schedule) and each argument is a gradstep option, with the spec's defaults
 * for those a case leaves out.
 */
export interface OptaxCall {
  /** The function, under `optax` ("novograd", "contrib.adopt"). */
  fn: string;
  /**
   * Optax's keyword → gradstep's option (`"betas.1"` is an element of an array option), besides OPTAX_ARGS' (passed
   * for each option the optimizer has).
   */
  args?: Record<string, string>;
  /** Optax's state fields (of the first state in its chain that has them all) → gradstep's state names; default OPTAX_MOMENTS. */
  state?: Record<string, string>;
}

/** The Optax keywords of options every Optax optimizer spells alike: each passed when the optimizer has the option. */
export const OPTAX_ARGS: Readonly<Record<string, string>> = {
  b1: "betas.0", b2: "betas.1", eps: "eps", eps_root: "epsRoot", weight_decay: "weightDecay", nesterov: "nesterov",
};

/** The state of an Optax optimizer with two moments (count, mu, nu) under gradstep's names. */
export const OPTAX_MOMENTS: Readonly<Record<string, string>> = { count: "step", mu: "exp_avg", nu: "exp_avg_sq" };

/** The whole Optax call of an optimizer with options `defaults`: OPTAX_ARGS' it has, then its own; its state. */
export function optaxCall(defaults: object, call: OptaxCall): Required<OptaxCall> {
  const shared = Object.entries(OPTAX_ARGS).filter(([, option]) => Object.hasOwn(defaults, option.split(".")[0]!));
  return { fn: call.fn, args: { ...Object.fromEntries(shared), ...call.args }, state: call.state ?? OPTAX_MOMENTS };
}

/**
 * The errors of the rules every optimizer means alike (SHARED_RULES of src/core/define-spec.ts), by option: the
 * errors suite runs them for every optimizer whose spec uses the shared rule, and a boolean option's (`bool`)
 * error, before the errors of its cases file (its own rules and its cross-option checks).
 */
export const SHARED_ERRORS: Readonly<Record<string, readonly ErrorCase[]>> = {
  lr: [
    { options: { lr: -1 }, error: /^Invalid lr: -1 \(expected lr >= 0\)$/ },
    { options: { lr: Number.NaN }, error: /^Invalid lr: NaN \(expected lr >= 0\)$/ },
    { options: { lr: Infinity }, error: /^Invalid lr: Infinity/ },
    { options: { lr: "0.1" }, error: /^Invalid lr: "0.1" \(expected a number\)$/, type: TypeError },
  ],
  betas: [
    { options: { betas: [1, 0.999] }, error: /^Invalid beta1: 1 \(expected 0 <= beta1 < 1\)$/ },
    { options: { betas: [0.9, -0.1] }, error: /^Invalid beta2: -0.1 \(expected 0 <= beta2 < 1\)$/ },
    { options: { betas: 0.9 }, error: /^Invalid betas: 0.9 \(expected \[beta1, beta2\]\)$/, type: TypeError },
    { options: { betas: [0.9] }, error: /^Invalid betas: \[0.9\] \(expected \[beta1, beta2\]\)$/, type: TypeError },
  ],
  eps: [
    { options: { eps: -1e-8 }, error: /^Invalid eps: -1e-8 \(expected eps >= 0\)$/ },
    { options: { eps: "1e-6" }, error: /^Invalid eps: "1e-6" \(expected a number\)$/, type: TypeError },
  ],
  epsRoot: [{ options: { epsRoot: -1 }, error: /^Invalid epsRoot: -1 \(expected epsRoot >= 0\)$/ }],
  weightDecay: [
    { options: { weightDecay: -0.1 }, error: /^Invalid weightDecay: -0.1 \(expected weightDecay >= 0\)$/ },
    { options: { weightDecay: Number.NaN }, error: /^Invalid weightDecay: NaN \(expected weightDecay >= 0\)$/ },
  ],
  lrDecay: [{ options: { lrDecay: -0.1 }, error: /^Invalid lrDecay: -0.1 \(expected lrDecay >= 0\)$/ }],
  momentum: [{ options: { momentum: -0.5 }, error: /^Invalid momentum: -0.5 \(expected momentum >= 0\)$/ }],
  stochasticRounding: [
    { options: { stochasticRounding: true }, error: /^Invalid stochasticRounding: true \(expected false or a seed, an integer from 0 to 2\^32 - 1\)$/, type: TypeError },
    { options: { stochasticRounding: -1 }, error: /^Invalid stochasticRounding: -1 \(expected false or a seed/, type: TypeError },
    { options: { stochasticRounding: 2 ** 32 }, error: /^Invalid stochasticRounding: 4294967296 \(expected false or a seed/, type: TypeError },
  ],
  stateDtype: [{ options: { stateDtype: "fp16" }, error: /^Invalid stateDtype: "fp16" \(expected "f32", "bf16" or "int8"\)$/, type: TypeError }],
};

/** The shared errors of `spec`'s options (SHARED_ERRORS, and `{ key: 1 }` for each boolean option), in option order. */
export function sharedErrors(spec: { rules: Readonly<Record<string, Rule>> }): ErrorCase[] {
  return Object.entries(spec.rules).flatMap(([k, rule]) => rule === SHARED_RULES[k] ? SHARED_ERRORS[k] ?? []
    : rule === bool ? [{ options: { [k]: 1 }, error: new RegExp(`^Invalid ${k}: 1 \\(expected a boolean\\)$`), type: TypeError }] : []);
}

// ---- closure-kind optimizers (LBFGS): `step(closure)` pulls the loss and gradients from a problem ----

/** An objective the closure evaluates: params' initial values, and loss + gradients in f64 from f32 params. */
export interface ClosureProblem {
  /** One array per param (its initial values). */
  init: number[][];
  /**
   * Writes every gradient (f64, rounded to f32 by the arrays) and returns the loss in f64. Written with a fixed
   * order of f64 operations that scripts/gen-fixtures.py repeats, so torch's closure gets the same bits.
   */
  evaluate(values: readonly Float32Array[], grads: Float32Array[]): number;
}

/** A case the reference framework runs: `steps` calls of step(closure) on problem `problem`. */
export interface ClosureFixtureCase {
  reference: "torch";
  problem: string;
  options: Record<string, unknown>;
  steps: number;
}

export interface ClosureCases {
  kind: "closure";
  /** Parity (every backend bit for bit), resume and config round trips run over these, on every problem. */
  configs: Config[];
  /** Invalid options: at construction and at the next step() after a group edit (nothing changed). */
  errors: ErrorCase[];
  problems: Record<string, ClosureProblem>;
  fixtures: ClosureFixtureCase[];
}
