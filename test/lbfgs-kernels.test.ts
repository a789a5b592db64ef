// The L-BFGS vector kernels (assembly/optim/lbfgs.ts) against their pure-TS references (src/optim/lbfgs.reference.ts),
// bit for bit, on both Wasm builds: short and odd lengths (SIMD body + tail), unaligned offsets, in place, zeros,
// negative zeros and a NaN. The optimizer-level parity runs in test/suites/closure.test.ts.
import { describe, expect, it } from "vitest";
import { ParamStore } from "../src/index.js";
import { lbfgs_axpy_dot_f32, lbfgs_axpy_f32, lbfgs_dot_f32, lbfgs_maxabs_f32, lbfgs_scale_f32 } from "../src/optim/lbfgs.reference.js";
import { firstBitDifference, randomArray, rng } from "./helpers.js";

const LENGTHS = [0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33, 1000, 4097];
const OFFSETS = [0, 4, 8, 12];

interface K {
  lbfgs_dot_f32(a: number, b: number, n: number): number;
  lbfgs_axpy_f32(out: number, a: number, b: number, n: number, alpha: number): void;
  lbfgs_scale_f32(out: number, x: number, n: number, alpha: number): void;
  lbfgs_axpy_dot_f32(out: number, a: number, b: number, c: number, n: number, alpha: number): number;
  lbfgs_maxabs_f32(x: number, n: number): number;
}

describe.each(["simd", "scalar"] as const)("LBFGS kernels, %s build, vs the reference", (build) => {
  it.each(LENGTHS.flatMap((n) => OFFSETS.map((off) => ({ n, off }))))("n = $n at +$off bytes", ({ n, off }) => {
    const rand = rng(n * 7 + off);
    const store = new ParamStore();
    const k = store.kernels(build) as unknown as K;
    const base = () => store.alloc(n + 4) + off;
    const [pa, pb, pc, po] = [base(), base(), base(), base()];
    const a = randomArray(n, rand, 3, 0.1), b = randomArray(n, rand, 3, 0.1), c = randomArray(n, rand, 3, 0.1);
    if (n > 2) { a[1] = -0; b[2] = -0; }
    const view = (p: number) => store.f32.subarray(p / 4, p / 4 + n);
    const load = () => { view(pa).set(a); view(pb).set(b); view(pc).set(c); view(po).fill(7); };
    const alpha = Math.fround(-0.37 - rand());

    load();
    expect(k.lbfgs_dot_f32(pa, pb, n)).toBe(lbfgs_dot_f32(a, b, n));
    expect(k.lbfgs_maxabs_f32(pa, n)).toBe(lbfgs_maxabs_f32(a, n));

    const want = new Float32Array(n);
    lbfgs_axpy_f32(want, a, b, n, alpha);
    k.lbfgs_axpy_f32(po, pa, pb, n, alpha);
    expect(firstBitDifference(view(po), want)).toBe(-1);
    k.lbfgs_axpy_f32(pa, pa, pb, n, alpha); // in place
    expect(firstBitDifference(view(pa), want)).toBe(-1);

    load();
    lbfgs_scale_f32(want, b, n, alpha);
    k.lbfgs_scale_f32(po, pb, n, alpha);
    expect(firstBitDifference(view(po), want)).toBe(-1);

    load();
    const wantOut = new Float32Array(n);
    const dot = lbfgs_axpy_dot_f32(wantOut, a, b, c, n, alpha);
    expect(k.lbfgs_axpy_dot_f32(pa, pa, pb, pc, n, alpha)).toBe(dot);
    expect(firstBitDifference(view(pa), wantOut)).toBe(-1);
    // The fused kernel gives the bits of the two calls it replaces.
    const sep = new Float32Array(n);
    lbfgs_axpy_f32(sep, a, b, n, alpha);
    expect(dot).toBe(lbfgs_dot_f32(sep, c, n));

    if (n > 0) {
      view(pa)[n - 1] = Number.NaN;
      expect(k.lbfgs_maxabs_f32(pa, n)).toBeNaN();
      expect(k.lbfgs_dot_f32(pa, pb, n)).toBeNaN();
    }
    store.dispose();
  });
});

it("the f64 dot is the exactly rounded sum where the reference can check it: Σ of exact products of small integers", () => {
  const n = 1001, a = new Float32Array(n), b = new Float32Array(n);
  for (let i = 0; i < n; i++) { a[i] = (i % 13) - 6; b[i] = (i % 7) - 3; }
  let exact = 0;
  for (let i = 0; i < n; i++) exact += a[i]! * b[i]!;
  expect(lbfgs_dot_f32(a, b, n)).toBe(exact);
});
