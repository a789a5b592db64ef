// Shared element-wise building blocks, each in a scalar (f32) and a vector (f32x4) form with the
// same operation order, so the SIMD main loop and the scalar tail round identically.
// Everything here is @inline: kernels stay single fused passes with no calls in the loop.

/** Flag bits passed in the last kernel argument. Mirrored in src/kernels.ts (a test checks they agree). */
export const MAXIMIZE: i32 = 1;
export const WEIGHT_DECAY: i32 = 2; // coupled (L2) weight decay: g += wd * p
export const DECOUPLED: i32 = 4;    // decoupled weight decay: p *= 1 - lr * wd (before the moments)
export const MOMENTUM: i32 = 8;
export const NESTEROV: i32 = 16;
export const INIT_BUFFER: i32 = 32; // SGD first step: momentum_buffer = g (no dampening)
export const AMSGRAD: i32 = 64;
export const CENTERED: i32 = 128;

/** Maximize flip then coupled weight decay: the gradient every optimizer starts from (PyTorch order). */
// @ts-ignore: decorator
@inline export function gradIn(g: f32, p: f32, wd: f32, maximize: bool, l2: bool): f32 {
  if (maximize) g = -g;
  if (l2) g = g + wd * p;
  return g;
}
// @ts-ignore: decorator
@inline export function gradIn4(g: v128, p: v128, wd: v128, maximize: bool, l2: bool): v128 {
  if (maximize) g = f32x4.neg(g);
  if (l2) g = f32x4.add(g, f32x4.mul(wd, p));
  return g;
}

/** torch.lerp(a, b, w) for w < 0.5: a + w * (b - a). */
// @ts-ignore: decorator
@inline export function lerp(a: f32, b: f32, w: f32): f32 {
  return a + w * (b - a);
}
// @ts-ignore: decorator
@inline export function lerp4(a: v128, b: v128, w: v128): v128 {
  return f32x4.add(a, f32x4.mul(w, f32x4.sub(b, a)));
}

/** Second-moment update v*beta + ((1-beta)*g)*g, PyTorch's mul_(beta).addcmul_(g, g, value=1-beta). */
// @ts-ignore: decorator
@inline export function ema2(v: f32, g: f32, beta: f32, omBeta: f32): f32 {
  return v * beta + (omBeta * g) * g;
}
// @ts-ignore: decorator
@inline export function ema24(v: v128, g: v128, beta: v128, omBeta: v128): v128 {
  return f32x4.add(f32x4.mul(v, beta), f32x4.mul(f32x4.mul(omBeta, g), g));
}

/** p - (s*x)/d: PyTorch's addcdiv_(x, d, value=-s). */
// @ts-ignore: decorator
@inline export function subScaledDiv(p: f32, s: f32, x: f32, d: f32): f32 {
  return p - (s * x) / d;
}
// @ts-ignore: decorator
@inline export function subScaledDiv4(p: v128, s: v128, x: v128, d: v128): v128 {
  return f32x4.sub(p, f32x4.div(f32x4.mul(s, x), d));
}

// @ts-ignore: decorator
@inline export function ldf(ptr: usize, o: usize): f32 { return load<f32>(ptr + o); }
// @ts-ignore: decorator
@inline export function stf(ptr: usize, o: usize, x: f32): void { store<f32>(ptr + o, x); }
// @ts-ignore: decorator
@inline export function ldv(ptr: usize, o: usize): v128 { return v128.load(ptr + o); }
// @ts-ignore: decorator
@inline export function stv(ptr: usize, o: usize, x: v128): void { v128.store(ptr + o, x); }
