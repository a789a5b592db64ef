// Pure-TS references of the L-BFGS vector kernels (assembly/optim/lbfgs.ts): same signatures, Float32Arrays for
// pointers, the same operations in the same order (bit-exact). The `js` backend of LBFGS runs on these.

/** Σ a[i]·b[i] in f64: element i into partial i mod 8, then ((p0 + p1) + (p2 + p3)) + ((p4 + p5) + (p6 + p7)). */
export function lbfgs_dot_f32(a: Float32Array, b: Float32Array, n: number): number {
  let q0 = 0, q1 = 0, q2 = 0, q3 = 0, q4 = 0, q5 = 0, q6 = 0, q7 = 0;
  const end8 = n & ~7;
  let i = 0;
  for (; i < end8; i += 8) {
    q0 += a[i]! * b[i]!; q1 += a[i + 1]! * b[i + 1]!; q2 += a[i + 2]! * b[i + 2]!; q3 += a[i + 3]! * b[i + 3]!;
    q4 += a[i + 4]! * b[i + 4]!; q5 += a[i + 5]! * b[i + 5]!; q6 += a[i + 6]! * b[i + 6]!; q7 += a[i + 7]! * b[i + 7]!;
  }
  for (let j = 0; i < n; i++, j++) {
    const s = a[i]! * b[i]!;
    if (j === 0) q0 += s; else if (j === 1) q1 += s; else if (j === 2) q2 += s; else if (j === 3) q3 += s;
    else if (j === 4) q4 += s; else if (j === 5) q5 += s; else q6 += s;
  }
  return ((q0 + q1) + (q2 + q3)) + ((q4 + q5) + (q6 + q7));
}

/** out[i] ← a[i] + alpha·b[i], each operation rounded to f32 (alpha is rounded to f32 first, as the Wasm boundary does). */
export function lbfgs_axpy_f32(out: Float32Array, a: Float32Array, b: Float32Array, n: number, alpha: number): void {
  const s = Math.fround(alpha);
  for (let i = 0; i < n; i++) out[i] = a[i]! + Math.fround(s * b[i]!);
}

/** out[i] ← alpha·x[i], rounded to f32. */
export function lbfgs_scale_f32(out: Float32Array, x: Float32Array, n: number, alpha: number): void {
  const s = Math.fround(alpha);
  for (let i = 0; i < n; i++) out[i] = s * x[i]!;
}

/** out[i] ← a[i] + alpha·b[i] (f32), and Σ out[i]·c[i] added as lbfgs_dot_f32 adds (over the new values). */
export function lbfgs_axpy_dot_f32(out: Float32Array, a: Float32Array, b: Float32Array, c: Float32Array, n: number, alpha: number): number {
  lbfgs_axpy_f32(out, a, b, n, alpha);
  return lbfgs_dot_f32(out, c, n);
}

/** max|x[i]| (NaN if any element is NaN; 0 for n = 0). */
export function lbfgs_maxabs_f32(x: Float32Array, n: number): number {
  let m = 0;
  for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(x[i]!));
  return m;
}
