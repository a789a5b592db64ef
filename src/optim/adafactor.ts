import { invalidMessage, nonNegative, num, type Rule } from "../core/options.js";
import { Optimizer, type OptimizerOptions, type ParamsInput } from "../core/optimizer.js";
import { defineSpec } from "../core/define-spec.js";
import type { OptionsInput, SharedOptions } from "../core/spec.js";
import { DECOUPLED, GRAD_SCALE, MAXIMIZE } from "../abi/index.js";
import { adafactor_f32 } from "./adafactor.reference.js";

/** The options of {@link Adafactor}, each with its default (PyTorch's where PyTorch has the optimizer). */
export interface AdafactorOptions extends Pick<SharedOptions, "maximize"> {
  /** Learning rate γ. @defaultValue 0.01 */
  lr: number;
  /** Exponent of the second-moment decay rate 1 − t^beta2Decay. @defaultValue -0.8 */
  beta2Decay: number;
  /**
   * `[eps1, eps2]`: eps1 regularizes the second moment (null: f32's machine ε), eps2 the param's RMS.
   * @defaultValue [null, 1e-3]
   */
  eps: [number | null, number];
  /** Clipping threshold of the update's RMS. @defaultValue 1 */
  d: number;
  /** Decoupled weight decay λ: λθ is added to the update, not to the gradient (the class comment gives where). @defaultValue 0 */
  weightDecay: number;
}

/** torch.finfo(torch.float32).eps: eps1's value when it is null. */
const F32_EPS = 2 ** -23;

const eps: Rule = (v, key) => {
  if (!Array.isArray(v) || v.length !== 2) throw new TypeError(invalidMessage(key, v, `[eps1 or null, eps2]`));
  if (v[0] !== null) nonNegative(v[0], "eps1");
  nonNegative(v[1], "eps2");
};

const product = (dims: readonly number[]): number => dims.reduce((a, x) => a * x, 1);

export const ADAFACTOR_SPEC = defineSpec<AdafactorOptions>({
  name: "Adafactor",
  defaults: { lr: 1e-2, beta2Decay: -0.8, eps: [null, 1e-3], d: 1, weightDecay: 0, maximize: false },
  rules: { beta2Decay: num((x) => x <= 0, "{} <= 0"), eps, d: num((x) => x >= 1, "{} >= 1") },
  kind: "tensor",
  // U and one row of column sums.
  scratchFloats: (shape) => product(shape) + (shape.length >= 2 ? shape[shape.length - 1]! : 0),
  scalars: ["rows", "cols", "weight", "rho", "eps1", "eps1Sq", "eps2", "d", "decay"],
  reference: adafactor_f32,
  buffers: [
    { name: "row_var", needed: () => true, length: (s) => (s.length >= 2 ? product(s.slice(0, -1)) : 0) },
    { name: "col_var", needed: () => true, length: (s) => (s.length >= 2 ? product(s.slice(0, -2)) * s[s.length - 1]! : 0) },
    { name: "variance", needed: () => true, length: (s) => (s.length >= 2 ? 0 : product(s)) },
  ],
  stepScalars(s, r, o, gs) {
    const t = r.step + 1, shape = r.shape, nd = shape.length;
    const rows = nd >= 2 ? shape[nd - 2]! : 0, cols = nd >= 2 ? shape[nd - 1]! : 0;
    const eps1 = o.eps[0] ?? F32_EPS, rsqrtT = 1 / Math.sqrt(t);
    const flags = (o.maximize ? MAXIMIZE : 0) | (gs !== 1 ? GRAD_SCALE : 0) | (o.weightDecay !== 0 ? DECOUPLED : 0);
    // torch: one_minus_beta2_t = t ** beta2_decay; rho_t = min(lr, 1 / t ** 0.5) (Python's min: lr unless smaller).
    s[0] = rows; s[1] = cols; s[2] = t ** o.beta2Decay; s[3] = rsqrtT < o.lr ? rsqrtT : o.lr; s[4] = eps1;
    s[5] = eps1 * eps1; s[6] = o.eps[1]; s[7] = o.d; s[8] = 1 - o.lr * o.weightDecay;
    return flags;
  },
});

/**
 * Adafactor (Shazeer & Stern 2018, "Adafactor: Adaptive Learning Rates with Sublinear Memory Cost",
 * https://arxiv.org/abs/1804.04235) — PyTorch's `torch.optim.Adafactor` (2.13, `_single_tensor_adafactor`), f32,
 * per tensor. https://github.com/pytorch/pytorch/blob/main/torch/optim/_adafactor.py
 *
 *   t ← t + 1;  g ← maximize ? −∇ : ∇;  w_t = t^beta2Decay (= 1 − β̂2_t);  ρ_t = min(lr, 1/√t)
 *   α = max(eps2, RMS(θ))·ρ_t                                   (θ before this step)
 *   θ ← θ·(1 − lr·λ)                                            (λ = weightDecay, when ≠ 0)
 *   ≥ 2 dims (factored over the last two, rows × cols, for each leading index):
 *     R ← lerp(R, mean_cols(g²), w_t);  C ← lerp(C, mean_rows(g²), w_t)
 *     V̂ = (R·Cᵀ) / max(mean(R), eps1)
 *   < 2 dims:  V ← lerp(V, g², w_t);  V̂ = V
 *   U = g / √max(V̂, eps1²)
 *   θ ← θ − α / max(1, RMS(U)/d) · U
 *
 * lerp is torch.lerp (a + w·(b − a) for |w| < 0.5, else b − (b − a)·(1 − w)); RMS(x) = ‖x‖/√numel. Defaults (torch's):
 * lr 1e-2, beta2Decay −0.8, eps [null, 1e-3] (eps1 null = f32's machine epsilon 2^−23, as torch's
 * finfo(dtype).eps; eps1 0 makes U = 0·∞ = NaN wherever g and V̂ are 0, as in torch), d 1, weightDecay 0,
 * maximize false; torch's `foreach` has no counterpart (one kernel per tensor). State (torch's names): `step`,
 * and `row_var` (torch's shape [..., rows, 1]) + `col_var` ([..., 1, cols]) for params of >= 2 dims, `variance`
 * (the param's shape) otherwise; saved flat, row-major. The param's `shape` decides (`store.param(name, init,
 * { shape })`, or a foreign `{ value, grad, shape }`; without one a param is 1-D).
 *
 * Kind "tensor": one adafactor_f32 call per param does the whole step in Wasm: ‖θ‖² (f32 blocks, f64 totals, as LAMB),
 * the row and column sums of g² in one pass over each matrix, the factor EMAs, U into the core's scratch area
 * with ‖U‖², then weight decay and the update. α and the clipping denominator are computed in f64 there, as torch
 * does with Python floats; the step scalars (w_t, ρ_t) here, once per call, in f64. Against torch: torch sums
 * rows and columns as norms (√ then ²) and its own order, and may fuse `add(alpha=)` into an FMA: a few f32 ulps.
 *
 * @example
 * await init();
 * const store = new ParamStore();
 * const w = store.param("w", new Float32Array([0.1, -0.2, 0.3, 0.4, 0.5, -0.6]), { shape: [2, 3] });
 * const b = store.param("b", new Float32Array([0.01, -0.02]));
 * const opt = new Adafactor(store.params, { lr: 1e-2 });
 * w.grad.set([0.5, -0.5, 0.5, 0.25, 0, 1]); b.grad.set([0.1, -0.1]); opt.step(); opt.zeroGrad();
 */
export class Adafactor extends Optimizer<AdafactorOptions> {
  constructor(params: ParamsInput<AdafactorOptions>, options: OptionsInput<AdafactorOptions> & OptimizerOptions = {}) {
    super(ADAFACTOR_SPEC, params, options);
  }
}
