// MADGRAD step (Optax `contrib.madgrad`), in Optax's order of operations; equations in src/optim/madgrad.ts.
import { CLIP, GRAD_SCALE, INIT_BUFFER, WEIGHT_DECAY, ld, st, add, sub, mul, div, cbrt, gradInFlags } from "../lib/common";

export class Madgrad {
  @inline at<T, S>(o: usize, param: usize, grad: usize, gradSumSq: usize, s: usize, x0: usize, _d: usize, lamb: T,
      eps: T, momentum: T, momentumComp: T, weightDecay: T, gradScale: T, _s6: T, _s7: T, _s8: T, _s9: T, _s10: T,
      _s11: T, _s12: T, _s13: T, f: i32, sr: bool, mix: u32): void {
    const p = ld<T>(param, o);
    const g = gradInFlags<T>(ld<T>(grad, o), p, gradScale, weightDecay, f, GRAD_SCALE | CLIP | WEIGHT_DECAY);
    const v = add<T>(ld<T>(gradSumSq, o), mul<T>(lamb, mul<T>(g, g)));
    st<T>(gradSumSq, o, v);
    const sum = add<T>(ld<T>(s, o), mul<T>(lamb, g));
    st<T>(s, o, sum);
    // x0 is the params at the first step (Optax's init); z is the dual-averaged iterate.
    const start = (f & INIT_BUFFER) != 0 ? p : ld<T>(x0, o);
    if ((f & INIT_BUFFER) != 0) st<T>(x0, o, p);
    const z = sub<T>(start, div<T>(sum, add<T>(cbrt<T>(v), eps)));
    // Optax returns x_{k+1} − x_k as its update, which apply_updates adds back in f32.
    st<T>(param, o, add<T>(p, sub<T>(add<T>(mul<T>(momentumComp, z), mul<T>(momentum, p)), p)));
  }
}
