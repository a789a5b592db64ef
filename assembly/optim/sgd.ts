// SGD step with optional momentum / Nesterov (PyTorch `_single_tensor_sgd`); equations in src/sgd.ts.
// Preconditions: param, grad (and momentumBuffer when MOMENTUM) each point at n f32s; any byte alignment;
// buffers do not overlap. momentumBuffer is not touched without MOMENTUM; with INIT_BUFFER it is written
// before being read (PyTorch's first step: buffer = g, dampening ignored).
// Scalars: lr, weightDecay, momentum, dampFactor = 1 - dampening.
import { MAXIMIZE, WEIGHT_DECAY, MOMENTUM, NESTEROV, INIT_BUFFER, gradIn, gradIn4, ldf, stf, ldv, stv } from "../lib/common";

export function sgd_f32(param: usize, momentumBuffer: usize, grad: usize, n: i32,
    lr: f32, weightDecay: f32, momentum: f32, dampFactor: f32, flags: i32): void {
  if (flags == MOMENTUM) {
    sgdLoop(param, momentumBuffer, grad, n, lr, weightDecay, momentum, dampFactor, false, false, true, false, false);
  } else if (flags == (MOMENTUM | NESTEROV)) {
    sgdLoop(param, momentumBuffer, grad, n, lr, weightDecay, momentum, dampFactor, false, false, true, true, false);
  } else {
    sgdLoop(param, momentumBuffer, grad, n, lr, weightDecay, momentum, dampFactor, (flags & MAXIMIZE) != 0,
      (flags & WEIGHT_DECAY) != 0, (flags & MOMENTUM) != 0, (flags & NESTEROV) != 0, (flags & INIT_BUFFER) != 0);
  }
}

// @ts-ignore: decorator
@inline function sgdLoop(param: usize, buf: usize, grad: usize, n: i32, lr: f32, weightDecay: f32, momentum: f32,
    dampFactor: f32, maximize: bool, l2: bool, hasMomentum: bool, nesterov: bool, init: bool): void {
  let o: usize = 0;
  if (ASC_FEATURE_SIMD) {
    const vlr = f32x4.splat(lr), vwd = f32x4.splat(weightDecay);
    const vmu = f32x4.splat(momentum), vdf = f32x4.splat(dampFactor);
    const end16 = <usize>(n & ~15) << 2;
    for (; o < end16; o += 64) {
      sgd4(param, buf, grad, o, vlr, vwd, vmu, vdf, maximize, l2, hasMomentum, nesterov, init);
      sgd4(param, buf, grad, o + 16, vlr, vwd, vmu, vdf, maximize, l2, hasMomentum, nesterov, init);
      sgd4(param, buf, grad, o + 32, vlr, vwd, vmu, vdf, maximize, l2, hasMomentum, nesterov, init);
      sgd4(param, buf, grad, o + 48, vlr, vwd, vmu, vdf, maximize, l2, hasMomentum, nesterov, init);
    }
    const end4 = <usize>(n & ~3) << 2;
    for (; o < end4; o += 16) sgd4(param, buf, grad, o, vlr, vwd, vmu, vdf, maximize, l2, hasMomentum, nesterov, init);
  }
  const end = <usize>n << 2;
  for (; o < end; o += 4) sgd1(param, buf, grad, o, lr, weightDecay, momentum, dampFactor, maximize, l2, hasMomentum, nesterov, init);
}

// @ts-ignore: decorator
@inline function sgd1(param: usize, buf: usize, grad: usize, o: usize, lr: f32, weightDecay: f32, momentum: f32,
    dampFactor: f32, maximize: bool, l2: bool, hasMomentum: bool, nesterov: bool, init: bool): void {
  const p = ldf(param, o);
  let g = gradIn(ldf(grad, o), p, weightDecay, maximize, l2);
  if (hasMomentum) {
    const b = init ? g : ldf(buf, o) * momentum + dampFactor * g;
    stf(buf, o, b);
    g = nesterov ? g + momentum * b : b;
  }
  stf(param, o, p - lr * g);
}

// @ts-ignore: decorator
@inline function sgd4(param: usize, buf: usize, grad: usize, o: usize, lr: v128, weightDecay: v128, momentum: v128,
    dampFactor: v128, maximize: bool, l2: bool, hasMomentum: bool, nesterov: bool, init: bool): void {
  const p = ldv(param, o);
  let g = gradIn4(ldv(grad, o), p, weightDecay, maximize, l2);
  if (hasMomentum) {
    const b = init ? g : f32x4.add(f32x4.mul(ldv(buf, o), momentum), f32x4.mul(dampFactor, g));
    stv(buf, o, b);
    g = nesterov ? f32x4.add(g, f32x4.mul(momentum, b)) : b;
  }
  stv(param, o, f32x4.sub(p, f32x4.mul(lr, g)));
}
