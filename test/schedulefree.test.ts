// Schedule-free eval()/train(): the params switch between y (where gradients are taken) and x (where the model
// is evaluated) in place, from the state `z`. What eval() gives is checked against Optax's
// schedule_free_eval_params in the conformance suite; these tests pin the mode switching itself.
import { expect, it } from "vitest";
import { ParamStore, ScheduleFreeAdamW, ScheduleFreeSGD } from "../src/index.js";
import { firstBitDifference, randomArray, rng } from "./helpers.js";

function trained(steps: number) {
  const rand = rng(7);
  const store = new ParamStore();
  const w = store.param("w", randomArray(37, rand, 1, 0));
  const opt = new ScheduleFreeAdamW([w], { lr: 0.05, warmupSteps: 2 });
  for (let t = 0; t < steps; t++) {
    w.grad.set(randomArray(37, rand, 1, 0.1));
    opt.step();
  }
  return { w, opt };
}

it("eval() before any step leaves the params alone (z = y, so x = y)", () => {
  const { w, opt } = trained(0);
  const y = Float32Array.from(w.value);
  opt.eval();
  expect(opt.training).toBe(false);
  expect(firstBitDifference(w.value, y)).toBe(-1);
});

it("eval() gives x = (y − (1 − β1)·z)/β1 and train() gives y back (within one f32 rounding per element)", () => {
  const { w, opt } = trained(6);
  const y = Float32Array.from(w.value);
  const z = opt.stateDict().state[0]!.z as Float32Array;
  opt.eval();
  const b1 = Math.fround(0.9), c = Math.fround(1 - b1);
  for (let i = 0; i < y.length; i++) expect(w.value[i]).toBe(Math.fround(Math.fround(y[i]! - Math.fround(c * z[i]!)) / b1));
  expect(firstBitDifference(w.value, y)).not.toBe(-1);
  opt.eval(); // already in eval mode: no-op
  opt.train();
  expect(opt.training).toBe(true);
  for (let i = 0; i < y.length; i++) expect(Math.abs(w.value[i]! - y[i]!)).toBeLessThanOrEqual(4 * 2 ** -24 * Math.max(Math.abs(y[i]!), Math.abs(z[i]!)));
  const again = Float32Array.from(w.value);
  opt.train(); // already in train mode: no-op
  expect(firstBitDifference(w.value, again)).toBe(-1);
});

it.each([
  ["ScheduleFreeAdamW", () => trained(3)],
  ["ScheduleFreeSGD", () => {
    const store = new ParamStore();
    const w = store.param("w", randomArray(9, rng(3), 1, 0));
    const opt = new ScheduleFreeSGD([w], { lr: 0.1 });
    for (let t = 0; t < 3; t++) { w.grad.set(randomArray(9, rng(t), 1, 0)); opt.step(); }
    return { w, opt };
  }],
] as const)("%s: step() in eval mode throws and changes nothing", (name, make) => {
  const { w, opt } = make();
  opt.eval();
  const x = Float32Array.from(w.value), state = opt.stateDict();
  w.grad.fill(0.5);
  expect(() => opt.step()).toThrow(new RegExp(`^${name}: step\\(\\) in eval mode \\(the params hold x; call train\\(\\) first\\)$`));
  expect(firstBitDifference(w.value, x)).toBe(-1);
  expect(opt.stateDict().state[0]!.step).toBe(state.state[0]!.step);
  opt.train();
  opt.step();
  expect(opt.stateDict().state[0]!.step).toBe(4);
});

// The mode is state (test/suites/persistence.test.ts resumes both optimizers saved in eval mode, and loaded by one in
// eval mode, through every path); these pin the dict's field and its errors.
it.each([
  ["ScheduleFreeAdamW", ScheduleFreeAdamW],
  ["ScheduleFreeSGD", ScheduleFreeSGD],
] as const)("%s: stateDict() saves the mode as `training`, loadStateDict() restores it", (_name, cls) => {
  const store = new ParamStore();
  const w = store.param("w", randomArray(9, rng(3), 1, 0));
  const opt = new cls([w], { lr: 0.1 });
  for (let t = 0; t < 3; t++) { w.grad.set(randomArray(9, rng(t), 1, 0)); opt.step(); }
  expect(opt.stateDict().training).toBe(true);
  opt.eval();
  const inEval = opt.stateDict();
  expect(inEval.training).toBe(false);
  opt.train();
  opt.loadStateDict(inEval);
  expect(opt.training).toBe(false); // the params restored with this dict hold x
  const { training: _t, ...older } = inEval; // a dict saved before the mode was state: train mode, as it was loaded then
  opt.loadStateDict(older);
  expect(opt.training).toBe(true);
});

it.each([["no", /invalid training "no"/], [0, /invalid training 0/], [null, /invalid training null/]] as const)(
  "ScheduleFreeAdamW.loadStateDict with training %o: a clear error, nothing changed", (training, message) => {
    const { w, opt } = trained(3);
    const dict = { ...opt.stateDict(), training: training as never };
    opt.eval();
    const x = Float32Array.from(w.value), state = opt.stateDict();
    expect(() => opt.loadStateDict(dict)).toThrow(new RegExp(`^ScheduleFreeAdamW.loadStateDict: ${message.source} \\(expected a boolean: whether the dict was saved in train mode\\)$`));
    expect(opt.training).toBe(false);
    expect(firstBitDifference(w.value, x)).toBe(-1);
    expect(opt.stateDict()).toEqual(state);
  });
