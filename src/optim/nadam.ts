import { nonNegative } from "../core/options.js";
import { Optimizer, type OptimizerOptions, type ParamsInput } from "../core/optimizer.js";
import { defineSpec } from "../core/define-spec.js";
import type { OptionsInput, SharedOptions } from "../core/spec.js";
import { baseFlags } from "../abi/index.js";
import { nadam_f32 } from "./nadam.reference.js";

/** The options of {@link NAdam}, each with its default (PyTorch's where PyTorch has the optimizer). */
export interface NAdamOptions extends Pick<SharedOptions, "maximize" | "stateDtype" | "stochasticRounding"> {
  /** Learning rate γ. @defaultValue 2e-3 */
  lr: number;
  /** Decay rates of the moving averages (β1, β2). @defaultValue [0.9, 0.999] */
  betas: [number, number];
  /** Term added to the denominator for numerical stability. @defaultValue 1e-8 */
  eps: number;
  /** Weight decay λ: L2 penalty λθ added to the gradient. @defaultValue 0 */
  weightDecay: number;
  /** Momentum decay ψ of NAdam's μ_t = β1(1 − ½·0.96^(tψ)). @defaultValue 4e-3 */
  momentumDecay: number;
  /** Decoupled weight decay θ ← θ(1 − γλ) instead of the L2 term (AdamW's). @defaultValue false */
  decoupledWeightDecay: boolean;
}

/** μ_i = β1·(1 − ½·0.96^(i·ψ)), as PyTorch computes it (Python floats). */
function muAt(beta1: number, psi: number, i: number): number {
  return beta1 * (1 - 0.5 * 0.96 ** (i * psi));
}

// Π_t = μ_1·μ_2···μ_t in f64, always multiplied in the order i = 1..t, so its value depends on (β1, ψ, t)
// only: a resumed optimizer gets the bits an uninterrupted one had. A few slots cache the last product per
// (β1, ψ), so consecutive steps cost one multiplication; a cold start (load, other betas) walks from i = 1.
// Once Π < 2^-80, 1 − Π and 1 − Π·μ are exactly 1 in f64, so Π is 0 from there on (the walk stops early and
// the coefficients are unchanged). Slots: [beta1, psi, t, product], NaN-keyed when empty; no allocation.
const SLOTS = 4;
const cache = new Float64Array(SLOTS * 4).fill(Number.NaN);
let victim = 0;
export function muProduct(beta1: number, psi: number, t: number): number {
  let s = -1;
  for (let k = 0; k < SLOTS * 4; k += 4) {
    if (cache[k] === beta1 && cache[k + 1] === psi && cache[k + 2]! <= t) { s = k; break; }
  }
  let i = 0, prod = 1;
  if (s >= 0) { i = cache[s + 2]!; prod = cache[s + 3]!; } else { s = victim; victim = (victim + 4) % (SLOTS * 4); }
  while (i < t && prod !== 0) {
    i++;
    prod *= muAt(beta1, psi, i);
    if (prod < 2 ** -80) prod = 0;
  }
  cache[s] = beta1; cache[s + 1] = psi; cache[s + 2] = t; cache[s + 3] = prod;
  return prod;
}

export const NADAM_SPEC = defineSpec<NAdamOptions>({
  name: "NAdam",
  defaults: { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, momentumDecay: 4e-3, decoupledWeightDecay: false, maximize: false,
    stateDtype: "f32", stochasticRounding: false },
  rules: { momentumDecay: nonNegative },
  scalars: ["gradCoef", "avgCoef", "beta1Comp", "beta2", "beta2Comp", "rBc2", "eps", "weightDecay", "decay"],
  reference: nadam_f32,
  buffers: [{ name: "exp_avg", needed: () => true }, { name: "exp_avg_sq", needed: () => true, q8: "unsigned" }],
  stepScalars(s, r, o, gs) {
    const t = r.step + 1, beta1 = o.betas[0], beta2 = o.betas[1], psi = o.momentumDecay;
    const mu = muAt(beta1, psi, t), muNext = muAt(beta1, psi, t + 1), prod = muProduct(beta1, psi, t);
    s[0] = (o.lr * (1 - mu)) / (1 - prod); s[1] = (o.lr * muNext) / (1 - prod * muNext); s[2] = 1 - beta1;
    s[3] = beta2; s[4] = 1 - beta2; s[5] = 1 / (1 - beta2 ** t); s[6] = o.eps; s[7] = o.weightDecay;
    s[8] = 1 - o.lr * o.weightDecay;
    return baseFlags(o, gs, o.decoupledWeightDecay);
  },
});

/**
 * NAdam (Dozat 2016, https://openreview.net/forum?id=OM0jvwB8jIp57ZJjtNEZ) with L2 or decoupled weight decay
 * (NAdamW) — PyTorch's `torch.optim.NAdam` (2.x), f32.
 *
 *   t ← t + 1;  g ← maximize ? −∇ : ∇
 *   if λ ≠ 0:  decoupledWeightDecay ? θ ← θ(1 − γλ) : g ← g + λθ
 *   μ_t = β1·(1 − ½·0.96^(t·ψ)),  μ_{t+1} = β1·(1 − ½·0.96^((t+1)·ψ)),  Π_t = μ_1·μ_2···μ_t
 *   m ← lerp(m, g, 1 − β1);   v ← β2·v + (1 − β2)·g²
 *   d = √(v / (1 − β2^t)) + ε
 *   θ ← θ − γ(1 − μ_t)/(1 − Π_t) · g/d − γ·μ_{t+1}/(1 − Π_t·μ_{t+1}) · m/d
 *
 * Defaults: lr 2e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0, momentumDecay (ψ) 4e-3,
 * decoupledWeightDecay false, maximize false. State: `step`, `exp_avg`, `exp_avg_sq`. PyTorch also keeps
 * `mu_product` (Π_t, a float32 0-d tensor multiplied once per step); gradstep derives Π_t from the step
 * count in f64 (muProduct below), so a state dict needs no running product and resume is exact. The two
 * agree within f32 rounding of Π (well inside the conformance tolerance) as long as β1 and ψ stay fixed; a
 * scheduler cycling β1 (cycleMomentum) makes PyTorch multiply each step's μ with that step's β1, while here Π
 * is the product of the μ_i of the current β1. The kernel multiplies v by 1/(1 − β2^t) and d's reciprocal where
 * PyTorch divides (one division per element instead of three; within f32 rounding).
 * Reference: https://pytorch.org/docs/2.13/generated/torch.optim.NAdam.html
 *
 * @example
 * await init();
 * const store = new ParamStore();
 * const w = store.param("w", new Float32Array([1, -1]));
 * const opt = new NAdam(store.params, { lr: 2e-3 });
 * w.grad.set([0.2, 0.3]); opt.step();
 */
export class NAdam extends Optimizer<NAdamOptions> {
  constructor(params: ParamsInput<NAdamOptions>, options: OptionsInput<NAdamOptions> & OptimizerOptions = {}) {
    super(NADAM_SPEC, params, options);
  }
}
