// Pure-TS reference of lookahead_f32 (same signature, Float32Arrays for pointers). See src/optim/lookahead.ts.
import { lerp } from "../core/reference-ops.js";

export function lookahead_f32(param: Float32Array, slow: Float32Array, n: number, slowStepSize: number): void {
  lerp(slow, param, n, slowStepSize);
  param.set(slow.subarray(0, n));
}
