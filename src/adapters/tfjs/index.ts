// gradstep/tfjs: gradstep's optimizers as TensorFlow.js optimizers. `train` has tf.train's factory names and
// positional signatures and runs gradstep's kernels with flavor "tfjs" (train.ts); `fromGradstep(Class,
// options)` wraps any gradstep optimizer (from-gradstep.ts). Each is a real `tf.Optimizer` subclass
// (optimizer.ts) stepping gradstep params in Wasm memory (bridge.ts), registered with tf.serialization when
// this entry is imported (package.json lists those files under `sideEffects`).
//
// This file is the "default" export condition (and what bundlers for Node servers match): init() from
// gradstep's default entry, which embeds the binaries. node.ts, browser.ts, bun.ts, workerd.ts and
// edge-light.ts are the other conditions, each with init() from gradstep's entry of that runtime.
export * from "./api.js";
export { init } from "../../index.js";
