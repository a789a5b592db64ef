// The reduction of the process groups' SharedArrayBuffer path (src/distributed/shared.ts): W ranks' pieces, each
// `stride` bytes after the previous one in the shared memory, summed in rank order into dst:
//   acc = x₀; acc = f32(acc + x₁); …; then acc / W for a mean, rounded to f32 once
// — the same operations in the same order as the groups' JS reduction, so the same bits on every path. dst may
// be one of the pieces (in place): each lane is read from every piece before it is stored.
// Preconditions: src + r·stride (r < W) and dst point at n f32s each (any alignment).
import { ld, st, splat, add, div, end4, end1 } from "../lib/common";

// @ts-ignore: decorator
@inline function sumSpan<T>(dst: usize, src: usize, stride: usize, worldSize: i32, o: usize, end: usize, mean: bool, w: f32): usize {
  const wv = splat<T>(w);
  for (; o < end; o += sizeof<T>()) {
    let acc = ld<T>(src, o);
    for (let r = 1; r < worldSize; r++) acc = add<T>(acc, ld<T>(src + <usize>r * stride, o));
    st<T>(dst, o, mean ? div<T>(acc, wv) : acc);
  }
  return o;
}

// @ts-ignore: decorator
@inline function sumLoop(dst: usize, src: usize, stride: usize, worldSize: i32, n: i32, mean: bool): void {
  let o: usize = 0;
  const w = <f32>worldSize;
  if (ASC_FEATURE_SIMD) o = sumSpan<v128>(dst, src, stride, worldSize, o, end4(n), mean, w);
  sumSpan<f32>(dst, src, stride, worldSize, o, end1(n), mean, w);
}

/** dst ← the rank-order f32 sum of the W pieces at src, src + stride, … (then / W where mean ≠ 0). */
export function sum_ranks_f32(dst: usize, src: usize, stride: usize, worldSize: i32, n: i32, mean: i32): void {
  if (mean) sumLoop(dst, src, stride, worldSize, n, true);
  else sumLoop(dst, src, stride, worldSize, n, false);
}
