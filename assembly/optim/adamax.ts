// Adamax step (PyTorch `_single_tensor_adamax`); equations in src/optim/adamax.ts.
// Preconditions: param, expAvg, expInf, grad each point at n f32s; any byte alignment; buffers do not overlap.
// Scalars: clr = lr / (1 + (t-1)*lrDecay) / (1 - beta1^t), beta1Comp = 1-beta1, beta2, eps, weightDecay, beta1,
// gradScale. TFJS (tfjs's order): m = m*beta1 + g*(1-beta1), u = max(u*beta2, |g|), p -= clr * (m / (u + eps)) with
// clr rounded as tfjs rounds it (src/optim/adamax.ts).
import {
  MAXIMIZE, WEIGHT_DECAY, GRAD_SCALE, TFJS, ld, st, splat, add, sub, mul, div, absv, maxp, maxv, gradInClip, clipArmed, lerp, subScaledDiv,
  tfjsMoment, end1, end4, end16,
} from "../lib/common";
import { BLOCK, F32_FLAGS, stateIn, stateOut } from "../lib/lowp";

export function adamax_f32(param: usize, expAvg: usize, expInf: usize, grad: usize, n: i32,
    clr: f32, beta1Comp: f32, beta2: f32, eps: f32, weightDecay: f32, beta1: f32, gradScale: f32, flags: i32): void {
  const clip = (flags & GRAD_SCALE) != 0 && clipArmed(); // read once per call (see adam_f32)
  if (flags == 0) adamaxLoop(param, expAvg, expInf, grad, n, clr, beta1Comp, beta2, eps, weightDecay, beta1, gradScale, false, false, false, false);
  else if (flags == TFJS) adamaxLoop(param, expAvg, expInf, grad, n, clr, beta1Comp, beta2, eps, weightDecay, beta1, gradScale, false, false, false, true);
  else {
    adamaxLoop(param, expAvg, expInf, grad, n, clr, beta1Comp, beta2, eps, weightDecay, beta1, gradScale,
      (flags & GRAD_SCALE) != 0, (flags & MAXIMIZE) != 0, (flags & WEIGHT_DECAY) != 0, (flags & TFJS) != 0, clip);
  }
}

// @ts-ignore: decorator
@inline function adamaxLoop(param: usize, expAvg: usize, expInf: usize, grad: usize, n: i32, clr: f32,
    beta1Comp: f32, beta2: f32, eps: f32, weightDecay: f32, beta1: f32, gradScale: f32, scaled: bool, maximize: bool,
    l2: bool, tfjs: bool, clip: bool = false): void {
  let o: usize = 0;
  if (ASC_FEATURE_SIMD) {
    o = adamaxSpan<v128>(param, expAvg, expInf, grad, o, end16(n), end4(n), clr, beta1Comp, beta2, eps,
      weightDecay, beta1, gradScale, scaled, maximize, l2, tfjs, clip);
  }
  adamaxSpan<f32>(param, expAvg, expInf, grad, o, o, end1(n), clr, beta1Comp, beta2, eps, weightDecay, beta1, gradScale,
    scaled, maximize, l2, tfjs, clip);
}

/** Steps bytes [o, end): four lanes of T at a time up to `end16`, unrolled four times, then one at a time. */
// @ts-ignore: decorator
@inline function adamaxSpan<T>(param: usize, expAvg: usize, expInf: usize, grad: usize, o: usize,
    end16: usize, end: usize, clr: f32, beta1Comp: f32, beta2: f32, eps: f32, weightDecay: f32, beta1: f32,
    gradScale: f32, scaled: bool, maximize: bool, l2: bool, tfjs: bool, clip: bool = false): usize {
  const c = splat<T>(clr), b1c = splat<T>(beta1Comp), b2 = splat<T>(beta2), e = splat<T>(eps);
  const wd = splat<T>(weightDecay), b1 = splat<T>(beta1), gs = splat<T>(gradScale);
  const w: usize = sizeof<T>();
  for (; o < end16; o += 4 * w) {
    adamaxAt<T>(param, expAvg, expInf, grad, o, c, b1c, b2, e, wd, b1, gs, scaled, maximize, l2, tfjs, clip);
    adamaxAt<T>(param, expAvg, expInf, grad, o + w, c, b1c, b2, e, wd, b1, gs, scaled, maximize, l2, tfjs, clip);
    adamaxAt<T>(param, expAvg, expInf, grad, o + 2 * w, c, b1c, b2, e, wd, b1, gs, scaled, maximize, l2, tfjs, clip);
    adamaxAt<T>(param, expAvg, expInf, grad, o + 3 * w, c, b1c, b2, e, wd, b1, gs, scaled, maximize, l2, tfjs, clip);
  }
  for (; o < end; o += w) adamaxAt<T>(param, expAvg, expInf, grad, o, c, b1c, b2, e, wd, b1, gs, scaled, maximize, l2, tfjs, clip);
  return o;
}

/** The Adamax rule for the lanes at byte offset o. */
// @ts-ignore: decorator
@inline function adamaxAt<T>(param: usize, expAvg: usize, expInf: usize, grad: usize, o: usize, clr: T,
    beta1Comp: T, beta2: T, eps: T, weightDecay: T, beta1: T, gradScale: T, scaled: bool, maximize: bool, l2: bool,
    tfjs: bool, clip: bool = false): void {
  const p = ld<T>(param, o);
  const g = gradInClip<T>(ld<T>(grad, o), p, gradScale, weightDecay, scaled, clip, maximize, l2);
  if (tfjs) {
    // tfjs: maximum(u*beta2, |g|) (NaN-propagating like tf.maximum on cpu), eps added after the max.
    const mt = tfjsMoment<T>(ld<T>(expAvg, o), g, beta1, beta1Comp);
    const ut = maxv<T>(mul<T>(ld<T>(expInf, o), beta2), absv<T>(g));
    st<T>(expAvg, o, mt);
    st<T>(expInf, o, ut);
    st<T>(param, o, sub<T>(p, mul<T>(clr, div<T>(mt, add<T>(ut, eps)))));
    return;
  }
  const m = lerp<T>(ld<T>(expAvg, o), g, beta1Comp);
  // u = max(beta2 * u, |g| + eps): eps inside the max, NaN-propagating like torch.maximum. Neither side is ever
  // -0, so maxp is exact here; on x64 it is a few instructions where maxv is about eight.
  const u = maxp<T>(mul<T>(ld<T>(expInf, o), beta2), add<T>(absv<T>(g), eps));
  st<T>(expAvg, o, m);
  st<T>(expInf, o, u);
  st<T>(param, o, subScaledDiv<T>(p, clr, m, u));
}

// Low-precision state (assembly/lib/lowp.ts): the same rule, on f32 blocks decoded from bf16 / int8 state.
export function adamax_bf16(param: usize, expAvg: usize, expInf: usize, grad: usize, n: i32, clr: f32, beta1Comp: f32,
    beta2: f32, eps: f32, weightDecay: f32, beta1: f32, gradScale: f32, flags: i32): void {
  adamaxLowp<u16>(param, expAvg, expInf, grad, n, clr, beta1Comp, beta2, eps, weightDecay, beta1, gradScale, flags);
}
export function adamax_i8(param: usize, expAvg: usize, expInf: usize, grad: usize, n: i32, clr: f32, beta1Comp: f32,
    beta2: f32, eps: f32, weightDecay: f32, beta1: f32, gradScale: f32, flags: i32): void {
  adamaxLowp<u8>(param, expAvg, expInf, grad, n, clr, beta1Comp, beta2, eps, weightDecay, beta1, gradScale, flags);
}

// @ts-ignore: decorator
@inline function adamaxLowp<D>(param: usize, expAvg: usize, expInf: usize, grad: usize, n: i32, clr: f32,
    beta1Comp: f32, beta2: f32, eps: f32, weightDecay: f32, beta1: f32, gradScale: f32, flags: i32): void {
  for (let b = 0; b < n; b += BLOCK) {
    const len = min(BLOCK, n - b);
    const m = stateIn<D>(expAvg, b, 0, len, true), u = stateIn<D>(expInf, b, 1, len, false);
    adamax_f32(param + (<usize>b << 2), m, u, grad + (<usize>b << 2), len, clr, beta1Comp, beta2, eps, weightDecay,
      beta1, gradScale, flags & F32_FLAGS);
    stateOut<D>(expAvg, b, 0, len, true, flags);
    stateOut<D>(expInf, b, 1, len, false, flags);
  }
}
