// Step scalars: everything that depends only on the options and the step count, computed once per kernel
// call in f64 (as PyTorch computes them in Python floats) and passed to the f32 kernels. The Wasm and the
// reference backends receive the same values through the same kernel call. Each helper writes into an
// `out` object the caller keeps, so a step allocates nothing on the JS heap.
import { AMSGRAD, CENTERED, DECOUPLED, INIT_BUFFER, MAXIMIZE, MOMENTUM, NESTEROV, WEIGHT_DECAY } from "./kernels.js";

/** Flag bits shared by all optimizers. */
export function baseFlags(o: { maximize: boolean; weightDecay: number }, decoupled = false): number {
  let flags = o.maximize ? MAXIMIZE : 0;
  if (o.weightDecay !== 0) flags |= decoupled ? DECOUPLED : WEIGHT_DECAY;
  return flags;
}

export interface SgdHyper { lr: number; momentum: number; dampening: number; weightDecay: number; nesterov: boolean; maximize: boolean }

export const sgdScalars = () => ({ lr: 0, weightDecay: 0, momentum: 0, dampFactor: 0, flags: 0 });

export function sgdStepScalars(o: SgdHyper, bufferReady: boolean, out = sgdScalars()) {
  let flags = baseFlags(o);
  if (o.momentum !== 0) {
    flags |= MOMENTUM;
    if (o.nesterov) flags |= NESTEROV;
    if (!bufferReady) flags |= INIT_BUFFER;
  }
  out.lr = o.lr;
  out.weightDecay = o.weightDecay;
  out.momentum = o.momentum;
  out.dampFactor = 1 - o.dampening;
  out.flags = flags;
  return out;
}

export interface AdamHyper {
  lr: number; betas: [number, number]; eps: number; weightDecay: number; amsgrad: boolean; maximize: boolean;
  decoupledWeightDecay: boolean;
}

export const adamScalars = () => ({ stepSize: 0, beta1Comp: 0, beta2: 0, beta2Comp: 0, rBc2Sqrt: 0, eps: 0, weightDecay: 0, decay: 0, flags: 0 });

/** t = step number (1 on the first step); `decoupled`: AdamW's weight decay. */
export function adamStepScalars(o: Omit<AdamHyper, "decoupledWeightDecay">, t: number, decoupled: boolean, out = adamScalars()) {
  const beta1 = o.betas[0], beta2 = o.betas[1];
  out.stepSize = o.lr / (1 - beta1 ** t);
  out.beta1Comp = 1 - beta1;
  out.beta2 = beta2;
  out.beta2Comp = 1 - beta2;
  out.rBc2Sqrt = 1 / Math.sqrt(1 - beta2 ** t);
  out.eps = o.eps;
  out.weightDecay = o.weightDecay;
  out.decay = 1 - o.lr * o.weightDecay;
  out.flags = baseFlags(o, decoupled) | (o.amsgrad ? AMSGRAD : 0);
  return out;
}

export interface AdagradHyper { lr: number; lrDecay: number; weightDecay: number; initialAccumulatorValue: number; eps: number; maximize: boolean }

export const adagradScalars = () => ({ clr: 0, eps: 0, weightDecay: 0, flags: 0 });

export function adagradStepScalars(o: AdagradHyper, t: number, out = adagradScalars()) {
  out.clr = o.lr / (1 + (t - 1) * o.lrDecay);
  out.eps = o.eps;
  out.weightDecay = o.weightDecay;
  out.flags = baseFlags(o);
  return out;
}

export interface RmspropHyper { lr: number; alpha: number; eps: number; weightDecay: number; momentum: number; centered: boolean; maximize: boolean }

export const rmspropScalars = () => ({ lr: 0, alpha: 0, alphaComp: 0, eps: 0, weightDecay: 0, momentum: 0, flags: 0 });

export function rmspropStepScalars(o: RmspropHyper, out = rmspropScalars()) {
  let flags = baseFlags(o);
  if (o.momentum > 0) flags |= MOMENTUM;
  if (o.centered) flags |= CENTERED;
  out.lr = o.lr;
  out.alpha = o.alpha;
  out.alphaComp = 1 - o.alpha;
  out.eps = o.eps;
  out.weightDecay = o.weightDecay;
  out.momentum = o.momentum;
  out.flags = flags;
  return out;
}
