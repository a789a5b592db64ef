// Running averages of the params (AveragedParams: EMA and SWA, torch.optim.swa_utils semantics), one
// element-wise read-modify-write pass over the averages, reading the params.
// Preconditions: avg and param point at n f32s each (any alignment), not overlapping.
// With d = param - avg, and c the step's coefficient (computed in TS, f64 rounded to f32 at the boundary):
//   flags 0:            avg + c * d   (torch.lerp(avg, param, w) for |w| < 0.5: c = w)
//   AVG_FROM_PARAM (1): param + c * d (torch.lerp for |w| >= 0.5: c = w - 1)
//   AVG_DIVIDE (2):     avg + d / c   (the SWA average: c = n_averaged + 1)
import { ld, st, splat, add, mul, div, sub, end4, end1 } from "../lib/common";

const AVG_FROM_PARAM: i32 = 1;
const AVG_DIVIDE: i32 = 2;

// @ts-ignore: decorator
@inline function averageAt<T>(a: T, p: T, c: T, fromParam: bool, divide: bool): T {
  const d = sub<T>(p, a);
  if (divide) return add<T>(a, div<T>(d, c));
  return add<T>(fromParam ? p : a, mul<T>(c, d));
}

// @ts-ignore: decorator
@inline function averageSpan<T>(avg: usize, param: usize, o: usize, end: usize, c: f32, fromParam: bool, divide: bool): usize {
  const cv = splat<T>(c);
  for (; o < end; o += sizeof<T>()) st<T>(avg, o, averageAt<T>(ld<T>(avg, o), ld<T>(param, o), cv, fromParam, divide));
  return o;
}

// @ts-ignore: decorator
@inline function averageLoop(avg: usize, param: usize, n: i32, c: f32, fromParam: bool, divide: bool): void {
  let o: usize = 0;
  if (ASC_FEATURE_SIMD) o = averageSpan<v128>(avg, param, o, end4(n), c, fromParam, divide);
  averageSpan<f32>(avg, param, o, end1(n), c, fromParam, divide);
}

/** avg ← the running average of avg and param (see the header for flags and c). */
export function average_f32(avg: usize, param: usize, n: i32, c: f32, flags: i32): void {
  if (flags & AVG_DIVIDE) averageLoop(avg, param, n, c, false, true);
  else if (flags & AVG_FROM_PARAM) averageLoop(avg, param, n, c, true, false);
  else averageLoop(avg, param, n, c, false, false);
}
