import { Optimizer, type OptimizerOptions, type ParamsInput } from "../core/optimizer.js";
import { defineSpec } from "../core/define-spec.js";
import type { OptionsInput, SharedOptions } from "../core/spec.js";
import { DECOUPLED, GRAD_SCALE, MAXIMIZE } from "../abi/index.js";
import { lamb_f32 } from "./lamb.reference.js";

/** The options of {@link LAMB}, each with its default (PyTorch's where PyTorch has the optimizer). */
export interface LAMBOptions extends Pick<SharedOptions, "maximize"> {
  /** Learning rate γ. @defaultValue 1e-3 */
  lr: number;
  /** Decay rates of the moving averages (β1, β2). @defaultValue [0.9, 0.999] */
  betas: [number, number];
  /** Term added to the denominator for numerical stability. @defaultValue 1e-6 */
  eps: number;
  /** Term added inside the square root (Optax's `eps_root`). @defaultValue 0 */
  epsRoot: number;
  /** Decoupled weight decay λ: λθ is added to the update, not to the gradient (the class comment gives where). @defaultValue 0 */
  weightDecay: number;
}

// The bias corrections of the last launch: a step calls launch once per tensor with the same t and betas, so
// the two powers are computed once per step, not once per tensor (a cache of numbers: nothing allocated).
let lastT = -1, lastBeta1 = Number.NaN, lastBeta2 = Number.NaN, lastRBc1 = 1, lastRBc2 = 1;

export const LAMB_SPEC = defineSpec<LAMBOptions>({
  name: "LAMB",
  defaults: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-6, epsRoot: 0, weightDecay: 0, maximize: false },
  kind: "tensor",
  scratchFloats: (shape) => shape.reduce((a, d) => a * d, 1),
  // a = exp_avg, b = exp_avg_sq, c = the scratch area (u between the passes). norms: the moments and u (Optax's
  // scale_by_adam, add_decayed_weights), θ and u for the trust ratio; perTensor: ‖θ‖/‖u‖ (1 where either is 0),
  // rounded to f32 once; apply: θ + u·f32(r·(−γ)). A product that feeds a sum goes through keep(): WGSL lets a
  // compiler fuse a·b + c into an FMA (one rounding less).
  wgsl: /* wgsl */ `
fn norms(e: u32) -> vec2<f32> {
  let p = param[ip];
  let g = gradInHas(grad[ig], p, weightDecay, GRAD_SCALE | CLIP | MAXIMIZE);
  let m = optaxMoment(a[ia], g, beta1, beta1Comp);
  let v = optaxMoment2(b[ib], g, beta2, beta2Comp);
  a[ia] = m;
  b[ib] = v;
  var u = (m * rBc1) / (sqrt(keep(v * rBc2) + epsRoot) + eps);
  if (has(DECOUPLED)) { u = u + keep(weightDecay * p); }
  c[ic] = u;
  return vec2<f32>(p, u);
}
fn perTensor(x: vec2<f32>, y: vec2<f32>) -> f32 {
  if (x.x == 0.0 || y.x == 0.0) { return 1.0; }
  return ddDiv(ddSqrt(x), ddSqrt(y)).x;
}
fn apply(e: u32, r: f32) {
  param[ip] = param[ip] + keep(c[ic] * (r * -lr));
}
`,
  scalars: ["lr", "beta1", "beta1Comp", "beta2", "beta2Comp", "rBc1", "rBc2", "eps", "epsRoot", "weightDecay"],
  reference: lamb_f32,
  buffers: [
    { name: "exp_avg", needed: () => true },
    { name: "exp_avg_sq", needed: () => true },
  ],
  stepScalars(s, r, o, gs) {
    const t = r.step + 1, beta1 = o.betas[0], beta2 = o.betas[1];
    if (t !== lastT || beta1 !== lastBeta1 || beta2 !== lastBeta2) {
      lastRBc1 = 1 / (1 - beta1 ** t);
      lastRBc2 = 1 / (1 - beta2 ** t);
      lastT = t; lastBeta1 = beta1; lastBeta2 = beta2;
    }
    const flags = (o.maximize ? MAXIMIZE : 0) | (gs !== 1 ? GRAD_SCALE : 0) | (o.weightDecay !== 0 ? DECOUPLED : 0);
    s[0] = o.lr; s[1] = beta1; s[2] = 1 - beta1; s[3] = beta2; s[4] = 1 - beta2; s[5] = lastRBc1; s[6] = lastRBc2;
    s[7] = o.eps; s[8] = o.epsRoot; s[9] = o.weightDecay;
    return flags;
  },
});

/**
 * LAMB (You et al. 2020, "Large Batch Optimization for Deep Learning: Training BERT in 76 minutes",
 * https://arxiv.org/abs/1904.00962) — Optax's `optax.lamb` (0.2.8: chain(scale_by_adam, add_decayed_weights,
 * scale_by_trust_ratio, scale_by_learning_rate)), f32, per tensor.
 *
 *   t ← t + 1;  g ← maximize ? −∇ : ∇
 *   m ← (1 − β1)·g + β1·m;   v ← (1 − β2)·g² + β2·v
 *   u ← (m / (1 − β1^t)) / (√(v / (1 − β2^t) + ε_root) + ε) + λθ
 *   r ← ‖θ‖ / ‖u‖, or 1 where ‖θ‖ = 0 or ‖u‖ = 0        (per tensor; θ before this step)
 *   θ ← θ + u·(r·(−γ))                                   (Optax: (u·r)·(−γ); the same within an f32 rounding)
 *
 * Defaults: lr 1e-3, betas [0.9, 0.999], eps 1e-6, epsRoot 0, weightDecay 0, maximize false (Optax's lamb has
 * no default lr; the rest are its defaults). `maximize` is gradstep's (Optax has none): it negates the gradient
 * first, which is what the fixtures feed Optax. Optax's `mask` (weight decay on some leaves only) is a param
 * group here: a group with weightDecay 0. State: `step` (Optax's `count`), `exp_avg` (`mu`), `exp_avg_sq` (`nu`).
 * Reference: https://github.com/google-deepmind/optax/blob/main/optax/_src/alias.py (lamb).
 *
 * Kind "tensor": one lamb_f32 call per param, two passes over it. Pass 1 updates the moments, writes u to the
 * core's scratch area and sums ‖θ‖² and ‖u‖² (f32 blocks of 16 terms per partial, f64 totals, in the fixed
 * order of the kernels' common code, so every backend gives the same bits); the kernel takes the trust ratio from
 * them in f64 and pass 2 applies it (u and θ of a 1K-float tensor are still in L1). Why not elementwise runs
 * plus one segmented reduction per run (reduce_seg_f32) and a per-tensor scale array: u does not exist before
 * the moments are updated, so that design needs a third pass (moments → u, reduce, apply) or a second copy of
 * the Adam arithmetic, and a per-tensor scalar array in the step plan, which the core does not have; the tensor
 * kind reads each tensor's state once and costs one call per tensor (JS side: about 5 % of a step at 1K-float
 * tensors). Measured at 1,000 tensors of 1K floats (simd, CPU-time medians, 2-core VM shared with other jobs):
 * LAMB/Adam 1.21–1.31 with one optimizer per process, 1.39–1.42 with both interleaved in one process (each
 * evicts the other's state), kernels alone 1.23–1.33; under load LAMB (more arithmetic per byte) slows more
 * than Adam, up to 2.4×. Summing the squares in f64 throughout (the reduction kernels' order) measured 1.8–1.9×.
 * The bias corrections are multiplied in as 1/(1 − β^t) (computed once per step in f64) where Optax divides:
 * within one f32 rounding.
 *
 * @example
 * await init();
 * const store = new ParamStore();
 * const w = store.param("w", new Float32Array([0.1, -0.2, 0.3, 0.4]), { shape: [2, 2] });
 * const opt = new LAMB(store.params, { lr: 1e-3, weightDecay: 1e-2 });
 * w.grad.set([0.5, -0.5, 0.5, 0.25]); opt.step(); opt.zeroGrad();
 */
export class LAMB extends Optimizer<LAMBOptions> {
  constructor(params: ParamsInput<LAMBOptions>, options: OptionsInput<LAMBOptions> & OptimizerOptions = {}) {
    super(LAMB_SPEC, params, options);
  }
}
