// RMSprop step (PyTorch `_single_tensor_rmsprop`); equations in src/optim/rmsprop.ts.
// Preconditions: param, squareAvg, grad (momentumBuffer when MOMENTUM, gradAvg when CENTERED) each point at
// n f32s; any byte alignment; buffers do not overlap. Buffers of disabled features are not touched.
// Scalars: lr, alpha, alphaComp = 1-alpha, eps, weightDecay, momentum, gradScale.
import {
  MAXIMIZE, WEIGHT_DECAY, MOMENTUM, CENTERED, GRAD_SCALE,
  ld, st, splat, add, sub, mul, div, sqrt, gradIn, lerp, ema2, subScaledDiv, end1, end4, end16,
} from "../lib/common";

export function rmsprop_f32(param: usize, squareAvg: usize, momentumBuffer: usize, gradAvg: usize, grad: usize,
    n: i32, lr: f32, alpha: f32, alphaComp: f32, eps: f32, weightDecay: f32, momentum: f32, gradScale: f32,
    flags: i32): void {
  if (flags == 0) {
    rmspropLoop(param, squareAvg, momentumBuffer, gradAvg, grad, n, lr, alpha, alphaComp, eps, weightDecay, momentum,
      gradScale, false, false, false, false, false);
  } else if (flags == (MOMENTUM | CENTERED)) {
    rmspropLoop(param, squareAvg, momentumBuffer, gradAvg, grad, n, lr, alpha, alphaComp, eps, weightDecay, momentum,
      gradScale, false, false, false, true, true);
  } else {
    rmspropLoop(param, squareAvg, momentumBuffer, gradAvg, grad, n, lr, alpha, alphaComp, eps, weightDecay, momentum,
      gradScale, (flags & GRAD_SCALE) != 0, (flags & MAXIMIZE) != 0, (flags & WEIGHT_DECAY) != 0,
      (flags & MOMENTUM) != 0, (flags & CENTERED) != 0);
  }
}

// @ts-ignore: decorator
@inline function rmspropLoop(param: usize, squareAvg: usize, buf: usize, gradAvg: usize, grad: usize, n: i32,
    lr: f32, alpha: f32, alphaComp: f32, eps: f32, weightDecay: f32, momentum: f32, gradScale: f32,
    scaled: bool, maximize: bool, l2: bool, hasMomentum: bool, centered: bool): void {
  let o: usize = 0;
  if (ASC_FEATURE_SIMD) {
    o = rmspropSpan<v128>(param, squareAvg, buf, gradAvg, grad, o, end16(n), end4(n), lr, alpha, alphaComp, eps,
      weightDecay, momentum, gradScale, scaled, maximize, l2, hasMomentum, centered);
  }
  rmspropSpan<f32>(param, squareAvg, buf, gradAvg, grad, o, o, end1(n), lr, alpha, alphaComp, eps,
    weightDecay, momentum, gradScale, scaled, maximize, l2, hasMomentum, centered);
}

/** Steps bytes [o, end): four lanes of T at a time up to `end16`, unrolled four times, then one at a time. */
// @ts-ignore: decorator
@inline function rmspropSpan<T>(param: usize, squareAvg: usize, buf: usize, gradAvg: usize, grad: usize, o: usize,
    end16: usize, end: usize, lr: f32, alpha: f32, alphaComp: f32, eps: f32, weightDecay: f32, momentum: f32,
    gradScale: f32, scaled: bool, maximize: bool, l2: bool, hasMomentum: bool, centered: bool): usize {
  const a = splat<T>(lr), al = splat<T>(alpha), ac = splat<T>(alphaComp), e = splat<T>(eps);
  const wd = splat<T>(weightDecay), mu = splat<T>(momentum), gs = splat<T>(gradScale);
  const w: usize = sizeof<T>();
  for (; o < end16; o += 4 * w) {
    rmspropAt<T>(param, squareAvg, buf, gradAvg, grad, o, a, al, ac, e, wd, mu, gs, scaled, maximize, l2, hasMomentum, centered);
    rmspropAt<T>(param, squareAvg, buf, gradAvg, grad, o + w, a, al, ac, e, wd, mu, gs, scaled, maximize, l2, hasMomentum, centered);
    rmspropAt<T>(param, squareAvg, buf, gradAvg, grad, o + 2 * w, a, al, ac, e, wd, mu, gs, scaled, maximize, l2, hasMomentum, centered);
    rmspropAt<T>(param, squareAvg, buf, gradAvg, grad, o + 3 * w, a, al, ac, e, wd, mu, gs, scaled, maximize, l2, hasMomentum, centered);
  }
  for (; o < end; o += w) {
    rmspropAt<T>(param, squareAvg, buf, gradAvg, grad, o, a, al, ac, e, wd, mu, gs, scaled, maximize, l2, hasMomentum, centered);
  }
  return o;
}

/** The RMSprop rule for the lanes at byte offset o. */
// @ts-ignore: decorator
@inline function rmspropAt<T>(param: usize, squareAvg: usize, buf: usize, gradAvg: usize, grad: usize, o: usize,
    lr: T, alpha: T, alphaComp: T, eps: T, weightDecay: T, momentum: T, gradScale: T,
    scaled: bool, maximize: bool, l2: bool, hasMomentum: bool, centered: bool): void {
  const p = ld<T>(param, o);
  const g = gradIn<T>(ld<T>(grad, o), p, gradScale, weightDecay, scaled, maximize, l2);
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
