// Issue #14's core defects, each with the test that failed before the fix: option keys named like
// Object.prototype members, group misuse, bad state-dict steps, options that are arrays, configs of another
// class, and the ways to pass params. Every rejected call changes nothing.
import { describe, expect, it } from "vitest";
import { Adam, AdamW, ParamStore, SGD, type StateDict } from "../src/index.js";
import { expectSameState, firstBitDifference, randomArray, rng } from "./helpers.js";

function setup() {
  const store = new ParamStore();
  const w = store.param("w", randomArray(9, rng(1))), b = store.param("b", randomArray(4, rng(2)));
  const opt = new Adam([w, b], { lr: 0.1 });
  for (const p of [w, b]) p.grad.set(randomArray(p.length, rng(3)));
  opt.step();
  return { store, params: [w, b], opt };
}

function expectNothingChanged(s: ReturnType<typeof setup>, act: () => unknown, message: RegExp) {
  const values = s.params.map((p) => Float32Array.from(p.value)), state = s.opt.stateDict();
  expect(act).toThrow(message);
  s.params.forEach((p, i) => expect(firstBitDifference(p.value, values[i]!)).toBe(-1));
  expectSameState(s.opt.stateDict(), state);
}

describe("option keys named like Object.prototype members are unknown options", () => {
  const KEYS = ["toString", "constructor", "valueOf", "hasOwnProperty", "__proto__"];
  it.each(KEYS)("%s in options, in a group, in a loaded group", (key) => {
    const s = setup();
    const bad = JSON.parse(`{"${key}": 1}`) as Record<string, unknown>; // an own key, even for __proto__
    expect(() => new Adam(s.params, bad)).toThrow(new RegExp(`unknown option "${key}"`));
    expect(() => new Adam([{ params: s.params, ...bad }])).toThrow(new RegExp(`unknown option "${key}"`));
    const dict = s.opt.stateDict();
    Object.defineProperty(dict.paramGroups[0]!, key, { value: 1, enumerable: true, configurable: true, writable: true });
    expectNothingChanged(s, () => s.opt.loadStateDict(dict), new RegExp(`unknown option "${key}"`));
    expect(() => JSON.stringify(s.opt.getConfig())).not.toThrow();
    expect(() => structuredClone(s.opt.stateDict())).not.toThrow();
  });
});

describe("state-dict steps", () => {
  it.each([
    [null, /invalid step null/],
    ["3", /invalid step 3/],
    [1.5, /invalid step 1.5/],
    [-1, /invalid step -1/],
    [2 ** 53, /invalid step 9007199254740992/],
  ])("step %j is rejected, nothing changed", (step, message) => {
    const s = setup();
    const dict = s.opt.stateDict();
    (dict.state[0] as Record<string, unknown>).step = step;
    expectNothingChanged(s, () => s.opt.loadStateDict(dict), message);
  });

  it("a loaded step of MAX_SAFE_INTEGER - 1 steps once more, then refuses to step past what it can save", () => {
    const s = setup();
    const dict = s.opt.stateDict();
    for (const e of Object.values(dict.state)) e.step = Number.MAX_SAFE_INTEGER - 1;
    s.opt.loadStateDict(dict);
    s.opt.step();
    expect(s.opt.stateDict().state[0]!.step).toBe(Number.MAX_SAFE_INTEGER);
    s.opt.loadStateDict(s.opt.stateDict()); // what it saves, it loads
    expectNothingChanged(s, () => s.opt.step(), /has taken 9007199254740991 steps, the most a step count can hold/);
  });
});

describe("state dicts survive JSON", () => {
  it("JSON.parse(JSON.stringify(stateDict())) loads and resumes bit-exactly", () => {
    const a = setup(), b = setup();
    const saved = JSON.parse(JSON.stringify(a.opt.stateDict())) as StateDict;
    b.opt.loadStateDict(saved);
    for (const s of [a, b]) s.params.forEach((p) => p.grad.set(randomArray(p.length, rng(9))));
    a.opt.step();
    b.opt.step();
    a.params.forEach((p, i) => expect(firstBitDifference(p.value, b.params[i]!.value)).toBe(-1));
  });

  it("a NaN in a buffer does not survive JSON: a clear error pointing to checkpoints, nothing changed", () => {
    const s = setup();
    const dict = s.opt.stateDict();
    (dict.state[0]!.exp_avg as Float32Array)[2] = Number.NaN;
    const json = JSON.parse(JSON.stringify(dict)) as StateDict;
    expectNothingChanged(s, () => s.opt.loadStateDict(json), /exp_avg"\[2\] is null \(NaN and ±Infinity do not survive JSON/);
  });
});

describe("construction input", () => {
  it("options must be a plain object, not an array", () => {
    const w = new ParamStore().param("w", 2);
    expect(() => new Adam([w], [] as never)).toThrow(/options must be an object/);
  });

  it("accepts a ParamStore (all its params) or a single Param", () => {
    const store = new ParamStore();
    const w = store.param("w", 3), b = store.param("b", 2);
    expect(new Adam(store).paramGroups[0]!.params).toEqual([w, b]);
    expect(new SGD(w).paramGroups[0]!.params).toEqual([w]);
    expect(new SGD({ value: new Float32Array(2), grad: new Float32Array(2) }).paramGroups[0]!.params).toHaveLength(1);
  });

  it("says what to pass for something else, and for a group without params", () => {
    expect(() => new Adam(42 as never)).toThrow(/expected params \(an array of params or of param groups, a ParamStore, or one param\), got number/);
    expect(() => new Adam(null as never)).toThrow(/got null/);
    const w = new ParamStore().param("w", 2);
    expect(() => new Adam([{ lr: 0.1 } as never])).toThrow(/param group 0: missing "params"/);
    expect(() => new Adam([w, { params: [w] }] as never)).toThrow(/mix of params and param groups/);
  });

  it("a config says which class it is from; another class's config is rejected", () => {
    const w = new ParamStore().param("w", 2);
    const cfg = new AdamW([w], { weightDecay: 0.1 }).getConfig();
    expect(cfg.className).toBe("AdamW");
    expect(() => Adam.fromConfig([w], JSON.parse(JSON.stringify(cfg)))).toThrow(/the config is from "AdamW", not Adam \(use AdamW.fromConfig\)/);
    expect(AdamW.fromConfig([w], JSON.parse(JSON.stringify(cfg))).defaults).toMatchObject({ weightDecay: 0.1 });
  });

  it("betas may be a readonly tuple (as const)", () => {
    const w = new ParamStore().param("w", 2);
    const betas = [0.8, 0.9] as const;
    const opt = new Adam([w], { betas });
    expect(opt.defaults.betas).toEqual([0.8, 0.9]);
  });
});

it("a structural edit in a step that then fails is still planned at the next step (state allocated, exact)", () => {
  const run = (fail: boolean) => {
    const store = new ParamStore();
    const a = store.param("a", randomArray(5, rng(1))), b = store.param("b", randomArray(3, rng(2)));
    const opt = new SGD([{ params: [a] }, { params: [b] }], { lr: 0.1 });
    for (const p of [a, b]) p.grad.set(randomArray(p.length, rng(3)));
    opt.step();
    (opt.paramGroups[0] as { momentum: number }).momentum = 0.9; // structural: needs momentum_buffer
    if (fail) {
      (opt.paramGroups[1] as { lr: number }).lr = -1;
      expect(() => opt.step()).toThrow(/Invalid lr: -1/);
      (opt.paramGroups[1] as { lr: number }).lr = 0.1;
    }
    for (let t = 0; t < 3; t++) opt.step();
    return { values: [Float32Array.from(a.value), Float32Array.from(b.value)], state: opt.stateDict() };
  };
  const clean = run(false), recovered = run(true);
  clean.values.forEach((v, i) => expect(firstBitDifference(recovered.values[i]!, v)).toBe(-1));
  expectSameState(recovered.state, clean.state);
  expect(recovered.state.state[0]!.momentum_buffer).toBeInstanceOf(Float32Array);
});

describe("the scheduler fast path (the option edited alone last time is checked first)", () => {
  function sgd() {
    const store = new ParamStore();
    const w = store.param("w", randomArray(7, rng(4)));
    const opt = new SGD([w], { lr: 0.1, momentum: 0.9, nesterov: true });
    w.grad.set(randomArray(7, rng(5)));
    const group = opt.paramGroups[0] as unknown as { lr: number; momentum: number; nesterov: boolean };
    for (let t = 0; t < 3; t++) { group.lr = 0.1 / (t + 1); opt.step(); } // lr becomes the hot option
    return { store, params: [w], opt, group };
  }
  const same = (a: ReturnType<typeof sgd>, b: ReturnType<typeof sgd>) => {
    a.params.forEach((p, i) => expect(firstBitDifference(p.value, b.params[i]!.value)).toBe(-1));
    expectSameState(a.opt.stateDict(), b.opt.stateDict());
  };

  it("a bad lr is caught, changes nothing, and is caught again until fixed", () => {
    const s = sgd(), ref = sgd();
    s.group.lr = -1;
    expectNothingChanged(s as never, () => s.opt.step(), /Invalid lr: -1/);
    expectNothingChanged(s as never, () => s.opt.step(), /Invalid lr: -1/);
    s.group.lr = 0.05; ref.group.lr = 0.05;
    s.opt.step(); ref.opt.step();
    same(s, ref);
  });

  it("lr and another option edited together: the other is checked too (cross-option check)", () => {
    const s = sgd();
    s.group.lr = 0.07;
    s.group.momentum = 0; // nesterov needs momentum > 0
    expectNothingChanged(s as never, () => s.opt.step(), /Invalid nesterov: true/);
    s.group.momentum = 0.9;
    const ref = sgd();
    ref.group.lr = 0.07;
    s.opt.step(); ref.opt.step();
    same(s, ref);
  });

  it("the hot option alone failing the cross-option check restores it (no skipped validation next step)", () => {
    const s = sgd();
    const g = s.opt.paramGroups[0] as unknown as { momentum: number };
    for (let t = 0; t < 2; t++) { g.momentum = 0.8 + 0.01 * t; s.opt.step(); } // momentum becomes hot
    g.momentum = 0;
    expectNothingChanged(s as never, () => s.opt.step(), /Invalid nesterov: true/);
    expectNothingChanged(s as never, () => s.opt.step(), /Invalid nesterov: true/);
  });
});
