// stateDict / loadStateDict: resume equivalence (bit-exact), PyTorch names, structured cloning, and every
// way a dict can fail to fit — each throws a clear error and changes nothing.
import { describe, expect, it } from "vitest";
import { Adagrad, Adam, AdamW, ParamStore, RMSprop, SGD, type StateDict } from "../../src/index.js";
import { CONFIGS, expectSameState, firstBitDifference, type OptimizerClass, paramShape, randomArray, rng } from "../helpers.js";

const N = 10, K = 4;

function setup(cls: OptimizerClass, options: Record<string, unknown>, lengths = [5, 64, 3]) {
  const store = new ParamStore();
  const params = lengths.map((n, i) => store.param(`p${i}`, randomArray(n, rng(i + 1), 1, 0), paramShape(cls, n)));
  const opt = new cls([{ params: params.slice(0, 1) }, { params: params.slice(1) }], options);
  return { store, params, opt };
}

function grads(t: number, params: { length: number; grad: Float32Array }[]) {
  const rand = rng(1000 + t);
  for (const p of params) p.grad.set(randomArray(p.length, rand));
}

describe.each(CONFIGS)("$name resume", ({ cls, configs }) => {
  it.each(configs)("$desc: N steps == K steps, save, load into a fresh optimizer, N-K steps (bit-exact)", ({ options }) => {
    const a = setup(cls, options);
    for (let t = 0; t < N; t++) { grads(t, a.params); a.opt.step(); }

    const b = setup(cls, options);
    for (let t = 0; t < K; t++) { grads(t, b.params); b.opt.step(); }
    const saved = structuredClone(b.opt.stateDict());
    const values = b.params.map((p) => Float32Array.from(p.value));
    const c = setup(cls, options);
    c.params.forEach((p, i) => p.value.set(values[i]!));
    c.opt.loadStateDict(saved);
    for (let t = K; t < N; t++) { grads(t, c.params); c.opt.step(); }

    a.params.forEach((p, i) => expect(firstBitDifference(c.params[i]!.value, p.value), `param ${i}`).toBe(-1));
    expect(c.opt.stateDict()).toEqual(a.opt.stateDict());
  });
});

describe.each(CONFIGS)("$name getConfig / fromConfig", ({ cls, configs }) => {
  it.each(configs)("$desc: fromConfig(JSON of getConfig()) steps bit-identically", ({ options }) => {
    const a = setup(cls, options);
    const config = a.opt.getConfig() as Record<string, unknown>;
    const store = new ParamStore();
    const params = a.params.map((p, i) => store.param(`q${i}`, p.value, paramShape(cls, p.length)));
    const b = cls.fromConfig(params, JSON.parse(JSON.stringify(config)));
    expect(b).toBeInstanceOf(cls);
    expect(b.getConfig()).toEqual(config);
    for (const key of Object.keys(config)) {
      if (Array.isArray(config[key])) (config[key] as number[])[0] = 0.123; // a copy: editing it changes nothing
    }
    expect(b.getConfig()).toEqual(a.opt.getConfig());
    for (let t = 0; t < N; t++) {
      grads(t, a.params);
      grads(t, params);
      a.opt.step();
      b.step();
    }
    a.params.forEach((p, i) => expect(firstBitDifference(params[i]!.value, p.value), `param ${i}`).toBe(-1));
  });

  it("fromConfig validates like the constructor", () => {
    const store = new ParamStore();
    expect(() => cls.fromConfig([store.param("w", 2, paramShape(cls, 2))], { lr: -1 })).toThrow(/Invalid lr: -1/);
    expect(() => cls.fromConfig([store.param("v", 2, paramShape(cls, 2))], { lr: 0.1, bogus: 1 })).toThrow(TypeError);
  });
});

describe("state names and layout", () => {
  const cases: Array<[OptimizerClass, Record<string, unknown>, string[]]> = [
    [SGD, { momentum: 0.9 }, ["momentum_buffer"]],
    [Adam, {}, ["exp_avg", "exp_avg_sq", "step"]],
    [Adam, { amsgrad: true }, ["exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"]],
    [AdamW, {}, ["exp_avg", "exp_avg_sq", "step"]],
    [Adagrad, {}, ["step", "sum"]],
    [RMSprop, { momentum: 0.9, centered: true }, ["grad_avg", "momentum_buffer", "square_avg", "step"]],
  ];
  it.each(cases)("%o %o has PyTorch's state keys", (cls, options, keys) => {
    const { params, opt } = setup(cls, options);
    grads(0, params);
    opt.step();
    const d = opt.stateDict();
    expect(Object.keys(d.state).map(Number)).toEqual([0, 1, 2]);
    for (const entry of Object.values(d.state)) expect(Object.keys(entry).sort()).toEqual(keys);
    expect(d.paramGroups.map((g) => g.params)).toEqual([[0], [1, 2]]);
    expect(d.state[1]!.step ?? 1).toBe(1);
  });

  it("has no state before the first step, except Adagrad's eager state (as PyTorch)", () => {
    expect(setup(Adam, {}).opt.stateDict().state).toEqual({});
    const s = setup(Adagrad, { initialAccumulatorValue: 0.5 }).opt.stateDict().state;
    expect(s[0]!.step).toBe(0);
    expect(Array.from(s[0]!.sum as Float32Array)).toEqual([0.5, 0.5, 0.5, 0.5, 0.5]);
  });

  it("loads group options, as PyTorch does", () => {
    const a = setup(Adam, { lr: 0.5 });
    const b = setup(Adam, { lr: 0.01 });
    b.opt.loadStateDict(a.opt.stateDict());
    expect(b.opt.paramGroups.map((g) => g.lr)).toEqual([0.5, 0.5]);
  });

  it("loading a fresh dict resets state that training had built", () => {
    const fresh = setup(SGD, { lr: 0.1, momentum: 0.9 });
    const trained = setup(SGD, { lr: 0.1, momentum: 0.9 });
    const saved = fresh.opt.stateDict();
    for (let t = 0; t < 3; t++) { grads(t, trained.params); trained.opt.step(); }
    trained.opt.loadStateDict(saved);
    fresh.params.forEach((p, i) => trained.params[i]!.value.set(p.value));
    for (const o of [fresh, trained]) { grads(7, o.params); o.opt.step(); }
    fresh.params.forEach((p, i) => expect(firstBitDifference(trained.params[i]!.value, p.value)).toBe(-1));
  });
});

it("a dict saved before an option existed loads with that option's default (PyTorch's setdefault)", () => {
  const { params, opt } = setup(Adam, { lr: 0.01, eps: 1e-3 });
  for (let t = 0; t < 2; t++) { grads(t, params); opt.step(); }
  const old = opt.stateDict();
  delete old.paramGroups[0]!.eps; // as if eps were a newer option
  old.paramGroups[1]!.lr = 0.5;
  opt.loadStateDict(old);
  expect(opt.paramGroups[0]).toMatchObject({ eps: 1e-3, lr: 0.01 }); // the optimizer's default (its constructor's eps)
  expect(opt.paramGroups[1]).toMatchObject({ lr: 0.5 });
});

describe("a dict that does not fit throws and changes nothing", () => {
  const corrupt: Array<{ desc: string; edit: (d: StateDict) => unknown; error: RegExp }> = [
    { desc: "not an object", edit: () => null, error: /expected a state dict object/ },
    { desc: "unknown format", edit: (d) => ({ ...d, format: 99 }), error: /unsupported format 99/ },
    { desc: "another optimizer class", edit: (d) => ({ ...d, optimizer: "SGD" }), error: /from SGD, not Adam/ },
    { desc: "another group count", edit: (d) => ({ ...d, paramGroups: d.paramGroups.slice(1) }), error: /1 param groups, this optimizer has 2/ },
    { desc: "another param count", edit: (d) => { d.paramGroups[1]!.params.pop(); return d; }, error: /group 1 has 1 params, this optimizer has 2/ },
    { desc: "another buffer length", edit: (d) => { d.state[1]!.exp_avg = new Float32Array(7); return d; }, error: /"exp_avg" has length 7, the param has 64/ },
    { desc: "a missing buffer", edit: (d) => { delete d.state[2]!.exp_avg_sq; return d; }, error: /param 2 is missing "exp_avg_sq"/ },
    { desc: "a missing step", edit: (d) => { delete d.state[0]!.step; return d; }, error: /param 0 is missing "step"/ },
    { desc: "a negative step", edit: (d) => { d.state[0]!.step = -1; return d; }, error: /invalid step -1/ },
    { desc: "an unknown state key", edit: (d) => { d.state[0]!.momentum = new Float32Array(5); return d; }, error: /unknown key "momentum"/ },
    { desc: "a buffer of the wrong type", edit: (d) => { d.state[0]!.exp_avg = "x" as never; return d; }, error: /"exp_avg" must be a Float32Array/ },
    { desc: "an invalid group option", edit: (d) => { d.paramGroups[0]!.betas = [1.5, 0.9]; return d; }, error: /Invalid beta1: 1.5/ },
    { desc: "state for an unknown param", edit: (d) => { d.state[9] = { ...d.state[0]! }; return d; }, error: /unknown param ids 9/ },
    { desc: "repeated param ids", edit: (d) => { d.paramGroups[1]!.params = [0, 0]; return d; }, error: /repeated param id 0/ },
    { desc: "a negative param id", edit: (d) => { d.paramGroups[0]!.params = [-1]; return d; }, error: /invalid or repeated param id -1/ },
    ...["00", "1.0", " 1", "+1", "1e0"].map((id) => ({
      desc: `a state id ${JSON.stringify(id)}`,
      edit: (d: StateDict) => { (d.state as Record<string, unknown>)[id] = d.state[1]; delete d.state[1]; return d; },
      error: new RegExp(`^Adam.loadStateDict: state has an invalid param id ${JSON.stringify(id).replace(/[.+]/g, "\\$&")} \\(expected 0, 1, 2, ... as stateDict\\(\\) writes them\\)$`),
    })),
    { desc: 'a state id "00" beside "0"', edit: (d) => { (d.state as Record<string, unknown>)["00"] = { step: 1 }; return d; }, error: /invalid param id "00"/ },
  ];
  it.each(corrupt)("$desc", ({ edit, error }) => {
    const { params, opt } = setup(Adam, { lr: 0.01 });
    for (let t = 0; t < 2; t++) { grads(t, params); opt.step(); }
    const before = opt.stateDict();
    const values = params.map((p) => Float32Array.from(p.value));
    expect(() => opt.loadStateDict(edit(structuredClone(before)) as StateDict)).toThrow(error);
    expect(opt.stateDict()).toEqual(before);
    params.forEach((p, i) => expect(firstBitDifference(p.value, values[i]!)).toBe(-1));
  });
});

describe("int8 block maxima and load options: clear errors, nothing changed", () => {
  const cases: Array<{ desc: string; edit: (d: StateDict) => void; options?: unknown; error: RegExp }> = [
    { desc: "a negative absmax", edit: (d) => { (d.state[1]!.exp_avg_absmax as Float32Array)[0] = -0.5; }, error: /^Adam.loadStateDict: state of param 1: "exp_avg_absmax"\[0\] is -0.5 \(a block maximum is finite and >= 0, or NaN\)$/ },
    { desc: "an infinite absmax", edit: (d) => { (d.state[2]!.exp_avg_sq_absmax as Float32Array)[0] = Infinity; }, error: /"exp_avg_sq_absmax"\[0\] is Infinity/ },
    { desc: "a -Infinity absmax", edit: (d) => { (d.state[0]!.exp_avg_absmax as Float32Array)[0] = -Infinity; }, error: /"exp_avg_absmax"\[0\] is -Infinity/ },
    { desc: "an unknown load option", edit: () => {}, options: { stateDtyp: "bf16" }, error: /^Adam.loadStateDict: unknown option "stateDtyp", did you mean "stateDtype"\? \(expected one of stateDtype\)$/ },
    { desc: "load options that are not an object", edit: () => {}, options: "bf16", error: /^Adam.loadStateDict: options must be an object$/ },
  ];
  it.each(cases)("$desc", ({ edit, options, error }) => {
    const { params, opt } = setup(Adam, { lr: 0.01, stateDtype: "int8" });
    for (let t = 0; t < 2; t++) { grads(t, params); opt.step(); }
    const before = opt.stateDict(), values = params.map((p) => Float32Array.from(p.value));
    const dict = structuredClone(before);
    edit(dict);
    expect(() => opt.loadStateDict(dict, options as never)).toThrow(error);
    expectSameState(opt.stateDict(), before);
    params.forEach((p, i) => expect(firstBitDifference(p.value, values[i]!)).toBe(-1));
  });

  it("a NaN absmax (a block that held a non-finite value) loads", () => {
    const { params, opt } = setup(Adam, { lr: 0.01, stateDtype: "int8" });
    grads(0, params);
    params[1]!.grad[7] = Number.NaN;
    opt.step();
    const dict = opt.stateDict();
    expect(Number.isNaN((dict.state[1]!.exp_avg_absmax as Float32Array)[0])).toBe(true);
    opt.loadStateDict(structuredClone(dict));
    expectSameState(opt.stateDict(), dict);
  });
});
