// The kernel ABI, written once: the Wasm exports (assembly/index.ts) and the pure-TS reference
// (src/optim/*.reference.ts) both implement exactly these signatures. test/abi.test.ts checks the arities of both
// against KERNEL_SIGNATURES and the flag bits against the ones the Wasm module exports.
//
// Convention (../STYLE): `<algo>_f32(inOutPointers..., grad, n, scalars..., flags)`. Pointers are byte
// offsets into the store's linear memory (0 = buffer not used by this call); the reference receives
// Float32Arrays in the same positions. Scalars are f32 (the caller passes f64, the boundary rounds).

export const MAXIMIZE = 1;
export const WEIGHT_DECAY = 2;
export const DECOUPLED = 4;
export const MOMENTUM = 8;
export const NESTEROV = 16;
export const INIT_BUFFER = 32;
export const AMSGRAD = 64;
export const CENTERED = 128;
/** The gradient prologue multiplies by the step's gradScale (clipping, loss-scale unscaling, 1/k accumulation). */
export const GRAD_SCALE = 256;
export const FLAGS = { MAXIMIZE, WEIGHT_DECAY, DECOUPLED, MOMENTUM, NESTEROV, INIT_BUFFER, AMSGRAD, CENTERED, GRAD_SCALE };

/** Flag bits shared by all optimizers. */
export function baseFlags(o: { maximize: boolean; weightDecay: number }, gradScale: number, decoupled = false): number {
  let flags = (o.maximize ? MAXIMIZE : 0) | (gradScale !== 1 ? GRAD_SCALE : 0);
  if (o.weightDecay !== 0) flags |= decoupled ? DECOUPLED : WEIGHT_DECAY;
  return flags;
}

export interface KernelSignature {
  /** In-out buffers (param first, then state), then the read-only grad last. */
  readonly pointers: readonly string[];
  /** Scalars after `n`; `flags` is always last. */
  readonly scalars: readonly string[];
}

export const KERNEL_SIGNATURES = {
  sgd_f32: {
    pointers: ["param", "momentum_buffer", "grad"],
    scalars: ["lr", "weightDecay", "momentum", "dampFactor", "gradScale", "flags"],
  },
  adam_f32: {
    pointers: ["param", "exp_avg", "exp_avg_sq", "max_exp_avg_sq", "grad"],
    scalars: ["stepSize", "beta1Comp", "beta2", "beta2Comp", "rBc2Sqrt", "eps", "weightDecay", "decay", "gradScale", "flags"],
  },
  adagrad_f32: {
    pointers: ["param", "sum", "grad"],
    scalars: ["clr", "eps", "weightDecay", "gradScale", "flags"],
  },
  rmsprop_f32: {
    pointers: ["param", "square_avg", "momentum_buffer", "grad_avg", "grad"],
    scalars: ["lr", "alpha", "alphaComp", "eps", "weightDecay", "momentum", "gradScale", "flags"],
  },
} as const satisfies Record<string, KernelSignature>;

export type KernelName = keyof typeof KERNEL_SIGNATURES;

/** A kernel called with pointers (Wasm) — the shape every backend presents to the optimizers. */
export type KernelFn = (...args: number[]) => void;
export type Kernels = Record<KernelName, KernelFn>;

/** Number of arguments of a kernel: pointers, n, scalars. */
export function kernelArity(name: KernelName): number {
  const s = KERNEL_SIGNATURES[name];
  return s.pointers.length + 1 + s.scalars.length;
}
