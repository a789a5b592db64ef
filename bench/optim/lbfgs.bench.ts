// LBFGS in the benchmark: gradstep's LBFGS (Wasm dot/axpy over the store) vs the plain-JS L-BFGS loop a user would
// write (the same two-loop recursion over Float32Arrays, f64 arithmetic), no line search, on a separable quadratic
// whose closure costs one pass (so the optimizer's vector work dominates: with historySize m an iteration makes
// ~4m + 6 passes over n floats). LBFGS has no `step()` without a closure, so it is not a BenchCase of the step
// harness (bench/measure.ts): `cases` is empty and `closureCases` holds its contenders; run this file directly for
// the interleaved measurement:  npx tsx bench/optim/lbfgs.bench.ts [sizes, default 65536,1048576]
import { init, LBFGS, ParamStore, type StateDict } from "../../src/index.js";
import type { BenchCase } from "../cases.js";

export const cases: BenchCase[] = [];

/** Σ ½·c_i·(x_i − 1)², c_i = 1 + (i mod 17): writes g, returns the loss. */
function quadratic(x: Float32Array, g: Float32Array): number {
  let loss = 0;
  for (let i = 0; i < x.length; i++) {
    const c = 1 + (i % 17), e = x[i]! - 1;
    loss += 0.5 * c * e * e;
    g[i] = c * e;
  }
  return loss;
}

/** The plain-JS L-BFGS a user writes: torch's algorithm without line search, fixed step lr, Float32Array storage. */
export class PlainLbfgs {
  readonly dirs: Float32Array[] = [];
  readonly stps: Float32Array[] = [];
  readonly ro: number[] = [];
  readonly spare: Float32Array[] = [];
  d: Float32Array; prev: Float32Array; g: Float32Array; q: Float32Array;
  nIter = 0;
  constructor(readonly x: Float32Array, readonly lr: number, readonly maxIter: number, readonly historySize: number) {
    const n = x.length;
    this.d = new Float32Array(n); this.prev = new Float32Array(n); this.g = new Float32Array(n); this.q = new Float32Array(n);
  }
  reset(): void { this.spare.push(...this.dirs.splice(0), ...this.stps.splice(0)); this.ro.length = 0; this.nIter = 0; }
  step(closure: (x: Float32Array, g: Float32Array) => number): number {
    const { x, g, d, prev, q } = this, n = x.length;
    const first = closure(x, g);
    const al: number[] = [];
    for (let k = 0; k < this.maxIter; k++) {
      this.nIter++;
      if (this.nIter === 1) {
        for (let i = 0; i < n; i++) d[i] = -g[i]!;
      } else {
        const y = this.spare.pop() ?? new Float32Array(n), s = this.spare.pop() ?? new Float32Array(n);
        let ys = 0, yy = 0;
        for (let i = 0; i < n; i++) { y[i] = g[i]! - prev[i]!; s[i] = d[i]! * this.lr; ys += y[i]! * s[i]!; yy += y[i]! * y[i]!; }
        let h = 1;
        if (ys > 1e-10) {
          if (this.dirs.length === this.historySize) { this.spare.push(this.dirs.shift()!, this.stps.shift()!); this.ro.shift(); }
          this.dirs.push(y); this.stps.push(s); this.ro.push(1 / ys);
          h = ys / yy;
        } else this.spare.push(y, s);
        for (let i = 0; i < n; i++) q[i] = -g[i]!;
        for (let j = this.dirs.length - 1; j >= 0; j--) {
          const sj = this.stps[j]!, yj = this.dirs[j]!;
          let a = 0;
          for (let i = 0; i < n; i++) a += sj[i]! * q[i]!;
          a *= this.ro[j]!;
          al[j] = a;
          for (let i = 0; i < n; i++) q[i] = q[i]! - a * yj[i]!;
        }
        for (let i = 0; i < n; i++) d[i] = q[i]! * h;
        for (let j = 0; j < this.dirs.length; j++) {
          const sj = this.stps[j]!, yj = this.dirs[j]!;
          let b = 0;
          for (let i = 0; i < n; i++) b += yj[i]! * d[i]!;
          const c = al[j]! - b * this.ro[j]!;
          for (let i = 0; i < n; i++) d[i] = d[i]! + c * sj[i]!;
        }
      }
      prev.set(g);
      const t = this.nIter === 1 ? Math.min(1, 1 / g.reduce((a, b) => a + Math.abs(b), 0)) * this.lr : this.lr;
      for (let i = 0; i < n; i++) x[i] = x[i]! + t * d[i]!;
      if (k !== this.maxIter - 1) closure(x, g);
    }
    return first;
  }
}

export interface ClosureBenchCase {
  id: string;
  label: string;
  options: { maxIter: number; historySize: number; lr: number };
}
export const closureCases: ClosureBenchCase[] = [
  { id: "lbfgs", label: "LBFGS (historySize 10, maxIter 20, no line search)", options: { maxIter: 20, historySize: 10, lr: 1 } },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Interleaved rounds: each contender runs `steps` steps from the same start and an empty state; medians of ms per step. */
async function main(): Promise<void> {
  await init();
  const sizes = (process.argv[2] ?? "65536,1048576").split(",").map(Number);
  const c = closureCases[0]!;
  for (const n of sizes) {
    const steps = n >= 1 << 20 ? 1 : 3, rounds = n >= 1 << 20 ? 5 : 9;
    const x0 = Float32Array.from({ length: n }, (_, i) => ((i * 13) % 23 - 11) / 8);
    const store = new ParamStore({ capacity: n });
    const w = store.param("w", x0);
    const gs = (["simd", "scalar", "js"] as const).map((backend) => ({ backend, opt: new LBFGS([w], { ...c.options, toleranceGrad: 0, toleranceChange: 0, backend }) }));
    const empty: StateDict = gs[0]!.opt.stateDict();
    const plainX = new Float32Array(n);
    const plain = new PlainLbfgs(plainX, c.options.lr, c.options.maxIter, c.options.historySize);
    let calls = 0;
    const closureW = () => { calls++; return quadratic(w.value, w.grad); };
    const contenders: Array<[string, () => void]> = [
      ...gs.map(({ backend, opt }) => [`gradstep-${backend}`, () => {
        w.value.set(x0);
        opt.loadStateDict(empty);
        for (let t = 0; t < steps; t++) opt.step(closureW);
      }] as [string, () => void]),
      ["plain-js", () => {
        plainX.set(x0);
        plain.reset();
        for (let t = 0; t < steps; t++) plain.step((x, g) => { calls++; return quadratic(x, g); });
      }],
      ["closure-only (20 calls)", () => { for (let k = 0; k < 20 * steps; k++) quadratic(plainX, plain.g); }],
    ];
    const times = new Map<string, number[]>(contenders.map(([name]) => [name, []]));
    for (let r = 0; r < rounds; r++) {
      const order = [...contenders.slice(r % contenders.length), ...contenders.slice(0, r % contenders.length)];
      for (const [name, fn] of order) {
        calls = 0;
        const t0 = performance.now();
        fn();
        times.get(name)!.push((performance.now() - t0) / steps);
      }
    }
    const plainMs = median(times.get("plain-js")!);
    for (const [name, ts] of times) {
      const ms = median(ts);
      console.log(JSON.stringify({ case: c.id, n, contender: name, msPerStep: +ms.toFixed(3), vsPlainJs: +(plainMs / ms).toFixed(2), rounds }));
    }
    for (const { opt } of gs) opt.dispose();
    store.dispose();
  }
}

if (process.argv[1]?.endsWith("lbfgs.bench.ts")) await main();
