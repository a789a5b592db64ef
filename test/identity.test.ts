// Identity tests between optimizers (Optax style): configurations that must produce bit-identical
// trajectories because the math is the same.
import { expect, it } from "vitest";
import { Adam, AdamW, ParamStore, RMSprop, SGD } from "../src/index.js";
import { firstBitDifference, type OptimizerClass, randomArray, rng } from "./helpers.js";

/** 15 seeded steps on a 257-float param; `growing` scales step t's gradient by 2^t (|g| never shrinks). */
function run(cls: OptimizerClass, options: Record<string, unknown>, growing = false): Float32Array {
  const rand = rng(99);
  const store = new ParamStore();
  const w = store.param("w", randomArray(257, rand, 1, 0));
  const opt = new cls([w], options);
  const base = randomArray(257, rand, 1, 0);
  for (let t = 0; t < 15; t++) {
    w.grad.set(growing ? base.map((x) => x * 2 ** t) : randomArray(257, rand, 1, 0.1));
    opt.step();
  }
  return Float32Array.from(w.value);
}

const IDENTITIES: Array<{ desc: string; a: [OptimizerClass, Record<string, unknown>, boolean?]; b: [OptimizerClass, Record<string, unknown>, boolean?] }> = [
  { desc: "AdamW with weightDecay 0 == Adam", a: [AdamW, { lr: 0.01, weightDecay: 0 }], b: [Adam, { lr: 0.01 }] },
  { desc: "Adam decoupledWeightDecay == AdamW", a: [Adam, { lr: 0.01, weightDecay: 0.1, decoupledWeightDecay: true }], b: [AdamW, { lr: 0.01, weightDecay: 0.1 }] },
  { desc: "Adam weightDecay 0: decoupled flag is irrelevant", a: [Adam, { lr: 0.01, decoupledWeightDecay: true }], b: [Adam, { lr: 0.01 }] },
  { desc: "Adam amsgrad == Adam while the raw v never decreases (|g| doubling each step)", a: [Adam, { lr: 0.01, amsgrad: true }, true], b: [Adam, { lr: 0.01 }, true] },
  { desc: "SGD momentum 0 ignores dampening", a: [SGD, { lr: 0.1, momentum: 0, dampening: 0.5 }], b: [SGD, { lr: 0.1 }] },
  { desc: "RMSprop momentum 0 == RMSprop", a: [RMSprop, { lr: 0.01, momentum: 0 }], b: [RMSprop, { lr: 0.01 }] },
];

it.each(IDENTITIES)("$desc", ({ a, b }) => {
  expect(firstBitDifference(run(...a), run(...b))).toBe(-1);
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
