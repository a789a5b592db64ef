// Lookahead synchronisation (Optax `lookahead`'s sync step); the wrapper is src/optim/lookahead.ts.
// Preconditions: param and slow each point at n f32s; any byte alignment; they do not overlap.
// slow ← slow + slowStepSize·(param − slow) (Optax's slow update, in its order), then param ← slow.
import { ld, st, lerp } from "../lib/common";
import { NONE, elementwise } from "../lib/elementwise";

/** The sync rule for the lanes at byte offset o (assembly/lib/elementwise.ts): reads no flag, so no fast path. */
class Lookahead {
  @inline fast(i: i32): i32 { return NONE; }
  @inline at<T, S>(o: usize, param: usize, _grad: usize, slow: usize, _b: usize, _c: usize, _d: usize, slowStepSize: T,
      _s1: T, _s2: T, _s3: T, _s4: T, _s5: T, _s6: T, _s7: T, _s8: T, _s9: T, _s10: T, _s11: T, _s12: T, _s13: T,
      f: i32, sr: bool, mix: u32): void {
    const s = lerp<T>(ld<T>(slow, o), ld<T>(param, o), slowStepSize);
    st<T>(slow, o, s);
    st<T>(param, o, s);
  }
}

export function lookahead_f32(param: usize, slow: usize, n: i32, slowStepSize: f32): void {
  elementwise<Lookahead, f32>(param, 0, n, 0, slow, 0, 0, 0, slowStepSize);
}
