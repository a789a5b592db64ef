// ParamStore: zero-copy views, views that survive memory growth, contiguous runs (one kernel call per
// group for params created together), and the copy path for foreign arrays.
import { describe, expect, it } from "vitest";
import { Adam, ParamStore, SGD } from "../src/index.js";
import type { Kernels } from "../src/abi/index.js";
import { firstBitDifference, randomArray, rng } from "./helpers.js";

describe.each([true, false])("views (shared memory: %s)", (shared) => {
  it("param() copies initial values in, or zero-fills", () => {
    const store = new ParamStore({ shared });
    expect(store.shared).toBe(shared);
    const w = store.param("w", new Float32Array([0.1, -0.2, 0.3]));
    const b = store.param("b", 128);
    const c = store.param("c", [1, 2]);
    expect(Array.from(w.value)).toEqual(Array.from(new Float32Array([0.1, -0.2, 0.3])));
    expect(b.value.every((x) => x === 0) && b.grad.every((x) => x === 0)).toBe(true);
    expect(Array.from(c.value)).toEqual([1, 2]);
    expect(store.params.map((p) => p.name)).toEqual(["w", "b", "c"]);
    expect(store.get("b")).toBe(b);
  });

  it("value and grad are views into the store's Wasm memory (zero-copy both ways)", () => {
    const store = new ParamStore({ shared });
    const w = store.param("w", 4);
    expect(w.value.buffer).toBe(store.memory.buffer);
    expect(w.value.byteOffset).toBe(w.valuePtr);
    expect(w.grad.byteOffset).toBe(w.gradPtr);
    const opt = new SGD([w], { lr: 1 });
    w.value.set([1, 2, 3, 4]); // written through the view, read by the kernel
    w.grad.set([1, 1, 1, 1]);
    opt.step();
    expect(Array.from(w.value)).toEqual([0, 1, 2, 3]);
    expect(Array.from(store.f32.subarray(w.valuePtr / 4, w.valuePtr / 4 + 4))).toEqual([0, 1, 2, 3]);
  });

  it("views stay valid after later allocations grow the memory", () => {
    const store = new ParamStore({ shared });
    const w = store.param("w", new Float32Array([1, 2, 3]));
    const held = w.value; // a view held across growth
    const before = store.memory.buffer.byteLength;
    store.param("big", 4_000_000); // grows the memory by ~32 MB
    expect(store.memory.buffer.byteLength).toBeGreaterThan(before);
    const opt = new SGD([w], { lr: 1 });
    w.grad.set([1, 1, 1]);
    opt.step();
    expect(Array.from(w.value)).toEqual([0, 1, 2]);
    if (shared) {
      // A shared memory never detaches: even the view taken before growth still sees the update.
      expect(held.length).toBe(3);
      expect(Array.from(held)).toEqual([0, 1, 2]);
    } else {
      // A non-shared buffer detaches on growth; the Param's getters rebuild their views.
      expect(held.length).toBe(0);
      expect(w.value.buffer).toBe(store.memory.buffer);
    }
  });
});

describe("one kernel call per contiguous run", () => {
  function countCalls(store: ParamStore): { calls: number } {
    const counter = { calls: 0 };
    const kernels = store.kernels("simd");
    const original = store.kernels.bind(store);
    store.kernels = (kind) => {
      const k = original(kind);
      return Object.fromEntries(Object.entries(k).map(([name, fn]) =>
        [name, typeof fn === "function" ? (...a: number[]) => { counter.calls++; return (fn as (...x: number[]) => void)(...a); } : fn])) as unknown as Kernels;
    };
    void kernels;
    return counter;
  }

  it("without a capacity hint, 1,000 params of 1K take a few calls (blocks double from 16K floats)", () => {
    const store = new ParamStore();
    for (let i = 0; i < 1000; i++) store.param(`p${i}`, 1024);
    const counter = countCalls(store);
    new Adam(store.params, { backend: "simd" }).step();
    expect(counter.calls).toBe(7); // 16K + 16K + 32K + 64K + 128K + 256K + 512K floats
  });

  it("1,000 params of 1K in a store sized for them: one call per step, same numbers as 1,000 separate calls", () => {
    const rand = rng(7);
    const store = new ParamStore({ capacity: 1000 * 1024 });
    const params = Array.from({ length: 1000 }, (_, i) => store.param(`p${i}`, randomArray(1024, rand)));
    const counter = countCalls(store);
    const opt = new Adam(store.params, { lr: 0.01, backend: "simd" });
    // Reference: the same model as 1,000 groups (one call each).
    const store2 = new ParamStore();
    const params2 = params.map((p, i) => store2.param(`p${i}`, p.value));
    const opt2 = new Adam(params2.map((p) => ({ params: [p] })), { lr: 0.01, backend: "simd" });
    for (let t = 0; t < 3; t++) {
      for (const [i, p] of params.entries()) {
        p.grad.set(randomArray(1024, rand));
        params2[i]!.grad.set(p.grad);
      }
      opt.step();
      opt2.step();
    }
    expect(counter.calls).toBe(3);
    params.forEach((p, i) => expect(firstBitDifference(p.value, params2[i]!.value)).toBe(-1));
  });

  it("params interleaved with other allocations split into runs, still one call per run", () => {
    const store = new ParamStore();
    const a = store.param("a", 10), b = store.param("b", 10);
    const counter = countCalls(store);
    const c = store.param("c", 30_000); // does not fit the first block: starts a new one
    const opt = new SGD([a, b, c], { lr: 0.1, momentum: 0.9, backend: "simd" });
    opt.step();
    expect(counter.calls).toBe(2);
  });
});

describe("foreign Float32Arrays (the copy path)", () => {
  it("updates plain { value, grad } arrays exactly like store params", () => {
    const rand = rng(11);
    const init = [randomArray(37, rand), randomArray(5, rand)];
    const foreign = init.map((v) => ({ value: Float32Array.from(v), grad: new Float32Array(v.length) }));
    const store = new ParamStore();
    const native = init.map((v, i) => store.param(`p${i}`, v));
    const optF = new Adam(foreign, { lr: 0.01, amsgrad: true });
    const optN = new Adam(native, { lr: 0.01, amsgrad: true });
    for (let t = 0; t < 10; t++) {
      foreign.forEach((f, i) => { f.grad.set(randomArray(f.grad.length, rand)); native[i]!.grad.set(f.grad); });
      optF.step();
      optN.step();
    }
    foreign.forEach((f, i) => expect(firstBitDifference(f.value, native[i]!.value)).toBe(-1));
    expect(optF.stateDict().state).toEqual(optN.stateDict().state);
    optF.zeroGrad();
    expect(foreign.every((f) => f.grad.every((x) => x === 0))).toBe(true);
  });

  it("mixes with store params in one optimizer; values written between steps are picked up", () => {
    const store = new ParamStore();
    const w = store.param("w", [1, 2]);
    const f = { value: new Float32Array([3, 4]), grad: new Float32Array([1, 1]) };
    const opt = new SGD([w, f], { lr: 1 });
    w.grad.set([1, 1]);
    opt.step();
    expect(Array.from(f.value)).toEqual([2, 3]);
    f.value.set([10, 10]);
    opt.step();
    expect(Array.from(f.value)).toEqual([9, 9]);
    expect(Array.from(w.value)).toEqual([-1, 0]);
  });
});

it("zeroGrad() zeroes every gradient of every group", () => {
  const store = new ParamStore();
  const a = store.param("a", 5), b = store.param("b", 3);
  const opt = new Adam([{ params: [a] }, { params: [b], lr: 0.1 }]);
  a.grad.fill(1);
  b.grad.fill(2);
  opt.zeroGrad();
  expect([...a.grad, ...b.grad].every((x) => x === 0)).toBe(true);
});

it("param groups: per-group options override defaults and are used", () => {
  const store = new ParamStore();
  const a = store.param("a", [1]), b = store.param("b", [1]);
  const opt = new SGD([{ params: [a], lr: 0.5 }, { params: [b] }], { lr: 0.1 });
  expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.5, 0.1]);
  a.grad.set([1]);
  b.grad.set([1]);
  opt.step();
  expect([a.value[0], b.value[0]]).toEqual([0.5, Math.fround(0.9)]);
  opt.paramGroups[1]!.lr = 0; // a scheduler's edit takes effect on the next step
  opt.step();
  expect(b.value[0]).toBe(Math.fround(0.9));
  expect(opt.getConfig()).toMatchObject({ lr: 0.1, momentum: 0 });
});
