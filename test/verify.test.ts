// verify mode: every step re-run on the pure-TS reference over copies; the first bit difference throws
// and the step is undone.
import { expect, it } from "vitest";
import { Adam, ParamStore, Prodigy, RMSprop } from "../src/index.js";
import { type Kernels, UPDATE } from "../src/abi/index.js";
import { firstBitDifference, randomArray, rng } from "./helpers.js";

/** Makes `store`'s Wasm export `name` run `spoil` with its arguments after every call. */
function breakKernel(store: ParamStore, name: string, spoil: (args: number[]) => void): void {
  const original = store.kernels.bind(store);
  store.kernels = (kind) => {
    const k = original(kind);
    return { ...k, [name]: (...a: number[]) => { k[name]!(...a); spoil(a); } } as Kernels;
  };
}

it("passes silently when the kernel agrees with the reference", () => {
  const store = new ParamStore();
  const w = store.param("w", randomArray(1001, rng(1)));
  const opt = new RMSprop([w], { centered: true, momentum: 0.9, verify: true });
  expect(opt.verify).toBe(true);
  for (let t = 0; t < 5; t++) {
    w.grad.set(randomArray(1001, rng(t)));
    opt.step();
  }
});

it("throws on the first difference, naming buffer and element, and undoes the step", () => {
  const store = new ParamStore();
  const w = store.param("w", randomArray(40, rng(2)));
  // A broken kernel: correct, except that it flips one bit of exp_avg[17].
  breakKernel(store, "adam_f32", (a) => { new Uint32Array(store.memory.buffer, a[1]! + 17 * 4, 1)[0]! ^= 1; });
  const opt = new Adam([w], { lr: 0.01, verify: true, backend: "simd" });
  w.grad.set(randomArray(40, rng(3)));
  const values = Float32Array.from(w.value);
  expect(() => opt.step()).toThrow(/verify: simd adam_f32 differs from the reference at exp_avg\[17\].*the step was undone/);
  expect(firstBitDifference(w.value, values)).toBe(-1);
  expect(opt.stateDict().state).toEqual({});
});

it("checks every pass of a step with global reductions (Prodigy): silent when they agree, the pass's buffer named when not", () => {
  const store = new ParamStore();
  const w = store.param("w", randomArray(1001, rng(4)));
  const opt = new Prodigy([w], { estimLr0: 0.01, verify: true, backend: "simd" });
  for (let t = 0; t < 4; t++) {
    w.grad.set(randomArray(1001, rng(10 + t)));
    opt.step();
  }
  // A broken pass 0: correct, except that it flips one bit of terms[5] (what the global Σg·(θ0 − θ) reads).
  let calls = 0;
  breakKernel(store, "prodigy_f32", (a) => {
    calls++;
    if ((a.at(-1)! & UPDATE) === 0) new Uint32Array(store.memory.buffer, a[5]! + 5 * 4, 1)[0]! ^= 1;
  });
  const broken = new Prodigy([w], { verify: true, backend: "simd" });
  w.grad.set(randomArray(1001, rng(20)));
  const values = Float32Array.from(w.value);
  expect(() => broken.step()).toThrow(/verify: simd prodigy_f32 differs from the reference at terms\[5\].*the step was undone/);
  expect(calls).toBe(1);
  expect(firstBitDifference(w.value, values)).toBe(-1);
});
