// Lookahead synchronisation (Optax `lookahead`'s sync step); the wrapper is src/optim/lookahead.ts.
// Preconditions: param and slow each point at n f32s; any byte alignment; they do not overlap.
// slow ← slow + slowStepSize·(param − slow) (Optax's slow update, in its order), then param ← slow.
import { ld, st, lerp } from "../lib/common";
import { NONE, elementwise } from "../lib/elementwise";

/** The sync rule for the lanes at byte offset o (assembly/lib/elementwise.ts): reads no flag, so no fast path. */
class Lookahead {
  // @ts-ignore: decorator
  @inline fast(i: i32): i32 { return NONE; }
  // @ts-ignore: decorator
  @inline at<T, S>(o: usize, param: usize, grad: usize, slow: usize, b: usize, c: usize, d: usize, slowStepSize: T,
      s1: T, s2: T, s3: T, s4: T, s5: T, s6: T, s7: T, s8: T, s9: T, s10: T, s11: T, s12: T, s13: T,
      f: i32, sr: bool, mix: u32): void {
    const s = lerp<T>(ld<T>(slow, o), ld<T>(param, o), slowStepSize);
    st<T>(slow, o, s);
    st<T>(param, o, s);
  }
}

export function lookahead_f32(param: usize, slow: usize, n: i32, slowStepSize: f32): void {
  elementwise<Lookahead, f32>(param, 0, n, 0, slow, 0, 0, 0, slowStepSize);
}
