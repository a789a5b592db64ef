import { ADAM_SPEC, type AdamOptions, adamScalars } from "./adam.js";
import { Optimizer, type OptimizerOptions, type OptimizerSpec, type ParamsInput } from "../core/optimizer.js";
import type { OptionsInput } from "../core/spec.js";
import { defineSpec } from "../core/define-spec.js";

/** The options of {@link AdamW}: Adam's, with decoupled weight decay always on and its own default. */
export interface AdamWOptions extends Omit<AdamOptions, "decoupledWeightDecay" | "flavor" | "weightDecay"> {
  /** Decoupled weight decay λ: θ ← θ(1 − γλ) before the moment updates. @defaultValue 0.01 */
  weightDecay: number;
}

// No flavor: TensorFlow.js has no AdamW (a tfjs user gets it through gradstep/tfjs's fromGradstep).
const { decoupledWeightDecay: _default, flavor: _flavor, ...defaults } = ADAM_SPEC.defaults;

export const ADAMW_SPEC = defineSpec<AdamWOptions>({
  ...(ADAM_SPEC as unknown as OptimizerSpec<AdamWOptions>),
  name: "AdamW",
  defaults: { ...defaults, weightDecay: 1e-2 },
  rules: {},
  stepScalars: (s, r, o, gs) => adamScalars(s, r, o, gs, true),
});

/**
 * AdamW (Loshchilov & Hutter 2017, https://arxiv.org/abs/1711.05101) — PyTorch's `torch.optim.AdamW`
 * (2.x): Adam with decoupled weight decay θ ← θ(1 − γλ), applied before the moment updates (the decay is
 * multiplied by lr, as in PyTorch). Equations and state: Adam's class comment.
 *
 * Defaults: lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 1e-2, amsgrad false, maximize false.
 *
 * @example
 * await init();
 * const store = new ParamStore();
 * const w = store.param("w", 1024);
 * const opt = new AdamW(store.params, { lr: 3e-4, weightDecay: 0.1 });
 * w.grad.fill(0.01); opt.step();
 */
export class AdamW extends Optimizer<AdamWOptions> {
  constructor(params: ParamsInput<AdamWOptions>, options: OptionsInput<AdamWOptions> & OptimizerOptions = {}) {
    super(ADAMW_SPEC, params, options);
  }
}
