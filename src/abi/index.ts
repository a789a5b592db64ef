// The kernel ABI, at the bottom of the import graph (everything may import it; it imports nothing): the
// complete 32-bit flag map, the calling convention, and the types of the kernel table. AssemblyScript mirrors
// every bit (assembly/lib/common.ts, assembly/lib/lowp.ts, a kernel's own bits in assembly/optim/<id>.ts);
// test/abi.test.ts parses those constants and compares each with FLAG_MAP, and the Wasm exports' arities with
// the registry's signatures (src/optim/index.ts `kernels()`, derived from the optimizer specs).
//
// Convention (../STYLE): `<algo>_f32(inOutPointers..., grad, n, scalars..., flags)`. Pointers are byte
// offsets into the store's linear memory (0 = buffer not used by this call); the reference receives
// Float32Arrays in the same positions. Scalars are f32 (the caller passes f64, the boundary rounds).

// ---- bits 0..9: shared by every kernel ----------------------------------------------------------------------
export const MAXIMIZE = 1;
/** Coupled (L2) weight decay: g += wd * p. */
export const WEIGHT_DECAY = 2;
/** Decoupled weight decay: p *= 1 - lr * wd (before the moments). */
export const DECOUPLED = 4;
export const MOMENTUM = 8;
export const NESTEROV = 16;
/** First step: the buffer is written before it is read. */
export const INIT_BUFFER = 32;
export const AMSGRAD = 64;
export const CENTERED = 128;
/** The gradient prologue multiplies by the step's gradScale (clipping, loss-scale unscaling, 1/k accumulation). */
export const GRAD_SCALE = 256;
/** Flavor "tfjs": TensorFlow.js's formulas and operation order (Adam, Adagrad, RMSprop). */
export const TFJS = 512;

// ---- bit 10 and bits 16..30: the low-precision kernels' stochastic rounding ---------------------------------
/** bf16 stores round stochastically, seeded by bits 16..30 (core/lowp roundingFlags). */
export const STOCHASTIC = 1024;
/** The seed of a step's stochastic rounding: 15 bits from SEED_SHIFT. */
export const SEED_SHIFT = 16;
export const SEED_MASK = 0x7fff;

// ---- bits 11..15: a kernel's own -------------------------------------------------------------------------------
/** RAdam: the variance is tractable (rho_t > 5), take the rectified update. */
export const RECTIFY = 1 << 11;
/** ASGD: mu is exactly 1, ax copies the param (set by its step, and by asgd_f32 itself from mu). */
export const COPY = 1 << 11;
/** Prodigy: the run's first step, params0 takes the param. */
export const START = 1 << 11;
/** Prodigy: the step's second pass (the moments and the param update), after the global reductions. */
export const UPDATE = 1 << 12;

// ---- bit 31: the step's value clip ---------------------------------------------------------------------------
/**
 * The gradient prologue clamps g (after the gradient scale, before maximize) to the bounds the step plan wrote
 * at CLIP_AT (the optimizer's `clipValue`): set on every kernel call of a step that clips (core/plan).
 */
export const CLIP = 1 << 31;

/**
 * The flag bits the f32 kernels read (a low-precision kernel passes only these on): the shared bits 0..9, the
 * kernels' own bits 11..15 and CLIP; not STOCHASTIC nor the seed.
 */
export const F32_FLAGS = (0xffff & ~STOCHASTIC) | CLIP;

/**
 * The complete flag map: every named bit (and the masks), by the name AssemblyScript gives the same
 * constant. Bits 31 and 11..15 not named here are free; a kernel that takes one for itself adds it here.
 */
export const FLAG_MAP = {
  MAXIMIZE, WEIGHT_DECAY, DECOUPLED, MOMENTUM, NESTEROV, INIT_BUFFER, AMSGRAD, CENTERED, GRAD_SCALE, TFJS,
  STOCHASTIC, RECTIFY, COPY, START, UPDATE, CLIP, F32_FLAGS,
} as const;
/** The flags the Wasm module exports as globals (the shared bits 0..9). */
export const FLAGS = { MAXIMIZE, WEIGHT_DECAY, DECOUPLED, MOMENTUM, NESTEROV, INIT_BUFFER, AMSGRAD, CENTERED, GRAD_SCALE, TFJS };

/**
 * Byte offset of the value clip's bounds in every store's memory (the kernels' common code CLIP_AT): lo, hi (f32),
 * read by the kernels of calls whose flags have CLIP. Bytes 0..15 are never allocated (runtime/store).
 */
export const CLIP_AT = 4;

/** Flag bits shared by all optimizers. */
export function baseFlags(o: { maximize: boolean; weightDecay: number }, gradScale: number, decoupled = false): number {
  let flags = (o.maximize ? MAXIMIZE : 0) | (gradScale !== 1 ? GRAD_SCALE : 0);
  if (o.weightDecay !== 0) flags |= decoupled ? DECOUPLED : WEIGHT_DECAY;
  return flags;
}

/** The arguments of one optimizer kernel: its buffer pointers and scalars, in call order. */
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

export type KernelName = string;

/** Scratch bytes each Wasm instance gets through its `lowp_init` export (SCRATCH_BYTES in the kernels' low-precision code). */
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
  sum_ranks_f32: 6,
  ef_bf16_f32: 5,
  ef_i8_f32: 5,
  ef_sign_f32: 5,
  unpack_bf16_f32: 5,
  unpack_i8_f32: 5,
  unpack_sign_f32: 5,
};
