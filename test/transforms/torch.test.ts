// gradstep's toolkit against PyTorch 2.13's own numbers (test/fixtures/toolkit.json, from
// scripts/fixtures/toolkit.py): clip_grad_norm_ / clip_grad_value_, clip_grad_norm_ + Adam vs the fused
// maxGradNorm option.
//
// Tolerances, and why:
// - The norm. Both sum squares (|x| for p = 1) in f32, in different orders: gradstep adds each term to one of
//   16 f32 partials, at most 16 terms per partial before the partials go into f64 totals (src/core/reduce.ts),
//   then rounds the norm to f32; torch reduces each tensor in f32 (vectorised partial sums), then takes the
//   norm of the per-tensor norms in f32. Both are within a few f32 ulps of the true norm: the bound is 4 ulps
//   of torch's norm on short params (measured max 3 ulps, a relative 2.2e-7; the same figures as when gradstep
//   summed exactly in f64, before 2026-11-23). On params of up to 1M floats (clipNormLarge) torch's f32 sums
//   drift (up to 3.7e-5 relative at 1M floats), so there the bound is 1e-4 relative to torch and 4 ulps of the
//   norm of the f64 sum (measured: 0 ulps). For ∞ (a max of |x|, no rounding) the norms are equal.
// - The clipped grads are g · coef, coef = maxNorm / (norm + 1e-6) in f32: a norm one ulp apart moves coef
//   by about an ulp, so each grad may differ by ~2 ulps: 1e-6·|g| relative (+1e-12 absolute for zeros),
//   and bit-equal whenever the norm is (and when no clipping happens).
// - Adam over 10 steps after clipping: the optimizer tolerance of the conformance suite, 1e-6 + 1e-5·|x|.
import { afterAll, describe, expect, it } from "vitest";
import { Adam, clipGradNorm, clipGradValue, ParamStore } from "../../src/index.js";
import { f32, FIXTURES, lcgGrads, num, relError, worstRatio } from "./fixture.js";

const NORM_ULPS = 4;

/** |a − b| in units of the f32 ulp at b. */
function ulps(a: number, b: number): number {
  if (a === b) return 0;
  const e = Math.floor(Math.log2(Math.abs(b)));
  return Math.abs(a - b) / 2 ** (e - 23);
}

function storeWith(grads: Float32Array[], values?: Float32Array[]) {
  const store = new ParamStore();
  const params = grads.map((g, i) => {
    const p = store.param(`p${i}`, values?.[i] ?? g.length);
    p.grad.set(g);
    return p;
  });
  return { store, params };
}

describe("clipGradNorm vs torch.nn.utils.clip_grad_norm_", () => {
  let worstNorm = 0, worstRel = 0, worstGrad = 0;
  it.each(FIXTURES.clipNorm.map((c, i) => [i, String(num(c.normType)), c.maxNorm, c] as const))(
    "case %i: normType %s, maxNorm %s", (_i, _n, _m, c) => {
      const grads = c.grads.map(f32);
      const { params } = storeWith(grads);
      const norm = clipGradNorm(params, c.maxNorm, { normType: num(c.normType) });
      const e = ulps(norm, num(c.norm));
      worstNorm = Math.max(worstNorm, e);
      worstRel = Math.max(worstRel, relError(norm, num(c.norm)));
      expect(e, `norm ${norm} vs torch ${num(c.norm)}`).toBeLessThanOrEqual(num(c.normType) === Infinity ? 0 : NORM_ULPS);
      params.forEach((p, k) => {
        const torch = f32(c.clipped[k]!);
        const r = worstRatio(p.grad, torch, 1e-12, 1e-6);
        worstGrad = Math.max(worstGrad, r);
        expect(r, `grad ${k}`).toBeLessThanOrEqual(1);
        if (!c.clipped_) expect(p.grad).toEqual(grads[k]); // below maxNorm: untouched
      });
    });
  afterAll(() => {
    console.log(`clipGradNorm vs torch: max norm error ${worstNorm} ulps (relative ${worstRel.toExponential(2)}; bound ${NORM_ULPS} ulps), max grad error ${worstGrad.toFixed(3)} of the tolerance`);
  });
});

describe("clipGradNorm vs clip_grad_norm_ on long params (up to 1M floats: many blocks of the f32 accumulation)", () => {
  // Here torch's own f32 sums drift (72 ulps at 1M floats for p = 2, 379 for p = 3), so the bound against
  // torch is relative (1e-4), and gradstep is held to 4 ulps of the norm of the f64 sum (exact squares).
  let worst = 0, worstExact = 0;
  it.each(FIXTURES.clipNormLarge.map((c) => [c.seed, String(c.lengths), String(num(c.normType)), c] as const))(
    "seed %i, lengths %s, normType %s: store and foreign params, near the f64 norm and torch's", (_s, _l, _n, c) => {
      const grads = lcgGrads(c.lengths, c.seed, c.scales), p = num(c.normType);
      const { store, params } = storeWith(grads);
      const foreign = grads.map((g) => ({ value: new Float32Array(g.length), grad: g.slice() }));
      const norm = clipGradNorm(params, Infinity, { normType: p });
      expect(clipGradNorm(foreign, Infinity, { normType: p }), "foreign (the TS reference) == store").toBe(norm);
      let exact = 0;
      for (const g of grads) for (const x of g) exact += Math.abs(x) ** p;
      const e = ulps(norm, Math.fround(exact ** (1 / p)));
      worstExact = Math.max(worstExact, e);
      expect(e, `norm ${norm} vs the f64 sum's ${Math.fround(exact ** (1 / p))}`).toBeLessThanOrEqual(NORM_ULPS);
      worst = Math.max(worst, relError(norm, num(c.norm)));
      expect(relError(norm, num(c.norm)), `norm ${norm} vs torch ${num(c.norm)}`).toBeLessThanOrEqual(1e-4);
      store.dispose();
    });
  afterAll(() => {
    console.log(`clipGradNorm, long params: max norm error vs the f64 sum ${worstExact} ulps, vs torch relative ${worst.toExponential(2)} (torch's own drift; bound 1e-4)`);
  });
});

describe("clipGradValue vs torch.nn.utils.clip_grad_value_", () => {
  it.each(FIXTURES.clipValue.map((c) => [c.clipValue, c] as const))("clipValue %s: bit for bit", (_v, c) => {
    const { params } = storeWith(c.grads.map(f32));
    const foreign = c.grads.map((g) => ({ value: new Float32Array(g.length), grad: f32(g) }));
    clipGradValue(params, c.clipValue);
    clipGradValue(foreign, c.clipValue);
    params.forEach((p, k) => {
      expect(p.grad).toEqual(f32(c.clipped[k]!));
      expect(foreign[k]!.grad).toEqual(f32(c.clipped[k]!));
    });
  });
});

describe("Adam with maxGradNorm vs clip_grad_norm_ + torch.optim.Adam (10 steps)", () => {
  let worst = 0;
  afterAll(() => console.log(`fused maxGradNorm Adam vs torch: max error ${worst.toFixed(3)} of 1e-6 + 1e-5·|x|`));
  it.each(FIXTURES.fusedAdam.map((c) => [String(num(c.normType)), c.maxNorm, c] as const))(
    "normType %s, maxNorm %s: within 1e-6 + 1e-5·|x|", (_n, _m, c) => {
      for (const backend of ["simd", "scalar", "js"] as const) {
        const { params } = storeWith(c.init.map((x) => new Float32Array(x.length)), c.init.map(f32));
        const opt = new Adam(params, { lr: c.lr, maxGradNorm: c.maxNorm, normType: num(c.normType), backend });
        c.steps.forEach((s, t) => {
          params.forEach((p, k) => p.grad.set(f32(s.grads[k]!)));
          opt.step();
          params.forEach((p, k) => {
            const r = worstRatio(p.value, f32(s.params[k]!), 1e-6, 1e-5);
            worst = Math.max(worst, r);
            expect(r, `${backend} step ${t} param ${k}`).toBeLessThanOrEqual(1);
            expect(p.grad, "the fused path never rewrites grads").toEqual(f32(s.grads[k]!));
          });
        });
      }
    });
});
