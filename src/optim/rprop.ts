import { invalidMessage, nonNegative, num, type Rule } from "../core/options.js";
import { Optimizer, type OptimizerOptions, type ParamsInput } from "../core/optimizer.js";
import { defineSpec } from "../core/define-spec.js";
import type { OptionsInput, SharedOptions } from "../core/spec.js";
import { GRAD_SCALE, MAXIMIZE } from "../abi/index.js";
import { rprop_f32 } from "./rprop.reference.js";

/** The options of {@link Rprop}, each with its default (PyTorch's where PyTorch has the optimizer). */
export interface RpropOptions extends Pick<SharedOptions, "maximize" | "stateDtype" | "stochasticRounding"> {
  /** Learning rate γ. @defaultValue 0.01 */
  lr: number;
  /** Multiplicative decrease and increase factors (η−, η+). @defaultValue [0.5, 1.2] */
  etas: [number, number];
  /** Minimal and maximal step sizes. @defaultValue [1e-6, 50] */
  stepSizes: [number, number];
}

/**
 * A pair option whose name is not its first element's plus "s" (options.ts `pair` covers betas): `etas` =
 * [etaminus, etaplus], each element with its own rule and message.
 */
function namedPair(group: string, names: readonly [string, string], rules: readonly [Rule, Rule]): Rule {
  return (v) => {
    if (!Array.isArray(v) || v.length !== 2) {
      throw new TypeError(invalidMessage(group, v, `[${names[0]}, ${names[1]}]`));
    }
    rules[0](v[0], names[0]);
    rules[1](v[1], names[1]);
  };
}

export const RPROP_SPEC = defineSpec<RpropOptions>({
  name: "Rprop",
  defaults: { lr: 1e-2, etas: [0.5, 1.2], stepSizes: [1e-6, 50], maximize: false,
    stateDtype: "f32", stochasticRounding: false },
  rules: {
    etas: namedPair("etas", ["etaminus", "etaplus"], [num((x) => x > 0 && x < 1, "0 < {} < 1"), num((x) => x > 1, "{} > 1")]),
    stepSizes: namedPair("stepSizes", ["stepSizeMin", "stepSizeMax"], [nonNegative, nonNegative]),
  },
  check(o) {
    if (o.stepSizes[0] > o.stepSizes[1]) {
      throw new RangeError(invalidMessage("stepSizes", o.stepSizes, `stepSizeMin <= stepSizeMax`));
    }
  },
  scalars: ["etaminus", "etaplus", "stepSizeMin", "stepSizeMax"],
  reference: rprop_f32,
  buffers: [
    { name: "prev", needed: () => true },
    { name: "step_size", needed: () => true, fill: (o) => o.lr, q8: "unsigned" },
  ],
  stepScalars(s, r, o, gs) {
    const flags = (o.maximize ? MAXIMIZE : 0) | (gs !== 1 ? GRAD_SCALE : 0);
    s[0] = o.etas[0]; s[1] = o.etas[1]; s[2] = o.stepSizes[0]; s[3] = o.stepSizes[1];
    return flags;
  },
});

/**
 * Rprop, resilient backpropagation (Riedmiller & Braun 1993, https://doi.org/10.1109/ICNN.1993.298623) —
 * PyTorch's `torch.optim.Rprop` (2.x), f32.
 *
 *   t ← t + 1;  g ← maximize ? −∇ : ∇
 *   s = sign(g·prev);   f = η+ where s > 0, η− where s < 0, 1 where s = 0
 *   stepSize ← clamp(stepSize·f, stepSizeMin, stepSizeMax)          (stepSize starts at lr)
 *   g ← 0 where s < 0                                                 (no step, and forget, after a sign flip)
 *   θ ← θ − sign(g)·stepSize;   prev ← g
 *
 * Defaults: lr 1e-2, etas [η−, η+] = [0.5, 1.2], stepSizes [1e-6, 50], maximize false. State: `step`, `prev`,
 * `step_size` (filled with the lr in effect at the first step, as PyTorch). No weight decay (PyTorch has none).
 * Non-finite gradients as PyTorch (CPU): its sign() is 0 for NaN, so a NaN gradient moves nothing and keeps the
 * step size (the NaN stays in `prev`, and the next step's factor is 1 again); an infinite one steps by the step
 * size. Reference: https://pytorch.org/docs/2.13/generated/torch.optim.Rprop.html
 *
 * @example
 * await init();
 * const store = new ParamStore();
 * const w = store.param("w", new Float32Array([1, -1]));
 * const opt = new Rprop(store.params, { lr: 1e-2, etas: [0.5, 1.2] });
 * w.grad.set([0.2, -0.3]); opt.step();
 */
export class Rprop extends Optimizer<RpropOptions> {
  constructor(params: ParamsInput<RpropOptions>, options: OptionsInput<RpropOptions> & OptimizerOptions = {}) {
    super(RPROP_SPEC, params, options);
  }
}
