import { num } from "../core/options.js";
import { Optimizer, type OptimizerOptions, type ParamsInput } from "../core/optimizer.js";
import { defineSpec } from "../core/define-spec.js";
import type { OptionsInput, SharedOptions } from "../core/spec.js";
import { baseFlags, INIT_BUFFER, MOMENTUM, NESTEROV } from "../abi/index.js";
import { sgd_f32 } from "./sgd.reference.js";
import { type Flavor, flavorRule } from "./flavor.js";

/** The options of {@link SGD}, each with its default (PyTorch's where PyTorch has the optimizer). */
export interface SGDOptions extends Pick<SharedOptions, "maximize" | "stateDtype"> {
  /** Learning rate γ. @defaultValue 1e-3 */
  lr: number;
  /** Momentum factor (0: none). @defaultValue 0 */
  momentum: number;
  /** Dampening for momentum. @defaultValue 0 */
  dampening: number;
  /** Weight decay λ: L2 penalty λθ added to the gradient. @defaultValue 0 */
  weightDecay: number;
  /** Nesterov momentum. @defaultValue false */
  nesterov: boolean;
  /**
   * "torch" (default) or "tfjs" (the same numbers with dampening 0, above).
   * @defaultValue "torch"
   */
  flavor: Flavor;
}

export const SGD_SPEC = defineSpec<SGDOptions>({
  name: "SGD",
  defaults: { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false, flavor: "torch", stateDtype: "f32" },
  rules: { dampening: num((x) => x >= 0 && x <= 1, "0 <= {} <= 1"), flavor: flavorRule },
  check(o) {
    if (o.flavor === "tfjs" && o.dampening !== 0) {
      throw new RangeError(`Invalid dampening: ${o.dampening} (expected 0 with flavor "tfjs": tfjs's momentum has no dampening)`);
    }
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      throw new RangeError(`Invalid nesterov: true (expected momentum > 0 and dampening = 0, got momentum ${o.momentum}, dampening ${o.dampening})`);
    }
  },
  structural: ["momentum"],
  // No stochasticRounding: SGD's state keeps no step count (PyTorch's layout), so a seeded rounding stream
  // could not resume where it stopped; a momentum buffer (μ <= 0.9 moves it 10 % a step) does not stall in bf16.
  scalars: ["lr", "weightDecay", "momentum", "dampFactor"],
  reference: sgd_f32,
  buffers: [{ name: "momentum_buffer", needed: (o) => o.momentum !== 0, flag: MOMENTUM }],
  hasStep: false,
  stepScalars(s, r, o, gs) {
    let flags = baseFlags(o, gs);
    if (o.momentum !== 0) flags |= MOMENTUM | (o.nesterov ? NESTEROV : 0) | (r.ready[0] ? 0 : INIT_BUFFER);
    s[0] = o.lr; s[1] = o.weightDecay; s[2] = o.momentum; s[3] = 1 - o.dampening;
    return flags;
  },
});

/**
 * SGD with optional momentum, dampening, Nesterov momentum, weight decay and maximize — PyTorch's
 * `torch.optim.SGD` (2.x), f32.
 *
 *   g ← maximize ? −∇ : ∇;   g ← g + λθ                        (weightDecay λ)
 *   if μ ≠ 0:  b ← g on the first step, else b ← μb + (1 − τ)g   (momentum μ, dampening τ)
 *              g ← nesterov ? g + μb : b
 *   θ ← θ − γg                                                 (lr γ)
 *
 * Defaults: lr 1e-3, momentum 0, dampening 0, weightDecay 0, nesterov false, maximize false.
 * State: `momentum_buffer` (when momentum ≠ 0). Nesterov: Sutskever et al. 2013,
 * http://proceedings.mlr.press/v28/sutskever13.html
 *
 * flavor "tfjs" (TensorFlow.js's `tf.train.sgd` and `tf.train.momentum`): tfjs computes θ + (−γ)·g, and
 * a ← μa + g from a zero buffer, θ ← θ + (−γ)·(nesterov ? g + μa : a). Adding the product of −γ is
 * subtracting that of γ, μ·0 + g is g, and tfjs has no dampening: these are PyTorch's numbers with
 * dampening 0, bit for bit (only the sign of a zero buffer can differ), so the flavor runs the same kernel.
 * It exists so that code ported from tfjs can say which semantics it relies on.
 *
 * @example
 * await init();
 * const store = new ParamStore();
 * const w = store.param("w", new Float32Array([1, 2]));
 * const opt = new SGD(store.params, { lr: 0.1, momentum: 0.9, nesterov: true });
 * w.grad.set([0.5, -0.5]); opt.step();
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: ParamsInput<SGDOptions>, options: OptionsInput<SGDOptions> & OptimizerOptions = {}) {
    super(SGD_SPEC, params, options);
  }
}
