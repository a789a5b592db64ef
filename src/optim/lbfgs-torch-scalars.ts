// torch's scalar types as LBFGS meets them. A Python float is a JS number (f64); a 0-dim f32 tensor is an F32.
// Ops follow torch: float∘float in f64; anything with a tensor in f32, a float operand rounded to f32 first;
// `float / tensor` = reciprocal·float; comparisons involving a tensor are made in f32.

export class F32 {
  constructor(readonly v: number) {}
}
export type S = number | F32;
export const isT = (x: S): x is F32 => typeof x !== "number";
export const f32 = (x: S): number => (isT(x) ? x.v : Math.fround(x));
export const T = (x: number): F32 => new F32(Math.fround(x));
export const add = (a: S, b: S): S => (isT(a) || isT(b) ? T(f32(a) + f32(b)) : a + b);
export const sub = (a: S, b: S): S => (isT(a) || isT(b) ? T(f32(a) - f32(b)) : a - b);
export const mul = (a: S, b: S): S => (isT(a) || isT(b) ? T(f32(a) * f32(b)) : a * b);
export function div(a: S, b: S): S {
  if (!isT(a) && !isT(b)) return a / b;
  if (!isT(a)) return T(Math.fround(1 / f32(b)) * Math.fround(a)); // Tensor.__rtruediv__: reciprocal() * other
  return T(a.v / f32(b));
}
export const abs = (a: S): S => (isT(a) ? new F32(Math.abs(a.v)) : Math.abs(a));
export const sqrtT = (a: S): S => (isT(a) ? T(Math.sqrt(a.v)) : Math.sqrt(a));
export const sq = (a: S): S => mul(a, a); // pow(x, 2) is x·x in torch
export const lt = (a: S, b: S): boolean => (isT(a) || isT(b) ? f32(a) < f32(b) : a < b);
export const le = (a: S, b: S): boolean => (isT(a) || isT(b) ? f32(a) <= f32(b) : a <= b);
export const gt = (a: S, b: S): boolean => lt(b, a);
export const ge = (a: S, b: S): boolean => le(b, a);
export const pyMin = (a: S, b: S): S => (lt(b, a) ? b : a); // Python's min/max keep the first of equals
export const pyMax = (a: S, b: S): S => (gt(b, a) ? b : a);
/** The value of either kind, as a JS number (what a state dict saves). */
export const valueOf = (x: S): number => (isT(x) ? x.v : x);
