// Blocked f32 GEMM: C (m×n) = A (m×k) · op(B), row-major; op(B) = B (k×n), or Bᵀ for B (n×k) with TRANS_B.
// Preconditions: c, a, b point at m·n, m·k, k·n f32s (any byte alignment); pack at gemmPackFloats(n, k) f32s
// (SIMD build; the scalar build does not touch it); c overlaps none of a, b, pack.
//
// The accumulation order, the one contract between the SIMD build, the scalar build and the TS reference
// (src/linalg/gemm.ts), which therefore agree bit for bit: every C element is one f32 accumulator that starts at
// +0 and adds the rounded product a[i][p]·b[p][j] for p = 0, 1, …, k−1 in turn (mul then add, no FMA). The SIMD
// build vectorises across j (four neighbouring C elements, four independent accumulators), never across p, and
// its k-blocks store the accumulator to C and load it back, which is exact.
//
// Blocking (SIMD build), Goto style: B is packed per KC×NC block into 8-column panels (zero-padded at the right
// edge: the padded lanes are computed and never stored), which also turns TRANS_B into a plain panel; a 4×8
// register tile (8 f32x4 accumulators) runs down a panel kept in L1 (KC·8·4 = 8 KiB) over an MC×KC block of A
// kept in L2, read in place (4 row streams).

export const TRANS_B: i32 = 1;

// @ts-ignore: decorator
@inline const KC: i32 = 256;
// @ts-ignore: decorator
@inline const NC: i32 = 512;
// @ts-ignore: decorator
@inline const MC: i32 = 128;

export function gemm_f32(c: usize, a: usize, b: usize, pack: usize, m: i32, n: i32, k: i32, flags: i32): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    memory.fill(c, 0, <usize>m * <usize>n * 4);
    return;
  }
  const transB = (flags & TRANS_B) != 0;
  if (ASC_FEATURE_SIMD) gemmBlocked(c, a, b, pack, m, n, k, transB);
  else if (transB) gemmScalarT(c, a, b, m, n, k);
  else gemmScalar(c, a, b, m, n, k);
}

// ---- scalar build ------------------------------------------------------------------------------------------

/** i-p-j order: row i of C accumulates a[i][p]·b[p][:] for p ascending. */
// @ts-ignore: decorator
@inline function gemmScalar(c: usize, a: usize, b: usize, m: i32, n: i32, k: i32): void {
  const rowC = <usize>n << 2, rowA = <usize>k << 2;
  for (let i = 0; i < m; i++) {
    const ci = c + <usize>i * rowC, ai = a + <usize>i * rowA;
    memory.fill(ci, 0, rowC);
    for (let p = 0; p < k; p++) {
      const aip = load<f32>(ai + (<usize>p << 2));
      const bp = b + <usize>p * rowC;
      for (let j: usize = 0; j < rowC; j += 4) store<f32>(ci + j, load<f32>(ci + j) + aip * load<f32>(bp + j));
    }
  }
}

/** C = A·Bᵀ: one dot product per element, p ascending. */
// @ts-ignore: decorator
@inline function gemmScalarT(c: usize, a: usize, b: usize, m: i32, n: i32, k: i32): void {
  const rowA = <usize>k << 2;
  for (let i = 0; i < m; i++) {
    const ai = a + <usize>i * rowA;
    for (let j = 0; j < n; j++) {
      const bj = b + <usize>j * rowA;
      let acc: f32 = 0;
      for (let p: usize = 0; p < rowA; p += 4) acc = acc + load<f32>(ai + p) * load<f32>(bj + p);
      store<f32>(c + ((<usize>i * <usize>n + <usize>j) << 2), acc);
    }
  }
}

// ---- SIMD build --------------------------------------------------------------------------------------------

/** Floats of packing space gemm_f32 needs for n columns and depth k (the SIMD build's B panels). */
export function gemmPackFloats(n: i32, k: i32): i32 {
  const nc = min(n, NC), kc = min(k, KC);
  return kc * ((nc + 7) & ~7);
}

// @ts-ignore: decorator
@inline function gemmBlocked(c: usize, a: usize, b: usize, pack: usize, m: i32, n: i32, k: i32, transB: bool): void {
  const ldc = <usize>n << 2, lda = <usize>k << 2;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      const first = pc == 0;
      if (transB) packBT(pack, b, k, pc, kc, jc, nc);
      else packB(pack, b, n, pc, kc, jc, nc);
      for (let ic = 0; ic < m; ic += MC) {
        const iEnd = min(ic + MC, m);
        for (let jr = 0; jr < nc; jr += 8) {
          const cols = min(8, nc - jr);
          const bp = pack + ((<usize>jr * <usize>kc) << 2);
          const cj = c + (<usize>(jc + jr) << 2), ap = a + (<usize>pc << 2);
          let i = ic;
          for (; i + 4 <= iEnd; i += 4) tile4(cj + <usize>i * ldc, ldc, ap + <usize>i * lda, lda, bp, kc, first, cols);
          for (; i < iEnd; i++) tile1(cj + <usize>i * ldc, ap + <usize>i * lda, bp, kc, first, cols);
        }
      }
    }
  }
}

/** Panels of 8 columns of B[pc..pc+kc)[jc..jc+nc): panel q holds kc rows of 8 floats, zeros past column nc. */
// @ts-ignore: decorator
@inline function packB(pack: usize, b: usize, n: i32, pc: i32, kc: i32, jc: i32, nc: i32): void {
  const ldb = <usize>n << 2;
  for (let jr = 0; jr < nc; jr += 8) {
    const w = min(8, nc - jr);
    let dst = pack + ((<usize>jr * <usize>kc) << 2);
    let src = b + <usize>pc * ldb + (<usize>(jc + jr) << 2);
    if (w == 8) {
      for (let p = 0; p < kc; p++) {
        v128.store(dst, v128.load(src));
        v128.store(dst, v128.load(src, 16), 16);
        dst += 32;
        src += ldb;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        v128.store(dst, f32x4.splat(0));
        v128.store(dst, f32x4.splat(0), 16);
        for (let jj = 0; jj < w; jj++) store<f32>(dst + (<usize>jj << 2), load<f32>(src + (<usize>jj << 2)));
        dst += 32;
        src += ldb;
      }
    }
  }
}

/** As packB for op(B) = Bᵀ, B (n×k): panel element (p, jj) = B[jc+jr+jj][pc+p]. */
// @ts-ignore: decorator
@inline function packBT(pack: usize, b: usize, k: i32, pc: i32, kc: i32, jc: i32, nc: i32): void {
  const ldb = <usize>k << 2;
  for (let jr = 0; jr < nc; jr += 8) {
    const w = min(8, nc - jr);
    const panel = pack + ((<usize>jr * <usize>kc) << 2);
    if (w < 8) memory.fill(panel, 0, <usize>kc << 5);
    for (let jj = 0; jj < w; jj++) {
      let src = b + <usize>(jc + jr + jj) * ldb + (<usize>pc << 2);
      let dst = panel + (<usize>jj << 2);
      for (let p = 0; p < kc; p++) {
        store<f32>(dst, load<f32>(src));
        src += 4;
        dst += 32;
      }
    }
  }
}

/** Lanes [0, cnt) of the floats at ptr, zeros above (cnt in 0..4). */
// @ts-ignore: decorator
@inline function loadPart(ptr: usize, cnt: i32): v128 {
  if (cnt >= 4) return v128.load(ptr);
  let v = f32x4.splat(0);
  if (cnt > 0) v = f32x4.replace_lane(v, 0, load<f32>(ptr));
  if (cnt > 1) v = f32x4.replace_lane(v, 1, load<f32>(ptr, 4));
  if (cnt > 2) v = f32x4.replace_lane(v, 2, load<f32>(ptr, 8));
  return v;
}

/** Stores lanes [0, cnt) of v at ptr (cnt in 0..4). */
// @ts-ignore: decorator
@inline function storePart(ptr: usize, v: v128, cnt: i32): void {
  if (cnt >= 4) { v128.store(ptr, v); return; }
  if (cnt > 0) store<f32>(ptr, f32x4.extract_lane(v, 0));
  if (cnt > 1) store<f32>(ptr, f32x4.extract_lane(v, 1), 4);
  if (cnt > 2) store<f32>(ptr, f32x4.extract_lane(v, 2), 8);
}

/** Tile of 4 rows × 8 columns (`cols` of them stored): C[0..4)[0..8) += A[0..4)[0..kc) · panel. */
// @ts-ignore: decorator
@inline function tile4(c: usize, ldc: usize, a: usize, lda: usize, bp: usize, kc: i32, first: bool, cols: i32): void {
  const lo = min(cols, 4), hi = cols - lo;
  const c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
  let x00 = f32x4.splat(0), x01 = x00, x10 = x00, x11 = x00, x20 = x00, x21 = x00, x30 = x00, x31 = x00;
  if (!first) {
    if (cols == 8) {
      x00 = v128.load(c); x01 = v128.load(c, 16);
      x10 = v128.load(c1); x11 = v128.load(c1, 16);
      x20 = v128.load(c2); x21 = v128.load(c2, 16);
      x30 = v128.load(c3); x31 = v128.load(c3, 16);
    } else {
      x00 = loadPart(c, lo); x01 = loadPart(c + 16, hi);
      x10 = loadPart(c1, lo); x11 = loadPart(c1 + 16, hi);
      x20 = loadPart(c2, lo); x21 = loadPart(c2 + 16, hi);
      x30 = loadPart(c3, lo); x31 = loadPart(c3 + 16, hi);
    }
  }
  let a0 = a, a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda;
  const end = bp + (<usize>kc << 5);
  while (bp < end) {
    const b0 = v128.load(bp), b1 = v128.load(bp, 16);
    let s = v128.load32_splat(a0);
    x00 = f32x4.add(x00, f32x4.mul(s, b0)); x01 = f32x4.add(x01, f32x4.mul(s, b1));
    s = v128.load32_splat(a1);
    x10 = f32x4.add(x10, f32x4.mul(s, b0)); x11 = f32x4.add(x11, f32x4.mul(s, b1));
    s = v128.load32_splat(a2);
    x20 = f32x4.add(x20, f32x4.mul(s, b0)); x21 = f32x4.add(x21, f32x4.mul(s, b1));
    s = v128.load32_splat(a3);
    x30 = f32x4.add(x30, f32x4.mul(s, b0)); x31 = f32x4.add(x31, f32x4.mul(s, b1));
    a0 += 4; a1 += 4; a2 += 4; a3 += 4;
    bp += 32;
  }
  if (cols == 8) {
    v128.store(c, x00); v128.store(c, x01, 16);
    v128.store(c1, x10); v128.store(c1, x11, 16);
    v128.store(c2, x20); v128.store(c2, x21, 16);
    v128.store(c3, x30); v128.store(c3, x31, 16);
  } else {
    storePart(c, x00, lo); storePart(c + 16, x01, hi);
    storePart(c1, x10, lo); storePart(c1 + 16, x11, hi);
    storePart(c2, x20, lo); storePart(c2 + 16, x21, hi);
    storePart(c3, x30, lo); storePart(c3 + 16, x31, hi);
  }
}

/** Tile of 1 row × 8 columns (the rows left below the last 4-row tile). */
// @ts-ignore: decorator
@inline function tile1(c: usize, a: usize, bp: usize, kc: i32, first: bool, cols: i32): void {
  const lo = min(cols, 4), hi = cols - lo;
  let x0 = f32x4.splat(0), x1 = x0;
  if (!first) {
    x0 = loadPart(c, lo);
    x1 = loadPart(c + 16, hi);
  }
  const end = bp + (<usize>kc << 5);
  while (bp < end) {
    const s = v128.load32_splat(a);
    x0 = f32x4.add(x0, f32x4.mul(s, v128.load(bp)));
    x1 = f32x4.add(x1, f32x4.mul(s, v128.load(bp, 16)));
    a += 4;
    bp += 32;
  }
  storePart(c, x0, lo);
  storePart(c + 16, x1, hi);
}
