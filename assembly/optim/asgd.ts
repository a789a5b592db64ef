// ASGD step (PyTorch `_single_tensor_asgd`); equations in src/optim/asgd.ts.
// Preconditions: param, ax, grad each point at n f32s; any byte alignment; buffers do not overlap.
// Scalars (computed once per step in TS, f64): eta (this step's eta_{t-1}), decay = 1 - lambd*eta, mu (this
// step's mu_{t-1}; exactly 1 means ax is a copy of the param, as PyTorch), weightDecay, gradScale.
import { ld, st, add, sub, mul, gradInFlags } from "../lib/common";
import { NONE, elementwise } from "../lib/elementwise";

/** Flag bit of this kernel only, set by asgd_f32 itself (bits 11..15 are a kernel's own): mu is exactly 1. */
const COPY: i32 = 1 << 11;

/** The ASGD rule for the lanes at byte offset o (assembly/lib/elementwise.ts). */
class Asgd {
  /** Fast paths: plain ASGD, while ax copies the param (mu = 1, the first t0 steps) and after. */
  @inline fast(i: i32): i32 { return i == 0 ? COPY : i == 1 ? 0 : NONE; }
  @inline at<T, S>(o: usize, param: usize, grad: usize, ax: usize, _b: usize, _c: usize, _d: usize, eta: T, decay: T,
      mu: T, weightDecay: T, gradScale: T, _s5: T, _s6: T, _s7: T, _s8: T, _s9: T, _s10: T, _s11: T, _s12: T, _s13: T,
      f: i32, sr: bool, mix: u32): void {
    let p = ld<T>(param, o);
    const g = gradInFlags<T>(ld<T>(grad, o), p, gradScale, weightDecay, f);
    p = sub<T>(mul<T>(p, decay), mul<T>(eta, g));
    st<T>(param, o, p);
    if ((f & COPY) != 0) st<T>(ax, o, p);
    else {
      const a = ld<T>(ax, o);
      st<T>(ax, o, add<T>(a, mul<T>(sub<T>(p, a), mu)));
    }
  }
}

export function asgd_f32(param: usize, ax: usize, grad: usize, n: i32,
    eta: f32, decay: f32, mu: f32, weightDecay: f32, gradScale: f32, flags: i32): void {
  elementwise<Asgd, f32>(param, grad, n, mu == 1 ? flags | COPY : flags, ax, 0, 0, 0, eta, decay, mu, weightDecay, gradScale);
}
