// What the benchmark measures: one entry per optimizer configuration, with the contenders a user would
// otherwise pick. Each optimizer's file (adam.bench.ts, ...) supplies its cases; this file holds the types.
import type * as TF from "@tensorflow/tfjs-core";
import type { Optimizer } from "../src/index.js";

export interface BenchCase {
  /** Id used in results and as the C kernel's name (bench/native.ts). */
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
  /**
   * The same loop in C (the native contenders, bench/native.ts): `kernel`, the parameters and body of the C
   * function `<id>` (pointers F/CF, restrict; `long n`; the step scalars as floats), and `step`, the statements
   * of one step calling it, with `p`, `g`, `s[]` (the `jsState` state arrays), `n`, `t` (1..1000) and the
   * harness's `LR` and `bc(beta, t)` (1 − β^t) in scope.
   */
  native?: { kernel: string; step: string };
  /** Why it has none, for an elementwise optimizer (each has a C loop or says why not: test/meta.test.ts). */
  noNative?: string;
}

export const LR = 1e-3;
