// The pure-TS reference of gemm_f32 (assembly/linalg/gemm.ts) and the sizes its callers need. It follows the
// kernel's accumulation order exactly: every C element is one f32 accumulator that starts at +0 and adds the
// rounded product a[i][p]·b[p][j] for p = 0, 1, …, k−1 in turn, each addition rounded to f32 (a sum of two f32s
// computed in f64 and rounded once is the f32 sum). So it equals both Wasm builds bit for bit.

/** gemm_f32 flag: op(B) = Bᵀ, B given as n×k. */
export const TRANS_B = 1;

const KC = 256, NC = 512;

/** Floats of packing space gemm_f32 needs for op(B) with n columns and depth k (the kernels' GEMM). */
export function gemmPackFloats(n: number, k: number): number {
  return Math.min(k, KC) * ((Math.min(n, NC) + 7) & ~7);
}

/**
 * C (m×n) = A (m×k) · op(B), row-major Float32Arrays; op(B) = B (k×n), or Bᵀ for B (n×k) with TRANS_B.
 * `c` must not overlap `a` or `b`.
 */
export function gemmRef(c: Float32Array, a: Float32Array, b: Float32Array, m: number, n: number, k: number, flags = 0): void {
  const f = Math.fround;
  if (flags & TRANS_B) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let p = 0; p < k; p++) acc = f(acc + f(a[i * k + p]! * b[j * k + p]!));
        c[i * n + j] = acc;
      }
    }
    return;
  }
  // i-p-j order: the same per-element sequence, with contiguous inner loops.
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    c.fill(0, ci, ci + n);
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p]!, bp = p * n;
      for (let j = 0; j < n; j++) c[ci + j] = c[ci + j]! + f(aip * b[bp + j]!);
    }
  }
}
