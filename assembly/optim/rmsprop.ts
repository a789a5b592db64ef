// RMSprop step (PyTorch `_single_tensor_rmsprop`); equations in src/rmsprop.ts.
// Preconditions: param, squareAvg, grad (momentumBuffer when MOMENTUM, gradAvg when CENTERED) each point at
// n f32s; any byte alignment; buffers do not overlap. Buffers of disabled features are not touched.
// Scalars: lr, alpha, alphaComp = 1-alpha, eps, weightDecay, momentum.
import { MAXIMIZE, WEIGHT_DECAY, MOMENTUM, CENTERED, gradIn, gradIn4, lerp, lerp4, ema2, ema24, subScaledDiv, subScaledDiv4, ldf, stf, ldv, stv } from "../lib/common";

export function rmsprop_f32(param: usize, squareAvg: usize, momentumBuffer: usize, gradAvg: usize, grad: usize,
    n: i32, lr: f32, alpha: f32, alphaComp: f32, eps: f32, weightDecay: f32, momentum: f32, flags: i32): void {
  if (flags == 0) {
    rmspropLoop(param, squareAvg, momentumBuffer, gradAvg, grad, n, lr, alpha, alphaComp, eps, weightDecay, momentum,
      false, false, false, false);
  } else if (flags == (MOMENTUM | CENTERED)) {
    rmspropLoop(param, squareAvg, momentumBuffer, gradAvg, grad, n, lr, alpha, alphaComp, eps, weightDecay, momentum,
      false, false, true, true);
  } else {
    rmspropLoop(param, squareAvg, momentumBuffer, gradAvg, grad, n, lr, alpha, alphaComp, eps, weightDecay, momentum,
      (flags & MAXIMIZE) != 0, (flags & WEIGHT_DECAY) != 0, (flags & MOMENTUM) != 0, (flags & CENTERED) != 0);
  }
}

// @ts-ignore: decorator
@inline function rmspropLoop(param: usize, squareAvg: usize, buf: usize, gradAvg: usize, grad: usize, n: i32,
    lr: f32, alpha: f32, alphaComp: f32, eps: f32, weightDecay: f32, momentum: f32,
    maximize: bool, l2: bool, hasMomentum: bool, centered: bool): void {
  let o: usize = 0;
  if (ASC_FEATURE_SIMD) {
    const vlr = f32x4.splat(lr), va = f32x4.splat(alpha), vac = f32x4.splat(alphaComp);
    const ve = f32x4.splat(eps), vwd = f32x4.splat(weightDecay), vmu = f32x4.splat(momentum);
    const end16 = <usize>(n & ~15) << 2;
    for (; o < end16; o += 64) {
      rmsprop4(param, squareAvg, buf, gradAvg, grad, o, vlr, va, vac, ve, vwd, vmu, maximize, l2, hasMomentum, centered);
      rmsprop4(param, squareAvg, buf, gradAvg, grad, o + 16, vlr, va, vac, ve, vwd, vmu, maximize, l2, hasMomentum, centered);
      rmsprop4(param, squareAvg, buf, gradAvg, grad, o + 32, vlr, va, vac, ve, vwd, vmu, maximize, l2, hasMomentum, centered);
      rmsprop4(param, squareAvg, buf, gradAvg, grad, o + 48, vlr, va, vac, ve, vwd, vmu, maximize, l2, hasMomentum, centered);
    }
    const end4 = <usize>(n & ~3) << 2;
    for (; o < end4; o += 16) {
      rmsprop4(param, squareAvg, buf, gradAvg, grad, o, vlr, va, vac, ve, vwd, vmu, maximize, l2, hasMomentum, centered);
    }
  }
  const end = <usize>n << 2;
  for (; o < end; o += 4) {
    rmsprop1(param, squareAvg, buf, gradAvg, grad, o, lr, alpha, alphaComp, eps, weightDecay, momentum,
      maximize, l2, hasMomentum, centered);
  }
}

// @ts-ignore: decorator
@inline function rmsprop1(param: usize, squareAvg: usize, buf: usize, gradAvg: usize, grad: usize, o: usize,
    lr: f32, alpha: f32, alphaComp: f32, eps: f32, weightDecay: f32, momentum: f32,
    maximize: bool, l2: bool, hasMomentum: bool, centered: bool): void {
  const p = ldf(param, o);
  const g = gradIn(ldf(grad, o), p, weightDecay, maximize, l2);
  const v = ema2(ldf(squareAvg, o), g, alpha, alphaComp);
  stf(squareAvg, o, v);
  let avg: f32;
  if (centered) {
    const ga = lerp(ldf(gradAvg, o), g, alphaComp);
    stf(gradAvg, o, ga);
    avg = Mathf.sqrt(v - ga * ga) + eps;
  } else {
    avg = Mathf.sqrt(v) + eps;
  }
  if (hasMomentum) {
    const b = ldf(buf, o) * momentum + g / avg;
    stf(buf, o, b);
    stf(param, o, p - lr * b);
  } else {
    stf(param, o, subScaledDiv(p, lr, g, avg));
  }
}

// @ts-ignore: decorator
@inline function rmsprop4(param: usize, squareAvg: usize, buf: usize, gradAvg: usize, grad: usize, o: usize,
    lr: v128, alpha: v128, alphaComp: v128, eps: v128, weightDecay: v128, momentum: v128,
    maximize: bool, l2: bool, hasMomentum: bool, centered: bool): void {
  const p = ldv(param, o);
  const g = gradIn4(ldv(grad, o), p, weightDecay, maximize, l2);
  const v = ema24(ldv(squareAvg, o), g, alpha, alphaComp);
  stv(squareAvg, o, v);
  let avg: v128;
  if (centered) {
    const ga = lerp4(ldv(gradAvg, o), g, alphaComp);
    stv(gradAvg, o, ga);
    avg = f32x4.add(f32x4.sqrt(f32x4.sub(v, f32x4.mul(ga, ga))), eps);
  } else {
    avg = f32x4.add(f32x4.sqrt(v), eps);
  }
  if (hasMomentum) {
    const b = f32x4.add(f32x4.mul(ldv(buf, o), momentum), f32x4.div(g, avg));
    stv(buf, o, b);
    stv(param, o, f32x4.sub(p, f32x4.mul(lr, b)));
  } else {
    stv(param, o, subScaledDiv4(p, lr, g, avg));
  }
}
