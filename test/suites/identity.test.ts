// Identity tests between optimizers (Optax style): configurations that must produce bit-identical
// trajectories because the math is the same.
import { expect, it } from "vitest";
import { Adam, AdamW, ParamStore, RMSprop, SGD } from "../../src/index.js";
import { firstBitDifference, type OptimizerClass, paramShape, randomArray, rng } from "../helpers.js";
import { classOf, REGISTRY } from "../registry.js";

/** 15 seeded steps on a 257-float param; `growing` scales step t's gradient by 2^t (|g| never shrinks). */
function run(cls: OptimizerClass, options: Record<string, unknown>, growing = false): Float32Array {
  const rand = rng(99);
  const store = new ParamStore();
  const w = store.param("w", randomArray(257, rand, 1, 0), paramShape(cls, 257));
  const opt = new cls([w], options);
  const base = randomArray(257, rand, 1, 0);
  for (let t = 0; t < 15; t++) {
    w.grad.set(growing ? base.map((x) => x * 2 ** t) : randomArray(257, rand, 1, 0.1));
    opt.step();
  }
  return Float32Array.from(w.value);
}

/** Every registry optimizer's identities (test/optim/<id>.cases.ts). */
const IDENTITIES = REGISTRY.flatMap((e) => e.cases.identities ?? []);

it.each(IDENTITIES)("$desc", ({ a, b, growing }) => {
  expect(firstBitDifference(run(classOf(a[0]), a[1], growing), run(classOf(b[0]), b[1], growing))).toBe(-1);
});

it("identities are not vacuous: different optimizers do differ", () => {
  expect(firstBitDifference(run(AdamW, { lr: 0.01, weightDecay: 0.1 }), run(Adam, { lr: 0.01 }))).not.toBe(-1);
  expect(firstBitDifference(run(SGD, { lr: 0.1, momentum: 0.9 }), run(SGD, { lr: 0.1 }))).not.toBe(-1);
  expect(firstBitDifference(run(Adam, { lr: 0.01, amsgrad: true, betas: [0.9, 0.5] }), run(Adam, { lr: 0.01, betas: [0.9, 0.5] }))).not.toBe(-1);
});

it("maximize equals minimizing the negated gradient", () => {
  const rand = rng(5);
  const store = new ParamStore();
  const a = store.param("a", randomArray(33, rand)), b = store.param("b", Float32Array.from(a.value));
  const optA = new Adam([a], { lr: 0.01, maximize: true }), optB = new Adam([b], { lr: 0.01 });
  for (let t = 0; t < 10; t++) {
    const g = randomArray(33, rand);
    a.grad.set(g);
    b.grad.set(g.map((x) => -x));
    optA.step();
    optB.step();
  }
  expect(firstBitDifference(a.value, b.value)).toBe(-1);
});
