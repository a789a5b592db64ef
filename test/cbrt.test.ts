// The cube root MADGRAD's kernels compute in f32 operations (assembly/lib/common.ts cbrt; reference-ops.ts cbrt
// is its operation-for-operation twin): near the true root (Math.cbrt in f64), its stated edge values, and the
// same bits on every backend for gradients whose sums are 0, subnormal, normal and +∞.
import { describe, expect, it } from "vitest";
import { MADGRAD, ParamStore } from "../src/index.js";
import { cbrt } from "../src/core/reference-ops.js";
import { firstBitDifference } from "./helpers.js";

const f = Math.fround, bits = new Float32Array(1), word = new Uint32Array(bits.buffer);
/** The f32 ulp at |x|: the gap to the next float up. */
const ulp = (x: number): number => { bits[0] = Math.abs(x); word[0]! += 1; return bits[0]! - f(Math.abs(x)); };

describe("cbrt in f32 operations", () => {
  it("is within 1 ulp of the correctly rounded root over the normal range, and exact for most", () => {
    let exact = 0, n = 0;
    for (let e = -126; e < 128; e += 1 / 64) {
      for (const m of [1, 1.2345678, 1.5, 1.9999999]) {
        const x = f(2 ** e * m);
        if (!Number.isFinite(x)) continue;
        const want = f(Math.cbrt(x)), got = cbrt(x);
        expect(Math.abs(got - want), `cbrt(${x})`).toBeLessThanOrEqual(ulp(want));
        if (got === want) exact++;
        n++;
      }
    }
    expect(exact / n).toBeGreaterThan(0.85);
  });

  it("gives 0 at 0 and below the smallest normal, +∞ at +∞, NaN at NaN, and 1, 2, 3 at 1, 8, 27", () => {
    expect([0, 1e-45, 1e-40, 2 ** -126 * 0.99, Infinity, Number.NaN, 1, 8, 27].map(cbrt)).toEqual([0, 0, 0, 0, Infinity, Number.NaN, 1, 2, 3]);
  });

  it("the simd and scalar kernels give the reference's bits where the sums are 0, subnormal, normal and +∞", () => {
    // g = 0 keeps v at 0; g = 1e-20 makes λg² subnormal; g = 1e20 overflows g² to +∞. 37 floats: SIMD loop and tail.
    const edges = [0, 1e-20, -1e-20, 1e20, -1e20, 0.5, -3, 1e-3, 7e4];
    const grad = Float32Array.from({ length: 37 }, (_, i) => edges[i % edges.length]! * (1 + i / 64));
    const runs = (["simd", "scalar", "js"] as const).map((backend) => {
      const store = new ParamStore(), p = store.param("w", Float32Array.from({ length: 37 }, (_, i) => Math.sin(i + 1)));
      const opt = new MADGRAD([p], { lr: 0.1, backend });
      for (let t = 0; t < 3; t++) { p.grad.set(grad); opt.step(); }
      return { value: Float32Array.from(p.value), state: opt.stateDict().state[0]! };
    });
    for (const r of runs.slice(1)) {
      expect(firstBitDifference(r.value, runs[0]!.value)).toBe(-1);
      for (const k of ["grad_sum_sq", "s", "x0"]) expect(firstBitDifference(r.state[k] as Float32Array, runs[0]!.state[k] as Float32Array), k).toBe(-1);
    }
    const v = runs[0]!.state["grad_sum_sq"] as Float32Array;
    expect([v[0], v[3]]).toEqual([0, Infinity]);
    expect(v[1]! > 0 && v[1]! < 2 ** -126).toBe(true);
  });
});
