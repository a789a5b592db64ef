// The registry suites for closure-kind optimizers (LBFGS): what parity, conformance, errors and state-dict do for
// step() optimizers, for `step(closure)`. The step suites set gradients from outside and call step(); a closure
// optimizer pulls loss and gradients from a problem several times per step, so each check has its own shape
// here, looping over every closure entry of the registry (CLOSURE_REGISTRY) and its cases file.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadCheckpoint, ParamStore, saveCheckpoint, type StateDict } from "../../src/index.js";
import type { ClosureOptimizerClass } from "../../src/optim/index.js";
import { BACKEND_VARIANTS, firstBitDifference, locatedError, variantLabel } from "../helpers.js";
import { CLOSURE_REGISTRY } from "../registry.js";
import type { ClosureProblem } from "../optim/types.js";

const STEPS = 8;
const VARIANTS = BACKEND_VARIANTS;

interface Run { losses: number[]; history: Float32Array[][]; state: StateDict }

/** A store with a 1-float pad first (every param then starts 4 bytes past a 16-byte boundary) and the problem's params. */
function setup(cls: ClosureOptimizerClass, options: Record<string, unknown>, problem: ClosureProblem, shared = true, init?: Float32Array[]) {
  const store = new ParamStore({ shared });
  store.param("pad", 1);
  const params = problem.init.map((v, i) => store.param(`p${i}`, init?.[i] ?? v));
  const opt = new cls(params, options);
  let calls = 0;
  const closure = () => {
    calls++;
    for (const p of params) p.grad.fill(0);
    return Math.fround(problem.evaluate(params.map((p) => p.value), params.map((p) => p.grad)));
  };
  return { store, params, opt, closure, calls: () => calls };
}

function trajectory(cls: ClosureOptimizerClass, options: Record<string, unknown>, problem: ClosureProblem, backend: string, shared: boolean, steps = STEPS): Run {
  const s = setup(cls, { ...options, backend }, problem, shared);
  const losses: number[] = [], history: Float32Array[][] = [];
  for (let t = 0; t < steps; t++) {
    if (t === 4) (s.opt as unknown as { paramGroups: { lr: number }[] }).paramGroups[0]!.lr *= 0.5; // an edit between steps
    losses.push(s.opt.step(s.closure));
    history.push(s.params.map((p) => Float32Array.from(p.value)));
  }
  const state = s.opt.stateDict();
  s.store.dispose();
  return { losses, history, state };
}

/** Index of the first element that differs by value (±0 equal: JSON keeps no sign of zero), or -1. */
function firstValueDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return i;
  return -1;
}

function expectSameState(a: StateDict, b: StateDict, label: string, diff: (a: Float32Array, b: Float32Array) => number = firstBitDifference): void {
  expect(b.paramGroups, label).toEqual(a.paramGroups);
  expect(Object.keys(b.state), label).toEqual(Object.keys(a.state));
  for (const [id, entry] of Object.entries(a.state)) {
    const other = b.state[Number(id)]!;
    expect(Object.keys(other).sort(), label).toEqual(Object.keys(entry).sort());
    for (const [key, value] of Object.entries(entry)) {
      if (typeof value === "number") expect(other[key], `${label}: ${key}`).toBe(value);
      else expect(diff(other[key] as Float32Array, value as Float32Array), `${label}: ${key}`).toBe(-1);
    }
  }
}

const PARITY = CLOSURE_REGISTRY.flatMap((e) => Object.entries(e.cases.problems).flatMap(([problem, p]) =>
  e.cases.configs.map((c) => ({ name: e.name, cls: e.cls, problem, p, ...c }))));

describe("closure optimizers: parity across backends (bit for bit)", () => {
  it.each(PARITY)("$name $desc on $problem", ({ cls, options, p }) => {
    const [reference, ...others] = VARIANTS.map((v) => trajectory(cls, options, p, v.backend, v.shared));
    others.forEach((other, k) => {
      const label = variantLabel(VARIANTS[k + 1]!);
      expect(other.losses, label).toEqual(reference!.losses);
      for (let t = 0; t < STEPS; t++) {
        other.history[t]!.forEach((v, i) => expect(firstBitDifference(v, reference!.history[t]![i]!), `${label}: step ${t + 1}, param ${i}`).toBe(-1));
      }
      expectSameState(reference!.state, other.state, label);
    });
    // The trajectory really moved: a parity suite over frozen params would prove nothing.
    expect(reference!.history[STEPS - 1]!.some((v, i) => firstBitDifference(v, Float32Array.from(p.init[i]!)) !== -1)).toBe(true);
  });
});

describe("closure optimizers: resume and configs", () => {
  const N = 8, K = 3;
  // Through JSON the sign of a zero is lost (JSON has no -0), so that round trip is checked by value.
  it.each(PARITY)("$name $desc on $problem: N steps == K steps, save, load into a fresh optimizer, N-K steps (bit-exact through structuredClone and a checkpoint file; by value through JSON)", ({ cls, options, p }) => {
    for (const via of ["structuredClone", "JSON", "checkpoint"] as const) {
      const diff: (a: Float32Array, b: Float32Array) => number = via === "JSON" ? firstValueDifference : firstBitDifference;
      const a = setup(cls, options, p);
      for (let t = 0; t < N; t++) a.opt.step(a.closure);
      const b = setup(cls, options, p);
      for (let t = 0; t < K; t++) b.opt.step(b.closure);
      const dict = b.opt.stateDict();
      const c = setup(cls, options, p, true, via === "checkpoint" ? undefined : b.params.map((q) => Float32Array.from(q.value)));
      if (via === "checkpoint") loadCheckpoint(saveCheckpoint({ params: b.params, optimizer: b.opt }), { params: c.params, optimizer: c.opt });
      else c.opt.loadStateDict(via === "JSON" ? JSON.parse(JSON.stringify(dict)) as StateDict : structuredClone(dict));
      expectSameState(dict, c.opt.stateDict(), `${via}: loaded`, diff);
      for (let t = K; t < N; t++) c.opt.step(c.closure);
      a.params.forEach((q, i) => expect(diff(c.params[i]!.value, q.value), `${via}: param ${i}`).toBe(-1));
      expectSameState(a.opt.stateDict(), c.opt.stateDict(), via, diff);
      for (const s of [a, b, c]) s.store.dispose();
    }
  });

  it.each(PARITY.filter((c) => c.problem === "rosenbrock"))("$name $desc: fromConfig(JSON of getConfig()) steps bit-identically", ({ cls, options, p }) => {
    const a = setup(cls, options, p);
    const config = JSON.parse(JSON.stringify(a.opt.getConfig())) as Record<string, unknown>;
    const store = new ParamStore();
    const params = p.init.map((v, i) => store.param(`q${i}`, v));
    const b = cls.fromConfig(params, config) as InstanceType<ClosureOptimizerClass>;
    expect(b.getConfig()).toEqual(a.opt.getConfig());
    const closure = () => {
      for (const q of params) q.grad.fill(0);
      return Math.fround(p.evaluate(params.map((q) => q.value), params.map((q) => q.grad)));
    };
    for (let t = 0; t < 5; t++) expect(b.step(closure)).toBe(a.opt.step(a.closure));
    a.params.forEach((q, i) => expect(firstBitDifference(params[i]!.value, q.value), `param ${i}`).toBe(-1));
  });
});

describe("closure optimizers: state after a NaN loss (test/suites/persistence.test.ts resumes it through every path)", () => {
  it.each(CLOSURE_REGISTRY.map((e) => ({ name: e.name, cls: e.cls, p: Object.values(e.cases.problems)[0]! })))("$name: the dict keeps prev_loss NaN; a checkpoint writes it as { number: \"NaN\" }; JSON refuses it by name", ({ cls, p }) => {
    const s = setup(cls, {}, p);
    s.opt.step(s.closure);
    s.opt.step(() => { s.closure(); return Number.NaN; });
    const dict = s.opt.stateDict();
    expect(dict.state[0]!.prev_loss).toBeNaN();
    const header = (bytes: Uint8Array) => new TextDecoder().decode(bytes.subarray(8, 8 + Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true))));
    expect(header(saveCheckpoint({ optimizer: s.opt }))).toContain('\\"prev_loss\\":{\\"number\\":\\"NaN\\"}');
    const json = JSON.parse(JSON.stringify(dict)) as StateDict;
    expectUnchanged(s, () => s.opt.loadStateDict(json), /^LBFGS.loadStateDict: state "prev_loss" is null \(NaN and ±Infinity do not survive JSON: save a checkpoint instead\), expected a number$/, TypeError);
    s.store.dispose();
  });

  it.each(CLOSURE_REGISTRY.map((e) => ({ name: e.name, cls: e.cls, p: Object.values(e.cases.problems)[0]! })))("$name.loadStateDict takes no options (f32 state): an unknown one is an error, nothing changed", ({ cls, p }) => {
    const s = setup(cls, {}, p);
    s.opt.step(s.closure);
    const dict = s.opt.stateDict();
    const load = s.opt.loadStateDict as (d: StateDict, o?: unknown) => void;
    expectUnchanged(s, () => load.call(s.opt, dict, { stateDtype: "bf16" }), /^LBFGS.loadStateDict: takes no options \(its state is f32 only\), got stateDtype$/, TypeError);
    s.store.dispose();
  });
});

/** Runs `act`, expects it to throw `error` (of `type`), and checks that no param value and no state changed. */
function expectUnchanged(s: ReturnType<typeof setup>, act: () => unknown, error: RegExp, type: ErrorConstructor = Error) {
  const state = s.opt.stateDict();
  const values = s.params.map((p) => Float32Array.from(p.value));
  let thrown: unknown;
  try { act(); } catch (e) { thrown = e; }
  expect(thrown).toBeInstanceOf(type);
  expect((thrown as Error).message).toMatch(error);
  s.params.forEach((p, i) => expect(firstBitDifference(p.value, values[i]!), `param ${i}`).toBe(-1));
  expectSameState(state, s.opt.stateDict(), "state");
}

const ERRORS = CLOSURE_REGISTRY.flatMap((e) => e.cases.errors.map((c) => ({ name: e.name, cls: e.cls, p: Object.values(e.cases.problems)[0]!, ...c })));

describe("closure optimizers: invalid options", () => {
  it.each(ERRORS)("$name $options at construction", ({ name, cls, p, options, error, type = RangeError }) => {
    const store = new ParamStore();
    const w = store.param("w", p.init[0]!);
    expect(() => new cls([w], options)).toThrow(locatedError(name, error));
    expect(() => new cls([w], options)).toThrow(type);
    expect(() => new cls([{ params: [w], ...options }])).toThrow(locatedError(`${name}: param group 0`, error));
  });
  it.each(ERRORS)("$name $options set on the group: next step() throws and changes nothing", ({ name, cls, p, options, error, type = RangeError }) => {
    for (const lineSearchFn of [null, "strong_wolfe"]) {
      const s = setup(cls, { lineSearchFn, maxIter: 3 }, p);
      s.opt.step(s.closure);
      s.opt.step(s.closure);
      Object.assign((s.opt as unknown as { paramGroups: object[] }).paramGroups[0]!, options);
      const calls = s.calls();
      expectUnchanged(s, () => s.opt.step(s.closure), locatedError(`${name}: param group 0`, error), type);
      expect(s.calls(), "the closure was not called").toBe(calls);
    }
  });
});

describe.each(CLOSURE_REGISTRY)("$name: bad closures and usage errors change nothing", ({ cls, cases }) => {
  const p = cases.problems.rosenbrock!;
  const configs = [{ maxIter: 5, lr: 0.25 }, { maxIter: 5, lr: 0.25, lineSearchFn: "strong_wolfe" }, { maxIter: 5, lr: 0.25, historySize: 1 }, { maxIter: 5, lr: 0.25, historySize: 1, lineSearchFn: "strong_wolfe" }];
  it.each(configs.flatMap((o) => ["first", "second", "middle", "last"].map((at) => ({ o, at }))))("a closure that throws at its $at call of a step ($o)", ({ o, at: which }) => {
    // How many calls the 4th step makes (a twin counts them), and where this case fails.
    const twin = setup(cls, o, p);
    for (let t = 0; t < 3; t++) twin.opt.step(twin.closure);
    const before = twin.calls();
    twin.opt.step(twin.closure);
    const calls = twin.calls() - before;
    expect(calls, "the step makes several calls").toBeGreaterThanOrEqual(3);
    const at = { first: 1, second: 2, middle: Math.ceil(calls / 2), last: calls }[which]!;
    const s = setup(cls, o, p);
    for (let t = 0; t < 3; t++) s.opt.step(s.closure); // the history is full (historySize 1): the failed step must not evict
    let k = 0;
    const failing = () => {
      if (++k === at) throw new Error("closure failed");
      return s.closure();
    };
    expectUnchanged(s, () => s.opt.step(failing), /^closure failed$/);
    expect(k, "the closure was called up to the failure").toBe(at);
    // And the optimizer continues exactly as if the failed step never happened.
    const t = setup(cls, o, p);
    for (let i = 0; i < 5; i++) t.opt.step(t.closure);
    s.opt.step(s.closure);
    s.opt.step(s.closure);
    t.params.forEach((q, i) => expect(firstBitDifference(s.params[i]!.value, q.value), `param ${i}`).toBe(-1));
    expectSameState(t.opt.stateDict(), s.opt.stateDict(), "after the failure");
  });
  it.each([
    { what: "undefined", value: undefined, shown: "undefined" },
    { what: "a string", value: "1.5", shown: "string" },
    { what: "null", value: null, shown: "null" },
    { what: "a boxed number", value: Object(1), shown: "object" },
  ])("a closure that returns $what", ({ value, shown }) => {
    for (const at of [1, 3]) {
      const s = setup(cls, { maxIter: 4 }, p);
      s.opt.step(s.closure);
      let k = 0;
      const bad = () => {
        const loss = s.closure();
        return (++k === at ? value : loss) as number;
      };
      expectUnchanged(s, () => s.opt.step(bad), new RegExp(`^LBFGS.step: the closure must return the loss as a number, got ${shown}$`), TypeError);
    }
  });
  it("step() without a closure, and a second param group", () => {
    const s = setup(cls, {}, p);
    expectUnchanged(s, () => (s.opt.step as (c?: unknown) => number)(), /^LBFGS.step: expected a closure \(\) => loss, got undefined$/, TypeError);
    const store = new ParamStore();
    const [a, b] = [store.param("a", 2), store.param("b", 2)];
    expect(() => new cls([{ params: [a] }, { params: [b] }])).toThrow(/^LBFGS doesn't support per-parameter options \(parameter groups\): got 2 groups, expected 1$/);
    expect(() => (s.opt as unknown as { addParamGroup(g: object): void }).addParamGroup({ params: [b] })).toThrow(/^LBFGS doesn't support per-parameter options/);
    expect(() => new cls([a], { lr: 1, learningRate: 1 })).toThrow(/^LBFGS: unknown option "learningRate"/);
    expect(() => new cls([])).toThrow(/^LBFGS: got an empty parameter list$/);
  });
  it("loadStateDict rejects a dict that does not fit, and changes nothing", () => {
    const s = setup(cls, { historySize: 3 }, p);
    for (let t = 0; t < 3; t++) s.opt.step(s.closure);
    const good = s.opt.stateDict();
    const st = good.state[0]!;
    const n = (st.d as Float32Array).length;
    const bad: Array<[string, StateDict, RegExp]> = [
      ["another class", { ...good, optimizer: "Adam" }, /is from "Adam", not LBFGS/],
      ["two groups", { ...good, paramGroups: [good.paramGroups[0]!, good.paramGroups[0]!] }, /expected 1 param group/],
      ["a param less", { ...good, paramGroups: [{ ...good.paramGroups[0]!, params: [0] }] }, /the dict has 1 params, this optimizer 2/],
      ["a bad option", { ...good, paramGroups: [{ ...good.paramGroups[0]!, historySize: 0 }] }, /^Invalid historySize: 0/],
      ["d of another length", { ...good, state: { 0: { ...st, d: new Float32Array(n + 1) } } }, /state "d" has 8 floats, expected 7 floats/],
      ["old_dirs not ro.length · n", { ...good, state: { 0: { ...st, old_dirs: new Float32Array(n) } } }, /state "old_dirs" has 7 floats/],
      ["more history than historySize", { ...good, paramGroups: [{ ...good.paramGroups[0]!, historySize: 1 }] }, /state "ro" has \d+ floats, expected at most historySize = 1/],
      ["an unknown key", { ...good, state: { 0: { ...st, exp_avg: 1 } } }, /unknown state key "exp_avg"/],
      ["a non-integer n_iter", { ...good, state: { 0: { ...st, n_iter: 1.5 } } }, /state "n_iter" must be an integer >= 0/],
      ["state on param 1", { ...good, state: { 1: st } }, /keeps its state on param 0/],
    ];
    for (const [what, dict, error] of bad) expectUnchanged(s, () => s.opt.loadStateDict(dict), error, what === "a bad option" || what.startsWith("d of") || what.startsWith("old") || what.startsWith("more") || what === "two groups" || what === "a param less" || what === "state on param 1" || what === "an unknown key" ? RangeError : TypeError);
  });
  it("historySize edited below the history's length: the oldest entries go, the newest stay", () => {
    const s = setup(cls, { historySize: 5, maxIter: 4, lr: 0.25 }, p);
    for (let t = 0; t < 3; t++) s.opt.step(s.closure);
    const before = s.opt.stateDict().state[0]!;
    const n = (before.d as Float32Array).length, k = (before.ro as Float32Array).length;
    expect(k).toBe(5);
    (s.opt as unknown as { paramGroups: { historySize: number; maxIter: number }[] }).paramGroups[0]!.historySize = 2;
    (s.opt as unknown as { paramGroups: { historySize: number; maxIter: number }[] }).paramGroups[0]!.maxIter = 1;
    s.opt.step(s.closure);
    const after = s.opt.stateDict().state[0]!;
    expect((after.ro as Float32Array).length).toBe(2);
    // The entry kept from before is the newest one of the old history.
    expect(firstBitDifference((after.old_dirs as Float32Array).subarray(0, n), (before.old_dirs as Float32Array).subarray((k - 1) * n, k * n))).toBe(-1);
    expect((after.ro as Float32Array)[0]).toBe((before.ro as Float32Array)[k - 1]);
  });
    it("foreign params (the copy path) give the store params' numbers bit for bit", () => {
    for (const lineSearchFn of [null, "strong_wolfe"]) {
      const s = setup(cls, { lineSearchFn, maxIter: 5 }, p);
      const foreign = p.init.map((v) => ({ value: Float32Array.from(v), grad: new Float32Array(v.length) }));
      const opt = new cls(foreign, { lineSearchFn, maxIter: 5 });
      const closure = () => {
        for (const f of foreign) f.grad.fill(0);
        return Math.fround(p.evaluate(foreign.map((f) => f.value), foreign.map((f) => f.grad)));
      };
      for (let t = 0; t < 6; t++) expect(opt.step(closure)).toBe(s.opt.step(s.closure));
      s.params.forEach((q, i) => expect(firstBitDifference(foreign[i]!.value, q.value), `param ${i}`).toBe(-1));
      opt.dispose();
    }
  });
});

// ---- conformance with PyTorch: test/fixtures/lbfgs.json (scripts/gen-fixtures.py, gen_lbfgs) ----
//
// Tolerance |ours − torch| ≤ 1e-6 + 1e-5·|torch| per element for the params after every step and for the loss
// step() returns; func_evals and n_iter exactly (the same branches were taken). Both sides are f32 with the same
// closure bits; they differ in rounding only: torch's dot products accumulate in f32 (BLAS) where ours add f64
// partial sums, torch's add(alpha=) may use FMA, ‖g‖₁ is an f32 sum there.

interface LbfgsFixture {
  torch: string;
  cases: Array<{ optimizer: string; problem: string; options: Record<string, unknown>; steps: number; losses: number[]; trajectory: number[][][]; state: Record<string, number> }>;
}
const fixture = JSON.parse(readFileSync(new URL("../fixtures/lbfgs.json", import.meta.url), "utf8")) as LbfgsFixture;

function close(got: number, want: number, what: string): void {
  const tol = 1e-6 + 1e-5 * Math.abs(want);
  if (!(Math.abs(got - want) <= tol)) throw new Error(`${what}: got ${got}, PyTorch ${want} (|diff| ${Math.abs(got - want)} > ${tol})`);
}

describe(`closure optimizers: PyTorch ${fixture.torch} float32 conformance`, () => {
  it("has a fixture for every torch case of every closure optimizer's cases file (else: run scripts/gen-fixtures.py)", () => {
    const key = (c: { optimizer: string; problem: string; options: unknown; steps: number }) => JSON.stringify([c.optimizer, c.problem, c.options, c.steps]);
    const want = CLOSURE_REGISTRY.flatMap((e) => e.cases.fixtures.map((f) => key({ optimizer: e.name, ...f })));
    expect(fixture.cases.map(key).sort()).toEqual(want.sort());
  });
  const cases = fixture.cases.flatMap((c) => (["simd", "scalar", "js"] as const).map((backend) => ({ ...c, backend, label: `${c.optimizer} ${c.problem} ${JSON.stringify(c.options)} [${backend}]` })));
  it.each(cases)("$label", (c) => {
    const e = CLOSURE_REGISTRY.find((x) => x.name === c.optimizer)!;
    const s = setup(e.cls, { ...c.options, backend: c.backend }, e.cases.problems[c.problem]!);
    for (let t = 0; t < c.steps; t++) {
      close(s.opt.step(s.closure), c.losses[t]!, `step ${t + 1} loss`);
      s.params.forEach((p, i) => p.value.forEach((x, j) => close(x, c.trajectory[t]![i]![j]!, `step ${t + 1} param ${i}[${j}]`)));
    }
    const state = s.opt.stateDict().state[0]!;
    for (const [key, value] of Object.entries(c.state)) expect(state[key], key).toBe(value);
    s.store.dispose();
  });
});
