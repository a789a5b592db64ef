// What the benchmark measures: one entry per optimizer configuration, with the contenders a user would
// otherwise pick. Each optimizer's file (adam.bench.ts, ...) supplies its cases; this file holds the types.
import type * as TF from "@tensorflow/tfjs-core";
import type { Optimizer } from "../src/index.js";

export interface BenchCase {
  /** Id used in results and by the native C harness (bench/native/optim.c). */
  id: string;
  label: string;
  /** Bytes moved per param per step (read and write), for GB/s. */
  bytesPerParam: number;
  /** gradstep: build the optimizer over params (store params or foreign arrays). */
  gradstep: (params: never[], backend: "simd" | "scalar" | "js") => Optimizer<object>;
  /** Number of state arrays the hand-written JS loop needs. */
  jsState: number;
  /** The loop a JS trainer writes by hand over Float32Arrays (f64 arithmetic, no fround). */
  plainJs: (p: Float32Array, g: Float32Array, s: Float32Array[], t: number) => void;
  /** The TensorFlow.js optimizer, when tfjs has one. */
  tfjs?: (tf: typeof TF) => TF.Optimizer;
  /** Whether bench/native/optim.c has this kernel. */
  native: boolean;
  /** Why it has none, for an elementwise optimizer (each has a C loop or says why not: test/meta.test.ts). */
  noNative?: string;
}

export const LR = 1e-3;
