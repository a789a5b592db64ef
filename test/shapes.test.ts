// Params carry a tensor shape (store params and foreign ones); bad shapes get a clear error and change nothing.
import { expect, it } from "vitest";
import { Adam, ParamStore } from "../src/index.js";

it("store.param(name, init, { shape }) keeps the shape; default [length]", () => {
  const store = new ParamStore();
  const w = store.param("w", 6, { shape: [2, 3] });
  const b = store.param("b", 3);
  expect(w.shape).toEqual([2, 3]);
  expect(b.shape).toEqual([3]);
  expect(Object.isFrozen(w.shape)).toBe(true);
});

it.each([
  [{ shape: [2, 2] }, RangeError, /shape \[2, 2\] has 4 elements, the param has 6/],
  [{ shape: [] }, TypeError, /invalid shape \[\]/],
  [{ shape: [2, 1.5] }, TypeError, /invalid shape/],
  [{ shape: [-2, -3] }, TypeError, /invalid shape/],
  [{ shape: "2x3" }, TypeError, /invalid shape "2x3"/],
  [{ shap: [2, 3] }, TypeError, /unknown option "shap"/],
  [null, TypeError, /options must be an object/],
])("a bad shape option %j: clear error, nothing allocated", (options, type, message) => {
  const store = new ParamStore();
  store.param("a", 4);
  const used = store.bytesUsed;
  expect(() => store.param("w", 6, options as never)).toThrow(message);
  expect(() => store.param("w", 6, options as never)).toThrow(type);
  expect(store.bytesUsed).toBe(used);
  expect(store.params.map((p) => p.name)).toEqual(["a"]);
  expect(store.get("w")).toBeUndefined();
});

it("foreign params may carry a shape, checked at construction", () => {
  const value = new Float32Array(6), grad = new Float32Array(6);
  expect(() => new Adam([{ value, grad, shape: [2, 3] }])).not.toThrow();
  expect(() => new Adam([{ value, grad, shape: [4, 2] }])).toThrow(/params\[0\]: shape \[4, 2\] has 8 elements, the param has 6/);
});
