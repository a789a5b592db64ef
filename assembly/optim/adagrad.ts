// Adagrad step (PyTorch `_single_tensor_adagrad`); equations in src/adagrad.ts.
// Preconditions: param, sum, grad each point at n f32s; any byte alignment; buffers do not overlap.
// Scalars: clr = lr / (1 + (step-1) * lrDecay), eps, weightDecay.
import { MAXIMIZE, WEIGHT_DECAY, gradIn, gradIn4, subScaledDiv, subScaledDiv4, ldf, stf, ldv, stv } from "../lib/common";

export function adagrad_f32(param: usize, sum: usize, grad: usize, n: i32,
    clr: f32, eps: f32, weightDecay: f32, flags: i32): void {
  if (flags == 0) adagradLoop(param, sum, grad, n, clr, eps, weightDecay, false, false);
  else adagradLoop(param, sum, grad, n, clr, eps, weightDecay, (flags & MAXIMIZE) != 0, (flags & WEIGHT_DECAY) != 0);
}

// @ts-ignore: decorator
@inline function adagradLoop(param: usize, sum: usize, grad: usize, n: i32, clr: f32, eps: f32, weightDecay: f32,
    maximize: bool, l2: bool): void {
  let o: usize = 0;
  if (ASC_FEATURE_SIMD) {
    const vc = f32x4.splat(clr), ve = f32x4.splat(eps), vwd = f32x4.splat(weightDecay);
    const end16 = <usize>(n & ~15) << 2;
    for (; o < end16; o += 64) {
      adagrad4(param, sum, grad, o, vc, ve, vwd, maximize, l2);
      adagrad4(param, sum, grad, o + 16, vc, ve, vwd, maximize, l2);
      adagrad4(param, sum, grad, o + 32, vc, ve, vwd, maximize, l2);
      adagrad4(param, sum, grad, o + 48, vc, ve, vwd, maximize, l2);
    }
    const end4 = <usize>(n & ~3) << 2;
    for (; o < end4; o += 16) adagrad4(param, sum, grad, o, vc, ve, vwd, maximize, l2);
  }
  const end = <usize>n << 2;
  for (; o < end; o += 4) adagrad1(param, sum, grad, o, clr, eps, weightDecay, maximize, l2);
}

// @ts-ignore: decorator
@inline function adagrad1(param: usize, sum: usize, grad: usize, o: usize, clr: f32, eps: f32, weightDecay: f32,
    maximize: bool, l2: bool): void {
  const p = ldf(param, o);
  const g = gradIn(ldf(grad, o), p, weightDecay, maximize, l2);
  const s = ldf(sum, o) + g * g;
  stf(sum, o, s);
  stf(param, o, subScaledDiv(p, clr, g, Mathf.sqrt(s) + eps));
}

// @ts-ignore: decorator
@inline function adagrad4(param: usize, sum: usize, grad: usize, o: usize, clr: v128, eps: v128, weightDecay: v128,
    maximize: bool, l2: bool): void {
  const p = ldv(param, o);
  const g = gradIn4(ldv(grad, o), p, weightDecay, maximize, l2);
  const s = f32x4.add(ldv(sum, o), f32x4.mul(g, g));
  stv(sum, o, s);
  stv(param, o, subScaledDiv4(p, clr, g, f32x4.add(f32x4.sqrt(s), eps)));
}
