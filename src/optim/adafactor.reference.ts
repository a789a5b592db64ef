// Pure-TS reference of adafactor_f32 (same signature, Float32Arrays for pointers), operation for operation the
// kernel of assembly/optim/adafactor.ts, including what it leaves in the scratch area. See src/optim/adafactor.ts.
import { CLIP, DECOUPLED, GRAD_SCALE, MAXIMIZE } from "../abi/index.js";
import { inputGrad, scratch as pool, sumSqBlocked } from "../core/reference-ops.js";

const f = Math.fround;

/** torch.lerp(a, b, w) in f32: a + w·(b − a) when |w| < 0.5, else b − (b − a)·(1 − w). */
function torchLerp(a: number, b: number, w: number, wComp: number): number {
  return Math.abs(w) < 0.5 ? f(a + f(w * f(b - a))) : f(b - f(f(b - a) * wComp));
}

/** Σ x[from..from+n) over four f32 partials (element j into partial j mod 4), then (p0 + p1) + (p2 + p3). */
function sum4(x: Float32Array, from: number, n: number): number {
  const p = [0, 0, 0, 0];
  for (let j = 0; j < n; j++) p[j & 3] = f(p[j & 3]! + x[from + j]!);
  return f(f(p[0]! + p[1]!) + f(p[2]! + p[3]!));
}

/** U = g·(1/√max(V̂, eps1²)) (NaN-propagating max, as Wasm's f32.max). */
function scaledGrad(g: number, vHat: number, eps1Sq: number): number {
  const v = Number.isNaN(vHat) ? vHat : Math.max(vHat, eps1Sq);
  return f(f(1 / f(Math.sqrt(v))) * g);
}

export function adafactor_f32(param: Float32Array, rowVar: Float32Array, colVar: Float32Array, variance: Float32Array,
    scratch: Float32Array, grad: Float32Array, n: number, rows: number, cols: number, weight: number, rho: number,
    eps1: number, eps1Sq: number, eps2: number, d: number, decay: number, gradScale: number, flags: number): void {
  if (n <= 0) return;
  const u = scratch.subarray(0, n);
  const g = inputGrad(grad, param, n, 0, gradScale, flags & (GRAD_SCALE | CLIP | MAXIMIZE));
  // α from θ before weight decay.
  const rmsP = Math.sqrt(sumSqBlocked(param, n)) / Math.sqrt(n);
  const alpha = (rmsP > eps2 ? rmsP : eps2) * rho;
  const w = f(weight), wc = f(1 - w), e1 = f(eps1), e1Sq = f(eps1Sq);
  if (rows === 0) {
    for (let i = 0; i < n; i++) {
      variance[i] = torchLerp(variance[i]!, f(g[i]! * g[i]!), w, wc);
      u[i] = scaledGrad(g[i]!, variance[i]!, e1Sq);
    }
  } else {
    const mat = rows * cols, colSum = scratch.subarray(n, n + cols), sq = pool(1, cols);
    for (let b = 0; b < n / mat; b++) {
      const at = b * mat, r0 = b * rows, c0 = b * cols;
      colSum.fill(0);
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < cols; j++) {
          sq[j] = f(g[at + i * cols + j]! * g[at + i * cols + j]!);
          colSum[j] = colSum[j]! + sq[j]!;
        }
        rowVar[r0 + i] = torchLerp(rowVar[r0 + i]!, f(sum4(sq, 0, cols) / cols), w, wc);
      }
      for (let j = 0; j < cols; j++) colVar[c0 + j] = torchLerp(colVar[c0 + j]!, f(colSum[j]! / rows), w, wc);
      const mean = f(sum4(rowVar, r0, rows) / rows);
      const dR = Number.isNaN(mean) ? mean : Math.max(mean, e1);
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < cols; j++) {
          const k = at + i * cols + j;
          u[k] = scaledGrad(g[k]!, f(f(rowVar[r0 + i]! * colVar[c0 + j]!) / dR), e1Sq);
        }
      }
    }
  }
  // Update clipping, weight decay, the update.
  const ratio = Math.sqrt(sumSqBlocked(u, n)) / (Math.sqrt(n) * d);
  const s = f(-alpha / (ratio > 1 ? ratio : 1));
  const dec = f(decay);
  for (let i = 0; i < n; i++) {
    const p = flags & DECOUPLED ? f(param[i]! * dec) : param[i]!;
    param[i] = f(p + f(u[i]! * s));
  }
}
