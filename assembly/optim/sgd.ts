// SGD step with momentum / Nesterov (PyTorch `_single_tensor_sgd`); equations in src/optim/sgd.ts.
import { MOMENTUM, NESTEROV, INIT_BUFFER, GRAD_SCALE, ld, st, add, sub, mul, gradInFlags } from "../lib/common";
import { NONE, SIGNED } from "../lib/elementwise";

export class Sgd {
  /** Fast paths: momentum and Nesterov, each also with a gradient scale (clipping, GradScaler, accumulation). */
  @inline fast(i: i32): i32 {
    return i == 0 ? MOMENTUM : i == 1 ? MOMENTUM | NESTEROV : i == 2 ? MOMENTUM | GRAD_SCALE
      : i == 3 ? MOMENTUM | NESTEROV | GRAD_SCALE : NONE;
  }
  @inline state(k: i32): i32 { return SIGNED | MOMENTUM; }
  @inline at<T, S>(o: usize, param: usize, grad: usize, momentumBuffer: usize, _b: usize, _c: usize, _d: usize, lr: T,
      weightDecay: T, momentum: T, dampFactor: T, gradScale: T, _s5: T, _s6: T, _s7: T, _s8: T, _s9: T, _s10: T,
      _s11: T, _s12: T, _s13: T, f: i32, sr: bool, mix: u32): void {
    const p = ld<T>(param, o);
    let g = gradInFlags<T>(ld<T>(grad, o), p, gradScale, weightDecay, f);
    if ((f & MOMENTUM) != 0) {
      const m = (f & INIT_BUFFER) != 0 ? g : add<T>(mul<T>(ld<T>(momentumBuffer, o), momentum), mul<T>(dampFactor, g));
      st<T>(momentumBuffer, o, m);
      g = (f & NESTEROV) != 0 ? add<T>(g, mul<T>(momentum, m)) : m;
    }
    st<T>(param, o, sub<T>(p, mul<T>(lr, g)));
  }
}
