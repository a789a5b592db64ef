// Module entry: the kernels and the flag bits. No module-level mutable state but the low-precision kernels'
// scratch pointer, set once per instance (lowp_init): one instance serves any number of tensors, groups and
// optimizers over its imported memory.
export { MAXIMIZE, WEIGHT_DECAY, DECOUPLED, MOMENTUM, NESTEROV, INIT_BUFFER, AMSGRAD, CENTERED, GRAD_SCALE, TFJS } from "./lib/common";
export { lowp_init } from "./lib/lowp";
export { reduce_f32, reduce_seg_f32 } from "./reduce/norms";
export { scale_f32, clamp_f32 } from "./transforms/grad";
export { gemm_f32 } from "./linalg/gemm";
export { average_f32 } from "./transforms/average";
// Every optimizer's kernels (<id>_f32, and <id>_bf16 / <id>_i8 where it has low-precision state): the
// `export function`s of assembly/optim/*.ts, listed by scripts/build-wasm.mjs at build time.
export * from "../build/optim-exports";
export { sum_ranks_f32 } from "./distributed/reduce";
export { ef_bf16_f32, ef_i8_f32, ef_sign_f32, unpack_bf16_f32, unpack_i8_f32, unpack_sign_f32 } from "./distributed/codecs";
