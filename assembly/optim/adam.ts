// Adam / AdamW step (PyTorch `_single_tensor_adam`); equations in src/optim/adam.ts.
// Preconditions: param, expAvg, expAvgSq, grad (and maxExpAvgSq when AMSGRAD) each point at n f32s;
// any byte alignment; buffers do not overlap. maxExpAvgSq is not touched without AMSGRAD.
// Scalars (f32, computed once per step in TS, adamLaunch in src/optim/adam.ts): stepSize = lr/bc1,
// beta1Comp = 1-beta1, beta2, beta2Comp = 1-beta2, rBc2Sqrt = 1/sqrt(bc2), eps, weightDecay,
// decay = 1-lr*weightDecay, beta1, bc1, bc2, gradScale. With TFJS (tfjs's order): stepSize = lr, and the moments
// are divided by bc1 = 1-accBeta1, bc2 = 1-accBeta2 (tfjs's f32 running powers); beta1 is read only then.
import {
  MAXIMIZE, WEIGHT_DECAY, DECOUPLED, AMSGRAD, GRAD_SCALE, TFJS,
  ld, st, splat, add, sub, mul, div, sqrt, maxv, gradInClip, clipArmed, lerp, ema2, subScaledDiv, tfjsMoment, tfjsEma2, end1, end4, end16,
} from "../lib/common";
import { BLOCK, F32_FLAGS, lds, STOCHASTIC, stateIn, stateOut, sts } from "../lib/lowp";

export function adam_f32(param: usize, expAvg: usize, expAvgSq: usize, maxExpAvgSq: usize, grad: usize, n: i32,
    stepSize: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, rBc2Sqrt: f32, eps: f32,
    weightDecay: f32, decay: f32, beta1: f32, bc1: f32, bc2: f32, gradScale: f32, flags: i32): void {
  adamDispatch<f32>(param, expAvg, expAvgSq, maxExpAvgSq, grad, n, stepSize, beta1Comp, beta2, beta2Comp, rBc2Sqrt,
    eps, weightDecay, decay, beta1, bc1, bc2, gradScale, flags);
}

/** S: how the state is stored, f32 or u16 (bf16, converted in registers; stochastic rounding with STOCHASTIC). */
// @ts-ignore: decorator
@inline function adamDispatch<S>(param: usize, expAvg: usize, expAvgSq: usize, maxExpAvgSq: usize, grad: usize, n: i32,
    stepSize: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, rBc2Sqrt: f32, eps: f32,
    weightDecay: f32, decay: f32, beta1: f32, bc1: f32, bc2: f32, gradScale: f32, flags0: i32): void {
  // bf16: the f32 rule's flag bits, and stochastic rounding with its seed from the high bits.
  const flags = sizeof<S>() == 4 ? flags0 : flags0 & F32_FLAGS;
  const sr = sizeof<S>() == 2 && (flags0 & STOCHASTIC) != 0, mix = <u32>(flags0 >>> 16) * 0x9E3779B1;
  // Specialised loops for plain Adam and default AdamW, each also with a gradient scale (clipping, GradScaler,
  // accumulation) when no value clip is armed, and for tfjs's Adam; every other combination takes the general loop.
  const clip = (flags & GRAD_SCALE) != 0 && clipArmed(); // read once per call: the step plan arms it around its calls
  if (flags == 0) {
    adamLoop<S>(param, expAvg, expAvgSq, maxExpAvgSq, grad, n, stepSize, beta1Comp, beta2, beta2Comp, rBc2Sqrt,
      eps, weightDecay, decay, beta1, bc1, bc2, gradScale, false, false, false, false, false, false, false, sr, mix);
  } else if (flags == DECOUPLED) {
    adamLoop<S>(param, expAvg, expAvgSq, maxExpAvgSq, grad, n, stepSize, beta1Comp, beta2, beta2Comp, rBc2Sqrt,
      eps, weightDecay, decay, beta1, bc1, bc2, gradScale, false, false, false, false, true, false, false, sr, mix);
  } else if (flags == GRAD_SCALE && !clip) {
    adamLoop<S>(param, expAvg, expAvgSq, maxExpAvgSq, grad, n, stepSize, beta1Comp, beta2, beta2Comp, rBc2Sqrt,
      eps, weightDecay, decay, beta1, bc1, bc2, gradScale, true, false, false, false, false, false, false, sr, mix);
  } else if (flags == (GRAD_SCALE | DECOUPLED) && !clip) {
    adamLoop<S>(param, expAvg, expAvgSq, maxExpAvgSq, grad, n, stepSize, beta1Comp, beta2, beta2Comp, rBc2Sqrt,
      eps, weightDecay, decay, beta1, bc1, bc2, gradScale, true, false, false, false, true, false, false, sr, mix);
  } else if (flags == TFJS && sizeof<S>() == 4) { // (bf16 with tfjs's formulas takes the general loop: binary size)
    adamLoop<S>(param, expAvg, expAvgSq, maxExpAvgSq, grad, n, stepSize, beta1Comp, beta2, beta2Comp, rBc2Sqrt,
      eps, weightDecay, decay, beta1, bc1, bc2, gradScale, false, false, false, false, false, false, true, sr, mix);
  } else {
    adamLoop<S>(param, expAvg, expAvgSq, maxExpAvgSq, grad, n, stepSize, beta1Comp, beta2, beta2Comp, rBc2Sqrt,
      eps, weightDecay, decay, beta1, bc1, bc2, gradScale, (flags & GRAD_SCALE) != 0, clip, (flags & MAXIMIZE) != 0,
      (flags & WEIGHT_DECAY) != 0, (flags & DECOUPLED) != 0, (flags & AMSGRAD) != 0, (flags & TFJS) != 0, sr, mix);
  }
}

// @ts-ignore: decorator
@inline function adamLoop<S>(param: usize, expAvg: usize, expAvgSq: usize, maxExpAvgSq: usize, grad: usize, n: i32,
    stepSize: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, rBc2Sqrt: f32, eps: f32, weightDecay: f32,
    decay: f32, beta1: f32, bc1: f32, bc2: f32, gradScale: f32,
    scaled: bool, clip: bool, maximize: bool, l2: bool, decoupled: bool, amsgrad: bool, tfjs: bool, sr: bool, mix: u32): void {
  let o: usize = 0;
  if (ASC_FEATURE_SIMD) {
    o = adamSpan<v128, S>(param, expAvg, expAvgSq, maxExpAvgSq, grad, o, end16(n), end4(n), stepSize, beta1Comp, beta2,
      beta2Comp, rBc2Sqrt, eps, weightDecay, decay, beta1, bc1, bc2, gradScale, scaled, clip, maximize, l2, decoupled, amsgrad, tfjs, sr, mix);
  }
  adamSpan<f32, S>(param, expAvg, expAvgSq, maxExpAvgSq, grad, o, o, end1(n), stepSize, beta1Comp, beta2,
    beta2Comp, rBc2Sqrt, eps, weightDecay, decay, beta1, bc1, bc2, gradScale, scaled, clip, maximize, l2, decoupled, amsgrad, tfjs, sr, mix);
}

/** Steps bytes [o, end): four lanes of T at a time up to `end16`, unrolled four times, then one at a time. */
// @ts-ignore: decorator
@inline function adamSpan<T, S>(param: usize, expAvg: usize, expAvgSq: usize, maxExpAvgSq: usize, grad: usize,
    o: usize, end16: usize, end: usize, stepSize: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, rBc2Sqrt: f32,
    eps: f32, weightDecay: f32, decay: f32, beta1: f32, bc1: f32, bc2: f32, gradScale: f32,
    scaled: bool, clip: bool, maximize: bool, l2: bool, decoupled: bool, amsgrad: bool, tfjs: bool, sr: bool, mix: u32): usize {
  const s = splat<T>(stepSize), b1c = splat<T>(beta1Comp), b2 = splat<T>(beta2), b2c = splat<T>(beta2Comp);
  const r = splat<T>(rBc2Sqrt), e = splat<T>(eps), wd = splat<T>(weightDecay), dec = splat<T>(decay);
  const b1 = splat<T>(beta1), c1 = splat<T>(bc1), c2 = splat<T>(bc2);
  const gs = splat<T>(gradScale);
  const w: usize = sizeof<T>();
  for (; o < end16; o += 4 * w) {
    adamAt<T, S>(param, expAvg, expAvgSq, maxExpAvgSq, grad, o, s, b1c, b2, b2c, r, e, wd, dec, b1, c1, c2, gs, scaled, clip, maximize, l2, decoupled, amsgrad, tfjs, sr, mix);
    adamAt<T, S>(param, expAvg, expAvgSq, maxExpAvgSq, grad, o + w, s, b1c, b2, b2c, r, e, wd, dec, b1, c1, c2, gs, scaled, clip, maximize, l2, decoupled, amsgrad, tfjs, sr, mix);
    adamAt<T, S>(param, expAvg, expAvgSq, maxExpAvgSq, grad, o + 2 * w, s, b1c, b2, b2c, r, e, wd, dec, b1, c1, c2, gs, scaled, clip, maximize, l2, decoupled, amsgrad, tfjs, sr, mix);
    adamAt<T, S>(param, expAvg, expAvgSq, maxExpAvgSq, grad, o + 3 * w, s, b1c, b2, b2c, r, e, wd, dec, b1, c1, c2, gs, scaled, clip, maximize, l2, decoupled, amsgrad, tfjs, sr, mix);
  }
  for (; o < end; o += w) {
    adamAt<T, S>(param, expAvg, expAvgSq, maxExpAvgSq, grad, o, s, b1c, b2, b2c, r, e, wd, dec, b1, c1, c2, gs, scaled, clip, maximize, l2, decoupled, amsgrad, tfjs, sr, mix);
  }
  return o;
}

/** The Adam rule for the lanes at byte offset o: the one place its arithmetic is written. */
// @ts-ignore: decorator
@inline function adamAt<T, S>(param: usize, expAvg: usize, expAvgSq: usize, maxExpAvgSq: usize, grad: usize, o: usize,
    stepSize: T, beta1Comp: T, beta2: T, beta2Comp: T, rBc2Sqrt: T, eps: T, weightDecay: T, decay: T,
    beta1: T, bc1: T, bc2: T, gradScale: T,
    scaled: bool, clip: bool, maximize: bool, l2: bool, decoupled: bool, amsgrad: bool, tfjs: bool, sr: bool, mix: u32): void {
  let p = ld<T>(param, o);
  const g = gradInClip<T>(ld<T>(grad, o), p, gradScale, weightDecay, scaled, clip, maximize, l2);
  if (decoupled) p = mul<T>(p, decay);
  // v before m (independent, the same bits): V8 compiles the loop ~3 % faster at 64K in this order.
  let v = tfjs ? tfjsEma2<T>(lds<T, S>(expAvgSq, o), g, beta2, beta2Comp) : ema2<T>(lds<T, S>(expAvgSq, o), g, beta2, beta2Comp);
  const m = tfjs ? tfjsMoment<T>(lds<T, S>(expAvg, o), g, beta1, beta1Comp) : lerp<T>(lds<T, S>(expAvg, o), g, beta1Comp);
  sts<T, S>(expAvg, o, m, sr, mix);
  sts<T, S>(expAvgSq, o, v, sr, mix);
  if (amsgrad) {
    v = maxv<T>(lds<T, S>(maxExpAvgSq, o), v);
    sts<T, S>(maxExpAvgSq, o, v, sr, mix);
  }
  if (tfjs) {
    // tfjs: p + (m/bc1) / (sqrt(v/bc2) + eps) * -lr; adding the product of -lr is subtracting that of lr.
    st<T>(param, o, sub<T>(p, mul<T>(div<T>(div<T>(m, bc1), add<T>(sqrt<T>(div<T>(v, bc2)), eps)), stepSize)));
  } else {
    st<T>(param, o, subScaledDiv<T>(p, stepSize, m, add<T>(mul<T>(sqrt<T>(v), rBc2Sqrt), eps)));
  }
}

// Low-precision state (assembly/lib/lowp.ts): bf16 converted in registers by the same rule (S = u16); int8
// through the block driver, on f32 blocks decoded from the int8 state.
export function adam_bf16(param: usize, expAvg: usize, expAvgSq: usize, maxExpAvgSq: usize, grad: usize, n: i32,
    stepSize: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, rBc2Sqrt: f32, eps: f32,
    weightDecay: f32, decay: f32, beta1: f32, bc1: f32, bc2: f32, gradScale: f32, flags: i32): void {
  adamDispatch<u16>(param, expAvg, expAvgSq, maxExpAvgSq, grad, n, stepSize, beta1Comp, beta2, beta2Comp, rBc2Sqrt,
    eps, weightDecay, decay, beta1, bc1, bc2, gradScale, flags);
}
export function adam_i8(param: usize, expAvg: usize, expAvgSq: usize, maxExpAvgSq: usize, grad: usize, n: i32,
    stepSize: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, rBc2Sqrt: f32, eps: f32,
    weightDecay: f32, decay: f32, beta1: f32, bc1: f32, bc2: f32, gradScale: f32, flags: i32): void {
  adamLowp<u8>(param, expAvg, expAvgSq, maxExpAvgSq, grad, n, stepSize, beta1Comp, beta2, beta2Comp, rBc2Sqrt, eps,
    weightDecay, decay, beta1, bc1, bc2, gradScale, flags);
}

// @ts-ignore: decorator
@inline function adamLowp<D>(param: usize, expAvg: usize, expAvgSq: usize, maxExpAvgSq: usize, grad: usize, n: i32,
    stepSize: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, rBc2Sqrt: f32, eps: f32,
    weightDecay: f32, decay: f32, beta1: f32, bc1: f32, bc2: f32, gradScale: f32, flags: i32): void {
  const vmax = (flags & AMSGRAD) != 0 ? maxExpAvgSq : 0;
  for (let b = 0; b < n; b += BLOCK) {
    const len = min(BLOCK, n - b);
    const m = stateIn<D>(expAvg, b, 0, len, true), v = stateIn<D>(expAvgSq, b, 1, len, false);
    const x = stateIn<D>(vmax, b, 2, len, false);
    adam_f32(param + (<usize>b << 2), m, v, x, grad + (<usize>b << 2), len, stepSize, beta1Comp, beta2, beta2Comp,
      rBc2Sqrt, eps, weightDecay, decay, beta1, bc1, bc2, gradScale, flags & F32_FLAGS);
    stateOut<D>(expAvg, b, 0, len, true, flags);
    stateOut<D>(expAvgSq, b, 1, len, false, flags);
    stateOut<D>(vmax, b, 2, len, false, flags);
  }
}
