// Pure-TS reference of sgd_f32 (same signature, Float32Arrays for pointers). See src/sgd.ts.
import { INIT_BUFFER, MOMENTUM, NESTEROV } from "../abi/index.js";
import { inputGrad, momentum as accumulate, subScaled } from "../core/reference-ops.js";

const f = Math.fround;

export function sgd_f32(param: Float32Array, momentumBuffer: Float32Array, grad: Float32Array, n: number,
    lr: number, weightDecay: number, momentum: number, dampFactor: number, gradScale: number, flags: number): void {
  const g = inputGrad(grad, param, n, weightDecay, gradScale, flags);
  let step = g;
  if (flags & MOMENTUM) {
    if (flags & INIT_BUFFER) momentumBuffer.set(g.subarray(0, n));
    else accumulate(momentumBuffer, g, n, momentum, dampFactor);
    if (flags & NESTEROV) {
      const mu = f(momentum);
      for (let i = 0; i < n; i++) g[i] = g[i]! + f(mu * momentumBuffer[i]!);
    } else {
      step = momentumBuffer;
    }
  }
  subScaled(param, lr, step, n);
}
