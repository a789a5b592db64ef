import { nonNegative, num } from "../core/options.js";
import type { OptimizerOptions, ParamsInput } from "../core/optimizer.js";
import { defineSpec } from "../core/define-spec.js";
import type { OptionsInput } from "../core/spec.js";
import { DECOUPLED, GRAD_SCALE, INIT_BUFFER } from "../abi/index.js";
import { ScheduleFreeOptimizer, scheduleFreeCk, warmupLr } from "./schedulefreeadamw.js";
import { schedulefreesgd_f32 } from "./schedulefreesgd.reference.js";

/** The options of {@link ScheduleFreeSGD}, each with its default (PyTorch's where PyTorch has the optimizer). */
export interface ScheduleFreeSGDOptions {
  /** Learning rate γ. @defaultValue 1 */
  lr: number;
  /** Linear warm-up steps of the learning rate. @defaultValue 0 */
  warmupSteps: number;
  /** β1 (Optax's `b1`), 0 < β1 < 1: where y sits between the average x and the base iterate z. @defaultValue 0.9 */
  momentum: number;
  /** Weight decay λ: λy (y, the gradient's evaluation point) is added to the gradient. @defaultValue 0 */
  weightDecay: number;
  /** Power of the max learning rate in the averaging weight. @defaultValue 2 */
  weightLrPower: number;
}

export const SCHEDULEFREESGD_SPEC = defineSpec<ScheduleFreeSGDOptions>({
  name: "ScheduleFreeSGD",
  defaults: { lr: 1, warmupSteps: 0, momentum: 0.9, weightDecay: 0, weightLrPower: 2 },
  rules: {
    warmupSteps: num((x) => Number.isInteger(x) && x >= 0, "integer {} >= 0"),
    momentum: num((x) => x > 0 && x < 1, "0 < {} < 1"), weightLrPower: nonNegative,
  },
  f32Only: "z is the iterate the params are computed from, not a statistic of the gradients",
  scalars: ["beta1", "beta1Comp", "rBeta1", "ck", "ckComp", "lr", "weightDecay"],
  reference: schedulefreesgd_f32,
  buffers: [{ name: "z", needed: () => true }],
  stepScalars(s, r, o, gs) {
    const t = r.step + 1, beta1 = o.momentum, w = o.warmupSteps;
    const ck = scheduleFreeCk(o.lr, w, o.weightLrPower, t);
    const flags = (gs !== 1 ? GRAD_SCALE : 0) | (o.weightDecay !== 0 ? DECOUPLED : 0) | (r.step === 0 ? INIT_BUFFER : 0);
    s[0] = beta1; s[1] = 1 - beta1; s[2] = 1 / beta1; s[3] = ck; s[4] = 1 - ck; s[5] = warmupLr(o.lr, w, t - 1);
    s[6] = o.weightDecay;
    return flags;
  },
});

/**
 * Schedule-Free SGD (Defazio et al. 2024, "The Road Less Scheduled", https://arxiv.org/abs/2405.15682) —
 * Optax's `optax.contrib.schedule_free_sgd` (0.2.8: schedule_free around [add_decayed_weights,] sgd), f32.
 *
 * As ScheduleFreeAdamW (optim/schedulefreeadamw: weighting c_t, warm-up, x/y/z, eval()/train()), with
 * plain SGD as the base step: z' ← z − γ'_t·(g + λy), and `momentum` as β1 (Optax's `b1`):
 *   x ← (1 − c_t)·(y − (1 − β1)·z)/β1 + c_t·z';   y ← β1·x + (1 − β1)·z'
 *
 * Defaults (Optax's): lr 1, warmupSteps 0 (= Optax's None), momentum 0.9, weightDecay 0 (= Optax's None),
 * weightLrPower 2. State: `step`, `z`. As for ScheduleFreeAdamW, the weighting is derived from the step, the
 * group's lr and warmupSteps (use warmupSteps rather than editing lr between steps).
 * Reference: https://github.com/google-deepmind/optax/blob/main/optax/contrib/_schedule_free.py.
 *
 * @example
 * await init();
 * const store = new ParamStore();
 * const w = store.param("w", new Float32Array([0.1, -0.2, 0.3]));
 * const opt = new ScheduleFreeSGD(store.params, { lr: 0.5, warmupSteps: 100 });
 * w.grad.set([0.5, -0.5, 0.5]); opt.step(); opt.zeroGrad();
 * opt.eval(); // evaluate at x ... then opt.train() before the next step()
 */
export class ScheduleFreeSGD extends ScheduleFreeOptimizer<ScheduleFreeSGDOptions> {
  constructor(params: ParamsInput<ScheduleFreeSGDOptions>, options: OptionsInput<ScheduleFreeSGDOptions> & OptimizerOptions = {}) {
    super(SCHEDULEFREESGD_SPEC, (o) => o.momentum, params, options);
  }
}
