// lrRangeTest (src/tuning/lr-range-test.ts): Lightning's lr_find on fixed loss sequences and on a small model
// (test/fixtures/tuning.json), fastai's valley, the restore-afterwards property for every optimizer of the
// registry (both stores, a scheduler attached, Lookahead, LBFGS, bf16 and int8 state), per-group scaling, and errors
// that change nothing.
import { describe, expect, it } from "vitest";
import {
  Adam, AdamW, type ForeignParam, Lookahead, lrRangeTest, type LRRangeTestOptions, type ParamLike, ParamStore, type RangeTestOptimizer,
  SGD, steepestIndex, StepLR, valleyIndexOf,
} from "../../src/index.js";
import { CLOSURE_REGISTRY, REGISTRY } from "../registry.js";
import { paramShape } from "../helpers.js";
import { FIXTURE, type LrFindCase, num } from "./fixture.js";

/** |got − want| ≤ tol·|want| elementwise (NaN equals NaN). */
function expectClose(got: readonly number[], want: readonly number[], tol: number, what: string): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  want.forEach((w, i) => {
    const g = got[i]!;
    if (Number.isNaN(w) ? !Number.isNaN(g) : !(Math.abs(g - w) <= tol * Math.abs(w))) throw new Error(`${what}[${i}]: got ${g}, want ${w}`);
  });
}

/** SGD over one foreign param (the loss does not depend on it: the fixed sequences are the loss). */
function sequenceRun(c: LrFindCase) {
  const p: ForeignParam = { value: new Float32Array(1), grad: new Float32Array(1) };
  const opt = new SGD([p], { lr: 0.1 });
  const raw = c.rawLosses!.map(num);
  let k = 0;
  return lrRangeTest(opt, () => raw[k++]!, c.options as LRRangeTestOptions);
}

describe(`lrRangeTest vs Lightning ${FIXTURE.lightning} lr_find on fixed loss sequences`, () => {
  it.each(FIXTURE.lrFind.map((c) => [c.name, c] as const))("%s", (_, c) => {
    const r = sequenceRun(c);
    const lrs = c.lrs.map(num), losses = c.losses.map(num);
    // Lightning steps on through a NaN loss (its suggestion drops NaNs); gradstep stops at it: the same prefix.
    const n = r.lrs.length;
    if (losses.some(Number.isNaN)) {
      expect(Number.isNaN(r.losses[n - 1]!)).toBe(true);
      expect(r.stoppedEarly).toBe(true);
    } else {
      expect(n).toBe(lrs.length);
    }
    expectClose(r.lrs, lrs.slice(0, n), 1e-13, "lrs");
    expectClose(r.losses, losses.slice(0, n), 1e-12, "smoothed losses");
    expect(r.suggestionIndex).toBe(c.suggestionIndex);
    expect(r.suggestion).toBe(c.suggestionIndex === null ? null : r.lrs[c.suggestionIndex]);
    expect(r.valleyIndex).toBe(c.valleyIndex);
    // Lightning's suggestion() with other skips, on Lightning's own curve.
    for (const [skips, want] of Object.entries(c.suggestionIndexBySkips)) {
      const [b, e] = skips.split(",").map(Number);
      expect(steepestIndex(lrs, losses, b, e), `skips ${skips}`).toBe(want);
    }
  });

  it("stops early only on divergence: the fixture's divergence case and no-early-stop case", () => {
    const byName = (n: string) => FIXTURE.lrFind.find((c) => c.name === n)!;
    expect(sequenceRun(byName("exponential defaults, diverges")).stoppedEarly).toBe(true);
    expect(sequenceRun(byName("no early stop")).stoppedEarly).toBe(false);
  });

  it("skipEnd 0 keeps every point (Lightning's [:-0] would keep none)", () => {
    const c = FIXTURE.lrFind[0]!, lrs = c.lrs.map(num), losses = c.losses.map(num);
    const shifted = [...losses.slice(0, -1), losses.at(-1)! - 1e6]; // the last point the steepest by far
    expect(steepestIndex(lrs, shifted, 10, 0)).toBe(losses.length - 1);
    expect(steepestIndex(lrs, shifted, 10, 1)).toBe(steepestIndex(lrs, losses, 10, 1));
    expect(valleyIndexOf([1, 2], [1, 2], 0, 1)).toBe(null);
  });
});

describe(`lrRangeTest vs Lightning lr_find on a model: ${FIXTURE.lrFindModel[0]!.name}`, () => {
  const c = FIXTURE.lrFindModel[0]!;
  const N = c.y.length, D = c.w0.length, f = Math.fround;
  it("the same smoothed curve (f32 tolerance), suggestion and valley; the weights restored", () => {
    const w: ForeignParam = { value: Float32Array.from(c.w0), grad: new Float32Array(D) };
    const b: ForeignParam = { value: Float32Array.from(c.b0), grad: new Float32Array(1) };
    const opt = new SGD([w, b], { lr: 0.01, momentum: c.optimizer.momentum });
    // torch: loss = mean((x @ w + b − y)²), float32; its gradients by hand, rounded to f32 per operation.
    const step = () => {
      let loss = 0;
      for (let i = 0; i < N; i++) {
        let pred = b.value[0]!;
        for (let j = 0; j < D; j++) pred = f(pred + f(c.x[i * D + j]! * w.value[j]!));
        const r = f(pred - c.y[i]!), g = f(f(2 * r) / N);
        loss += r * r;
        for (let j = 0; j < D; j++) w.grad[j] = f(w.grad[j]! + f(g * c.x[i * D + j]!));
        b.grad[0] = f(b.grad[0]! + g);
      }
      return f(loss / N);
    };
    const r = lrRangeTest(opt, step, c.options as LRRangeTestOptions);
    expectClose(r.lrs, c.lrs.map(num), 1e-13, "lrs");
    // f32 tolerance: torch sums in another order; measured within 6.8e-8 relative over the 100 steps.
    expectClose(r.losses, c.losses.map(num), 1e-6, "smoothed losses");
    expect(r.suggestionIndex).toBe(c.suggestionIndex);
    expect(r.valleyIndex).toBe(c.valleyIndex);
    expect(Array.from(w.value)).toEqual(c.wAfter);
  });
});

// ---- restore afterwards, every optimizer -------------------------------------------------------------------
/** Σ ½(θ − t)² over every param: gradient θ − t; diverges under SGD once lr > 2. */
function quadratic(params: readonly ParamLike[]) {
  const targets = params.map((p) => Float32Array.from(p.value, (_, i) => Math.sin(i + p.value.length)));
  return (): number => {
    let loss = 0;
    params.forEach((p, k) => {
      for (let i = 0; i < p.value.length; i++) {
        const d = p.value[i]! - targets[k]![i]!;
        loss += 0.5 * d * d;
        p.grad[i] = p.grad[i]! + d;
      }
    });
    return loss;
  };
}

type Store = "store" | "foreign";
function makeParams(kind: Store, cls: unknown): { params: ParamLike[]; store?: ParamStore } {
  const init = (n: number, s: number) => Float32Array.from({ length: n }, (_, i) => Math.cos(s * i + 1));
  if (kind === "foreign") {
    return { params: [12, 5].map((n, s) => ({ value: init(n, s + 1), grad: new Float32Array(n), ...paramShape(cls, n) })) };
  }
  const store = new ParamStore();
  return { store, params: [12, 5].map((n, s) => store.param(`p${s}`, init(n, s + 1), paramShape(cls, n))) };
}

interface Built { opt: RangeTestOptimizer; params: ParamLike[]; train(): void; state(): unknown; dispose(): void; sched?: StepLR }
const OPTIMIZERS: Array<[string, (kind: Store) => Built]> = [
  ...REGISTRY.map((e) => [e.name, (kind: Store) => {
    const { params, store } = makeParams(kind, e.cls);
    const opt = new e.cls(params, {});
    const sched = new StepLR(opt, { stepSize: 2, gamma: 0.5 });
    const loss = quadratic(params);
    return { opt, params, sched, train: () => { opt.zeroGrad(); loss(); opt.step(); sched.step(); }, state: () => opt.stateDict(), dispose: () => { opt.dispose(); store?.dispose(); } };
  }] as [string, (kind: Store) => Built]),
  ...CLOSURE_REGISTRY.map((e) => [e.name, (kind: Store) => {
    const { params, store } = makeParams(kind, e.cls);
    const opt = new e.cls(params, { lr: 0.5 });
    const loss = quadratic(params);
    return { opt: opt as unknown as RangeTestOptimizer, params, train: () => { opt.step(() => { (opt as unknown as RangeTestOptimizer).zeroGrad(); return loss(); }); }, state: () => opt.stateDict(), dispose: () => { opt.dispose(); store?.dispose(); } };
  }] as [string, (kind: Store) => Built]),
  ...([["bf16", 1], ["int8", false]] as const).map(([stateDtype, stochasticRounding]) => [`AdamW, ${stateDtype} state`, (kind: Store) => {
    const { params, store } = makeParams(kind, AdamW);
    const opt = new AdamW(params, { lr: 0.01, stateDtype, stochasticRounding });
    const loss = quadratic(params);
    return { opt, params, train: () => { opt.zeroGrad(); loss(); opt.step(); }, state: () => opt.stateDict(), dispose: () => { opt.dispose(); store?.dispose(); } };
  }] as [string, (kind: Store) => Built]),
  ["Lookahead(Adam)", (kind: Store) => {
    const { params, store } = makeParams(kind, Adam);
    const opt = new Lookahead(new Adam(params, { lr: 0.01 }), { syncPeriod: 3 });
    const loss = quadratic(params);
    return { opt, params, train: () => { opt.zeroGrad(); loss(); opt.step(); }, state: () => opt.stateDict(), dispose: () => { opt.inner.dispose(); store?.dispose(); } };
  }],
];

/** Everything lrRangeTest must leave as it found it, as comparable values (bits of every float). */
function observe(b: Pick<Built, "opt" | "params" | "state" | "sched">): unknown {
  const bits = (a: Float32Array) => Array.from(new Uint32Array(a.slice().buffer));
  const deep = (v: unknown): unknown => v instanceof Float32Array ? bits(v) : v instanceof Uint16Array || v instanceof Uint8Array ? Array.from(v)
    : Array.isArray(v) ? v.map(deep) : v !== null && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deep(x)])) : v;
  return {
    values: b.params.map((p) => bits(p.value)), grads: b.params.map((p) => bits(p.grad)), state: deep(b.state()),
    lrs: b.opt.paramGroups.map((g) => g.lr), sched: b.sched?.stateDict(),
  };
}

describe("lrRangeTest leaves params, grads, optimizer state, group lrs and the scheduler as they were", () => {
  const cases = OPTIMIZERS.flatMap(([name, build]) => (["store", "foreign"] as const).map((kind) => [`${name}, ${kind} params`, build, kind] as const));
  it.each(cases)("%s: bit-exact afterwards (also after a step that throws), and training continues as if it never ran", (_, build, kind) => {
    const a = build(kind), twin = build(kind);
    for (let t = 0; t < 3; t++) { a.train(); twin.train(); }
    a.params[0]!.grad.fill(0.25); // grads left over from a step: put back too
    const before = observe(a);
    const loss = quadratic(a.params);
    const r = lrRangeTest(a.opt, () => loss(), { numTraining: 30, minLr: 1e-4, maxLr: 10 });
    expect(r.lrs.length).toBeGreaterThan(1);
    expect(observe(a)).toEqual(before);
    let calls = 0;
    expect(() => lrRangeTest(a.opt, () => { if (++calls === 7) throw new Error("bad batch"); return loss(); }, { numTraining: 30, minLr: 1e-4 })).toThrow("bad batch");
    expect(observe(a)).toEqual(before);
    a.params[0]!.grad.fill(0);
    for (let t = 0; t < 3; t++) { a.train(); twin.train(); }
    expect(observe(a)).toEqual(observe(twin));
    a.dispose(); twin.dispose();
  });
});

describe("lrRangeTest: per-group lrs, a diverging loss, errors", () => {
  function twoGroups() {
    const p = [0, 1].map(() => ({ value: new Float32Array([1, 2]), grad: new Float32Array(2) }));
    const opt = new SGD([{ params: [p[0]!], lr: 0.1 }, { params: [p[1]!], lr: 0.02 }], { momentum: 0.9 });
    return { p, opt, loss: quadratic(p) };
  }

  it("per-group lrs scale together: group i runs at lr · (its lr / group 0's lr)", () => {
    const { opt, loss } = twoGroups();
    const seen: number[][] = [];
    const r = lrRangeTest(opt, (lr) => { seen.push([lr, ...opt.paramGroups.map((g) => g.lr)]); return loss(); }, { numTraining: 10 });
    for (const [lr, g0, g1] of seen) expect([g0, g1]).toEqual([lr! * 1, lr! * (0.02 / 0.1)]);
    expect(seen.map((s) => s[0])).toEqual(r.lrs);
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.1, 0.02]);
  });

  it("a diverging loss stops the test early and changes nothing", () => {
    const { p, opt } = twoGroups();
    for (let t = 0; t < 2; t++) { opt.zeroGrad(); quadratic(p)(); opt.step(); }
    const before = observe({ opt, params: p, state: () => opt.stateDict() });
    let k = 0;
    const r = lrRangeTest(opt, () => (k++ < 20 ? 1 : 100), { numTraining: 50 });
    expect(r.stoppedEarly).toBe(true);
    expect(r.lrs.length).toBe(21);
    expect(observe({ opt, params: p, state: () => opt.stateDict() })).toEqual(before);
  });

  const ERRORS: Array<[string, (opt: SGD) => unknown, RegExp]> = [
    ["minLr 0", (o) => lrRangeTest(o, () => 1, { minLr: 0 }), /lrRangeTest: invalid minLr: 0 \(expected a finite number > 0\)/],
    ["minLr NaN", (o) => lrRangeTest(o, () => 1, { minLr: NaN }), /invalid minLr: NaN/],
    ["maxLr a string", (o) => lrRangeTest(o, () => 1, { maxLr: "1" as unknown as number }), /invalid maxLr: "1"/],
    ["maxLr <= minLr", (o) => lrRangeTest(o, () => 1, { minLr: 0.1, maxLr: 0.1 }), /maxLr \(0.1\) must be greater than minLr \(0.1\)/],
    ["numTraining 0", (o) => lrRangeTest(o, () => 1, { numTraining: 0 }), /invalid numTraining: 0 \(expected an integer >= 1\)/],
    ["numTraining 2.5", (o) => lrRangeTest(o, () => 1, { numTraining: 2.5 }), /invalid numTraining: 2.5/],
    ["mode", (o) => lrRangeTest(o, () => 1, { mode: "cosine" as "linear" }), /invalid mode: "cosine" \(expected one of "exponential", "linear"\)/],
    ["earlyStopThreshold 0", (o) => lrRangeTest(o, () => 1, { earlyStopThreshold: 0 }), /invalid earlyStopThreshold: 0 \(expected a finite number > 0, or null\)/],
    ["beta 1", (o) => lrRangeTest(o, () => 1, { beta: 1 }), /invalid beta: 1 \(expected 0 <= beta < 1\)/],
    ["skipBegin -1", (o) => lrRangeTest(o, () => 1, { skipBegin: -1 }), /invalid skipBegin: -1/],
    ["skipEnd 0.5", (o) => lrRangeTest(o, () => 1, { skipEnd: 0.5 }), /invalid skipEnd: 0.5/],
    ["an unknown option", (o) => lrRangeTest(o, () => 1, { min_lr: 1e-3 } as LRRangeTestOptions), /unknown option "min_lr"/],
    ["options not an object", (o) => lrRangeTest(o, () => 1, 3 as LRRangeTestOptions), /options must be an object, got 3/],
    ["step not a function", (o) => lrRangeTest(o, 1 as unknown as () => number), /step must be a function \(lr\) => loss, got number/],
    ["not an optimizer", () => lrRangeTest({} as RangeTestOptimizer, () => 1), /expected a gradstep optimizer/],
    ["group 0's lr is 0", (o) => { o.paramGroups[0]!.lr = 0; try { return lrRangeTest(o, () => 1); } finally { o.paramGroups[0]!.lr = 0.1; } }, /the first param group's lr is 0; the other groups scale with it/],
    ["step throws at its 6th call", (o) => { let k = 0; return lrRangeTest(o, () => { if (++k === 6) throw new Error("batch failed"); return 1; }); }, /batch failed/],
    ["step returns a string", (o) => lrRangeTest(o, () => "1" as unknown as number), /step returned string, expected the loss/],
  ];
  it.each(ERRORS)("%s: a clear error, nothing changed", (_, call, message) => {
    const { p, opt } = twoGroups();
    for (let t = 0; t < 2; t++) { opt.zeroGrad(); quadratic(p)(); opt.step(); }
    const before = observe({ opt, params: p, state: () => opt.stateDict() });
    expect(() => call(opt)).toThrow(message);
    expect(observe({ opt, params: p, state: () => opt.stateDict() })).toEqual(before);
  });

  it("a disposed optimizer is refused", () => {
    const { opt } = twoGroups();
    opt.dispose();
    expect(() => lrRangeTest(opt, () => 1)).toThrow(/lrRangeTest: the optimizer has been disposed/);
  });
});
