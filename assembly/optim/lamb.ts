// LAMB step for one tensor (Optax `lamb`: scale_by_adam, add_decayed_weights, scale_by_trust_ratio,
// scale_by_learning_rate); equations in src/optim/lamb.ts.
// Preconditions: param, expAvg, expAvgSq, grad each point at n f32s and scratch at n f32s (the core's scratch
// area: the update u is written there in pass 1 and read in pass 2; its contents are not state); any byte
// alignment; no two buffers overlap. One call = one whole tensor (the trust ratio needs its norms).
// Scalars: lr, beta1, beta1Comp = 1-beta1, beta2, beta2Comp = 1-beta2, rBc1 = 1/(1-beta1^t),
// rBc2 = 1/(1-beta2^t), eps, epsRoot, weightDecay, gradScale. Flags: MAXIMIZE, GRAD_SCALE, DECOUPLED (add
// weightDecay*p to the update, as Optax's add_decayed_weights after the Adam scaling).
// ‖p‖² and ‖u‖² are summed in the fixed blocked order of assembly/lib/trust-ratio.ts (f32 blocks of 16 terms per
// partial, f64 totals); the trust ratio is computed from them in f64 here and rounded to f32 once.
import { MAXIMIZE, DECOUPLED, GRAD_SCALE, CLIP, ld, st, add, mul, div, sqrt, gradIn, optaxMoment, optaxMoment2 } from "../lib/common";
import { NONE, elementwise } from "../lib/elementwise";
import { trustRatio } from "../lib/trust-ratio";

export function lamb_f32(param: usize, expAvg: usize, expAvgSq: usize, scratch: usize, grad: usize, n: i32,
    lr: f32, beta1: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, rBc1: f32, rBc2: f32, eps: f32, epsRoot: f32,
    weightDecay: f32, gradScale: f32, flags: i32): void {
  let ratio: f64;
  // The default (no flags, epsRoot 0: adding +0 to v/bc2 >= +0 changes no bit, so it is skipped) gets its own loop.
  if (flags == 0 && epsRoot == 0) {
    ratio = lambPass1(param, expAvg, expAvgSq, scratch, grad, n, beta1, beta1Comp, beta2, beta2Comp, rBc1, rBc2,
      eps, epsRoot, weightDecay, gradScale, false, false, false, false, false);
  } else {
    ratio = lambPass1(param, expAvg, expAvgSq, scratch, grad, n, beta1, beta1Comp, beta2, beta2Comp, rBc1, rBc2,
      eps, epsRoot, weightDecay, gradScale, (flags & GRAD_SCALE) != 0, (flags & MAXIMIZE) != 0, (flags & DECOUPLED) != 0, true,
      (flags & CLIP) != 0);
  }
  applyTrustRatio(param, scratch, n, <f32>(<f64>(<f32>ratio) * -<f64>lr));
}

/**
 * Pass 1: moments, the update u (to scratch), and the trust ratio ‖p‖/‖u‖ (1 where either norm is 0), in f64
 * from the blocked sums of squares of assembly/lib/trust-ratio.ts. p is only read here.
 */
// @ts-ignore: decorator
@inline function lambPass1(param: usize, expAvg: usize, expAvgSq: usize, scratch: usize, grad: usize, n: i32,
    beta1: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, rBc1: f32, rBc2: f32, eps: f32, epsRoot: f32,
    weightDecay: f32, gradScale: f32, scaled: bool, maximize: bool, decay: bool, root: bool, clip: bool): f64 {
  return trustRatio<LambRule>(param, grad, expAvg, expAvgSq, scratch, n, weightDecay, gradScale, beta1, beta1Comp,
    beta2, beta2Comp, rBc1, rBc2, eps, epsRoot, scaled, maximize, decay, root, clip, 1, 0);
}

/** LAMB's update rule as trustRatio's operand order has it (assembly/lib/trust-ratio.ts). */
class LambRule {
  @inline u<T>(p: T, o: usize, grad: usize, expAvg: usize, expAvgSq: usize, scratch: usize, weightDecay: T,
      gradScale: T, beta1: T, beta1Comp: T, beta2: T, beta2Comp: T, rBc1: T, rBc2: T, eps: T, epsRoot: T,
      scaled: bool, maximize: bool, decay: bool, root: bool, clip: bool): T {
    return lambAt<T>(p, expAvg, expAvgSq, scratch, grad, o, beta1, beta1Comp, beta2, beta2Comp, rBc1, rBc2, eps,
      epsRoot, weightDecay, gradScale, scaled, maximize, decay, root, clip);
  }
}

/** The LAMB rule up to the trust ratio for the lanes at byte offset o (p: their param values), in Optax's order: returns u (also stored). */
// @ts-ignore: decorator
@inline function lambAt<T>(p: T, expAvg: usize, expAvgSq: usize, scratch: usize, grad: usize, o: usize,
    beta1: T, beta1Comp: T, beta2: T, beta2Comp: T, rBc1: T, rBc2: T, eps: T, epsRoot: T, weightDecay: T,
    gradScale: T, scaled: bool, maximize: bool, decay: bool, root: bool, clip: bool): T {
  const g = gradIn<T>(ld<T>(grad, o), p, gradScale, weightDecay, scaled, clip, maximize, false);
  const m = optaxMoment<T>(ld<T>(expAvg, o), g, beta1, beta1Comp);
  const v = optaxMoment2<T>(ld<T>(expAvgSq, o), g, beta2, beta2Comp);
  st<T>(expAvg, o, m);
  st<T>(expAvgSq, o, v);
  let vHat = mul<T>(v, rBc2);
  if (root) vHat = add<T>(vHat, epsRoot);
  let u = div<T>(mul<T>(m, rBc1), add<T>(sqrt<T>(vHat), eps));
  if (decay) u = add<T>(u, mul<T>(weightDecay, p));
  st<T>(scratch, o, u);
  return u;
}

/**
 * Pass 2: p += u * s with s = f32(ratio · −lr) (the f32 ratio times the f32 lr, rounded once): one multiply per
 * element where Optax's scale_by_trust_ratio then scale_by_learning_rate round twice (within an f32 rounding).
 */
// @ts-ignore: decorator
@inline function applyTrustRatio(param: usize, scratch: usize, n: i32, s: f32): void {
  elementwise<LambApply, f32>(param, 0, n, 0, scratch, 0, 0, 0, s);
}

/** Pass 2's rule (assembly/lib/elementwise.ts): reads no flag, so no fast path. */
class LambApply {
  @inline fast(i: i32): i32 { return NONE; }
  @inline at<T, S>(o: usize, param: usize, _grad: usize, scratch: usize, _b: usize, _c: usize, _d: usize, s: T, _s1: T,
      _s2: T, _s3: T, _s4: T, _s5: T, _s6: T, _s7: T, _s8: T, _s9: T, _s10: T, _s11: T, _s12: T, _s13: T, f: i32,
      sr: bool, mix: u32): void {
    st<T>(param, o, add<T>(ld<T>(param, o), mul<T>(ld<T>(scratch, o), s)));
  }
}
