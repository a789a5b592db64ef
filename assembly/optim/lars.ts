// LARS step for one tensor (Optax `lars`: add_decayed_weights, scale_by_trust_ratio, scale_by_learning_rate,
// trace); equations in src/optim/lars.ts.
// Preconditions: param, trace, grad each point at n f32s; any byte alignment; no two buffers overlap. One call =
// one whole tensor (the trust ratio needs its norms).
// Scalars: lr, momentum, weightDecay, trustCoefficient, eps, gradScale. Flags: MAXIMIZE, GRAD_SCALE,
// WEIGHT_DECAY (u = g + weightDecay*p, Optax's add_decayed_weights before the trust ratio), NESTEROV.
// Pass 1 only reads: it sums ‖p‖² and ‖u‖² in the fixed blocked order of assembly/lib/trust-ratio.ts and the kernel
// takes the trust ratio from them in f64 (rounded to f32 once); pass 2 recomputes u (the same operations, the
// same bits: cheaper than a scratch area) and applies the ratio, lr and the trace.
import { MAXIMIZE, WEIGHT_DECAY, NESTEROV, GRAD_SCALE, CLIP, ld, st, add, mul, gradIn, gradInFlags } from "../lib/common";
import { NONE, elementwise } from "../lib/elementwise";
import { trustRatio } from "../lib/trust-ratio";

export function lars_f32(param: usize, trace: usize, grad: usize, n: i32,
    lr: f32, momentum: f32, weightDecay: f32, trustCoefficient: f32, eps: f32, gradScale: f32, flags: i32): void {
  const scaled = (flags & GRAD_SCALE) != 0, maximize = (flags & MAXIMIZE) != 0, l2 = (flags & WEIGHT_DECAY) != 0;
  const clip = (flags & CLIP) != 0;
  let ratio: f64;
  if (flags == 0 || flags == NESTEROV) ratio = larsPass1(param, grad, n, weightDecay, gradScale, trustCoefficient, eps, false, false, false, false);
  else ratio = larsPass1(param, grad, n, weightDecay, gradScale, trustCoefficient, eps, scaled, maximize, l2, clip);
  elementwise<LarsApply, f32>(param, grad, n, flags, trace, 0, 0, 0, <f32>ratio, -lr, momentum, weightDecay, gradScale);
}

/** u = g (scaled, negated for maximize) + weightDecay*p: the update before the trust ratio. */
// @ts-ignore: decorator
@inline function larsU<T>(p: T, grad: usize, o: usize, weightDecay: T, gradScale: T, scaled: bool, maximize: bool, l2: bool, clip: bool): T {
  return gradIn<T>(ld<T>(grad, o), p, gradScale, weightDecay, scaled, clip, maximize, l2);
}

/** Pass 1 (read-only): the trust ratio c‖p‖/(‖u‖ + eps), or 1 where either norm is 0, in f64. */
// @ts-ignore: decorator
@inline function larsPass1(param: usize, grad: usize, n: i32, weightDecay: f32, gradScale: f32, coefficient: f32,
    eps: f32, scaled: bool, maximize: bool, l2: bool, clip: bool): f64 {
  return trustRatio<LarsRule>(param, grad, 0, 0, 0, n, weightDecay, gradScale, 0, 0, 0, 0, 0, 0, 0, 0,
    scaled, maximize, l2, false, clip, coefficient, eps);
}

/** LARS's update rule as trustRatio's operand order has it (assembly/lib/trust-ratio.ts): only grad, s0, s1, f0..f2 and f4 (the clip). */
class LarsRule {
  @inline u<T>(p: T, o: usize, grad: usize, a: usize, b: usize, c: usize, weightDecay: T, gradScale: T,
      s2: T, s3: T, s4: T, s5: T, s6: T, s7: T, s8: T, s9: T, scaled: bool, maximize: bool, l2: bool, f3: bool, clip: bool): T {
    return larsU<T>(p, grad, o, weightDecay, gradScale, scaled, maximize, l2, clip);
  }
}

/** Pass 2's rule (assembly/lib/elementwise.ts), after the trust ratio, in Optax's order. */
class LarsApply {
  /** No fast path: pass 2 keeps one loop for every flag combination. */
  @inline fast(i: i32): i32 { return NONE; }
  @inline at<T, S>(o: usize, param: usize, grad: usize, trace: usize, _b: usize, _c: usize, _d: usize, ratio: T,
      negLr: T, momentum: T, weightDecay: T, gradScale: T, _s5: T, _s6: T, _s7: T, _s8: T, _s9: T, _s10: T, _s11: T,
      _s12: T, _s13: T, f: i32, sr: bool, mix: u32): void {
    const p = ld<T>(param, o);
    const u = mul<T>(mul<T>(gradInFlags<T>(ld<T>(grad, o), p, gradScale, weightDecay, f), ratio), negLr);
    const t = add<T>(u, mul<T>(momentum, ld<T>(trace, o)));
    st<T>(trace, o, t);
    st<T>(param, o, add<T>(p, (f & NESTEROV) != 0 ? add<T>(u, mul<T>(momentum, t)) : t));
  }
}
