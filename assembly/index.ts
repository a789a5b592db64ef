// Module entry: the kernels and the flag bits. No module-level mutable state: one instance serves any number
// of tensors, groups and optimizers over its imported memory.
export { MAXIMIZE, WEIGHT_DECAY, DECOUPLED, MOMENTUM, NESTEROV, INIT_BUFFER, AMSGRAD, CENTERED } from "./common";
export { sgd_f32 } from "./sgd";
export { adam_f32 } from "./adam";
export { adagrad_f32 } from "./adagrad";
export { rmsprop_f32 } from "./rmsprop";
