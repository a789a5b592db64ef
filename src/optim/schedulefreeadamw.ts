import { invalid, nonNegative, num, pair } from "../core/options.js";
import { type LoadOptions, Optimizer, type OptimizerOptions, type OptimizerSpec, type ParamsInput, type StateDict } from "../core/optimizer.js";
import { defineSpec } from "../core/define-spec.js";
import type { OptionsInput } from "../core/spec.js";
import { DECOUPLED, GRAD_SCALE, INIT_BUFFER } from "../abi/index.js";
import { optaxBiasCorrection } from "./optax.js";
import { schedulefreeadamw_f32 } from "./schedulefreeadamw.reference.js";

/** The options of {@link ScheduleFreeAdamW}, each with its default (PyTorch's where PyTorch has the optimizer). */
export interface ScheduleFreeAdamWOptions {
  /** Learning rate γ. @defaultValue 2.5e-3 */
  lr: number;
  /** Linear warm-up steps of the learning rate. @defaultValue 0 */
  warmupSteps: number;
  /** Decay rates of the moving averages (β1, β2). @defaultValue [0.9, 0.999] */
  betas: [number, number];
  /** Term added to the denominator for numerical stability. @defaultValue 1e-8 */
  eps: number;
  /** Weight decay λ: λy (y, the gradient's evaluation point) is added to the gradient. @defaultValue 0 */
  weightDecay: number;
  /** Power of the max learning rate in the averaging weight. @defaultValue 2 */
  weightLrPower: number;
}

/** The schedule-free lr at (1-based) count s: linear warm-up from 0 over `warmup` counts, then `lr`. */
export function warmupLr(lr: number, warmup: number, s: number): number {
  return warmup > 0 ? lr * Math.min(s / warmup, 1) : lr;
}

// The weight sum of the last call (every run of a step asks for the same one).
let lastT = -1, lastLr = Number.NaN, lastW = -1, lastP = Number.NaN, lastSum = 0;

/** Σ_{s=1..t} γ_max,s^p; γ_s is non-decreasing, so γ_max,s = γ_s. O(min(t, warmup)) once per step. */
export function scheduleFreeWeightSum(lr: number, warmup: number, p: number, t: number): number {
  if (t === lastT && lr === lastLr && warmup === lastW && p === lastP) return lastSum;
  const k = warmup > 0 ? Math.min(t, warmup) : 0;
  let sum = 0;
  for (let s = 1; s <= k; s++) sum += warmupLr(lr, warmup, s) ** p;
  sum += (t - k) * lr ** p;
  lastT = t; lastLr = lr; lastW = warmup; lastP = p; lastSum = sum;
  return sum;
}

/** The averaging weight c_t = γ_max,t^p / Σ γ_max,s^p (0 when both are 0, as Optax's nan_to_num makes it). */
export function scheduleFreeCk(lr: number, warmup: number, p: number, t: number): number {
  const weight = warmupLr(lr, warmup, t) ** p, sum = scheduleFreeWeightSum(lr, warmup, p, t);
  return sum > 0 ? weight / sum : 0;
}

export const SCHEDULEFREEADAMW_SPEC = defineSpec<ScheduleFreeAdamWOptions>({
  name: "ScheduleFreeAdamW",
  defaults: { lr: 2.5e-3, warmupSteps: 0, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, weightLrPower: 2 },
  rules: {
    warmupSteps: num((x) => Number.isInteger(x) && x >= 0, "integer {} >= 0"),
    betas: pair(["beta1", "beta2"], (x) => x > 0 && x < 1, "0 < {} < 1"), weightLrPower: nonNegative,
  },
  f32Only: "z is the iterate the params are computed from, not a statistic of the gradients",
  scalars: ["beta1", "beta1Comp", "rBeta1", "ck", "ckComp", "lr", "beta2", "beta2Comp", "rBc2", "eps", "weightDecay"],
  reference: schedulefreeadamw_f32,
  buffers: [{ name: "z", needed: () => true }, { name: "exp_avg_sq", needed: () => true }],
  stepScalars(s, r, o, gs) {
    const t = r.step + 1, beta1 = o.betas[0], beta2 = o.betas[1], w = o.warmupSteps;
    const ck = scheduleFreeCk(o.lr, w, o.weightLrPower, t);
    const flags = (gs !== 1 ? GRAD_SCALE : 0) | (o.weightDecay !== 0 ? DECOUPLED : 0) | (r.step === 0 ? INIT_BUFFER : 0);
    s[0] = beta1; s[1] = 1 - beta1; s[2] = 1 / beta1; s[3] = ck; s[4] = 1 - ck; s[5] = warmupLr(o.lr, w, t - 1);
    s[6] = beta2; s[7] = 1 - beta2; s[8] = 1 / optaxBiasCorrection(beta2, t); s[9] = o.eps; s[10] = o.weightDecay;
    return flags;
  },
});

/** A schedule-free optimizer's state dict: the mode is state (the params saved with it hold x in eval mode). */
/** A schedule-free optimizer's state dict: the usual one and the train/eval mode. */
export type ScheduleFreeStateDict = StateDict & {
  /** Whether it was saved in train mode (params at y) rather than eval mode (params at x). */
  training: boolean;
};

/**
 * eval()/train() for schedule-free optimizers: params between y (train) and x (eval), in place, from `z`;
 * `beta1` reads β1 from a group's options. The mode is state: stateDict() saves it as `training`, and
 * loadStateDict() restores it (a dict without it is from train mode), so that the params saved with the dict
 * (x when saved in eval mode) are read as what they are, whatever mode the loading optimizer was in.
 */
export abstract class ScheduleFreeOptimizer<O extends object> extends Optimizer<O> {
  #training = true;
  readonly #name: string;
  readonly #beta1: (o: O) => number;

  protected constructor(spec: OptimizerSpec<O>, beta1: (o: O) => number, params: ParamsInput<O>, options: OptionsInput<O> & OptimizerOptions) {
    super(spec, params, options);
    this.#name = spec.name;
    this.#beta1 = beta1;
  }

  /** Whether the params hold y (train mode, the default) rather than x. */
  get training(): boolean {
    return this.#training;
  }

  /** Params ← x, the evaluation point (Optax's schedule_free_eval_params). No-op in eval mode. */
  eval(): void {
    if (!this.#training) return;
    this.#swap(true);
    this.#training = false;
  }

  /** Params ← y, the point gradients are taken at. No-op in train mode. */
  train(): void {
    if (this.#training) return;
    this.#swap(false);
    this.#training = true;
  }

  override step(...args: Parameters<Optimizer<O>["step"]>): void {
    if (!this.#training) throw new Error(`${this.#name}: step() in eval mode (the params hold x; call train() first)`);
    super.step(...args);
  }

  /** The state dict with the mode (`training`): restore the params saved with it, in that mode. */
  override stateDict(): ScheduleFreeStateDict {
    return { ...super.stateDict(), training: this.#training };
  }

  /** Restores the state and the mode it was saved in (`training`; absent: train mode). */
  override loadStateDict(dict: StateDict, options?: LoadOptions): void {
    const training = dict !== null && typeof dict === "object" && Object.hasOwn(dict, "training") ? (dict as ScheduleFreeStateDict).training : true;
    if (typeof training !== "boolean") invalid(`${this.#name}.loadStateDict`, "training", training, "a boolean: whether the dict was saved in train mode", "boolean");
    super.loadStateDict(dict, options);
    this.#training = training;
  }

  #swap(toEval: boolean): void {
    if (this.backend === "webgpu") {
      // On the device, run by run: a run's z holds state once the run has stepped (ready), as `state[id].z` below.
      const backend = this._backend();
      this.paramGroups.forEach((group, gi) => {
        const b1 = Math.fround(this.#beta1(group)), c = Math.fround(1 - b1);
        for (const r of this._runs(gi)) if (r.ready[0]) backend.scheduleFreeSwap!(r.offsets[0]!, r.offsets[1]!, r.n, toEval, b1, c);
      });
      return;
    }
    const state = super.stateDict().state;
    let id = 0;
    for (const group of this.paramGroups) {
      const b1 = Math.fround(this.#beta1(group)), c = Math.fround(1 - b1), f = Math.fround;
      for (const p of group.params) {
        const z = state[id++]?.z as ArrayLike<number> | undefined;
        if (!z) continue; // no step yet: z = y, and x = y
        const v = p.value;
        if (toEval) for (let i = 0; i < v.length; i++) v[i] = f(v[i]! - f(c * z[i]!)) / b1;
        else for (let i = 0; i < v.length; i++) v[i] = f(b1 * v[i]!) + f(c * z[i]!);
      }
    }
  }
}

/**
 * Schedule-Free AdamW (Defazio et al. 2024, "The Road Less Scheduled", https://arxiv.org/abs/2405.15682) —
 * Optax's `optax.contrib.schedule_free_adamw` (0.2.8: schedule_free around chain(scale_by_rms with bias
 * correction and ε outside the root, add_decayed_weights, scale_by_learning_rate)), f32.
 *
 * The params hold y, the point where gradients are taken; state `z` is the base optimizer's iterate, and the
 * evaluation point x = (y − (1 − β1)·z)/β1 is not stored (Optax recomputes it too). With t = step + 1:
 *   γ_t = warmupSteps > 0 ? γ·min(t/W, 1) : γ  (schedule-free weighting)   γ'_t = γ·min((t−1)/W, 1)  (base step)
 *   c_t = γ_max^p / Σ_{s ≤ t} γ_max,s^p       (γ_max = max of γ_s so far, p = weightLrPower)
 *   v ← (1 − β2)·g² + β2·v;  u = g/(√(v/(1 − β2^t)) + ε) + λy;  z' ← z − γ'_t·u        (z starts as y)
 *   x ← (1 − c_t)·(y − (1 − β1)·z)/β1 + c_t·z';   y ← β1·x + (1 − β1)·z'
 *
 * Optax evaluates its lr schedule at two different counts (the base optimizer's starts at 0, schedule_free's
 * at 1), hence γ' lags γ by one step during warm-up (γ' = 0 on step 1): reproduced. gradstep derives γ_max and
 * Σγ_max^p from the step count and the group's current lr (as if that lr had held since step 1), so the state
 * is `step`, `z`, `exp_avg_sq` (Optax's `nu`) and nothing else; an lr edited by a scheduler between steps is
 * therefore not what Optax's own weighting would do with a schedule (use warmupSteps). warmupSteps 0 means no
 * warm-up (Optax's None; Optax's warmup_steps=0 would be a constant lr of 0).
 *
 * `eval()` turns every param into x in place (Optax's `schedule_free_eval_params`), `train()` back into y
 * (y = β1·x + (1 − β1)·z, within an f32 rounding of the y that eval() replaced); step() in eval mode throws.
 * The mode is state: the state dict (and a checkpoint) saves it as `training` and loading restores it.
 *
 * Defaults (Optax's): lr 2.5e-3, warmupSteps 0, betas [0.9, 0.999], eps 1e-8, weightDecay 0, weightLrPower 2.
 * Reference: https://github.com/google-deepmind/optax/blob/main/optax/contrib/_schedule_free.py.
 *
 * @example
 * await init();
 * const store = new ParamStore();
 * const w = store.param("w", new Float32Array([0.1, -0.2, 0.3]));
 * const opt = new ScheduleFreeAdamW(store.params, { lr: 2.5e-3, warmupSteps: 100 });
 * w.grad.set([0.5, -0.5, 0.5]); opt.step(); opt.zeroGrad();
 * opt.eval();  // w.value now holds x: evaluate or save the model here
 * opt.train(); // back to y before the next step()
 */
export class ScheduleFreeAdamW extends ScheduleFreeOptimizer<ScheduleFreeAdamWOptions> {
  constructor(params: ParamsInput<ScheduleFreeAdamWOptions>, options: OptionsInput<ScheduleFreeAdamWOptions> & OptimizerOptions = {}) {
    super(SCHEDULEFREEADAMW_SPEC, (o) => o.betas[0], params, options);
  }
}
