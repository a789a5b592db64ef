// RMSprop step (PyTorch `_single_tensor_rmsprop`); equations in src/optim/rmsprop.ts.
// Preconditions: param, squareAvg, grad (momentumBuffer when MOMENTUM, gradAvg when CENTERED) each point at
// n f32s; any byte alignment; buffers do not overlap. Buffers of disabled features are not touched.
// Scalars: lr, alpha, alphaComp = 1-alpha, eps, weightDecay, momentum, gradScale. TFJS: tfjs's order, eps inside
// the square root (subtracted with the squared mean when centered) and lr folded into the momentum buffer.
import {
  MAXIMIZE, WEIGHT_DECAY, MOMENTUM, CENTERED, GRAD_SCALE, TFJS,
  ld, st, splat, add, sub, mul, div, sqrt, gradInClip, clipArmed, lerp, ema2, subScaledDiv, tfjsMoment, tfjsEma2, end1, end4, end16,
} from "../lib/common";
import { BLOCK, F32_FLAGS, stateIn, stateOut } from "../lib/lowp";

export function rmsprop_f32(param: usize, squareAvg: usize, momentumBuffer: usize, gradAvg: usize, grad: usize,
    n: i32, lr: f32, alpha: f32, alphaComp: f32, eps: f32, weightDecay: f32, momentum: f32, gradScale: f32,
    flags: i32): void {
  const clip = (flags & GRAD_SCALE) != 0 && clipArmed(); // read once per call (see adam_f32)
  if (flags == 0) {
    rmspropLoop(param, squareAvg, momentumBuffer, gradAvg, grad, n, lr, alpha, alphaComp, eps, weightDecay, momentum,
      gradScale, false, false, false, false, false, false);
  } else if (flags == (MOMENTUM | CENTERED)) {
    rmspropLoop(param, squareAvg, momentumBuffer, gradAvg, grad, n, lr, alpha, alphaComp, eps, weightDecay, momentum,
      gradScale, false, false, false, true, true, false);
  } else if (flags == TFJS) {
    rmspropLoop(param, squareAvg, momentumBuffer, gradAvg, grad, n, lr, alpha, alphaComp, eps, weightDecay, momentum,
      gradScale, false, false, false, false, false, true);
  } else {
    rmspropLoop(param, squareAvg, momentumBuffer, gradAvg, grad, n, lr, alpha, alphaComp, eps, weightDecay, momentum,
      gradScale, (flags & GRAD_SCALE) != 0, (flags & MAXIMIZE) != 0, (flags & WEIGHT_DECAY) != 0,
      (flags & MOMENTUM) != 0, (flags & CENTERED) != 0, (flags & TFJS) != 0, clip);
  }
}

// @ts-ignore: decorator
@inline function rmspropLoop(param: usize, squareAvg: usize, buf: usize, gradAvg: usize, grad: usize, n: i32,
    lr: f32, alpha: f32, alphaComp: f32, eps: f32, weightDecay: f32, momentum: f32, gradScale: f32,
    scaled: bool, maximize: bool, l2: bool, hasMomentum: bool, centered: bool, tfjs: bool, clip: bool = false): void {
  let o: usize = 0;
  if (ASC_FEATURE_SIMD) {
    o = rmspropSpan<v128>(param, squareAvg, buf, gradAvg, grad, o, end16(n), end4(n), lr, alpha, alphaComp, eps,
      weightDecay, momentum, gradScale, scaled, maximize, l2, hasMomentum, centered, tfjs, clip);
  }
  rmspropSpan<f32>(param, squareAvg, buf, gradAvg, grad, o, o, end1(n), lr, alpha, alphaComp, eps,
    weightDecay, momentum, gradScale, scaled, maximize, l2, hasMomentum, centered, tfjs, clip);
}

/** Steps bytes [o, end): four lanes of T at a time up to `end16`, unrolled four times, then one at a time. */
// @ts-ignore: decorator
@inline function rmspropSpan<T>(param: usize, squareAvg: usize, buf: usize, gradAvg: usize, grad: usize, o: usize,
    end16: usize, end: usize, lr: f32, alpha: f32, alphaComp: f32, eps: f32, weightDecay: f32, momentum: f32,
    gradScale: f32, scaled: bool, maximize: bool, l2: bool, hasMomentum: bool, centered: bool, tfjs: bool, clip: bool = false): usize {
  const a = splat<T>(lr), al = splat<T>(alpha), ac = splat<T>(alphaComp), e = splat<T>(eps);
  const wd = splat<T>(weightDecay), mu = splat<T>(momentum), gs = splat<T>(gradScale);
  const w: usize = sizeof<T>();
  for (; o < end16; o += 4 * w) {
    rmspropAt<T>(param, squareAvg, buf, gradAvg, grad, o, a, al, ac, e, wd, mu, gs, scaled, maximize, l2, hasMomentum, centered, tfjs, clip);
    rmspropAt<T>(param, squareAvg, buf, gradAvg, grad, o + w, a, al, ac, e, wd, mu, gs, scaled, maximize, l2, hasMomentum, centered, tfjs, clip);
    rmspropAt<T>(param, squareAvg, buf, gradAvg, grad, o + 2 * w, a, al, ac, e, wd, mu, gs, scaled, maximize, l2, hasMomentum, centered, tfjs, clip);
    rmspropAt<T>(param, squareAvg, buf, gradAvg, grad, o + 3 * w, a, al, ac, e, wd, mu, gs, scaled, maximize, l2, hasMomentum, centered, tfjs, clip);
  }
  for (; o < end; o += w) {
    rmspropAt<T>(param, squareAvg, buf, gradAvg, grad, o, a, al, ac, e, wd, mu, gs, scaled, maximize, l2, hasMomentum, centered, tfjs, clip);
  }
  return o;
}

/** The RMSprop rule for the lanes at byte offset o. */
// @ts-ignore: decorator
@inline function rmspropAt<T>(param: usize, squareAvg: usize, buf: usize, gradAvg: usize, grad: usize, o: usize,
    lr: T, alpha: T, alphaComp: T, eps: T, weightDecay: T, momentum: T, gradScale: T,
    scaled: bool, maximize: bool, l2: bool, hasMomentum: bool, centered: bool, tfjs: bool, clip: bool = false): void {
  const p = ld<T>(param, o);
  const g = gradInClip<T>(ld<T>(grad, o), p, gradScale, weightDecay, scaled, clip, maximize, l2);
  if (tfjs) {
    const ms = tfjsEma2<T>(ld<T>(squareAvg, o), g, alpha, alphaComp);
    st<T>(squareAvg, o, ms);
    let d: T;
    if (centered) {
      const mg = tfjsMoment<T>(ld<T>(gradAvg, o), g, alpha, alphaComp);
      st<T>(gradAvg, o, mg);
      d = sqrt<T>(sub<T>(ms, add<T>(mul<T>(mg, mg), eps))); // tfjs subtracts eps with the squared mean
    } else {
      d = sqrt<T>(add<T>(ms, eps));
    }
    const x = div<T>(mul<T>(g, lr), d);
    if (hasMomentum) {
      const b = add<T>(mul<T>(ld<T>(buf, o), momentum), x);
      st<T>(buf, o, b);
      st<T>(param, o, sub<T>(p, b));
    } else {
      st<T>(param, o, sub<T>(p, x));
    }
    return;
  }
  const v = ema2<T>(ld<T>(squareAvg, o), g, alpha, alphaComp);
  st<T>(squareAvg, o, v);
  let avg: T;
  if (centered) {
    const ga = lerp<T>(ld<T>(gradAvg, o), g, alphaComp);
    st<T>(gradAvg, o, ga);
    avg = add<T>(sqrt<T>(sub<T>(v, mul<T>(ga, ga))), eps);
  } else {
    avg = add<T>(sqrt<T>(v), eps);
  }
  if (hasMomentum) {
    const b = add<T>(mul<T>(ld<T>(buf, o), momentum), div<T>(g, avg));
    st<T>(buf, o, b);
    st<T>(param, o, sub<T>(p, mul<T>(lr, b)));
  } else {
    st<T>(param, o, subScaledDiv<T>(p, lr, g, avg));
  }
}

// Low-precision state (assembly/lib/lowp.ts): the same rule, on f32 blocks decoded from bf16 / int8 state.
export function rmsprop_bf16(param: usize, squareAvg: usize, momentumBuffer: usize, gradAvg: usize, grad: usize,
    n: i32, lr: f32, alpha: f32, alphaComp: f32, eps: f32, weightDecay: f32, momentum: f32, gradScale: f32,
    flags: i32): void {
  rmspropLowp<u16>(param, squareAvg, momentumBuffer, gradAvg, grad, n, lr, alpha, alphaComp, eps, weightDecay, momentum, gradScale, flags);
}
export function rmsprop_i8(param: usize, squareAvg: usize, momentumBuffer: usize, gradAvg: usize, grad: usize,
    n: i32, lr: f32, alpha: f32, alphaComp: f32, eps: f32, weightDecay: f32, momentum: f32, gradScale: f32,
    flags: i32): void {
  rmspropLowp<u8>(param, squareAvg, momentumBuffer, gradAvg, grad, n, lr, alpha, alphaComp, eps, weightDecay, momentum, gradScale, flags);
}

// @ts-ignore: decorator
@inline function rmspropLowp<D>(param: usize, squareAvg: usize, momentumBuffer: usize, gradAvg: usize, grad: usize,
    n: i32, lr: f32, alpha: f32, alphaComp: f32, eps: f32, weightDecay: f32, momentum: f32, gradScale: f32,
    flags: i32): void {
  const buf = (flags & MOMENTUM) != 0 ? momentumBuffer : 0, avg = (flags & CENTERED) != 0 ? gradAvg : 0;
  for (let b = 0; b < n; b += BLOCK) {
    const len = min(BLOCK, n - b);
    const sq = stateIn<D>(squareAvg, b, 0, len, false), mb = stateIn<D>(buf, b, 1, len, true);
    const ga = stateIn<D>(avg, b, 2, len, true);
    rmsprop_f32(param + (<usize>b << 2), sq, mb, ga, grad + (<usize>b << 2), len, lr, alpha, alphaComp, eps,
      weightDecay, momentum, gradScale, flags & F32_FLAGS);
    stateOut<D>(squareAvg, b, 0, len, false, flags);
    stateOut<D>(buf, b, 1, len, true, flags);
    stateOut<D>(avg, b, 2, len, true, flags);
  }
}
