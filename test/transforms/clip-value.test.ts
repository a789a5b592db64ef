// The optimizer's clipValue option (clip_grad_value_ fused into the gradient prologue): for every registry
// optimizer and every configuration of its cases file, on every backend, the same bits as clipGradValue(params, v)
// then step(), with the grads never rewritten; composed with gradScale (GradScaler's unscaling) and maxGradNorm
// in the documented order; disarmed after the step (another optimizer on the same store does not clip); bad
// values rejected.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Adam, clipGradNorm, clipGradValue, GradScaler, ParamStore, SGD } from "../../src/index.js";
import { setHostCoresForTests } from "../../src/runtime/threads.js";
import { CLIP, CLIP_AT } from "../../src/abi/index.js";
import { valueClip } from "../../src/core/reference-ops.js";
import { kernels, references } from "../../src/optim/index.js";
import { CONFIGS, expectSameState, firstBitDifference, type OptimizerClass, paramShape, randomArray, rng } from "../helpers.js";

const BACKENDS = ["simd", "scalar", "js"] as const;
const LENGTHS = [1, 7, 33, 100, 257];
const STEPS = 4;

function model(cls: OptimizerClass, seed: number) {
  const rand = rng(seed);
  const store = new ParamStore();
  const params = LENGTHS.map((n, i) => store.param(`p${i}`, randomArray(n, rand, 1, 0), paramShape(cls, n)));
  // Gradients of scale 3 (a third of them past ±1), a few exact ±v, zeros and -0.
  const grads = Array.from({ length: STEPS }, () => LENGTHS.map((n) => {
    const g = randomArray(n, rand, 3, 0.1);
    if (n > 3) { g[0] = 0.75; g[1] = -0.75; g[2] = -0; }
    return g;
  }));
  return { store, params, grads };
}

const CASES = CONFIGS.flatMap(({ name, cls, configs }) => configs.map((c) => [name, c.desc, cls, c.options] as const));

describe.each(BACKENDS)("%s backend", (backend) => {
  it.each(CASES)("%s (%s): clipValue == clipGradValue then step(), bit for bit", (_name, _desc, cls, options) => {
    const a = model(cls, 1), b = model(cls, 1);
    const fused = new cls(a.params, { ...options, backend, clipValue: 0.75 });
    const plain = new cls(b.params, { ...options, backend });
    let clipped = 0;
    for (let t = 0; t < STEPS; t++) {
      a.params.forEach((p, i) => p.grad.set(a.grads[t]![i]!));
      b.params.forEach((p, i) => p.grad.set(b.grads[t]![i]!));
      fused.step();
      clipGradValue(b.params, 0.75);
      plain.step();
      a.params.forEach((p, i) => {
        expect(firstBitDifference(p.value, b.params[i]!.value), `step ${t} param ${i}`).toBe(-1);
        expect(firstBitDifference(p.grad, a.grads[t]![i]!), "the grads are never rewritten").toBe(-1);
        clipped += b.params[i]!.grad.filter((g, k) => g !== a.grads[t]![i]![k]).length;
      });
    }
    expect(clipped, "the case clips something").toBeGreaterThan(0);
    expectSameState(fused.stateDict(), plain.stateDict());
  });

  it("composes in the documented order: gradScale (unscale), then maxGradNorm's factor, then the clamp", () => {
    const a = model(Adam, 2), b = model(Adam, 2);
    const fused = new Adam(a.params, { lr: 0.01, backend, maxGradNorm: 5, clipValue: 0.75 });
    const plain = new Adam(b.params, { lr: 0.01, backend });
    for (let t = 0; t < STEPS; t++) {
      a.params.forEach((p, i) => p.grad.set(a.grads[t]!.at(i)!.map((x) => x * 1024)));
      b.params.forEach((p, i) => p.grad.set(b.grads[t]!.at(i)!.map((x) => x * 1024)));
      fused.step({ gradScale: 1 / 1024 });
      for (const p of b.params) p.grad.set(p.grad.map((x) => x / 1024)); // unscale_ (exact: a power of two)
      clipGradNorm(b.params, 5);
      clipGradValue(b.params, 0.75);
      plain.step();
      a.params.forEach((p, i) => expect(firstBitDifference(p.value, b.params[i]!.value), `step ${t} param ${i}`).toBe(-1));
    }
  });

  it("with GradScaler.step(opt): the same as unscale(), clipGradValue, step", () => {
    const a = model(SGD, 3), b = model(SGD, 3);
    const fused = new SGD(a.params, { lr: 0.1, momentum: 0.9, backend, clipValue: 0.5 });
    const plain = new SGD(b.params, { lr: 0.1, momentum: 0.9, backend });
    const sa = new GradScaler({ initScale: 256 }), sb = new GradScaler({ initScale: 256 });
    for (let t = 0; t < STEPS; t++) {
      a.params.forEach((p, i) => p.grad.set(a.grads[t]![i]!.map((x) => x * 256)));
      b.params.forEach((p, i) => p.grad.set(b.grads[t]![i]!.map((x) => x * 256)));
      sa.step(fused);
      sa.update();
      sb.unscale(plain);
      clipGradValue(b.params, 0.5);
      sb.step(plain);
      sb.update();
      a.params.forEach((p, i) => expect(firstBitDifference(p.value, b.params[i]!.value), `step ${t} param ${i}`).toBe(-1));
    }
  });

  it("is disarmed after the step: another optimizer on the same store scales without clamping", () => {
    const a = model(Adam, 4), b = model(Adam, 4);
    const clipOpt = new Adam(a.params.slice(0, 2), { lr: 0.01, backend, clipValue: 0.01 });
    const other = new Adam(a.params.slice(2), { lr: 0.01, backend });
    const ref = new Adam(b.params.slice(2), { lr: 0.01, backend });
    for (let t = 0; t < STEPS; t++) {
      a.params.forEach((p, i) => p.grad.set(a.grads[t]![i]!));
      b.params.forEach((p, i) => p.grad.set(b.grads[t]![i]!));
      clipOpt.step();
      other.step({ gradScale: 0.5 });
      ref.step({ gradScale: 0.5 });
      for (let i = 2; i < LENGTHS.length; i++) expect(firstBitDifference(a.params[i]!.value, b.params[i]!.value), `step ${t} param ${i}`).toBe(-1);
    }
  });
});

describe("the clip words reach the kernels on worker threads (shared memory), and verify mode agrees", () => {
  beforeAll(() => setHostCoresForTests(4));
  afterAll(() => setHostCoresForTests(undefined));
  it("Adam over 100,003 floats on 1 and 3 threads, verify on: == clipGradValue then step()", async () => {
    const N = 100_003, rand = rng(11);
    const init = randomArray(N, rand), grads = Array.from({ length: 3 }, () => randomArray(N, rand, 3, 0.1));
    const runs = [1, 3].map((threads) => {
      const store = new ParamStore({ threads, threadMinSize: 1024 });
      const p = store.param("w", init);
      return { store, p, opt: new Adam([p], { lr: 0.01, backend: "simd", clipValue: 0.5, verify: true }) };
    });
    await Promise.all(runs.map((r) => r.store.ready()));
    expect(runs.map((r) => r.store.threads)).toEqual([1, 3]);
    const plainStore = new ParamStore(), q = plainStore.param("w", init), plain = new Adam([q], { lr: 0.01, backend: "simd" });
    for (const g of grads) {
      for (const r of runs) {
        r.p.grad.set(g);
        r.opt.step();
      }
      q.grad.set(g);
      clipGradValue([q], 0.5);
      plain.step();
      for (const r of runs) expect(firstBitDifference(r.p.value, q.value)).toBe(-1);
    }
    for (const r of runs) r.store.dispose();
    plainStore.dispose();
  });
});

it("clipValue Infinity is a bit-exact no-op; 0 freezes params under SGD", () => {
  const a = model(Adam, 5), b = model(Adam, 5), c = model(SGD, 6);
  const inf = new Adam(a.params, { lr: 0.01, clipValue: Infinity }), plain = new Adam(b.params, { lr: 0.01 });
  const zero = new SGD(c.params, { lr: 0.1, clipValue: 0 });
  const before = c.params.map((p) => Float32Array.from(p.value));
  for (let t = 0; t < STEPS; t++) {
    for (const m of [a, b, c]) m.params.forEach((p, i) => p.grad.set(m.grads[t]![i]!));
    inf.step();
    plain.step();
    zero.step();
  }
  a.params.forEach((p, i) => expect(firstBitDifference(p.value, b.params[i]!.value)).toBe(-1));
  c.params.forEach((p, i) => expect(firstBitDifference(p.value, before[i]!)).toBe(-1));
});

it("getConfig carries clipValue and fromConfig restores it", () => {
  const { params } = model(Adam, 7);
  const opt = new Adam(params, { lr: 0.01, clipValue: 0.25 });
  expect(opt.getConfig()).toMatchObject({ clipValue: 0.25 });
  expect(opt.transforms.clipValue).toBe(0.25);
  expect(Adam.fromConfig(params.slice(0, 1), JSON.parse(JSON.stringify(opt.getConfig()))).transforms.clipValue).toBe(0.25);
});

describe("bad clipValue: a clear error at construction, nothing allocated or changed", () => {
  it.each([[-1, /Invalid clipValue: -1 \(expected a number >= 0\)/], [Number.NaN, /Invalid clipValue: NaN/], [-Infinity, /Invalid clipValue: -Infinity/],
    ["0.5", /Invalid clipValue: "0.5"/], [null, /Invalid clipValue: null/]] as const)("%s", (v, message) => {
    const { store, params, grads } = model(Adam, 8);
    params.forEach((p, i) => p.grad.set(grads[0]![i]!));
    const values = params.map((p) => Float32Array.from(p.value)), used = store.bytesUsed;
    expect(() => new Adam(params, { lr: 0.01, clipValue: v as never })).toThrow(message);
    params.forEach((p, i) => {
      expect(firstBitDifference(p.value, values[i]!)).toBe(-1);
      expect(firstBitDifference(p.grad, grads[0]![i]!)).toBe(-1);
    });
    expect(store.bytesUsed).toBe(used);
  });
});

describe("the value clip is the CLIP flag of a kernel call (bit 31 of src/abi, no sentinel scale)", () => {
  // SGD's kernel without momentum: p -= lr * g, with lr 0.5 (exact), bounds ±0.5 written where the kernels read them.
  const n = 37, lr = 0.5, rand = rng(21);
  const init = randomArray(n, rand), grad = randomArray(n, rand, 3, 0.1);
  const f = Math.fround, clamp = (g: number) => Math.min(Math.max(g, -0.5), 0.5);
  const expect1 = (clipped: boolean) => Float32Array.from(init, (p, i) => f(p - f(lr * (clipped ? clamp(grad[i]!) : grad[i]!))));
  const scalars = (flags: number) => [n, lr, 0, 0, 0, 1, flags]; // n, lr, weightDecay, momentum, dampFactor, gradScale 1, flags
  it.each(["simd", "scalar"] as const)("%s: CLIP clamps without GRAD_SCALE; the same bounds without CLIP do nothing", (kind) => {
    expect(kernels().sgd_f32!.scalars).toEqual(["lr", "weightDecay", "momentum", "dampFactor", "gradScale", "flags"]);
    const store = new ParamStore();
    const p = store.param("w", init);
    for (const clipped of [true, false]) {
      p.value.set(init);
      p.grad.set(grad);
      store.f32.set([-0.5, 0.5], CLIP_AT / 4);
      store.kernels(kind).sgd_f32!(p.valuePtr, 0, p.gradPtr, ...scalars(clipped ? CLIP : 0));
      expect(firstBitDifference(p.value, expect1(clipped)), `clipped: ${clipped}`).toBe(-1);
    }
    store.dispose();
  });
  it("js: the reference reads the same flag", () => {
    valueClip.lo = -0.5;
    valueClip.hi = 0.5;
    for (const clipped of [true, false]) {
      const p = Float32Array.from(init);
      references().sgd_f32!(p, new Float32Array(0), Float32Array.from(grad), ...scalars(clipped ? CLIP : 0));
      expect(firstBitDifference(p, expect1(clipped)), `clipped: ${clipped}`).toBe(-1);
    }
  });
});
