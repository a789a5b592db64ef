// The kernel ABI: flag bits, the calling convention, and the signature table the registry derives from the
// optimizer specs. The Wasm exports (assembly/index.ts) and the pure-TS references (src/optim/*.reference.ts)
// implement exactly these signatures; test/abi.test.ts checks the arities of both and the flag bits.
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
/** Flavor "tfjs": TensorFlow.js's formulas and operation order (Adam, Adagrad, RMSprop). */
export const TFJS = 512;
/**
 * A gradient scale that is 1 in f32 but not in f64. A step that clips values with nothing else to scale passes
 * it: every launch sets GRAD_SCALE for it (they test gs !== 1), so the kernel takes its general prologue, where
 * the value clip lives (gradIn in assembly/lib/common.ts), and multiplies by exactly 1 (kernels and references
 * round the scale to f32).
 */
export const PROLOGUE_ONE = 1 + 2 ** -30;
/** Byte offset of the value-clip words in every store's memory (assembly/lib/common.ts CLIP_AT): on, lo, hi (f32). */
export const CLIP_AT = 4;
export const FLAGS = { MAXIMIZE, WEIGHT_DECAY, DECOUPLED, MOMENTUM, NESTEROV, INIT_BUFFER, AMSGRAD, CENTERED, GRAD_SCALE, TFJS };

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
  /**
   * Low-precision kernels: per pointer, the bytes it advances per 256 elements (f32 1024, bf16 512, int8 260).
   * The worker pool splits their calls on 256-element boundaries. Absent: every pointer is f32.
   */
  readonly strides?: readonly number[];
}

/**
 * Every optimizer kernel's signature, by export name. Derived from the optimizer specs, never written by
 * hand: the registry (src/optim/index.ts) fills it when it loads, which every package entry does before a
 * store can exist. The runtime (worker pool) reads it to split calls; test/abi.test.ts checks it against
 * the Wasm exports and the references.
 */
export const KERNEL_SIGNATURES: Record<string, KernelSignature> = {};

export type KernelName = string;

/** Scratch bytes each Wasm instance gets through its `lowp_init` export (SCRATCH_BYTES in assembly/lib/lowp.ts). */
export const LOWP_SCRATCH_BYTES = 6144 + 10 * 3076;

/** A kernel called with pointers (Wasm) — the shape every backend presents to the optimizers. */
export type KernelFn = (...args: number[]) => void;
export type Kernels = Record<KernelName, KernelFn>;

/** Exports that are not optimizer kernels (reductions), with their arity. */
export const AUX_KERNELS: Readonly<Record<string, number>> = {
  reduce_f32: 4,
  reduce_seg_f32: 5,
  scale_f32: 3,
  clamp_f32: 4,
  average_f32: 5,
  gemm_f32: 8,
  lookahead_f32: 4,
  lbfgs_dot_f32: 3,
  lbfgs_axpy_f32: 5,
  lbfgs_scale_f32: 4,
  lbfgs_axpy_dot_f32: 6,
  lbfgs_maxabs_f32: 2,
  lowp_init: 1,
};

/** Number of arguments of a kernel: pointers, n, scalars. */
export function kernelArity(name: KernelName): number {
  const s = KERNEL_SIGNATURES[name]!;
  return s.pointers.length + 1 + s.scalars.length;
}
