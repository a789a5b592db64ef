// Adafactor in the benchmark: gradstep vs the hand-written JS loop (tfjs has no Adafactor; no C kernel). The
// harness hands every optimizer one 1-D param of n floats; Adafactor's point is its factored state, so it steps
// that memory as a 256-column matrix (a foreign param over the same arrays, with a shape, as Muon's row does:
// the copy in and out is part of gradstep's time here).
import { Adafactor } from "../../src/index.js";
import { type BenchCase, LR } from "../cases.js";

const COLS = 256;

interface ParamArrays { value: Float32Array; grad: Float32Array }

export const cases: BenchCase[] = [{
  id: "adafactor",
  label: `Adafactor (n/${COLS} × ${COLS} matrix)`,
  // read p (norm), g (row/col sums), g (U, write U), U (norm), p + U (write p); state is O(rows + cols)
  bytesPerParam: 28,
  gradstep: (params, backend) => {
    const wrapped = (params as unknown as ParamArrays[]).map((p) => ({ value: p.value, grad: p.grad, shape: [p.value.length / COLS, COLS] }));
    return new Adafactor(wrapped as never, { lr: LR, backend });
  },
  jsState: 3,
  plainJs(p, g, [rowVar, colVar, u], t) {
    const n = p.length, cols = COLS, rows = n / cols, eps1 = 2 ** -23, eps2 = 1e-3;
    const w = t ** -0.8, rho = Math.min(LR, 1 / Math.sqrt(t));
    let pp = 0;
    for (let i = 0; i < n; i++) pp += p[i]! * p[i]!;
    const alpha = Math.max(eps2, Math.sqrt(pp / n)) * rho;
    const colSum = u!.subarray(0, cols).fill(0);
    for (let i = 0; i < rows; i++) {
      let s = 0;
      for (let j = 0; j < cols; j++) {
        const q = g[i * cols + j]! ** 2;
        s += q;
        colSum[j] = colSum[j]! + q;
      }
      rowVar![i] = rowVar![i]! + w * (s / cols - rowVar![i]!);
    }
    let mean = 0;
    for (let j = 0; j < cols; j++) colVar![j] = colVar![j]! + w * (colSum[j]! / rows - colVar![j]!);
    for (let i = 0; i < rows; i++) mean += rowVar![i]!;
    const dR = Math.max(mean / rows, eps1);
    let uu = 0;
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const x = (u![i * cols + j] = g[i * cols + j]! / Math.sqrt(Math.max((rowVar![i]! * colVar![j]!) / dR, eps1 * eps1)));
        uu += x * x;
      }
    }
    const s = alpha / Math.max(1, Math.sqrt(uu / n));
    for (let i = 0; i < n; i++) p[i] = p[i]! - s * u![i]!;
  },
}];
