// Clipping and the fused step transforms: the optimizer's maxGradNorm gives the bits clipGradNorm + step()
// give; skipNonFinite changes nothing on a bad step; gradScale folds accumulation's 1/k into the prologue.
import { describe, expect, it } from "vitest";
import { Adam, clipGradNorm, clipGradValue, gradNorm, ParamStore, SGD } from "../../src/index.js";
import { firstBitDifference, randomArray, rng } from "../helpers.js";
import { expectSameState } from "../helpers.js";

const BACKENDS = ["simd", "scalar", "js"] as const;
const LENGTHS = [1, 7, 33, 100, 4097];

function model(seed: number) {
  const rand = rng(seed);
  const store = new ParamStore();
  const params = LENGTHS.map((n, i) => store.param(`p${i}`, randomArray(n, rand, 1, 0)));
  const grads = Array.from({ length: 6 }, () => LENGTHS.map((n) => randomArray(n, rand, 3, 0.1)));
  return { store, params, grads };
}

describe.each(BACKENDS)("%s backend", (backend) => {
  it.each([2, 1, Infinity, 3])("maxGradNorm (normType %s) == clipGradNorm then step(), bit for bit", (normType) => {
    const a = model(1), b = model(1);
    const fused = new Adam(a.params, { lr: 0.01, backend, maxGradNorm: 0.5, normType });
    const plain = new Adam(b.params, { lr: 0.01, backend });
    for (let t = 0; t < 6; t++) {
      a.params.forEach((p, i) => p.grad.set(a.grads[t]![i]!));
      b.params.forEach((p, i) => p.grad.set(b.grads[t]![i]!));
      const gradsBefore = a.params.map((p) => Float32Array.from(p.grad));
      fused.step();
      clipGradNorm(b.params, 0.5, { normType });
      plain.step();
      a.params.forEach((p, i) => {
        expect(firstBitDifference(p.value, b.params[i]!.value), `step ${t} param ${i}`).toBe(-1);
        expect(firstBitDifference(p.grad, gradsBefore[i]!), "fused clipping never rewrites grads").toBe(-1);
      });
    }
    expectSameState(fused.stateDict(), plain.stateDict());
  });

  it("clipGradNorm returns the norm before clipping and leaves it at maxNorm after", () => {
    const { params, grads } = model(2);
    params.forEach((p, i) => p.grad.set(grads[0]![i]!));
    let sq = 0;
    for (const p of params) for (const g of p.grad) sq += g * g;
    expect(clipGradNorm(params, 1)).toBe(Math.fround(Math.sqrt(sq)));
    expect(Math.abs(gradNorm(params) - 1)).toBeLessThan(1e-5);
    expect(clipGradNorm(params, 100)).toBeLessThan(100); // below maxNorm: unchanged
  });

  it("maxGradNorm: Infinity is a bit-exact no-op", () => {
    const a = model(3), b = model(3);
    const clipped = new SGD(a.params, { lr: 0.1, momentum: 0.9, backend, maxGradNorm: Infinity });
    const plain = new SGD(b.params, { lr: 0.1, momentum: 0.9, backend });
    for (let t = 0; t < 4; t++) {
      for (const m of [a, b]) m.params.forEach((p, i) => p.grad.set(m.grads[t]![i]!));
      clipped.step();
      plain.step();
    }
    a.params.forEach((p, i) => expect(firstBitDifference(p.value, b.params[i]!.value)).toBe(-1));
  });

  it.each([Number.NaN, Infinity, -Infinity])("skipNonFinite: a step with a %s gradient changes nothing and is counted", (bad) => {
    const { params, grads } = model(4);
    const opt = new Adam(params, { lr: 0.01, backend, skipNonFinite: true, maxGradNorm: 1 });
    params.forEach((p, i) => p.grad.set(grads[0]![i]!));
    opt.step();
    const values = params.map((p) => Float32Array.from(p.value)), state = opt.stateDict();
    params.forEach((p, i) => p.grad.set(grads[1]![i]!));
    params[3]!.grad[17] = bad;
    opt.step();
    params.forEach((p, i) => expect(firstBitDifference(p.value, values[i]!)).toBe(-1));
    expectSameState(opt.stateDict(), state);
    expect(opt.skippedSteps).toBe(1);
    params[3]!.grad[17] = 0;
    opt.step();
    expect(opt.skippedSteps).toBe(1);
    expect(firstBitDifference(params[3]!.value, values[3]!)).not.toBe(-1);
  });

  it("skipNonFinite on finite gradients is a bit-exact no-op", () => {
    const a = model(5), b = model(5);
    const skip = new Adam(a.params, { lr: 0.01, backend, skipNonFinite: true });
    const plain = new Adam(b.params, { lr: 0.01, backend });
    for (let t = 0; t < 4; t++) {
      for (const m of [a, b]) m.params.forEach((p, i) => p.grad.set(m.grads[t]![i]!));
      skip.step();
      plain.step();
    }
    a.params.forEach((p, i) => expect(firstBitDifference(p.value, b.params[i]!.value)).toBe(-1));
    expect(skip.skippedSteps).toBe(0);
  });

  it("accumulation: k micro-batches summed into .grad and step({ gradScale: 1/k }) == one step on the mean gradient", () => {
    const k = 4;
    const a = model(6), b = model(6);
    const acc = new Adam(a.params, { lr: 0.01, backend });
    const mean = new Adam(b.params, { lr: 0.01, backend });
    const f = Math.fround;
    for (let t = 0; t < 3; t++) {
      acc.zeroGrad();
      const micro = Array.from({ length: k }, (_, j) => LENGTHS.map((n, i) => randomArray(n, rng(100 * t + 10 * j + i), 1, 0.1)));
      for (const g of micro) a.params.forEach((p, i) => { for (let e = 0; e < p.length; e++) p.grad[e] = p.grad[e]! + g[i]![e]!; });
      acc.step({ gradScale: 1 / k });
      b.params.forEach((p, i) => {
        for (let e = 0; e < p.length; e++) {
          let s = 0;
          for (const g of micro) s = f(s + g[i]![e]!);
          p.grad[e] = f(s * f(1 / k));
        }
      });
      mean.step();
    }
    a.params.forEach((p, i) => expect(firstBitDifference(p.value, b.params[i]!.value)).toBe(-1));
  });
});

describe("errors change nothing", () => {
  it.each([
    [() => clipGradNorm([], -1), /Invalid maxNorm: -1/],
    [() => clipGradNorm([], Number.NaN), /Invalid maxNorm: NaN/],
    [() => clipGradNorm([], 1, { normType: 0 }), /Invalid normType: 0/],
    [() => clipGradValue([], -2), /Invalid clipValue: -2/],
    [() => clipGradNorm([42 as never], 1), /params\[0\] is not a param/],
  ])("%#", (act, message) => {
    expect(act).toThrow(message);
  });

  it("errorIfNonfinite throws and leaves the grads as they were", () => {
    const { params, grads } = model(7);
    params.forEach((p, i) => p.grad.set(grads[0]![i]!));
    params[2]!.grad[3] = Number.NaN;
    const before = params.map((p) => Float32Array.from(p.grad));
    expect(() => clipGradNorm(params, 1, { errorIfNonfinite: true })).toThrow(/total norm of order 2 of the gradients is NaN/);
    params.forEach((p, i) => expect(firstBitDifference(p.grad, before[i]!)).toBe(-1));
  });

  it.each([
    [{ maxGradNorm: -1 }, /Invalid maxGradNorm: -1/],
    [{ maxGradNorm: 1, normType: -2 }, /Invalid normType: -2/],
    [{ skipNonFinite: 1 }, /Invalid skipNonFinite: 1/],
  ])("optimizer option %j is rejected", (options, message) => {
    expect(() => new Adam([new ParamStore().param("w", 3)], options as never)).toThrow(message);
  });

  it("step({ gradScale }) with a bad scale or unknown key throws and changes nothing", () => {
    const { params, grads } = model(8);
    const opt = new Adam(params, { lr: 0.01 });
    params.forEach((p, i) => p.grad.set(grads[0]![i]!));
    opt.step();
    const values = params.map((p) => Float32Array.from(p.value)), state = opt.stateDict();
    expect(() => opt.step({ gradScale: Number.NaN })).toThrow(/invalid gradScale NaN/);
    expect(() => opt.step({ gradscale: 0.5 } as never)).toThrow(/unknown option "gradscale"/);
    params.forEach((p, i) => expect(firstBitDifference(p.value, values[i]!)).toBe(-1));
    expectSameState(opt.stateDict(), state);
  });
});

it("clipGradValue clamps like torch.clamp (NaN stays NaN), on every backend's store params", () => {
  const store = new ParamStore();
  const p = store.param("p", 9);
  p.grad.set([-3, -1, -0.5, 0, 0.5, 1, 3, Number.NaN, -0]);
  clipGradValue([p], 1);
  expect([...p.grad]).toEqual([-1, -1, -0.5, 0, 0.5, 1, 1, Number.NaN, -0]);
});
