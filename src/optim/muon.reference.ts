// Pure-TS reference of muon_f32 (same signature, Float32Arrays for pointers), operation for operation the kernel
// of assembly/optim/muon.ts, including what it leaves in the scratch area. See src/optim/muon.ts.
import { CLIP, GRAD_SCALE, NESTEROV } from "../abi/index.js";
import { inputGrad } from "../core/reference-ops.js";
import { gemmRef, TRANS_B } from "../linalg/gemm.js";
import { muonPackFloats } from "./muon-scratch.js";

const f = Math.fround;

/** torch.lerp(a, b, w) in f32: a + w·(b − a) when |w| < 0.5, else b − (b − a)·(1 − w). */
function torchLerp(a: number, b: number, w: number, wComp: number, small: boolean): number {
  return small ? f(a + f(w * f(b - a))) : f(b - f(f(b - a) * wComp));
}

/** dst (c×r) = srcᵀ, src r×c. */
function transpose(dst: Float32Array, src: Float32Array, r: number, c: number): void {
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) dst[j * r + i] = src[i * c + j]!;
}

/** out = sx·x + sy·y, in that order. */
function combine(out: Float32Array, x: Float32Array, sx: number, y: Float32Array, sy: number, n: number): void {
  const a = f(sx), b = f(sy);
  for (let i = 0; i < n; i++) out[i] = f(a * x[i]!) + f(b * y[i]!);
}

export function muon_f32(param: Float32Array, momentumBuffer: Float32Array, scratch: Float32Array, grad: Float32Array,
    n: number, rows: number, cols: number, momentum: number, momentumComp: number, nsA: number, nsB: number, nsC: number,
    eps: number, nsSteps: number, decay: number, adjustedLr: number, gradScale: number, flags: number): void {
  if (n <= 0) return;
  const tall = rows > cols;
  const m = tall ? cols : rows, q = tall ? rows : cols, mq = m * q, mm = m * m;
  const x = scratch.subarray(0, mq), y = scratch.subarray(mq, 2 * mq);
  const gram = scratch.subarray(2 * mq, 2 * mq + mm), h = scratch.subarray(2 * mq + mm, 2 * mq + 2 * mm);

  // 1. Momentum: buf = lerp(buf, g, 1 − μ); u = nesterov ? lerp(g, buf, μ) : buf.
  const g = inputGrad(grad, param, n, 0, gradScale, flags & (GRAD_SCALE | CLIP));
  const w = f(momentumComp), wc = f(1 - w), mu = f(momentum), muc = f(1 - mu);
  const u = tall ? y : x;
  for (let i = 0; i < n; i++) momentumBuffer[i] = torchLerp(momentumBuffer[i]!, g[i]!, w, wc, Math.abs(w) < 0.5);
  if (flags & NESTEROV) for (let i = 0; i < n; i++) u[i] = torchLerp(g[i]!, momentumBuffer[i]!, mu, muc, Math.abs(mu) < 0.5);
  else u.set(momentumBuffer.subarray(0, n));
  if (tall) transpose(x, y, rows, cols);

  // 2. X / max(‖X‖_F, eps), the sum of squares in f64, in index order.
  let s = 0;
  for (let i = 0; i < mq; i++) s += x[i]! * x[i]!;
  const d = Math.max(f(Math.sqrt(s)), f(eps));
  for (let i = 0; i < mq; i++) x[i] = x[i]! / d;

  // 3. Newton–Schulz: G = X·Xᵀ; H = b·G + c·(G·G); X = a·X + H·X.
  for (let it = 0; it < nsSteps; it++) {
    gemmRef(gram, x, x, m, m, q, TRANS_B);
    gemmRef(h, gram, gram, m, m, m);
    combine(h, gram, nsB, h, nsC, mm);
    gemmRef(y, h, x, m, q, m);
    combine(x, x, nsA, y, 1, mq);
  }

  // 4. θ = θ·(1 − γλ) − γ'·O.
  let o = x;
  if (tall) {
    transpose(y, x, m, q);
    o = y;
  }
  const dec = f(decay), lr = f(adjustedLr);
  for (let i = 0; i < n; i++) param[i] = f(param[i]! * dec) - f(lr * o[i]!);
  // The kernel's gemm packing area, zero on return (what the SIMD build leaves there).
  scratch.fill(0, 2 * mq + 2 * mm, 2 * mq + 2 * mm + muonPackFloats(m, q));
}
