// Adadelta step (PyTorch `_single_tensor_adadelta`); equations in src/optim/adadelta.ts.
// Preconditions: param, squareAvg, accDelta, grad each point at n f32s; any byte alignment; buffers do not
// overlap. Scalars: lr, rho, rhoComp = 1-rho, eps, weightDecay, gradScale. TFJS (tfjs's order): the update
// sqrt(u + eps) / sqrt(v + eps) * g takes the accumulators before this step, both in tfjs's moment order.
import {
  MAXIMIZE, WEIGHT_DECAY, GRAD_SCALE, TFJS, ld, st, splat, add, sub, mul, div, sqrt, gradInClip, clipArmed, ema2, tfjsEma2, end1,
  end4, end16,
} from "../lib/common";
import { BLOCK, F32_FLAGS, stateIn, stateOut } from "../lib/lowp";

export function adadelta_f32(param: usize, squareAvg: usize, accDelta: usize, grad: usize, n: i32,
    lr: f32, rho: f32, rhoComp: f32, eps: f32, weightDecay: f32, gradScale: f32, flags: i32): void {
  const clip = (flags & GRAD_SCALE) != 0 && clipArmed(); // read once per call (see adam_f32)
  if (flags == 0) {
    adadeltaLoop(param, squareAvg, accDelta, grad, n, lr, rho, rhoComp, eps, weightDecay, gradScale,
      false, false, false, false);
  } else if (flags == TFJS) {
    adadeltaLoop(param, squareAvg, accDelta, grad, n, lr, rho, rhoComp, eps, weightDecay, gradScale,
      false, false, false, true);
  } else {
    adadeltaLoop(param, squareAvg, accDelta, grad, n, lr, rho, rhoComp, eps, weightDecay, gradScale,
      (flags & GRAD_SCALE) != 0, (flags & MAXIMIZE) != 0, (flags & WEIGHT_DECAY) != 0, (flags & TFJS) != 0, clip);
  }
}

// @ts-ignore: decorator
@inline function adadeltaLoop(param: usize, squareAvg: usize, accDelta: usize, grad: usize, n: i32, lr: f32,
    rho: f32, rhoComp: f32, eps: f32, weightDecay: f32, gradScale: f32, scaled: bool, maximize: bool, l2: bool,
    tfjs: bool, clip: bool = false): void {
  let o: usize = 0;
  if (ASC_FEATURE_SIMD) {
    o = adadeltaSpan<v128>(param, squareAvg, accDelta, grad, o, end16(n), end4(n), lr, rho, rhoComp, eps,
      weightDecay, gradScale, scaled, maximize, l2, tfjs, clip);
  }
  adadeltaSpan<f32>(param, squareAvg, accDelta, grad, o, o, end1(n), lr, rho, rhoComp, eps, weightDecay, gradScale,
    scaled, maximize, l2, tfjs, clip);
}

/** Steps bytes [o, end): four lanes of T at a time up to `end16`, unrolled four times, then one at a time. */
// @ts-ignore: decorator
@inline function adadeltaSpan<T>(param: usize, squareAvg: usize, accDelta: usize, grad: usize, o: usize,
    end16: usize, end: usize, lr: f32, rho: f32, rhoComp: f32, eps: f32, weightDecay: f32, gradScale: f32,
    scaled: bool, maximize: bool, l2: bool, tfjs: bool, clip: bool = false): usize {
  const l = splat<T>(lr), r = splat<T>(rho), rc = splat<T>(rhoComp), e = splat<T>(eps);
  const wd = splat<T>(weightDecay), gs = splat<T>(gradScale);
  const w: usize = sizeof<T>();
  for (; o < end16; o += 4 * w) {
    adadeltaAt<T>(param, squareAvg, accDelta, grad, o, l, r, rc, e, wd, gs, scaled, maximize, l2, tfjs, clip);
    adadeltaAt<T>(param, squareAvg, accDelta, grad, o + w, l, r, rc, e, wd, gs, scaled, maximize, l2, tfjs, clip);
    adadeltaAt<T>(param, squareAvg, accDelta, grad, o + 2 * w, l, r, rc, e, wd, gs, scaled, maximize, l2, tfjs, clip);
    adadeltaAt<T>(param, squareAvg, accDelta, grad, o + 3 * w, l, r, rc, e, wd, gs, scaled, maximize, l2, tfjs, clip);
  }
  for (; o < end; o += w) adadeltaAt<T>(param, squareAvg, accDelta, grad, o, l, r, rc, e, wd, gs, scaled, maximize, l2, tfjs, clip);
  return o;
}

/** The Adadelta rule for the lanes at byte offset o. */
// @ts-ignore: decorator
@inline function adadeltaAt<T>(param: usize, squareAvg: usize, accDelta: usize, grad: usize, o: usize, lr: T,
    rho: T, rhoComp: T, eps: T, weightDecay: T, gradScale: T, scaled: bool, maximize: bool, l2: bool,
    tfjs: bool, clip: bool = false): void {
  const p = ld<T>(param, o);
  const g = gradInClip<T>(ld<T>(grad, o), p, gradScale, weightDecay, scaled, clip, maximize, l2);
  if (tfjs) {
    // tfjs-core adadelta_optimizer.ts: updates = sqrt(u + eps) / sqrt(v + eps) * g with v and u as they were
    // before this step (tfjs assigns the new accumulated gradient only after computing the update).
    const v0 = ld<T>(squareAvg, o), u0 = ld<T>(accDelta, o);
    const upd = mul<T>(div<T>(sqrt<T>(add<T>(u0, eps)), sqrt<T>(add<T>(v0, eps))), g);
    st<T>(squareAvg, o, tfjsEma2<T>(v0, g, rho, rhoComp));
    st<T>(accDelta, o, tfjsEma2<T>(u0, upd, rho, rhoComp));
    st<T>(param, o, sub<T>(p, mul<T>(lr, upd)));
    return;
  }
  const v = ema2<T>(ld<T>(squareAvg, o), g, rho, rhoComp);
  st<T>(squareAvg, o, v);
  // PyTorch: delta = sqrt(u + eps) / sqrt(v + eps) * g, with the updated v. One square root of the quotient
  // here instead of two (within an f32 rounding, far inside the conformance tolerance).
  const u = ld<T>(accDelta, o);
  const delta = mul<T>(sqrt<T>(div<T>(add<T>(u, eps), add<T>(v, eps))), g);
  st<T>(accDelta, o, ema2<T>(u, delta, rho, rhoComp));
  st<T>(param, o, sub<T>(p, mul<T>(lr, delta)));
}

// Low-precision state (assembly/lib/lowp.ts): the same rule, on f32 blocks decoded from bf16 / int8 state.
export function adadelta_bf16(param: usize, squareAvg: usize, accDelta: usize, grad: usize, n: i32, lr: f32, rho: f32,
    rhoComp: f32, eps: f32, weightDecay: f32, gradScale: f32, flags: i32): void {
  adadeltaLowp<u16>(param, squareAvg, accDelta, grad, n, lr, rho, rhoComp, eps, weightDecay, gradScale, flags);
}
export function adadelta_i8(param: usize, squareAvg: usize, accDelta: usize, grad: usize, n: i32, lr: f32, rho: f32,
    rhoComp: f32, eps: f32, weightDecay: f32, gradScale: f32, flags: i32): void {
  adadeltaLowp<u8>(param, squareAvg, accDelta, grad, n, lr, rho, rhoComp, eps, weightDecay, gradScale, flags);
}

// @ts-ignore: decorator
@inline function adadeltaLowp<D>(param: usize, squareAvg: usize, accDelta: usize, grad: usize, n: i32, lr: f32,
    rho: f32, rhoComp: f32, eps: f32, weightDecay: f32, gradScale: f32, flags: i32): void {
  for (let b = 0; b < n; b += BLOCK) {
    const len = min(BLOCK, n - b);
    const v = stateIn<D>(squareAvg, b, 0, len, false), u = stateIn<D>(accDelta, b, 1, len, false);
    adadelta_f32(param + (<usize>b << 2), v, u, grad + (<usize>b << 2), len, lr, rho, rhoComp, eps, weightDecay,
      gradScale, flags & F32_FLAGS);
    stateOut<D>(squareAvg, b, 0, len, false, flags);
    stateOut<D>(accDelta, b, 1, len, false, flags);
  }
}
