// fromGradstep: any gradstep optimizer of the registry (AdamW, Lion, LAMB, ... with schedules, maxGradNorm,
// skipNonFinite) as a tfjs optimizer with gradstep's own semantics and state names. Every step-kind optimizer's
// class, `gradstep.<Name>`, is registered with tf.serialization when this module is evaluated (a side effect:
// package.json lists this file under `sideEffects`): tf.loadLayersModel, and engines that ship a model with
// its optimizer config to clients, construct it by that name with no fromGradstep call first.
import type * as tf from "@tensorflow/tfjs-core";
import type { OptimizerSpec } from "../../core/spec.js";
import { Q8_BLOCK } from "../../core/lowp.js";
import { stepOptimizers, type OptimizerClass, type StepEntry } from "../../optim/index.js";
import { sizeOf, type StateName } from "./bridge.js";
import { GradstepTfjsOptimizer, register, stepEntry } from "./optimizer.js";

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
const WRAPPED = new Map<OptimizerClass, Wrapped>(stepOptimizers().map((e) => [e.cls, wrap(e)]));
register(WRAPPED.values());

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
