// Yogi step (Optax `yogi`: scale_by_yogi, scale_by_learning_rate); equations in src/optim/yogi.ts.
// Preconditions: param, expAvg, expAvgSq, grad each point at n f32s; any byte alignment; buffers do not overlap.
// Scalars: stepSize = lr/(1-beta1^t), beta1, beta1Comp = 1-beta1, beta2Comp = 1-beta2,
// rBc2Sqrt = 1/sqrt(1-beta2^t), eps, gradScale.
import {
  GRAD_SCALE, ld, st, splat, add, sub, mul, sqrt, sign, gradInClip, clipArmed, optaxMoment, subScaledDiv, end1, end4, end16,
} from "../lib/common";
import { BLOCK, F32_FLAGS, stateIn, stateOut } from "../lib/lowp";

export function yogi_f32(param: usize, expAvg: usize, expAvgSq: usize, grad: usize, n: i32,
    stepSize: f32, beta1: f32, beta1Comp: f32, beta2Comp: f32, rBc2Sqrt: f32, eps: f32, gradScale: f32, flags: i32): void {
  const clip = (flags & GRAD_SCALE) != 0 && clipArmed(); // read once per call (see adam_f32)
  if (flags == 0) yogiLoop(param, expAvg, expAvgSq, grad, n, stepSize, beta1, beta1Comp, beta2Comp, rBc2Sqrt, eps, gradScale, false);
  else {
    yogiLoop(param, expAvg, expAvgSq, grad, n, stepSize, beta1, beta1Comp, beta2Comp, rBc2Sqrt, eps, gradScale,
      (flags & GRAD_SCALE) != 0, clip);
  }
}

// @ts-ignore: decorator
@inline function yogiLoop(param: usize, expAvg: usize, expAvgSq: usize, grad: usize, n: i32, stepSize: f32,
    beta1: f32, beta1Comp: f32, beta2Comp: f32, rBc2Sqrt: f32, eps: f32, gradScale: f32, scaled: bool, clip: bool = false): void {
  let o: usize = 0;
  if (ASC_FEATURE_SIMD) {
    o = yogiSpan<v128>(param, expAvg, expAvgSq, grad, o, end16(n), end4(n), stepSize, beta1, beta1Comp, beta2Comp,
      rBc2Sqrt, eps, gradScale, scaled, clip);
  }
  yogiSpan<f32>(param, expAvg, expAvgSq, grad, o, o, end1(n), stepSize, beta1, beta1Comp, beta2Comp, rBc2Sqrt, eps,
    gradScale, scaled, clip);
}

/** Steps bytes [o, end): four lanes of T at a time up to `end16`, unrolled four times, then one at a time. */
// @ts-ignore: decorator
@inline function yogiSpan<T>(param: usize, expAvg: usize, expAvgSq: usize, grad: usize, o: usize, end16: usize,
    end: usize, stepSize: f32, beta1: f32, beta1Comp: f32, beta2Comp: f32, rBc2Sqrt: f32, eps: f32, gradScale: f32,
    scaled: bool, clip: bool = false): usize {
  const s = splat<T>(stepSize), b1 = splat<T>(beta1), b1c = splat<T>(beta1Comp), b2c = splat<T>(beta2Comp);
  const r = splat<T>(rBc2Sqrt), e = splat<T>(eps), gs = splat<T>(gradScale);
  const w: usize = sizeof<T>();
  for (; o < end16; o += 4 * w) {
    yogiAt<T>(param, expAvg, expAvgSq, grad, o, s, b1, b1c, b2c, r, e, gs, scaled, clip);
    yogiAt<T>(param, expAvg, expAvgSq, grad, o + w, s, b1, b1c, b2c, r, e, gs, scaled, clip);
    yogiAt<T>(param, expAvg, expAvgSq, grad, o + 2 * w, s, b1, b1c, b2c, r, e, gs, scaled, clip);
    yogiAt<T>(param, expAvg, expAvgSq, grad, o + 3 * w, s, b1, b1c, b2c, r, e, gs, scaled, clip);
  }
  for (; o < end; o += w) yogiAt<T>(param, expAvg, expAvgSq, grad, o, s, b1, b1c, b2c, r, e, gs, scaled, clip);
  return o;
}

/** The Yogi rule for the lanes at byte offset o, in Optax's order of operations. */
// @ts-ignore: decorator
@inline function yogiAt<T>(param: usize, expAvg: usize, expAvgSq: usize, grad: usize, o: usize, stepSize: T,
    beta1: T, beta1Comp: T, beta2Comp: T, rBc2Sqrt: T, eps: T, gradScale: T, scaled: bool, clip: bool = false): void {
  const p = ld<T>(param, o);
  const g = gradInClip<T>(ld<T>(grad, o), p, gradScale, gradScale, scaled, clip, false, false);
  const m = optaxMoment<T>(ld<T>(expAvg, o), g, beta1, beta1Comp);
  const v0 = ld<T>(expAvgSq, o), g2 = mul<T>(g, g);
  const v = sub<T>(v0, mul<T>(mul<T>(beta2Comp, sign<T>(sub<T>(v0, g2))), g2));
  st<T>(expAvg, o, m);
  st<T>(expAvgSq, o, v);
  st<T>(param, o, subScaledDiv<T>(p, stepSize, m, add<T>(mul<T>(sqrt<T>(v), rBc2Sqrt), eps)));
}

// Low-precision state (assembly/lib/lowp.ts): the same rule, on f32 blocks decoded from bf16 / int8 state.
export function yogi_bf16(param: usize, expAvg: usize, expAvgSq: usize, grad: usize, n: i32, stepSize: f32, beta1: f32,
    beta1Comp: f32, beta2Comp: f32, rBc2Sqrt: f32, eps: f32, gradScale: f32, flags: i32): void {
  yogiLowp<u16>(param, expAvg, expAvgSq, grad, n, stepSize, beta1, beta1Comp, beta2Comp, rBc2Sqrt, eps, gradScale,
    flags);
}
export function yogi_i8(param: usize, expAvg: usize, expAvgSq: usize, grad: usize, n: i32, stepSize: f32, beta1: f32,
    beta1Comp: f32, beta2Comp: f32, rBc2Sqrt: f32, eps: f32, gradScale: f32, flags: i32): void {
  yogiLowp<u8>(param, expAvg, expAvgSq, grad, n, stepSize, beta1, beta1Comp, beta2Comp, rBc2Sqrt, eps, gradScale,
    flags);
}

// @ts-ignore: decorator
@inline function yogiLowp<D>(param: usize, expAvg: usize, expAvgSq: usize, grad: usize, n: i32, stepSize: f32,
    beta1: f32, beta1Comp: f32, beta2Comp: f32, rBc2Sqrt: f32, eps: f32, gradScale: f32, flags: i32): void {
  for (let b = 0; b < n; b += BLOCK) {
    const len = min(BLOCK, n - b);
    const m = stateIn<D>(expAvg, b, 0, len, true), v = stateIn<D>(expAvgSq, b, 1, len, false);
    yogi_f32(param + (<usize>b << 2), m, v, grad + (<usize>b << 2), len, stepSize, beta1, beta1Comp, beta2Comp,
      rBc2Sqrt, eps, gradScale, flags & F32_FLAGS);
    stateOut<D>(expAvg, b, 0, len, true, flags);
    stateOut<D>(expAvgSq, b, 1, len, false, flags);
  }
}
