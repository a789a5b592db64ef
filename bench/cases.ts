// What the benchmark measures: one entry per optimizer configuration, with the contenders a user would
// otherwise pick. Each optimizer's file (adam.bench.ts, ...) supplies its cases; this file holds the types.
import type * as TF from "@tensorflow/tfjs-core";
import type { Optimizer } from "../src/index.js";
import { stepOptimizers } from "../src/optim/index.js";

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

/**
 * What a registry optimizer's bench case takes from its spec: `id`, the class name as `label`, gradstep at lr LR,
 * a JS state array per state buffer of the param's length (those its defaults need, not transient ones) and 4 B
 * per float read or written (param and state read and written, the gradient read). A case whose passes move
 * more says so itself.
 */
export function registryCase(id: string): Pick<BenchCase, "id" | "label" | "bytesPerParam" | "gradstep" | "jsState"> {
  const e = stepOptimizers().find((x) => x.id === id);
  if (!e) throw new Error(`no step optimizer ${id} in the registry`);
  const state = e.spec.buffers.filter((b) => !b.transient && !b.length && b.needed(e.spec.defaults)).length;
  return { id, label: e.spec.name, bytesPerParam: 12 + 8 * state, jsState: state, gradstep: (params, backend) => new e.cls(params, { lr: LR, backend }) };
}
