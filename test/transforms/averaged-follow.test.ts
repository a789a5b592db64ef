// AveragedParams with { optimizer }: the averages follow every step that changes the params, with the bits of
// update() called after each step (EMA in both lerp forms and SWA, store and foreign params, every backend);
// skipped steps do not count; a step while the averages are swapped in throws and changes nothing.
import { describe, expect, it } from "vitest";
import { Adam, AveragedParams, ParamStore, SGD } from "../../src/index.js";
import { expectSameState, firstBitDifference, randomArray, rng } from "../helpers.js";

const BACKENDS = ["simd", "scalar", "js"] as const;
const LENGTHS = [1, 7, 33, 100];
const STEPS = 6;

function model(seed: number) {
  const rand = rng(seed);
  const store = new ParamStore();
  const params = [
    ...LENGTHS.map((n, i) => store.param(`p${i}`, randomArray(n, rand, 1, 0))),
    { value: randomArray(9, rand, 1, 0), grad: new Float32Array(9) }, // foreign
  ];
  const grads = Array.from({ length: STEPS }, () => params.map((p) => randomArray(p.value.length, rand, 1, 0.1)));
  return { store, params, grads };
}

const KINDS = [["EMA decay 0.999", { decay: 0.999 }], ["EMA decay 0.25 (lerp's other form)", { decay: 0.25 }], ["SWA", {}]] as const;

describe.each(BACKENDS)("%s backend", (backend) => {
  it.each(KINDS)("%s: following the optimizer == update() after each step, bit for bit", (_k, kind) => {
    const a = model(1), b = model(1);
    const optA = new Adam(a.params, { lr: 0.05, backend }), optB = new Adam(b.params, { lr: 0.05, backend });
    const follow = new AveragedParams(a.params, { ...kind, backend, optimizer: optA });
    const manual = new AveragedParams(b.params, { ...kind, backend });
    expect(follow.following).toBe(true);
    for (let t = 0; t < STEPS; t++) {
      a.params.forEach((p, i) => p.grad.set(a.grads[t]![i]!));
      b.params.forEach((p, i) => p.grad.set(b.grads[t]![i]!));
      optA.step();
      optB.step();
      manual.update();
      expect(follow.nAveraged).toBe(t + 1);
      follow.averages.forEach((x, i) => expect(firstBitDifference(x, manual.averages[i]!), `step ${t} average ${i}`).toBe(-1));
    }
    expect(follow.averages.some((x, i) => firstBitDifference(x, a.params[i]!.value) !== -1), "the averages are not the params").toBe(true);
  });
});

it("skipped steps (skipNonFinite) do not update; update() only after the steps that ran gives the same bits", () => {
  const a = model(2), b = model(2);
  const optA = new SGD(a.params, { lr: 0.1, momentum: 0.9, skipNonFinite: true });
  const optB = new SGD(b.params, { lr: 0.1, momentum: 0.9, skipNonFinite: true });
  const follow = new AveragedParams(a.params, { decay: 0.9, optimizer: optA }), manual = new AveragedParams(b.params, { decay: 0.9 });
  for (let t = 0; t < STEPS; t++) {
    for (const m of [a, b]) {
      m.params.forEach((p, i) => p.grad.set(m.grads[t]![i]!));
      if (t % 3 === 1) m.params[2]!.grad[5] = Number.NaN;
    }
    optA.step();
    const skipped = optB.skippedSteps;
    optB.step();
    if (optB.skippedSteps === skipped) manual.update();
  }
  expect(optA.skippedSteps).toBe(2);
  expect(follow.nAveraged).toBe(STEPS - 2);
  follow.averages.forEach((x, i) => expect(firstBitDifference(x, manual.averages[i]!)).toBe(-1));
});

it("a step while the averages are swapped in throws and changes nothing; after swapping back it steps and updates", () => {
  const { params, grads } = model(3);
  const opt = new Adam(params, { lr: 0.05 });
  const ema = new AveragedParams(params, { decay: 0.5, optimizer: opt });
  params.forEach((p, i) => p.grad.set(grads[0]![i]!));
  opt.step();
  ema.swap();
  const values = params.map((p) => Float32Array.from(p.value)), state = opt.stateDict(), averages = ema.averages.map((x) => x.slice());
  expect(() => opt.step()).toThrow(/the params hold the averages \(swapped\)/);
  params.forEach((p, i) => expect(firstBitDifference(p.value, values[i]!)).toBe(-1));
  expectSameState(opt.stateDict(), state);
  ema.averages.forEach((x, i) => expect(firstBitDifference(x, averages[i]!)).toBe(-1));
  expect(ema.nAveraged).toBe(1);
  ema.swap();
  opt.step();
  expect(ema.nAveraged).toBe(2);
});

it("a step that throws for another reason does not update; detach() stops following", () => {
  const { params, grads } = model(4);
  const opt = new Adam(params, { lr: 0.05 });
  const ema = new AveragedParams(params, { decay: 0.5, optimizer: opt });
  params.forEach((p, i) => p.grad.set(grads[0]![i]!));
  expect(() => opt.step({ gradScale: Number.NaN })).toThrow(/invalid gradScale/);
  expect(ema.nAveraged).toBe(0);
  opt.step();
  expect(ema.nAveraged).toBe(1);
  ema.detach();
  expect(ema.following).toBe(false);
  opt.step();
  expect(ema.nAveraged).toBe(1);
  ema.update();
  expect(ema.nAveraged).toBe(2);
});

describe("bad optimizer option: a clear error, nothing allocated", () => {
  it.each([
    ["not an optimizer", () => ({ lr: 0.1 }), /optimizer must be a gradstep optimizer/],
    ["disposed", (ps: never[]) => { const o = new SGD(ps, { lr: 0.1 }); o.dispose(); return o; }, /the optimizer has been disposed/],
    ["not following these params", (ps: never[]) => new SGD(ps.slice(1), { lr: 0.1 }), /params\[0\] is not a param of the optimizer it follows/],
  ] as const)("%s", (_d, make, message) => {
    const { store, params } = model(5);
    const optimizer = make(params as never[]);
    const used = store.bytesUsed;
    expect(() => new AveragedParams(params, { decay: 0.9, optimizer: optimizer as never })).toThrow(message);
    expect(store.bytesUsed).toBe(used);
  });
});
