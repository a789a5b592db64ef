// verify mode: every step re-run on the pure-TS reference over copies; the first bit difference throws
// and the step is undone.
import { expect, it } from "vitest";
import { Adam, ParamStore, RMSprop } from "../src/index.js";
import type { Kernels } from "../src/abi/index.js";
import { firstBitDifference, randomArray, rng } from "./helpers.js";

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
  const original = store.kernels.bind(store);
  store.kernels = (kind) => {
    const k = original(kind);
    return {
      ...k,
      adam_f32: (...a: number[]) => {
        k.adam_f32!(...a);
        const bits = new Uint32Array(store.memory.buffer, a[1]! + 17 * 4, 1);
        bits[0]! ^= 1;
      },
    } as Kernels;
  };
  const opt = new Adam([w], { lr: 0.01, verify: true, backend: "simd" });
  w.grad.set(randomArray(40, rng(3)));
  const values = Float32Array.from(w.value);
  expect(() => opt.step()).toThrow(/verify: simd adam_f32 differs from the reference at exp_avg\[17\].*the step was undone/);
  expect(firstBitDifference(w.value, values)).toBe(-1);
  expect(opt.stateDict().state).toEqual({});
});
