// Adam / AdamW step (PyTorch `_single_tensor_adam`); equations in src/adam.ts.
// Preconditions: param, expAvg, expAvgSq, grad (and maxExpAvgSq when AMSGRAD) each point at n f32s;
// any byte alignment; buffers do not overlap. maxExpAvgSq is not touched without AMSGRAD.
// Scalars (f32, computed once per step in TS, adamLaunch in src/adam.ts): stepSize = lr/bc1, beta1Comp = 1-beta1,
// beta2, beta2Comp = 1-beta2, rBc2Sqrt = 1/sqrt(bc2), eps, weightDecay, decay = 1-lr*weightDecay.
import {
  MAXIMIZE, WEIGHT_DECAY, DECOUPLED, AMSGRAD,
  gradIn, gradIn4, lerp, lerp4, ema2, ema24, subScaledDiv, subScaledDiv4, ldf, stf, ldv, stv,
} from "../lib/common";

export function adam_f32(param: usize, expAvg: usize, expAvgSq: usize, maxExpAvgSq: usize, grad: usize, n: i32,
    stepSize: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, rBc2Sqrt: f32, eps: f32,
    weightDecay: f32, decay: f32, flags: i32): void {
  // Specialised loops for plain Adam and default AdamW; every other combination takes the general loop.
  if (flags == 0) {
    adamLoop(param, expAvg, expAvgSq, maxExpAvgSq, grad, n, stepSize, beta1Comp, beta2, beta2Comp, rBc2Sqrt,
      eps, weightDecay, decay, false, false, false, false);
  } else if (flags == DECOUPLED) {
    adamLoop(param, expAvg, expAvgSq, maxExpAvgSq, grad, n, stepSize, beta1Comp, beta2, beta2Comp, rBc2Sqrt,
      eps, weightDecay, decay, false, false, true, false);
  } else {
    adamLoop(param, expAvg, expAvgSq, maxExpAvgSq, grad, n, stepSize, beta1Comp, beta2, beta2Comp, rBc2Sqrt,
      eps, weightDecay, decay, (flags & MAXIMIZE) != 0, (flags & WEIGHT_DECAY) != 0, (flags & DECOUPLED) != 0,
      (flags & AMSGRAD) != 0);
  }
}

// @ts-ignore: decorator
@inline function adamLoop(param: usize, expAvg: usize, expAvgSq: usize, maxExpAvgSq: usize, grad: usize, n: i32,
    stepSize: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, rBc2Sqrt: f32, eps: f32, weightDecay: f32, decay: f32,
    maximize: bool, l2: bool, decoupled: bool, amsgrad: bool): void {
  let o: usize = 0;
  if (ASC_FEATURE_SIMD) {
    const vs = f32x4.splat(stepSize), vb1c = f32x4.splat(beta1Comp), vb2 = f32x4.splat(beta2);
    const vb2c = f32x4.splat(beta2Comp), vr = f32x4.splat(rBc2Sqrt), ve = f32x4.splat(eps);
    const vwd = f32x4.splat(weightDecay), vdec = f32x4.splat(decay);
    const end16 = <usize>(n & ~15) << 2;
    for (; o < end16; o += 64) {
      adam4(param, expAvg, expAvgSq, maxExpAvgSq, grad, o, vs, vb1c, vb2, vb2c, vr, ve, vwd, vdec, maximize, l2, decoupled, amsgrad);
      adam4(param, expAvg, expAvgSq, maxExpAvgSq, grad, o + 16, vs, vb1c, vb2, vb2c, vr, ve, vwd, vdec, maximize, l2, decoupled, amsgrad);
      adam4(param, expAvg, expAvgSq, maxExpAvgSq, grad, o + 32, vs, vb1c, vb2, vb2c, vr, ve, vwd, vdec, maximize, l2, decoupled, amsgrad);
      adam4(param, expAvg, expAvgSq, maxExpAvgSq, grad, o + 48, vs, vb1c, vb2, vb2c, vr, ve, vwd, vdec, maximize, l2, decoupled, amsgrad);
    }
    const end4 = <usize>(n & ~3) << 2;
    for (; o < end4; o += 16) {
      adam4(param, expAvg, expAvgSq, maxExpAvgSq, grad, o, vs, vb1c, vb2, vb2c, vr, ve, vwd, vdec, maximize, l2, decoupled, amsgrad);
    }
  }
  const end = <usize>n << 2;
  for (; o < end; o += 4) {
    adam1(param, expAvg, expAvgSq, maxExpAvgSq, grad, o, stepSize, beta1Comp, beta2, beta2Comp, rBc2Sqrt, eps,
      weightDecay, decay, maximize, l2, decoupled, amsgrad);
  }
}

// @ts-ignore: decorator
@inline function adam1(param: usize, expAvg: usize, expAvgSq: usize, maxExpAvgSq: usize, grad: usize, o: usize,
    stepSize: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, rBc2Sqrt: f32, eps: f32, weightDecay: f32, decay: f32,
    maximize: bool, l2: bool, decoupled: bool, amsgrad: bool): void {
  let p = ldf(param, o);
  const g = gradIn(ldf(grad, o), p, weightDecay, maximize, l2);
  if (decoupled) p = p * decay;
  const m = lerp(ldf(expAvg, o), g, beta1Comp);
  let v = ema2(ldf(expAvgSq, o), g, beta2, beta2Comp);
  stf(expAvg, o, m);
  stf(expAvgSq, o, v);
  if (amsgrad) {
    v = max<f32>(ldf(maxExpAvgSq, o), v);
    stf(maxExpAvgSq, o, v);
  }
  stf(param, o, subScaledDiv(p, stepSize, m, Mathf.sqrt(v) * rBc2Sqrt + eps));
}

// @ts-ignore: decorator
@inline function adam4(param: usize, expAvg: usize, expAvgSq: usize, maxExpAvgSq: usize, grad: usize, o: usize,
    stepSize: v128, beta1Comp: v128, beta2: v128, beta2Comp: v128, rBc2Sqrt: v128, eps: v128, weightDecay: v128,
    decay: v128, maximize: bool, l2: bool, decoupled: bool, amsgrad: bool): void {
  let p = ldv(param, o);
  const g = gradIn4(ldv(grad, o), p, weightDecay, maximize, l2);
  if (decoupled) p = f32x4.mul(p, decay);
  const m = lerp4(ldv(expAvg, o), g, beta1Comp);
  let v = ema24(ldv(expAvgSq, o), g, beta2, beta2Comp);
  stv(expAvg, o, m);
  stv(expAvgSq, o, v);
  if (amsgrad) {
    v = f32x4.max(ldv(maxExpAvgSq, o), v);
    stv(maxExpAvgSq, o, v);
  }
  stv(param, o, subScaledDiv4(p, stepSize, m, f32x4.add(f32x4.mul(f32x4.sqrt(v), rBc2Sqrt), eps)));
}
