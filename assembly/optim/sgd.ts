// SGD step with optional momentum / Nesterov (PyTorch `_single_tensor_sgd`); equations in src/optim/sgd.ts.
// Preconditions: param, grad (and momentumBuffer when MOMENTUM) each point at n f32s; any byte alignment;
// buffers do not overlap. momentumBuffer is not touched without MOMENTUM; with INIT_BUFFER it is written
// before being read (PyTorch's first step: buffer = g, dampening ignored).
// Scalars: lr, weightDecay, momentum, dampFactor = 1 - dampening, gradScale.
import { MOMENTUM, NESTEROV, INIT_BUFFER, GRAD_SCALE, ld, st, add, sub, mul, gradInFlags } from "../lib/common";
import { NONE, elementwise } from "../lib/elementwise";
import { SIGNED } from "../lib/lowp";

/** The SGD rule for the lanes at byte offset o (assembly/lib/elementwise.ts). */
export class Sgd {
  /** Fast paths: momentum and Nesterov, each also with a gradient scale (clipping, GradScaler, accumulation). */
  // @ts-ignore: decorator
  @inline fast(i: i32): i32 {
    return i == 0 ? MOMENTUM : i == 1 ? MOMENTUM | NESTEROV : i == 2 ? MOMENTUM | GRAD_SCALE
      : i == 3 ? MOMENTUM | NESTEROV | GRAD_SCALE : NONE;
  }
  // @ts-ignore: decorator
  @inline state(k: i32): i32 { return SIGNED | MOMENTUM; }
  // @ts-ignore: decorator
  @inline at<T, S>(o: usize, param: usize, grad: usize, buf: usize, b: usize, c: usize, d: usize, lr: T,
      weightDecay: T, momentum: T, dampFactor: T, gradScale: T, s5: T, s6: T, s7: T, s8: T, s9: T, s10: T, s11: T,
      s12: T, s13: T, f: i32, sr: bool, mix: u32): void {
    const p = ld<T>(param, o);
    let g = gradInFlags<T>(ld<T>(grad, o), p, gradScale, weightDecay, f);
    if ((f & MOMENTUM) != 0) {
      const m = (f & INIT_BUFFER) != 0 ? g : add<T>(mul<T>(ld<T>(buf, o), momentum), mul<T>(dampFactor, g));
      st<T>(buf, o, m);
      g = (f & NESTEROV) != 0 ? add<T>(g, mul<T>(momentum, m)) : m;
    }
    st<T>(param, o, sub<T>(p, mul<T>(lr, g)));
  }
}

export function sgd_f32(param: usize, momentumBuffer: usize, grad: usize, n: i32,
    lr: f32, weightDecay: f32, momentum: f32, dampFactor: f32, gradScale: f32, flags: i32): void {
  elementwise<Sgd, f32>(param, grad, n, flags, momentumBuffer, 0, 0, 0, lr, weightDecay, momentum, dampFactor, gradScale);
}
