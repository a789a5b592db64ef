// Step scalars: everything that depends only on the options and the step count, computed once per kernel
// call in f64 (as PyTorch computes them in Python floats) and passed to the f32 kernels. The Wasm and the
// reference backends receive the same values through the same kernel call.
import { AMSGRAD, CENTERED, DECOUPLED, INIT_BUFFER, MAXIMIZE, MOMENTUM, NESTEROV, WEIGHT_DECAY } from "./kernels.js";

/** Flag bits shared by all optimizers. */
export function baseFlags(o: { maximize: boolean; weightDecay: number }, decoupled = false): number {
  let flags = o.maximize ? MAXIMIZE : 0;
  if (o.weightDecay !== 0) flags |= decoupled ? DECOUPLED : WEIGHT_DECAY;
  return flags;
}

export interface SgdHyper { lr: number; momentum: number; dampening: number; weightDecay: number; nesterov: boolean; maximize: boolean }

export function sgdStepScalars(o: SgdHyper, bufferReady: boolean) {
  let flags = baseFlags(o);
  if (o.momentum !== 0) {
    flags |= MOMENTUM;
    if (o.nesterov) flags |= NESTEROV;
    if (!bufferReady) flags |= INIT_BUFFER;
  }
  return { lr: o.lr, weightDecay: o.weightDecay, momentum: o.momentum, dampFactor: 1 - o.dampening, flags };
}

export interface AdamHyper {
  lr: number; betas: [number, number]; eps: number; weightDecay: number; amsgrad: boolean; maximize: boolean;
  decoupledWeightDecay: boolean;
}

/** t = step number (1 on the first step). */
export function adamStepScalars(o: AdamHyper, t: number) {
  const [beta1, beta2] = o.betas;
  const bc1 = 1 - beta1 ** t;
  const bc2 = 1 - beta2 ** t;
  return {
    stepSize: o.lr / bc1,
    beta1Comp: 1 - beta1,
    beta2,
    beta2Comp: 1 - beta2,
    rBc2Sqrt: 1 / Math.sqrt(bc2),
    eps: o.eps,
    weightDecay: o.weightDecay,
    decay: 1 - o.lr * o.weightDecay,
    flags: baseFlags(o, o.decoupledWeightDecay) | (o.amsgrad ? AMSGRAD : 0),
  };
}

export interface AdagradHyper { lr: number; lrDecay: number; weightDecay: number; initialAccumulatorValue: number; eps: number; maximize: boolean }

export function adagradStepScalars(o: AdagradHyper, t: number) {
  return { clr: o.lr / (1 + (t - 1) * o.lrDecay), eps: o.eps, weightDecay: o.weightDecay, flags: baseFlags(o) };
}

export interface RmspropHyper { lr: number; alpha: number; eps: number; weightDecay: number; momentum: number; centered: boolean; maximize: boolean }

export function rmspropStepScalars(o: RmspropHyper) {
  let flags = baseFlags(o);
  if (o.momentum > 0) flags |= MOMENTUM;
  if (o.centered) flags |= CENTERED;
  return { lr: o.lr, alpha: o.alpha, alphaComp: 1 - o.alpha, eps: o.eps, weightDecay: o.weightDecay, momentum: o.momentum, flags };
}
