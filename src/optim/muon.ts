import { invalidMessage, num, type Rule } from "../core/options.js";
import { isForeign } from "../core/params.js";
import { Optimizer, type OptimizerOptions, type ParamGroupInput, type ParamsInput } from "../core/optimizer.js";
import { defineSpec } from "../core/define-spec.js";
import type { OptionsInput } from "../core/spec.js";
import { GRAD_SCALE, NESTEROV } from "../abi/index.js";
import { Param, ParamStore } from "../runtime/store.js";
import { muonScratchFloats } from "./muon-scratch.js";
import { muon_f32 } from "./muon.reference.js";

/**
 * How Muon scales lr for a matrix's shape: null or "original" (√max(1, rows/cols), Keller Jordan's) or
 * "match_rms_adamw" (0.2·√max(rows, cols), Moonshot's: the update's RMS matches AdamW's).
 */
export type MuonAdjustLrFn = null | "original" | "match_rms_adamw";

/** The options of {@link Muon}, each with its default (PyTorch's where PyTorch has the optimizer). */
export interface MuonOptions {
  /** Learning rate γ. @defaultValue 1e-3 */
  lr: number;
  /** Decoupled weight decay λ: λθ is added to the update, not to the gradient (the class comment gives where). @defaultValue 0.1 */
  weightDecay: number;
  /** Momentum factor (0: none). @defaultValue 0.95 */
  momentum: number;
  /** Nesterov momentum. @defaultValue true */
  nesterov: boolean;
  /** Coefficients (a, b, c) of the Newton–Schulz iteration. @defaultValue [3.4445, -4.775, 2.0315] */
  nsCoefficients: [number, number, number];
  /** Term added to the denominator for numerical stability. @defaultValue 1e-7 */
  eps: number;
  /** Newton–Schulz iterations. @defaultValue 5 */
  nsSteps: number;
  /** Learning-rate adjustment for the matrix shape: null, "original" or "match_rms_adamw". @defaultValue null */
  adjustLrFn: MuonAdjustLrFn;
}

const finite = num(() => true, "a finite number");
const coefficients: Rule = (v, key) => {
  if (!Array.isArray(v) || v.length !== 3) throw new TypeError(invalidMessage(key, v, `[a, b, c]`));
  for (let i = 0; i < 3; i++) finite(v[i], `${key}[${i}]`);
};
const adjustLrFn: Rule = (v, key) => {
  if (v !== null && v !== "original" && v !== "match_rms_adamw") {
    throw new TypeError(invalidMessage(key, v, `null, "original" or "match_rms_adamw"`));
  }
};

/** The 2-D shape Muon needs, or a RangeError naming the param. */
function matrixShape(shape: readonly number[], what: string): [number, number] {
  if (shape.length !== 2) {
    throw new RangeError(`Muon only supports 2-D params, but ${what} has shape [${shape.join(", ")}] ` +
      "(give store.param a { shape: [rows, cols] }; optimize biases and other params with e.g. AdamW)");
  }
  return [shape[0]!, shape[1]!];
}

/** Checks the shape of `p` if it is a param (anything else, a Proxy of a Param too, is left to the core, which names the problem). */
function checkParam(p: unknown, i: number): void {
  if (Param.isParam(p)) matrixShape(p.shape, `param "${p.name}"`);
  else if (isForeign(p) && !(p instanceof Param) && (p.shape === undefined || Array.isArray(p.shape))) {
    matrixShape((p.shape as number[] | undefined) ?? [(p.value as { length: number }).length], `params[${i}] (a foreign param)`);
  }
}

/** A group input with its params checked (and an iterable of params made an array, read once). */
function checkGroup<G>(g: G): G {
  if (g === null || typeof g !== "object" || !("params" in g)) return g;
  const ps = (g as { params: unknown }).params;
  if (ps === null || typeof ps !== "object" || !(Symbol.iterator in ps)) return g;
  const list = [...(ps as Iterable<unknown>)];
  list.forEach(checkParam);
  return { ...g, params: list };
}

/** The params argument with every param checked to be 2-D, before the core allocates anything for it. */
function matrixParams(params: ParamsInput<MuonOptions>): ParamsInput<MuonOptions> {
  if (params instanceof ParamStore) {
    params.params.forEach(checkParam);
    return params;
  }
  if (params === null || typeof params !== "object" || ArrayBuffer.isView(params)) return params;
  if (!(Symbol.iterator in params)) {
    checkParam(params, 0);
    return params;
  }
  const items = [...(params as Iterable<unknown>)];
  return items.map((x, i) => {
    if (x instanceof Param || isForeign(x)) {
      checkParam(x, i);
      return x;
    }
    return checkGroup(x);
  }) as ParamsInput<MuonOptions>;
}

export const MUON_SPEC = defineSpec<MuonOptions>({
  name: "Muon",
  defaults: {
    lr: 1e-3, weightDecay: 0.1, momentum: 0.95, nesterov: true, nsCoefficients: [3.4445, -4.775, 2.0315], eps: 1e-7,
    nsSteps: 5, adjustLrFn: null,
  },
  rules: {
    nsCoefficients: coefficients,
    nsSteps: num((x) => Number.isInteger(x) && x >= 0 && x < 100, "an integer 0 <= {} < 100"), adjustLrFn,
  },
  kind: "tensor",
  // Construction already refused non-2-D params; this guards any other way a shape reaches a step.
  scratchFloats: (shape) => muonScratchFloats(...matrixShape(shape, "a param")),
  scalars: ["rows", "cols", "momentum", "momentumComp", "nsA", "nsB", "nsC", "eps", "nsSteps", "decay", "adjustedLr"],
  reference: muon_f32,
  buffers: [{ name: "momentum_buffer", needed: () => true }],
  hasStep: false,
  stepScalars(s, r, o, gs) {
    const rows = r.shape[0]!, cols = r.shape[1]!, c = o.nsCoefficients;
    // torch's _adjust_lr, in f64 like its Python floats.
    const ratio = o.adjustLrFn === "match_rms_adamw" ? 0.2 * Math.sqrt(Math.max(rows, cols)) : Math.sqrt(Math.max(1, rows / cols));
    const flags = (o.nesterov ? NESTEROV : 0) | (gs !== 1 ? GRAD_SCALE : 0);
    s[0] = rows; s[1] = cols; s[2] = o.momentum; s[3] = 1 - o.momentum; s[4] = c[0]; s[5] = c[1]; s[6] = c[2];
    s[7] = o.eps; s[8] = o.nsSteps; s[9] = 1 - o.lr * o.weightDecay; s[10] = o.lr * ratio;
    return flags;
  },
});

/**
 * Muon (Jordan et al. 2024, https://kellerjordan.github.io/posts/muon/; Liu et al. 2025, "Muon is Scalable for
 * LLM Training", https://arxiv.org/abs/2502.16982) — PyTorch's `torch.optim.Muon` (2.13, `_single_tensor_muon`),
 * with the Newton–Schulz iteration in f32 where torch casts to bf16. 2-D params only.
 *
 *   B ← lerp(B, g, 1 − μ)                           (B = momentum_buffer, zeros at first)
 *   U ← nesterov ? lerp(g, B, μ) : B
 *   X ← U (Uᵀ if rows > cols);   X ← X / max(‖X‖_F, ε)
 *   repeat nsSteps:  G ← X·Xᵀ;  H ← b·G + c·(G·G);  X ← a·X + H·X         ((a, b, c) = nsCoefficients)
 *   O ← X (Xᵀ if rows > cols)
 *   θ ← θ·(1 − γλ) − γ'·O,   γ' = γ·√max(1, rows/cols)  (adjustLrFn null or "original")
 *                            γ' = 0.2·γ·√max(rows, cols) (adjustLrFn "match_rms_adamw")
 *
 * lerp is torch.lerp: a + w·(b − a) for |w| < 0.5, else b − (b − a)·(1 − w). Defaults: lr 1e-3, weightDecay 0.1,
 * momentum 0.95, nesterov true, nsCoefficients [3.4445, −4.775, 2.0315], eps 1e-7, nsSteps 5, adjustLrFn null.
 * State: `momentum_buffer` (torch keeps no step for Muon). Torch raises for nsSteps >= 100; here that is an
 * option error. Every param must be 2-D (`store.param(name, init, { shape: [rows, cols] })`, or a foreign
 * `{ value, grad, shape }`): anything else is a RangeError at construction (and addParamGroup), as torch.
 *
 * Kind "tensor": one muon_f32 call per param does the whole step in Wasm — momentum, the normalisation, the NS
 * iterations on the core's scratch area with the blocked SIMD GEMM (the kernels' GEMM), weight decay and
 * the update. In f32 every backend gives the same bits (the GEMM's accumulation order is fixed); against torch's
 * own bf16 iteration the result differs by bf16's rounding (the tests measure it).
 *
 * @example
 * await init();
 * const store = new ParamStore();
 * const w = store.param("w", new Float32Array(6).fill(0.1), { shape: [2, 3] });
 * const opt = new Muon([w], { lr: 0.02 });
 * w.grad.set([0.5, -0.5, 0.25, 1, 0, -1]); opt.step(); opt.zeroGrad();
 */
export class Muon extends Optimizer<MuonOptions> {
  constructor(params: ParamsInput<MuonOptions>, options: OptionsInput<MuonOptions> & OptimizerOptions = {}) {
    super(MUON_SPEC, matrixParams(params), options);
  }

  override addParamGroup(group: ParamGroupInput<MuonOptions>): void {
    super.addParamGroup(checkGroup(group));
  }
}

