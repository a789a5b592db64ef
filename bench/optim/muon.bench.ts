// Muon in the benchmark: gradstep vs the hand-written JS a user would write (Newton–Schulz with i-k-j loops);
// tfjs has no Muon, no C kernel. The harness hands every optimizer one 1-D param of n floats; Muon needs a matrix,
// so it steps that memory as an 8 × n/8 matrix (a foreign param over the same arrays, with a shape): Newton–Schulz
// on a thin matrix costs ~160·n flops a step, which keeps the plain-JS contender runnable at 16M. Square
// matrices, where the GEMM dominates, are bench/gemm.ts's subject (GFLOP/s vs OpenBLAS).
import { Muon } from "../../src/index.js";
import { type BenchCase, LR } from "../cases.js";

const ROWS = 8;
const COEFFS = [3.4445, -4.775, 2.0315] as const;

interface ParamArrays { value: Float32Array; grad: Float32Array }

/** Plain JS: C (m×n) = A (m×k) · B (k×n), i-k-j; with tB, B is given n×k (C = A·Bᵀ, one dot product per element). */
function matmul(c: Float32Array, a: Float32Array, b: Float32Array, m: number, n: number, k: number, tB: boolean): void {
  for (let i = 0; i < m; i++) {
    if (tB) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a[i * k + p]! * b[j * k + p]!;
        c[i * n + j] = s;
      }
      continue;
    }
    c.fill(0, i * n, i * n + n);
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p]!;
      for (let j = 0; j < n; j++) c[i * n + j] = c[i * n + j]! + aip * b[p * n + j]!;
    }
  }
}

let work: { x: Float32Array; y: Float32Array; g: Float32Array; h: Float32Array } | undefined;

export const cases: BenchCase[] = [{
  id: "muon",
  label: `Muon (${ROWS} × n/${ROWS} matrix)`,
  bytesPerParam: 16, // read p, g, buf; write p, buf (Newton–Schulz works in scratch)
  gradstep: (params, backend) => {
    const wrapped = (params as unknown as ParamArrays[]).map((p) => ({ value: p.value, grad: p.grad, shape: [ROWS, p.value.length / ROWS] }));
    return new Muon(wrapped as never, { lr: LR, backend });
  },
  jsState: 1,
  plainJs(p, g, [buf]) {
    const n = p.length, m = ROWS, q = n / ROWS, mu = 0.95, [a, b, c] = COEFFS;
    if (!work || work.x.length !== n) work = { x: new Float32Array(n), y: new Float32Array(n), g: new Float32Array(m * m), h: new Float32Array(m * m) };
    const { x, y, g: gram, h } = work;
    let s = 0;
    for (let i = 0; i < n; i++) {
      const bi = (buf![i] = buf![i]! + (1 - mu) * (g[i]! - buf![i]!));
      const u = (x[i] = g[i]! + mu * (bi - g[i]!));
      s += u * u;
    }
    const d = Math.max(Math.sqrt(s), 1e-7);
    for (let i = 0; i < n; i++) x[i] = x[i]! / d;
    for (let it = 0; it < 5; it++) {
      matmul(gram, x, x, m, m, q, true);
      matmul(h, gram, gram, m, m, m, false);
      for (let i = 0; i < m * m; i++) h[i] = b * gram[i]! + c * h[i]!;
      matmul(y, h, x, m, q, m, false);
      for (let i = 0; i < n; i++) x[i] = a * x[i]! + y[i]!;
    }
    const decay = 1 - LR * 0.1;
    for (let i = 0; i < n; i++) p[i] = p[i]! * decay - LR * x[i]!;
  },
}];
