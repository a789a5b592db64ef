// Bad input gets a clear error and changes nothing. Table-driven: one table of invalid options per
// optimizer (checked at construction, and at the next step() after a group was edited to that value),
// then the parameter-level errors.
import { describe, expect, it } from "vitest";
import { Adagrad, Adam, init, ParamStore, SGD } from "../../src/index.js";
import { GroupRecord, ownArrays } from "../../src/core/option-table.js";
import { REGISTRY } from "../registry.js";
import { sharedErrors } from "../optim/types.js";
import { firstBitDifference, locatedError, type OptimizerClass, paramShape, randomArray, rng } from "../helpers.js";

/** Every registry optimizer's invalid options: those of its shared rules, then its own (test/optim/<id>.cases.ts). */
const TABLE = REGISTRY.map((e) => ({ name: e.name, cls: e.cls, spec: e.spec, cases: [...sharedErrors(e.spec), ...e.cases.errors ?? []] }));

function setup(cls: OptimizerClass, options: Record<string, unknown> = {}) {
  const store = new ParamStore();
  const w = store.param("w", randomArray(9, rng(3)), paramShape(cls, 9));
  const b = store.param("b", randomArray(4, rng(4)), paramShape(cls, 4));
  const opt = new cls([w, b], { lr: 0.1, ...options });
  for (const p of [w, b]) p.grad.set(randomArray(p.length, rng(5)));
  opt.step();
  return { store, params: [w, b], opt };
}

/** Runs `act`, expects it to throw `error`, and checks that no param value and no state changed. */
function expectUnchanged(s: ReturnType<typeof setup>, act: () => void, error: RegExp, type: ErrorConstructor = Error) {
  const state = s.opt.stateDict();
  const values = s.params.map((p) => Float32Array.from(p.value));
  expect(act).toThrow(error);
  try { act(); } catch (e) { expect(e).toBeInstanceOf(type); }
  s.params.forEach((p, i) => expect(firstBitDifference(p.value, values[i]!)).toBe(-1));
  expect(s.opt.stateDict()).toEqual(state);
}

// Each message names the optimizer, and the group when the value is a group's (a default is every group's).
describe.each(TABLE)("$name invalid options", ({ name, cls, cases }) => {
  it.each(cases)("$options at construction", ({ options, error, type = RangeError }) => {
    const store = new ParamStore();
    const w = store.param("w", 3, paramShape(cls, 3)), b = store.param("b", 3, paramShape(cls, 3));
    expect(() => new cls([w], options)).toThrow(locatedError(name, error));
    expect(() => new cls([w], options)).toThrow(type);
    expect(() => new cls([{ params: [w], ...options }])).toThrow(locatedError(`${name}: param group 0`, error));
    expect(() => new cls([{ params: [w] }, { params: [b], ...options }])).toThrow(locatedError(`${name}: param group 1`, error));
    const opt = new cls([w]);
    expect(() => opt.addParamGroup({ params: [b], ...options })).toThrow(locatedError(`${name}: param group 1`, error));
    expect(opt.paramGroups).toHaveLength(1);
  });
  it.each(cases)("$options set on a group: next step() throws and changes nothing", ({ options, error, type = RangeError }) => {
    const s = setup(cls);
    Object.assign(s.opt.paramGroups[0]!, options);
    expectUnchanged(s, () => s.opt.step(), locatedError(`${name}: param group 0`, error), type);
  });
  it.each(cases)("$options in a loaded state dict: loadStateDict throws naming the group and changes nothing", ({ options, error, type = RangeError }) => {
    const s = setup(cls);
    const dict = s.opt.stateDict();
    Object.assign(dict.paramGroups[0]!, options);
    expectUnchanged(s, () => s.opt.loadStateDict(dict), locatedError(`${name}.loadStateDict: param group 0`, error), type);
  });
});

// step() skips validation while a group's options equal the last validated ones (OptimizerSpec.same, derived
// from the defaults by core/define-spec). It sees a change to every option, to each element of an array option
// and to its length, alone, on a copy of the defaults (the copy the step keeps is a GroupRecord with arrays of its own).
describe.each(TABLE)("$name: spec.same()", ({ spec }) => {
  const other = (v: unknown) => typeof v === "number" ? v + 1 : typeof v === "boolean" ? !v : typeof v === "string" ? `${v}'` : v === null ? 0 : {};
  it("sees a change to every option and none in an equal copy", () => {
    const copy = () => ownArrays(Object.assign(new GroupRecord(), spec.defaults)) as Record<string, unknown>;
    const edits = Object.entries(spec.defaults as object).flatMap(([k, v]: [string, unknown]) => !Array.isArray(v)
      ? [{ desc: k, edit: (o: Record<string, unknown>) => { o[k] = other(v); } }]
      : [...v.map((x, i) => ({ desc: `${k}[${i}]`, edit: (o: Record<string, unknown>) => { (o[k] as unknown[])[i] = other(x); } })),
        { desc: `${k}.length`, edit: (o: Record<string, unknown>) => { (o[k] as unknown[]).push(0.5); } }]);
    expect(edits.length).toBeGreaterThanOrEqual(Object.keys(spec.defaults as object).length);
    for (const { desc, edit } of edits) {
      const a = copy(), b = copy();
      expect(spec.same(a as never, b as never), desc).toBe(true);
      edit(b);
      expect([spec.same(a as never, b as never), spec.same(b as never, a as never)], desc).toEqual([false, false]);
    }
  });
});

// Every option, edited to a wrong type after steps ran, must still be caught by the next step().
describe.each(TABLE)("$name: step() sees an edit to every option", ({ name, cls }) => {
  const at = `${name}: param group 0: `;
  const keys = Object.keys(setup(cls).opt.defaults);
  it.each(keys)("%s", (key) => {
    const s = setup(cls);
    s.opt.step();
    (s.opt.paramGroups[0] as Record<string, unknown>)[key] = "bad";
    expectUnchanged(s, () => s.opt.step(), new RegExp(`^${at}Invalid ${key === "betas" ? "betas" : key}: "bad"`), TypeError);
  });
  if (keys.includes("betas")) {
    it("betas edited in place", () => {
      const s = setup(cls);
      const own = [...(s.opt.defaults as unknown as { betas: number[] }).betas]; // this class's default betas
      s.opt.step();
      const betas = (s.opt.paramGroups[0] as unknown as { betas: number[] }).betas;
      betas[1] = 1.5;
      expectUnchanged(s, () => s.opt.step(), new RegExp(`^${at}Invalid beta2: 1.5`), RangeError);
      betas.push(0.5);
      const shown = `[${betas.join(", ")}]`.replace(/[[\].]/g, "\\$&");
      expectUnchanged(s, () => s.opt.step(), new RegExp(`^${at}Invalid betas: ${shown} \\(expected \\[beta1, beta2`), TypeError);
      // The edit stayed in this group: defaults and new optimizers keep their own betas.
      expect(s.opt.defaults).toMatchObject({ betas: own });
      expect(setup(cls).opt.paramGroups[0]).toMatchObject({ betas: own });
    });
  }
});

describe("parameter and usage errors", () => {
  it("rejects unknown options (typos) with the list of valid ones", () => {
    const w = new ParamStore().param("w", 2);
    expect(() => new Adam([w], { learningRate: 0.1 } as never)).toThrow(/^Adam: unknown option "learningRate", did you mean "lr"\? \(expected one of lr, betas/);
    expect(() => new SGD([{ params: [w], moment: 0.9 } as never])).toThrow(/^SGD: param group 0: unknown option "moment", did you mean "momentum"\?/);
  });

  it("rejects an empty parameter list and non-params", () => {
    expect(() => new Adam([])).toThrow(/empty parameter list/);
    expect(() => new Adam([{ value: [1, 2], grad: [0, 0] } as never])).toThrow(/value and \.grad must be Float32Arrays/);
    expect(() => new Adam([42 as never])).toThrow(/params\[0\] is not a param/);
  });

  it("rejects a foreign param whose grad and value lengths differ", () => {
    expect(() => new SGD([{ value: new Float32Array(3), grad: new Float32Array(4) }])).toThrow(/value length 3 but grad length 4/);
  });

  it("rejects the same param twice, in one group or in two", () => {
    const store = new ParamStore();
    const opt0 = () => new Adam([store.param("z", 2)]);
    const w = store.param("w", 2), b = store.param("b", 2);
    expect(() => new Adam([{ params: [w] }, { params: [w, b] }])).toThrow(/^Adam: param group 1 params\[0\] appears more than once \(also param group 0 params\[0\]; a param may be in only one group, once\)$/);
    expect(() => new Adam([w, w])).toThrow(/^Adam: params\[1\] appears more than once \(also params\[0\]/);
    expect(() => opt0().addParamGroup({ params: [b, b] })).toThrow(/^Adam: param group 1 params\[1\] appears more than once \(also param group 1 params\[0\]/);
    const opt = new Adam([w]);
    expect(() => opt.addParamGroup({ params: [w] })).toThrow(/^Adam: param group 1 params\[0\] appears more than once \(also param group 0 params\[0\]/);
  });

  it("rejects params from two stores", () => {
    const a = new ParamStore().param("a", 2), b = new ParamStore().param("b", 2);
    expect(() => new Adam([a, b])).toThrow(/2 different ParamStores/);
  });

  it("rejects params of a disposed store, at construction and at step()", () => {
    const store = new ParamStore();
    const w = store.param("w", 2);
    const opt = new SGD([w]);
    store.dispose();
    expect(() => new SGD([w])).toThrow(/param "w" belongs to a disposed ParamStore/);
    expect(() => opt.step()).toThrow(/its ParamStore has been disposed/);
    expect(() => w.value).toThrow(/param "w": its ParamStore has been disposed/);
    expect(() => store.param("x", 1)).toThrow(/disposed/);
  });

  it("a disposed optimizer refuses to step", () => {
    const s = setup(Adam);
    s.opt.dispose();
    expect(() => s.opt.step()).toThrow(/Adam has been disposed/);
  });

  it("a foreign param replaced by a wrong-length or non-Float32Array array: step() throws and changes nothing", () => {
    const store = new ParamStore();
    const w = store.param("w", randomArray(4, rng(1)));
    const f = { value: randomArray(3, rng(2)), grad: randomArray(3, rng(3)) };
    const opt = new Adam([w, f], { lr: 0.1 });
    opt.step();
    const s = { store, params: [w, f] as { value: Float32Array }[], opt } as unknown as ReturnType<typeof setup>;
    const good = f.grad;
    f.grad = new Float32Array(5);
    expectUnchanged(s, () => opt.step(), /a foreign param changed length \(value 3, grad 5, expected 3\)/, RangeError);
    f.grad = [1, 2, 3] as never;
    expectUnchanged(s, () => opt.step(), /must stay Float32Arrays/, TypeError);
    f.grad = good;
    opt.step();
  });

  it("structural edits of paramGroups are refused where they are made, and change nothing", () => {
    const s = setup(SGD);
    const other = s.store.param("other", 3);
    const groups = s.opt.paramGroups as unknown as Array<Record<string, unknown>>;
    // The list, each group's params and the groups' key sets are frozen: misuse throws at the misuse.
    expectUnchanged(s, () => (groups as unknown[]).pop(), /Cannot|not extensible|read only/, TypeError);
    expectUnchanged(s, () => (groups as unknown[]).push({ params: [other], lr: 1 }), /Cannot|not extensible|read only/, TypeError);
    expectUnchanged(s, () => (groups[0]!.params as unknown[]).pop(), /Cannot|not extensible|read only/, TypeError);
    expectUnchanged(s, () => { (groups[0]!.params as unknown[])[0] = other; }, /Cannot|not extensible|read only/, TypeError);
    expectUnchanged(s, () => { groups[0]!.params = [other]; }, /Cannot|not extensible|read only/, TypeError);
    expectUnchanged(s, () => { groups[0]!.learning_rate = 5; }, /Cannot|not extensible|read only/, TypeError); // a typo is not silently ignored
    expectUnchanged(s, () => delete groups[0]!.lr, /Cannot|not extensible|read only/, TypeError);
    s.opt.step(); // still usable, unchanged groups
  });

  it("a group whose option was deleted or mistyped in sloppy code: step() throws before anything changes", () => {
    const s = setup(Adam);
    // Sloppy-mode code cannot add keys (the assignment is ignored); editing a value to a wrong type is caught.
    (s.opt.paramGroups[0] as unknown as Record<string, unknown>).betas = "0.9";
    expectUnchanged(s, () => s.opt.step(), /Invalid betas/);
  });

  it("out of memory: a clear RangeError, nothing allocated or changed", () => {
    const store = new ParamStore();
    const w = store.param("w", 4);
    const used = store.bytesUsed;
    expect(() => store.param("huge", 2 ** 31)).toThrow(/ParamStore out of memory: cannot allocate 17179\d{6} bytes \(\d+ bytes in use, the memory can grow to at most 4294967296 bytes\)/);
    expect(() => store.param("huge", 2 ** 31)).toThrow(RangeError);
    expect(store.bytesUsed).toBe(used);
    expect(store.params).toEqual([w]);
    expect(store.get("huge")).toBeUndefined();
  });

  it("out of memory while allocating optimizer state: step() throws, params unchanged", () => {
    // A 64 MiB store: the param (value + grad = 40 MB) fits, Adam's two state buffers (40 MB more) do not.
    const store = new ParamStore({ maximumBytes: 64 * 2 ** 20 });
    const big = store.param("big", 5_000_000);
    big.value[0] = 1;
    big.grad[0] = 1;
    const opt = new Adam([big], { lr: 0.1 });
    expect(() => opt.step()).toThrow(/out of memory/);
    expect(big.value[0]).toBe(1);
    expect(opt.stateDict().state).toEqual({});
  });

  it("store.param validates its arguments", () => {
    const store = new ParamStore();
    store.param("w", 2);
    expect(() => store.param("w", 2)).toThrow(/a param named "w" already exists/);
    expect(() => store.param("", 2)).toThrow(/name must be a non-empty string/);
    expect(() => store.param("x", -1)).toThrow(/invalid length -1/);
    expect(() => store.param("x", 1.5)).toThrow(/invalid length 1.5/);
    expect(() => store.param("x", ["a"] as never)).toThrow(/init\[0\] is not a number/);
    expect(() => store.param("x", {} as never)).toThrow(/init must be a Float32Array/);
    expect(() => new ParamStore({ shard: true } as never)).toThrow(/unknown option "shard"/);
    expect(() => new ParamStore({ maximumBytes: 5 })).toThrow(/invalid maximumBytes 5/);
    expect(() => new ParamStore({ capacity: -1 })).toThrow(/invalid capacity -1/);
  });

  it("init() rejects bad options and a second call with different options", async () => {
    await expect(init({ backend: "gpu" as never })).rejects.toThrow(/invalid backend "gpu"/);
    await expect(init({ turbo: true } as never)).rejects.toThrow(/unknown option "turbo"/);
    await expect(init({ backend: "scalar" })).rejects.toThrow(/already called with .*"auto".* cannot be called again/);
    await expect(init()).resolves.toMatchObject({ backend: "simd" });
  });

  it("an Invalid backend: option", () => {
    const w = new ParamStore().param("w", 2);
    expect(() => new SGD([w], { backend: "gpu" as never })).toThrow(/Invalid backend: "gpu"/);
    expect(() => new SGD([w], { verify: "yes" as never })).toThrow(/^SGD: Invalid verify: "yes" \(expected a boolean\)$/);
  });
});
