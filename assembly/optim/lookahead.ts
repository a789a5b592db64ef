// Lookahead synchronisation (Optax `lookahead`'s sync step); the wrapper is src/optim/lookahead.ts.
// Preconditions: param and slow each point at n f32s; any byte alignment; they do not overlap.
// slow ← slow + slowStepSize·(param − slow) (Optax's slow update, in its order), then param ← slow.
import { ld, st, splat, lerp, end1, end4, end16 } from "../lib/common";

export function lookahead_f32(param: usize, slow: usize, n: i32, slowStepSize: f32): void {
  let o: usize = 0;
  if (ASC_FEATURE_SIMD) o = lookaheadSpan<v128>(param, slow, o, end16(n), end4(n), slowStepSize);
  lookaheadSpan<f32>(param, slow, o, o, end1(n), slowStepSize);
}

// @ts-ignore: decorator
@inline function lookaheadSpan<T>(param: usize, slow: usize, o: usize, end16: usize, end: usize, slowStepSize: f32): usize {
  const a = splat<T>(slowStepSize);
  const w: usize = sizeof<T>();
  for (; o < end16; o += 4 * w) {
    lookaheadAt<T>(param, slow, o, a);
    lookaheadAt<T>(param, slow, o + w, a);
    lookaheadAt<T>(param, slow, o + 2 * w, a);
    lookaheadAt<T>(param, slow, o + 3 * w, a);
  }
  for (; o < end; o += w) lookaheadAt<T>(param, slow, o, a);
  return o;
}

// @ts-ignore: decorator
@inline function lookaheadAt<T>(param: usize, slow: usize, o: usize, a: T): void {
  const s = lerp<T>(ld<T>(slow, o), ld<T>(param, o), a);
  st<T>(slow, o, s);
  st<T>(param, o, s);
}
