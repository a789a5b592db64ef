// Module entry: the kernels and the flag bits. No module-level mutable state but the low-precision kernels'
// scratch pointer, set once per instance (lowp_init): one instance serves any number of tensors, groups and
// optimizers over its imported memory.
export { MAXIMIZE, WEIGHT_DECAY, DECOUPLED, MOMENTUM, NESTEROV, INIT_BUFFER, AMSGRAD, CENTERED, GRAD_SCALE, TFJS } from "./lib/common";
export { sgd_f32 } from "./optim/sgd";
export { lowp_init } from "./lib/lowp";
export { sgd_bf16, sgd_i8 } from "./optim/sgd";
export { adam_bf16, adam_i8 } from "./optim/adam";
export { adagrad_bf16, adagrad_i8 } from "./optim/adagrad";
export { rmsprop_bf16, rmsprop_i8 } from "./optim/rmsprop";
export { lion_bf16, lion_i8 } from "./optim/lion";
export { adam_f32 } from "./optim/adam";
export { adagrad_f32 } from "./optim/adagrad";
export { rmsprop_f32 } from "./optim/rmsprop";
export { reduce_f32, reduce_seg_f32 } from "./reduce/norms";
export { lion_f32 } from "./optim/lion";
export { adadelta_f32 } from "./optim/adadelta";
export { adamax_f32 } from "./optim/adamax";
export { nadam_f32 } from "./optim/nadam";
export { radam_f32 } from "./optim/radam";
export { asgd_f32 } from "./optim/asgd";
export { rprop_f32 } from "./optim/rprop";
export { scale_f32, clamp_f32 } from "./transforms/grad";
export { adabelief_f32 } from "./optim/adabelief";
export { lamb_f32 } from "./optim/lamb";
export { yogi_f32 } from "./optim/yogi";
export { gemm_f32 } from "./linalg/gemm";
export { adan_f32 } from "./optim/adan";
export { ademamix_f32 } from "./optim/ademamix";
export { schedulefreeadamw_f32 } from "./optim/schedulefreeadamw";
export { average_f32 } from "./transforms/average";
export { muon_f32 } from "./optim/muon";
export { lars_f32 } from "./optim/lars";
export { schedulefreesgd_f32 } from "./optim/schedulefreesgd";
export { lookahead_f32 } from "./optim/lookahead";
export { adafactor_f32 } from "./optim/adafactor";
export { lbfgs_dot_f32, lbfgs_axpy_f32, lbfgs_scale_f32, lbfgs_axpy_dot_f32, lbfgs_maxabs_f32 } from "./optim/lbfgs";
