import { nonNegative, num, type Rule } from "../core/options.js";
import { Optimizer, type OptimizerOptions, type OptionsInput, type ParamsInput } from "../core/optimizer.js";
import { defineSpec } from "../core/define-spec.js";
import { ALL, SUM } from "../core/reduce.js";
import { GRAD_SCALE, START, UPDATE } from "../abi/index.js";
import { prodigy_f32 } from "./prodigy.reference.js";

/** The options of {@link Prodigy}, each with its default (Optax's `optax.contrib.prodigy`). */
export interface ProdigyOptions {
  /** A schedule factor around 1 (Optax's `learning_rate`), not a learning rate: d·lr is the step size. @defaultValue 1 */
  lr: number;
  /** Decay rates of the moving averages (β1, β2). @defaultValue [0.9, 0.999] */
  betas: [number, number];
  /** Decay β3 of the d estimate's sums r and s; null: √β2. @defaultValue null */
  beta3: number | null;
  /** Term added to the denominator, scaled by the new estimate d': √v + d'·ε. @defaultValue 1e-8 */
  eps: number;
  /** The initial (under-)estimate d0 of d (Optax's `estim_lr0`). @defaultValue 1e-6 */
  estimLr0: number;
  /** Multiplies each new estimate of d (Optax's `estim_lr_coef`). @defaultValue 1 */
  estimLrCoef: number;
  /** Decoupled (AdamW) weight decay λ: θ ← θ − λ·dlr·θ. @defaultValue 0 */
  weightDecay: number;
  /** Leave lr out of the sum s (Optax's `safeguard_warmup`): for warm-up schedules. @defaultValue false */
  safeguardWarmup: boolean;
}

const f = Math.fround;
const unit = num((x) => x >= 0 && x < 1, "0 <= {} < 1");
const beta3Rule: Rule = (v, key) => { if (v !== null) unit(v, key); };
const beta3Of = (o: ProdigyOptions) => o.beta3 ?? Math.sqrt(o.betas[1]);

/** dlr = d·lr·bc, bc = √(1 − β2^t)/(1 − β1^t), each operation in f32 as Optax's (the powers rounded once). */
function dlrOf(o: ProdigyOptions, step: number, d: number): number {
  const t = step + 1, b1 = f(o.betas[0]), b2 = f(o.betas[1]);
  const bc = f(f(Math.sqrt(f(1 - f(b2 ** t)))) / f(1 - f(b1 ** t)));
  return f(f(d * f(o.lr)) * bc);
}

export const PRODIGY_SPEC = defineSpec<ProdigyOptions>({
  name: "Prodigy",
  defaults: { lr: 1, betas: [0.9, 0.999], beta3: null, eps: 1e-8, estimLr0: 1e-6, estimLrCoef: 1, weightDecay: 0, safeguardWarmup: false },
  rules: { beta3: beta3Rule, estimLr0: num((x) => x > 0, "{} > 0"), estimLrCoef: nonNegative },
  f32Only: "params0 is the point the d estimate measures θ0 − θ from, not a statistic of the gradients",
  scalars: ["estimLr", "beta1", "beta1Comp", "beta2", "beta2Comp", "beta3", "sumLr", "estimLr0", "dlr", "decay", "epsLr"],
  reference: prodigy_f32,
  buffers: [
    { name: "exp_avg", needed: () => true }, { name: "exp_avg_sq", needed: () => true },
    { name: "grad_sum", needed: () => true }, { name: "params0", needed: () => true },
    { name: "terms", needed: () => true, transient: true },
  ],
  global: {
    state: ["estim_lr", "numerator_weighted"],
    init(g, o) { g[0] = f(o.estimLr0); g[1] = 0; },
    passes: 2,
    // After pass 0: Σ terms (signed) and Σ|grad_sum| over every run.
    reduce: [[[4, SUM], [2, ALL]]],
    totals: 2,
    fold(acc, _pass, out, run, o, g) {
      const d = g[0]!;
      acc[0] = acc[0]! + f(f(d / f(o.estimLr0)) * dlrOf(o, run.step, d)) * f(out[1]!);
      acc[1] = acc[1]! + out[4]!;
    },
    update(g, acc, _pass, o) {
      const r = f(f(f(beta3Of(o)) * g[1]!) + f(acc[0]!));
      g[1] = r;
      g[0] = Math.max(g[0]!, f(f(f(o.estimLrCoef) * r) / f(acc[1]!)));
    },
  },
  stepScalars(s, r, o, gs, pass, g) {
    const flags = gs !== 1 ? GRAD_SCALE : 0;
    if (pass === 1) {
      s[10] = f(g[0]! * f(o.eps));
      return flags | UPDATE;
    }
    const d = g[0]!, dlr = dlrOf(o, r.step, d);
    s[0] = d; s[1] = o.betas[0]; s[2] = 1 - o.betas[0]; s[3] = o.betas[1]; s[4] = 1 - o.betas[1]; s[5] = beta3Of(o);
    s[6] = o.safeguardWarmup ? d : dlr; s[7] = o.estimLr0; s[8] = dlr; s[9] = f(f(-o.weightDecay) * dlr);
    s[10] = f(d * f(o.eps));
    return flags | (r.step === 0 ? START : 0);
  },
});

/**
 * Prodigy (Mishchenko & Defazio 2023, "Prodigy: An Expeditiously Adaptive Parameter-Free Learner",
 * https://arxiv.org/abs/2306.06101) — Optax's `optax.contrib.prodigy` (0.2.8), f32: AdamW whose step size d
 * (`estim_lr`) is estimated from the whole model, so `lr` is a schedule factor around 1, not a learning rate.
 *
 *   t ← t + 1;  dlr ← d·lr·√(1 − β2^t)/(1 − β1^t);  on t = 1: θ0 ← θ
 *   r ← β3·r + (d/d0)·dlr·Σ g·(θ0 − θ)                 (over every param of every group: `numerator_weighted`)
 *   s ← β3·s + dlr·(d·g)/d0   (safeguardWarmup: d·(d·g)/d0)
 *   d' ← max(d, coef·r / Σ|s|)                          (Σ over every param: the global d, `estim_lr`)
 *   m ← β1·m + (1 − β1)·d·g;  v ← β2·v + (1 − β2)·(d·g)²
 *   θ ← θ − wd·dlr·θ − dlr·m / (√v + d'·ε)
 *
 * The two sums are global reductions between the kernel's passes: pass 0 writes the terms g·(θ0 − θ) (a
 * transient buffer, never saved) and s; the step plan reduces both over every run in one fixed order (the same
 * bits on every backend and thread count), the host computes r and d' in f32 as Optax does, then pass 1 updates
 * m, v and θ with the old d and the new d'. One d for the whole optimizer: it starts at the first group's
 * estimLr0 (at construction) and the host update reads β3 and estimLrCoef of the first group; every group's own
 * lr, betas, eps, weightDecay and estimLr0 enter its dlr and its kernel, and (d/d0)·dlr of its run weighs each
 * run's share of Σ g·(θ0 − θ).
 *
 * State (Optax's names): `step` (`count`), `exp_avg`, `exp_avg_sq`, `grad_sum`, `params0` per param; `estim_lr`
 * and `numerator_weighted` in the state dict's `global`. f32 only: params0 is a point, not a statistic (θ0 − θ in
 * bf16 would be noise).
 * Reference: https://github.com/google-deepmind/optax/blob/main/optax/contrib/_prodigy.py
 *
 * @example
 * const opt = new Prodigy(store.params); // no lr to tune; then per batch: opt.step(); opt.zeroGrad();
 */
export class Prodigy extends Optimizer<ProdigyOptions> {
  constructor(params: ParamsInput<ProdigyOptions>, options: OptionsInput<ProdigyOptions> & OptimizerOptions = {}) {
    super(PRODIGY_SPEC, params, options);
  }
}
