// Prodigy step (Optax `contrib.prodigy`), in two passes with global reductions between them (the step plan's
// GlobalSpec, src/core/spec.ts); equations in src/optim/prodigy.ts.
// Preconditions: param, expAvg, expAvgSq, gradSum, params0, terms, grad each point at n f32s; any byte
// alignment; buffers do not overlap.
// Pass 0 (no UPDATE): terms = g·(θ0 − θ) (params0 = θ first, under START), gradSum = β3·s + (sumLr·(d·g))/d0.
// Pass 1 (UPDATE): the moments with d·g, then θ += decay·θ − (dlr·m)/(√v + epsLr), Optax's order.
import { CLIP, GRAD_SCALE, ld, st, add, sub, mul, div, sqrt, ema2, gradInFlags, optaxMoment } from "../lib/common";
import { NONE, elementwise } from "../lib/elementwise";

/** First step of the run: params0 takes the param before it is read. */
const START: i32 = 1 << 11;
/** Pass 1: the moments and the param update (else pass 0: the terms and grad_sum). */
const UPDATE: i32 = 1 << 12;

/** Pass 0 (assembly/lib/elementwise.ts rule): buffers gradSum, params0, terms. */
class ProdigyTerms {
  /** One fast path a pass (a gradient scale takes the general loop: each loop costs ~0.9 KB of the SIMD build). */
  @inline fast(i: i32): i32 { return i == 0 ? 0 : NONE; }
  @inline at<T, S>(o: usize, param: usize, grad: usize, gradSum: usize, params0: usize, terms: usize, _d: usize,
      estimLr: T, beta3: T, sumLr: T, estimLr0: T, gradScale: T, _s5: T, _s6: T, _s7: T, _s8: T, _s9: T, _s10: T,
      _s11: T, _s12: T, _s13: T, f: i32, sr: bool, mix: u32): void {
    const p = ld<T>(param, o);
    const g = gradInFlags<T>(ld<T>(grad, o), p, gradScale, gradScale, f, GRAD_SCALE | CLIP);
    let p0 = p;
    if ((f & START) != 0) st<T>(params0, o, p);
    else p0 = ld<T>(params0, o);
    st<T>(terms, o, mul<T>(g, sub<T>(p0, p)));
    st<T>(gradSum, o, add<T>(mul<T>(beta3, ld<T>(gradSum, o)), div<T>(mul<T>(sumLr, mul<T>(estimLr, g)), estimLr0)));
  }
}

/** Pass 1: buffers expAvg, expAvgSq. */
class ProdigyUpdate {
  @inline fast(i: i32): i32 { return i == 0 ? UPDATE : NONE; }
  @inline at<T, S>(o: usize, param: usize, grad: usize, expAvg: usize, expAvgSq: usize, _c: usize, _d: usize,
      estimLr: T, beta1: T, beta1Comp: T, beta2: T, beta2Comp: T, dlr: T, decay: T, epsLr: T, gradScale: T, _s9: T,
      _s10: T, _s11: T, _s12: T, _s13: T, f: i32, sr: bool, mix: u32): void {
    const p = ld<T>(param, o);
    const dg = mul<T>(estimLr, gradInFlags<T>(ld<T>(grad, o), p, gradScale, gradScale, f, GRAD_SCALE | CLIP));
    const m = optaxMoment<T>(ld<T>(expAvg, o), dg, beta1, beta1Comp);
    const v = ema2<T>(ld<T>(expAvgSq, o), dg, beta2, beta2Comp);
    st<T>(expAvg, o, m);
    st<T>(expAvgSq, o, v);
    st<T>(param, o, add<T>(p, sub<T>(mul<T>(decay, p), div<T>(mul<T>(dlr, m), add<T>(sqrt<T>(v), epsLr)))));
  }
}

export function prodigy_f32(param: usize, expAvg: usize, expAvgSq: usize, gradSum: usize, params0: usize, terms: usize,
    grad: usize, n: i32, estimLr: f32, beta1: f32, beta1Comp: f32, beta2: f32, beta2Comp: f32, beta3: f32, sumLr: f32,
    estimLr0: f32, dlr: f32, decay: f32, epsLr: f32, gradScale: f32, flags: i32): void {
  if ((flags & UPDATE) != 0) {
    elementwise<ProdigyUpdate, f32>(param, grad, n, flags, expAvg, expAvgSq, 0, 0, estimLr, beta1, beta1Comp, beta2,
      beta2Comp, dlr, decay, epsLr, gradScale);
  } else {
    elementwise<ProdigyTerms, f32>(param, grad, n, flags, gradSum, params0, terms, 0, estimLr, beta3, sumLr, estimLr0, gradScale);
  }
}
