// Schedule-Free SGD step (Optax `contrib.schedule_free_sgd`); equations in src/optim/schedulefreesgd.ts.
// Preconditions: param (the gradient point y), z, grad each point at n f32s; any byte alignment; buffers do not
// overlap. INIT_BUFFER marks the first step: z is not read (it starts as a copy of y, as in Optax).
// Scalars: beta1 (the momentum), beta1Comp = 1-beta1, rBeta1 = 1/beta1, ck (this step's averaging weight),
// ckComp = 1-ck, lr (the base optimizer's), weightDecay, gradScale.
import {
  GRAD_SCALE, DECOUPLED, INIT_BUFFER, ld, st, splat, add, sub, mul, gradInClip, clipArmed, end1, end4, end16,
} from "../lib/common";

export function schedulefreesgd_f32(param: usize, z: usize, grad: usize, n: i32, beta1: f32, beta1Comp: f32,
    rBeta1: f32, ck: f32, ckComp: f32, lr: f32, weightDecay: f32, gradScale: f32, flags: i32): void {
  const clip = (flags & GRAD_SCALE) != 0 && clipArmed(); // read once per call (see adam_f32)
  if (flags == 0) {
    sfsLoop(param, z, grad, n, beta1, beta1Comp, rBeta1, ck, ckComp, lr, weightDecay, gradScale, false, false, false);
  } else {
    sfsLoop(param, z, grad, n, beta1, beta1Comp, rBeta1, ck, ckComp, lr, weightDecay, gradScale,
      (flags & GRAD_SCALE) != 0, (flags & DECOUPLED) != 0, (flags & INIT_BUFFER) != 0, clip);
  }
}

// @ts-ignore: decorator
@inline function sfsLoop(param: usize, z: usize, grad: usize, n: i32, beta1: f32, beta1Comp: f32, rBeta1: f32,
    ck: f32, ckComp: f32, lr: f32, weightDecay: f32, gradScale: f32, scaled: bool, decay: bool, first: bool, clip: bool = false): void {
  let o: usize = 0;
  if (ASC_FEATURE_SIMD) {
    o = sfsSpan<v128>(param, z, grad, o, end16(n), end4(n), beta1, beta1Comp, rBeta1, ck, ckComp, lr, weightDecay,
      gradScale, scaled, decay, first, clip);
  }
  sfsSpan<f32>(param, z, grad, o, o, end1(n), beta1, beta1Comp, rBeta1, ck, ckComp, lr, weightDecay, gradScale,
    scaled, decay, first, clip);
}

/** Steps bytes [o, end): four lanes of T at a time up to `end16`, unrolled four times, then one at a time. */
// @ts-ignore: decorator
@inline function sfsSpan<T>(param: usize, z: usize, grad: usize, o: usize, end16: usize, end: usize, beta1: f32,
    beta1Comp: f32, rBeta1: f32, ck: f32, ckComp: f32, lr: f32, weightDecay: f32, gradScale: f32,
    scaled: bool, decay: bool, first: bool, clip: bool = false): usize {
  const b1 = splat<T>(beta1), b1c = splat<T>(beta1Comp), rb1 = splat<T>(rBeta1), c = splat<T>(ck);
  const cc = splat<T>(ckComp), l = splat<T>(lr), wd = splat<T>(weightDecay), gs = splat<T>(gradScale);
  const w: usize = sizeof<T>();
  for (; o < end16; o += 4 * w) {
    sfsAt<T>(param, z, grad, o, b1, b1c, rb1, c, cc, l, wd, gs, scaled, decay, first, clip);
    sfsAt<T>(param, z, grad, o + w, b1, b1c, rb1, c, cc, l, wd, gs, scaled, decay, first, clip);
    sfsAt<T>(param, z, grad, o + 2 * w, b1, b1c, rb1, c, cc, l, wd, gs, scaled, decay, first, clip);
    sfsAt<T>(param, z, grad, o + 3 * w, b1, b1c, rb1, c, cc, l, wd, gs, scaled, decay, first, clip);
  }
  for (; o < end; o += w) sfsAt<T>(param, z, grad, o, b1, b1c, rb1, c, cc, l, wd, gs, scaled, decay, first, clip);
  return o;
}

/** The Schedule-Free SGD rule for the lanes at byte offset o, in Optax's order of operations. */
// @ts-ignore: decorator
@inline function sfsAt<T>(param: usize, z: usize, grad: usize, o: usize, beta1: T, beta1Comp: T, rBeta1: T, ck: T,
    ckComp: T, lr: T, weightDecay: T, gradScale: T, scaled: bool, decay: bool, first: bool, clip: bool = false): void {
  const y = ld<T>(param, o);
  let u = gradInClip<T>(ld<T>(grad, o), y, gradScale, weightDecay, scaled, clip, false, false);
  const z0 = first ? y : ld<T>(z, o);
  // The base optimizer (decoupled decay at y, then SGD): z ← z − γ·(g + λy).
  if (decay) u = add<T>(u, mul<T>(weightDecay, y));
  const z1 = sub<T>(z0, mul<T>(lr, u));
  st<T>(z, o, z1);
  const x = add<T>(mul<T>(ckComp, mul<T>(sub<T>(y, mul<T>(beta1Comp, z0)), rBeta1)), mul<T>(ck, z1));
  const y1 = add<T>(mul<T>(beta1, x), mul<T>(beta1Comp, z1));
  st<T>(param, o, add<T>(y, sub<T>(y1, y)));
}
