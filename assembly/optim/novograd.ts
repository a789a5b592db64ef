// NovoGrad step for one tensor (Optax `novograd`: scale_by_novograd, scale_by_learning_rate); equations in
// src/optim/novograd.ts.
// Preconditions: param, expAvg, grad each point at n f32s, expAvgSq at one f32 (the tensor's second moment),
// scratch at n f32s (the scaled, value-clipped gradient under GRAD_SCALE or CLIP; not state); any byte alignment; no two buffers overlap.
// One call = one whole tensor (the second moment needs its ‖g‖²). Scalars: lr, beta1, beta2, beta2Comp = 1-beta2,
// eps, epsRoot, weightDecay, gradScale. Flags: GRAD_SCALE, CLIP, DECOUPLED (weightDecay·θ added to the update before
// the momentum, as Optax), INIT_BUFFER (the first step: v = ‖g‖², m = u).
// ‖g‖² is summed in the blocked order of assembly/lib/common.ts (sumSqBlocked) and rounded to f32 once, then
// Optax's norm(g)**2 in f32.
import { CLIP, DECOUPLED, GRAD_SCALE, INIT_BUFFER, ld, st, add, sub, mul, div, gradInFlags, sumSqBlocked } from "../lib/common";
import { NONE, elementwise } from "../lib/elementwise";

export function novograd_f32(param: usize, expAvg: usize, expAvgSq: usize, scratch: usize, grad: usize, n: i32,
    lr: f32, beta1: f32, beta2: f32, beta2Comp: f32, eps: f32, epsRoot: f32, weightDecay: f32, gradScale: f32,
    flags: i32): void {
  let g = grad;
  if ((flags & (GRAD_SCALE | CLIP)) != 0) {
    elementwise<ScaledGrad, f32>(scratch, grad, n, flags & (GRAD_SCALE | CLIP), 0, 0, 0, 0, gradScale);
    g = scratch;
  }
  const norm = Mathf.sqrt(<f32>sumSqBlocked(g, n)), sq = norm * norm;
  const v: f32 = (flags & INIT_BUFFER) != 0 ? sq : beta2Comp * sq + beta2 * load<f32>(expAvgSq);
  store<f32>(expAvgSq, v);
  elementwise<NovoGrad, f32>(param, g, n, flags & (DECOUPLED | INIT_BUFFER), expAvg, 0, 0, 0, lr, beta1,
    Mathf.sqrt(v + epsRoot) + eps, weightDecay);
}

/** The gradient the step sees (scaled, value-clipped), written to scratch: the norm and the update read it. */
class ScaledGrad {
  @inline fast(i: i32): i32 { return NONE; }
  @inline at<T, S>(o: usize, scratch: usize, grad: usize, _a: usize, _b: usize, _c: usize, _d: usize, gradScale: T,
      _s1: T, _s2: T, _s3: T, _s4: T, _s5: T, _s6: T, _s7: T, _s8: T, _s9: T, _s10: T, _s11: T, _s12: T, _s13: T,
      f: i32, sr: bool, mix: u32): void {
    st<T>(scratch, o, gradInFlags<T>(ld<T>(grad, o), gradScale, gradScale, gradScale, f, GRAD_SCALE | CLIP));
  }
}

/** The NovoGrad rule (assembly/lib/elementwise.ts) given the tensor's denominator d = √(v + εroot) + ε. */
class NovoGrad {
  /** Fast paths: plain NovoGrad, and with weight decay. */
  @inline fast(i: i32): i32 { return i == 0 ? 0 : i == 1 ? DECOUPLED : NONE; }
  @inline at<T, S>(o: usize, param: usize, grad: usize, expAvg: usize, _b: usize, _c: usize, _dd: usize, lr: T,
      beta1: T, d: T, weightDecay: T, _s4: T, _s5: T, _s6: T, _s7: T, _s8: T, _s9: T, _s10: T, _s11: T, _s12: T,
      _s13: T, f: i32, sr: bool, mix: u32): void {
    const p = ld<T>(param, o);
    let u = div<T>(ld<T>(grad, o), d);
    if ((f & DECOUPLED) != 0) u = add<T>(u, mul<T>(weightDecay, p));
    const m = (f & INIT_BUFFER) != 0 ? u : add<T>(mul<T>(beta1, ld<T>(expAvg, o)), u);
    st<T>(expAvg, o, m);
    st<T>(param, o, sub<T>(p, mul<T>(lr, m)));
  }
}
