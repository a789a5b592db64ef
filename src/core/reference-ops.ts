// Building blocks of the pure-TS reference: whole-array passes, each operation rounded to f32 exactly as
// the kernels round it (IEEE f32 +, -, *, / and sqrt are reproduced exactly by computing in f64 and
// rounding once, which is what Math.fround and Float32Array stores do). The reference is written as a
// composition of these passes; the kernels fuse them into one. Both must agree bit for bit.
import { CLIP, GRAD_SCALE, MAXIMIZE, WEIGHT_DECAY } from "../abi/index.js";

const f = Math.fround;

// Two reusable scratch arrays (gradient, denominator) so the reference allocates only when n grows.
const pool: Float32Array[] = [new Float32Array(0), new Float32Array(0)];
export function scratch(slot: 0 | 1, n: number): Float32Array {
  if (pool[slot]!.length < n) pool[slot] = new Float32Array(Math.max(n, pool[slot]!.length * 2));
  return pool[slot]!;
}

/**
 * The value clip's bounds (the optimizer's `clipValue`): the reference's copy of the kernels' CLIP_AT words
 * (the kernels' common code), written with them by the store backends (core/store-backends); read when flags have CLIP.
 */
export const valueClip = { lo: 0, hi: 0 };

/** max(a, b) as the kernels' maxp: NaN if either is NaN (torch.maximum); a ±0 tie gives b. */
export const maxp = (a: number, b: number): number => (a !== a || b < a ? a : b);

/** torch.clamp(x, lo, hi) as the kernels' clampp, for bounds lo <= hi that are not NaN: a NaN x stays NaN. */
export const clampp = (x: number, lo: number, hi: number): number => (x < lo ? lo : hi < x ? hi : x);

const cbrtF = new Float32Array(1), cbrtU = new Uint32Array(cbrtF.buffer);
/** The kernels' cbrt of x >= 0 (assembly/lib/common.ts, where its construction is), operation for operation. */
export function cbrt(x: number): number {
  cbrtF[0] = x;
  const i = cbrtU[0]!;
  cbrtU[0] = ((i >>> 2) + (i >>> 4) + (i >>> 6) + (i >>> 8) + (i >>> 10) + (i >>> 12) + 0x2a56a800) >>> 0;
  let y = cbrtF[0]!;
  for (let k = 0; k < 3; k++) y = f(y - f(f(y - f(x / f(y * y))) / 3));
  return x < 1.17549435e-38 ? f(x * 0) : x > 3.4028234663852886e38 ? x : y;
}

/**
 * The gradient prologue: g = grad * gradScale when GRAD_SCALE (what clipping or unscaling does to .grad), then
 * clamped to [lo, hi] when CLIP, g = -g when MAXIMIZE, then g += weightDecay * param when WEIGHT_DECAY (PyTorch
 * order).
 */
export function inputGrad(grad: Float32Array, param: Float32Array, n: number, weightDecay: number, gradScale: number,
    flags: number): Float32Array {
  const g = scratch(0, n);
  const sign = flags & MAXIMIZE ? -1 : 1;
  if (flags & CLIP) {
    const s = flags & GRAD_SCALE ? f(gradScale) : 1, lo = valueClip.lo, hi = valueClip.hi;
    for (let i = 0; i < n; i++) g[i] = sign * clampp(f(grad[i]! * s), lo, hi);
  } else if (flags & GRAD_SCALE) {
    const s = f(gradScale);
    for (let i = 0; i < n; i++) g[i] = sign * f(grad[i]! * s);
  } else {
    for (let i = 0; i < n; i++) g[i] = sign * grad[i]!;
  }
  if (flags & WEIGHT_DECAY) {
    const wd = f(weightDecay);
    for (let i = 0; i < n; i++) g[i] = g[i]! + f(wd * param[i]!);
  }
  return g;
}

/** x *= s */
export function scale(x: Float32Array, n: number, s: number): void {
  const sf = f(s);
  for (let i = 0; i < n; i++) x[i] = x[i]! * sf;
}

/** a = torch.lerp(a, b, w) = a + w * (b - a) */
export function lerp(a: Float32Array, b: Float32Array, n: number, w: number): void {
  const wf = f(w);
  for (let i = 0; i < n; i++) a[i] = a[i]! + f(wf * f(b[i]! - a[i]!));
}

/** v = v * beta + ((1 - beta) * g) * g */
export function ema2(v: Float32Array, g: Float32Array, n: number, beta: number, betaComp: number): void {
  const bf = f(beta), cf = f(betaComp);
  for (let i = 0; i < n; i++) v[i] = f(v[i]! * bf) + f(f(cf * g[i]!) * g[i]!);
}

/** acc = acc * mu + x  (x optional scale 'xs': acc = acc * mu + xs * x) */
export function momentum(acc: Float32Array, x: Float32Array, n: number, mu: number, xs: number): void {
  const mf = f(mu), xf = f(xs);
  for (let i = 0; i < n; i++) acc[i] = f(acc[i]! * mf) + f(xf * x[i]!);
}

/** a = max(a, b), NaN-propagating like Wasm f32.max */
export function maximum(a: Float32Array, b: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) a[i] = Math.max(a[i]!, b[i]!);
}

/** out = sqrt(x) * s + eps (s = 1 skips nothing: multiplying by 1 is exact) */
export function sqrtDenom(x: Float32Array, n: number, s: number, eps: number): Float32Array {
  const d = scratch(1, n), sf = f(s), ef = f(eps);
  for (let i = 0; i < n; i++) d[i] = f(f(Math.sqrt(x[i]!)) * sf) + ef;
  return d;
}

/** p -= (s * x) / d  (PyTorch addcdiv_(x, d, value=-s)) */
export function subScaledDiv(p: Float32Array, s: number, x: Float32Array, d: Float32Array, n: number): void {
  const sf = f(s);
  for (let i = 0; i < n; i++) p[i] = p[i]! - f(f(sf * x[i]!) / d[i]!);
}

/** p -= s * x */
export function subScaled(p: Float32Array, s: number, x: Float32Array, n: number): void {
  const sf = f(s);
  for (let i = 0; i < n; i++) p[i] = p[i]! - f(sf * x[i]!);
}

/** m = (1 - beta)*g + beta*m: Optax's update_moment (order 1), in its order. */
export function optaxMoment(m: Float32Array, g: Float32Array, n: number, beta: number, betaComp: number): void {
  const bf = f(beta), cf = f(betaComp);
  for (let i = 0; i < n; i++) m[i] = f(cf * g[i]!) + f(bf * m[i]!);
}

/** v = (1 - beta)*(g*g) + beta*v: Optax's update_moment_per_elem_norm (order 2), in its order. */
export function optaxMoment2(v: Float32Array, g: Float32Array, n: number, beta: number, betaComp: number): void {
  const bf = f(beta), cf = f(betaComp);
  for (let i = 0; i < n; i++) v[i] = f(cf * f(g[i]! * g[i]!)) + f(bf * v[i]!);
}

// ---- per-tensor trust ratios (LAMB, LARS) ---------------------------------------------------------------------

/**
 * Σx² of x[0..n) in the kernels' blocked order (the kernels' common code): x_i² rounded to f32 and added in f32 to
 * partial i mod 8; every 128 elements and at the end the partials go into f64 totals; the totals are added as
 * ((t0 + t1) + (t2 + t3)) + ((t4 + t5) + (t6 + t7)).
 */
export function sumSqBlocked(x: Float32Array, n: number): number {
  const q = [0, 0, 0, 0, 0, 0, 0, 0], t = [0, 0, 0, 0, 0, 0, 0, 0];
  for (let i = 0; i < n; i++) {
    q[i & 7] = f(q[i & 7]! + f(x[i]! * x[i]!));
    if ((i & 127) === 127) for (let k = 0; k < 8; k++) { t[k] = t[k]! + q[k]!; q[k] = 0; }
  }
  for (let k = 0; k < 8; k++) t[k] = t[k]! + q[k]!;
  return ((t[0]! + t[1]!) + (t[2]! + t[3]!)) + ((t[4]! + t[5]!) + (t[6]! + t[7]!));
}

/**
 * Optax's scale_by_trust_ratio factor from Σp² and Σu², in f64 as the kernels compute it:
 * coefficient·‖p‖ / (‖u‖ + eps), or 1 where either norm is 0.
 */
export function trustRatio(pSumSq: number, uSumSq: number, coefficient: number, eps: number): number {
  const pn = Math.sqrt(pSumSq), un = Math.sqrt(uSumSq);
  return pn === 0 || un === 0 ? 1 : (coefficient * pn) / (un + eps);
}
