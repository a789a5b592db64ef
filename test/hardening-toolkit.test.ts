// Issue #20's toolkit and step-plan defects, each with the test that failed before the fix: the fused clip's
// NaN coefficient taken for a skip (3), skipNonFinite blind to what gradScale does (4), GradScaler's scale
// underflowing for good (8), ±Infinity transform options lost in JSON (10), and the option re-check's fast path
// that keeps a scheduler's edits from allocating (22: it must still see every other edit). Schedulers refusing
// an lr the optimizer would refuse (9) are rows of test/schedules.test.ts's error tables. Every refused call
// changes nothing.
import { describe, expect, it } from "vitest";
import { Adam, clipGradNorm, GradScaler, loadCheckpoint, type Optimizer, ParamStore, saveCheckpoint, SGD } from "../src/index.js";
import type { OptimizerClass } from "../src/optim/index.js";
import { expectSameState, firstBitDifference, paramShape, randomArray, rng } from "./helpers.js";
import { REGISTRY } from "./registry.js";

const LENGTHS = [12, 35, 9];

/** A store of three params (2-D where the optimizer's cases ask for a shape, as Muon's) with seeded values. */
function model(cls: OptimizerClass, seed: number) {
  const rand = rng(seed), store = new ParamStore();
  const params = LENGTHS.map((n, i) => store.param(`p${i}`, randomArray(n, rand), paramShape(cls, n)));
  return { store, params };
}

function expectSameRun(a: { params: { value: Float32Array }[]; opt: Optimizer<object> }, b: typeof a, at: string): void {
  a.params.forEach((p, i) => expect(firstBitDifference(p.value, b.params[i]!.value), `${at}: param ${i}`).toBe(-1));
  expectSameState(a.opt.stateDict(), b.opt.stateDict());
}

// Gradients of one bad step (every other step's are seeded finite values): PyTorch's clip_grad_norm_ turns
// them into NaN (a NaN norm), NaN and 0 (an infinite norm: coefficient 0) or all 0 (squares that overflow f32).
const BAD_GRADS: Array<[string, (g: Float32Array, i: number) => void]> = [
  ["a NaN element", (g, i) => { if (i === 1) g[3] = Number.NaN; }],
  ["an Infinity element", (g, i) => { if (i === 0) g[5] = Infinity; }],
  ["finite elements whose squares overflow f32", (g) => g.fill(1e20, 0, 2)],
];

describe("#20.3 fused maxGradNorm == clipGradNorm then step(), non-finite gradients included", () => {
  const rows = REGISTRY.flatMap((e) => BAD_GRADS.flatMap(([what, spoil]) => [2, 1, Infinity].map((normType) => ({ e, what, spoil, normType }))));
  it.each(rows.map((r) => [r.e.name, r.what, r.normType, r] as const))("%s, %s, normType %s", (_n, _w, _t, { e, spoil, normType }) => {
    for (const backend of ["simd", "js"] as const) {
      const options = { ...e.cases.configs[0]!.options, backend };
      const a = model(e.cls, 1), b = model(e.cls, 1);
      const fused = { params: a.params, opt: new e.cls(a.params, { ...options, maxGradNorm: 0.5, normType }) };
      const plain = { params: b.params, opt: new e.cls(b.params, options) };
      const rand = rng(2);
      for (let t = 0; t < 3; t++) {
        const grads = LENGTHS.map((n) => randomArray(n, rand, 3));
        if (t === 1) grads.forEach(spoil);
        a.params.forEach((p, i) => p.grad.set(grads[i]!));
        b.params.forEach((p, i) => p.grad.set(grads[i]!));
        fused.opt.step();
        clipGradNorm(b.params, 0.5, { normType });
        plain.opt.step();
        expectSameRun(fused, plain, `${backend} step ${t}`);
      }
      expect(fused.opt.skippedSteps, "no skipNonFinite: nothing is skipped").toBe(0);
      a.store.dispose();
      b.store.dispose();
    }
  });
});

const MAX_F32 = 2 ** 128 - 2 ** 104;
/** The gradient the kernels' prologue uses for g under a step scale s: f32(g·f32(s)). */
const scaled = (g: number, s: number) => Math.fround(g * Math.fround(s));

describe("#20.4 skipNonFinite checks the gradient after gradScale, f32(g·gradScale)", () => {
  // Gradients of the three params (filled from `fill`, the rest seeded small) and the step's gradScale.
  const CASES: Array<{ what: string; fill: (g: Float32Array[]) => void; gradScale: number }> = [
    { what: "finite 1e30 times 1e10 overflows", fill: (g) => { g[1]![4] = 1e30; }, gradScale: 1e10 },
    { what: "the largest f32 / 2 times 2 is the largest f32", fill: (g) => { g[0]![0] = MAX_F32 / 2; }, gradScale: 2 },
    { what: "2^127 times 2 overflows (its square already does)", fill: (g) => { g[2]![1] = 2 ** 127; }, gradScale: 2 },
    { what: "-2^127 times -2 overflows", fill: (g) => { g[2]![1] = -(2 ** 127); }, gradScale: -2 },
    { what: "1e18 everywhere times 1e20: Σg² says maybe, max|g| says finite", fill: (g) => g.forEach((x) => x.fill(1e18)), gradScale: 1e20 },
    { what: "1e17 everywhere times 1e20: Σg² says finite", fill: (g) => g.forEach((x) => x.fill(1e17)), gradScale: 1e20 },
    { what: "denormals times 3e38", fill: (g) => g.forEach((x) => x.fill(1e-40)), gradScale: 3e38 },
    { what: "zeros times 3e38", fill: (g) => g.forEach((x) => x.fill(0)), gradScale: 3e38 },
    { what: "Infinity times 0 is NaN", fill: (g) => { g[0]![2] = Infinity; }, gradScale: 0 },
    { what: "a scale below the smallest f32 rounds to 0", fill: (g) => { g[1]![0] = 1e30; }, gradScale: 1e-46 },
    { what: "NaN times 1", fill: (g) => { g[1]![7] = Number.NaN; }, gradScale: 1 },
  ];
  const optimizers = REGISTRY.filter((e) => ["Adam", "SGD", "LAMB", "Adafactor", "Muon"].includes(e.name));
  it.each(optimizers.flatMap((e) => CASES.map((c) => [e.name, c.what, e, c] as const)))("%s: %s", (_n, _w, e, c) => {
    for (const backend of ["simd", "js"] as const) {
      const options = { ...e.cases.configs[0]!.options, backend };
      const a = model(e.cls, 3), b = model(e.cls, 3);
      const guarded = { params: a.params, opt: new e.cls(a.params, { ...options, skipNonFinite: true }) };
      const plain = { params: b.params, opt: new e.cls(b.params, options) };
      const grads = LENGTHS.map((n) => randomArray(n, rng(4), 0.01));
      c.fill(grads);
      const skip = grads.some((g) => g.some((x) => !Number.isFinite(scaled(x, c.gradScale))));
      a.params.forEach((p, i) => p.grad.set(grads[i]!));
      b.params.forEach((p, i) => p.grad.set(grads[i]!));
      const before = { params: a.params.map((p) => ({ value: p.value.slice() })), state: guarded.opt.stateDict() };
      guarded.opt.step({ gradScale: c.gradScale });
      expect(guarded.opt.skippedSteps, backend).toBe(skip ? 1 : 0);
      if (skip) {
        a.params.forEach((p, i) => expect(firstBitDifference(p.value, before.params[i]!.value)).toBe(-1));
        expectSameState(guarded.opt.stateDict(), before.state);
      } else {
        plain.opt.step({ gradScale: c.gradScale });
        expectSameRun(guarded, plain, backend);
      }
      a.store.dispose();
      b.store.dispose();
    }
  });

  it("with maxGradNorm, the scale checked is the clipped one (gradScale times the coefficient)", () => {
    // The scaled norm overflows f32 (1e10·1e30), the coefficient is 0: every gradient the kernel uses is 0.
    const { store, params } = model(Adam, 5);
    const opt = new Adam(params, { lr: 0.1, skipNonFinite: true, maxGradNorm: 1 });
    for (const p of params) p.grad.fill(1e10);
    const values = params.map((p) => p.value.slice());
    opt.step({ gradScale: 1e30 });
    expect(opt.skippedSteps).toBe(0);
    // Adam's first step on an all-zero gradient leaves params where they were (m = v = 0, update 0/(0+eps) = 0).
    params.forEach((p, i) => expect(firstBitDifference(p.value, values[i]!)).toBe(-1));
    store.dispose();
  });

  it.each([1e39, -1e39, 2 ** 128, Number.MAX_VALUE])("gradScale %s (Infinity in f32): a clear error, nothing changed", (gradScale) => {
    const { store, params } = model(Adam, 6);
    const opt = new Adam(params, { lr: 0.1, skipNonFinite: true });
    for (const p of params) p.grad.set(randomArray(p.length, rng(7)));
    opt.step();
    const values = params.map((p) => p.value.slice()), state = opt.stateDict();
    expect(() => opt.step({ gradScale })).toThrow(/Adam.step: invalid gradScale .* \(expected a number that is finite in f32/);
    params.forEach((p, i) => expect(firstBitDifference(p.value, values[i]!)).toBe(-1));
    expectSameState(opt.stateDict(), state);
    expect(opt.skippedSteps).toBe(0);
    store.dispose();
  });
});

describe("#20.8 GradScaler after a long run of overflowing steps keeps skipping, then recovers", () => {
  // torch 2.13's scale halves in f32 at every overflow (65536·0.5^k, exact powers of two); gradstep's stops at
  // 2^-127, the smallest such power whose inverse (2^127) is finite in f32 (torch goes on to 0, see grad-scaler.ts).
  const OVERFLOWS = 200, INTERVAL = 3;
  it.each([
    ["fused unscaling", false, false], ["fused unscaling, skipNonFinite", true, false],
    ["explicit unscale()", false, true], ["explicit unscale(), skipNonFinite", true, true],
  ] as const)("%s", (_what, skipNonFinite, explicit) => {
    const store = new ParamStore(), twin = new ParamStore();
    const w = store.param("w", [1, 2, 3]), v = twin.param("w", [1, 2, 3]);
    const opt = new SGD([w], { lr: 0.1, momentum: 0.9, skipNonFinite });
    const ref = new SGD([v], { lr: 0.1, momentum: 0.9 });
    const scaler = new GradScaler({ growthInterval: INTERVAL });
    let torchScale = 65536;
    const iterate = (grad: number[]) => {
      w.grad.set(grad.map((g) => g * scaler.getScale()));
      if (explicit) scaler.unscale(opt);
      const stepped = scaler.step(opt);
      scaler.update();
      return stepped;
    };
    for (let k = 1; k <= OVERFLOWS; k++) {
      expect(iterate([Infinity, 1, 1]), `overflow ${k}`).toBe(false);
      torchScale = Math.fround(torchScale * 0.5);
      expect(scaler.getScale(), `overflow ${k}`).toBe(Math.max(torchScale, 2 ** -127));
    }
    expect(scaler.skippedSteps).toBe(OVERFLOWS);
    expect([...w.value]).toEqual([1, 2, 3]);
    // Finite gradients: each step is the plain step on the unscaled gradient (exact: powers of two), and the
    // scale doubles after every INTERVAL of them.
    for (let t = 0; t < 3 * INTERVAL; t++) {
      const grad = [0.5, -1, 0.25];
      expect(iterate(grad), `finite ${t}`).toBe(true);
      v.grad.set(grad);
      ref.step();
      expect(firstBitDifference(w.value, v.value), `finite ${t}`).toBe(-1);
      expect(scaler.getScale()).toBe(2 ** (-127 + Math.floor((t + 1) / INTERVAL)));
    }
    expect(scaler.skippedSteps).toBe(OVERFLOWS);
    store.dispose();
    twin.dispose();
  });
});

describe("#20.10 transform options that are Infinity survive getConfig() → JSON and checkpoints", () => {
  // Infinity is meaningful for all three (no clipping: torch's clip_grad_norm_(max_norm=inf) is a no-op; the
  // inf-norm); JSON.stringify would write null, so getConfig() writes "Infinity" and the constructor reads it.
  const CONFIGS: Array<[string, object]> = [
    ["maxGradNorm Infinity", { maxGradNorm: Infinity }], ["clipValue Infinity", { clipValue: Infinity }],
    ["normType Infinity", { maxGradNorm: 1, normType: Infinity }],
    ["all three Infinity, skipNonFinite", { maxGradNorm: Infinity, normType: Infinity, clipValue: Infinity, skipNonFinite: true }],
  ];
  /** Steps `opt` over seeded gradients (the same for every call with the same seed). */
  const train = (params: { grad: Float32Array }[], opt: Optimizer<object>, seed: number, steps: number) => {
    const rand = rng(seed);
    for (let t = 0; t < steps; t++) {
      for (const p of params) p.grad.set(randomArray(p.grad.length, rand, 3));
      opt.step();
    }
  };

  it.each(CONFIGS)("%s: getConfig → JSON → fromConfig", (_what, transforms) => {
    const a = model(Adam, 8), b = model(Adam, 8);
    const opt = new Adam(a.params, { lr: 0.01, ...transforms });
    const text = JSON.stringify(opt.getConfig());
    const back = Adam.fromConfig(b.params, JSON.parse(text));
    expect(back.transforms).toEqual(opt.transforms);
    expect(JSON.stringify(back.getConfig())).toBe(text);
    train(a.params, opt, 9, 3);
    train(b.params, back, 9, 3);
    expectSameRun({ params: a.params, opt }, { params: b.params, opt: back }, "after 3 steps");
  });

  it.each(CONFIGS)("%s: a checkpoint with the config in its metadata resumes bit for bit", (_what, transforms) => {
    const a = model(Adam, 10), b = model(Adam, 11);
    const opt = new Adam(a.params, { lr: 0.01, ...transforms });
    train(a.params, opt, 12, 2);
    const bytes = saveCheckpoint({ params: a.store, optimizer: opt }, { config: JSON.stringify(opt.getConfig()) });
    const { metadata } = loadCheckpoint(bytes, {});
    const resumed = Adam.fromConfig(b.params, JSON.parse(metadata.config!));
    loadCheckpoint(bytes, { params: b.store, optimizer: resumed });
    expect(resumed.transforms).toEqual(opt.transforms);
    train(a.params, opt, 13, 2);
    train(b.params, resumed, 13, 2);
    expectSameRun({ params: a.params, opt }, { params: b.params, opt: resumed }, "resumed");
  });

  it.each([
    [{ maxGradNorm: "inf" }, /Adam: invalid maxGradNorm inf \(expected a number >= 0\)/],
    [{ clipValue: "-Infinity" }, /Adam: invalid clipValue -Infinity \(expected a number >= 0\)/],
    [{ maxGradNorm: 1, normType: "Infinity " }, /Adam: invalid normType Infinity  \(expected a number > 0, or Infinity\)/],
    [{ maxGradNorm: null }, /Adam: invalid maxGradNorm null \(expected a number >= 0\)/],
  ])("%j: only the exact string \"Infinity\" stands for Infinity", (options, message) => {
    expect(() => new Adam(model(Adam, 14).params, { lr: 0.01, ...(options as object) })).toThrow(message);
  });
});

describe("#20.22 the option re-check's fast path for a scheduler's edits (lr, and momentum or betas) checks everything", () => {
  // After one edit of lr with momentum (SGD) or beta1 (Adam), the next step re-checks only those two (the path
  // that allocates nothing); every other edit must still be seen. Each row edits the hot pair every step, then
  // once more together with `extra`: an invalid value is refused with nothing changed, a valid one is used.
  const ROWS: Array<{ what: string; make: (p: { value: Float32Array; grad: Float32Array }[]) => Optimizer<object>; cycle: (g: Record<string, unknown>, t: number) => void; extra: (g: Record<string, unknown>) => void; error?: RegExp }> = [
    { what: "SGD: lr, momentum, then dampening -1", make: (p) => new SGD(p, { lr: 0.1, momentum: 0.9 }), cycle: (g, t) => { g.lr = 0.1 - t * 1e-3; g.momentum = 0.9 - t * 1e-3; }, extra: (g) => { g.dampening = -1; }, error: /Invalid dampening: -1/ },
    { what: "SGD: lr, momentum, then momentum -1", make: (p) => new SGD(p, { lr: 0.1, momentum: 0.9 }), cycle: (g, t) => { g.lr = 0.1 - t * 1e-3; g.momentum = 0.9 - t * 1e-3; }, extra: (g) => { g.momentum = -1; }, error: /Invalid momentum: -1/ },
    { what: "SGD: lr, momentum, then weightDecay 0.1 (used)", make: (p) => new SGD(p, { lr: 0.1, momentum: 0.9 }), cycle: (g, t) => { g.lr = 0.1 - t * 1e-3; g.momentum = 0.9 - t * 1e-3; }, extra: (g) => { g.weightDecay = 0.1; } },
    { what: "Adam: lr, beta1, then eps -1", make: (p) => new Adam(p, { lr: 0.01 }), cycle: (g, t) => { g.lr = 0.01 - t * 1e-4; (g.betas as number[])[0] = 0.9 - t * 1e-3; }, extra: (g) => { g.eps = -1; }, error: /Invalid eps: -1/ },
    { what: "Adam: lr, beta1, then beta1 1.5", make: (p) => new Adam(p, { lr: 0.01 }), cycle: (g, t) => { g.lr = 0.01 - t * 1e-4; (g.betas as number[])[0] = 0.9 - t * 1e-3; }, extra: (g) => { (g.betas as number[])[0] = 1.5; }, error: /Invalid beta1: 1.5/ },
    { what: "Adam: lr, beta1, then beta2 0.99 (used)", make: (p) => new Adam(p, { lr: 0.01 }), cycle: (g, t) => { g.lr = 0.01 - t * 1e-4; (g.betas as number[])[0] = 0.9 - t * 1e-3; }, extra: (g) => { (g.betas as number[])[1] = 0.99; } },
    { what: "Adam: lr, beta1, then amsgrad (structural: a new buffer)", make: (p) => new Adam(p, { lr: 0.01 }), cycle: (g, t) => { g.lr = 0.01 - t * 1e-4; (g.betas as number[])[0] = 0.9 - t * 1e-3; }, extra: (g) => { g.amsgrad = true; } },
  ];
  it.each(ROWS.map((r) => [r.what, r] as const))("%s", (_what, r) => {
    const a = model(SGD, 15), b = model(SGD, 15);
    const hot = r.make(a.params), fresh = r.make(b.params);
    const rand = rng(16);
    const grads = () => LENGTHS.map((n) => randomArray(n, rand));
    const apply = (o: Optimizer<object>, t: number, extra: boolean) => {
      const g = o.paramGroups[0] as unknown as Record<string, unknown>;
      r.cycle(g, t);
      if (extra) r.extra(g);
    };
    for (let t = 1; t <= 4; t++) {
      const gs = grads();
      a.params.forEach((p, i) => p.grad.set(gs[i]!));
      b.params.forEach((p, i) => p.grad.set(gs[i]!));
      apply(hot, t, false);
      hot.step();
      // The twin gets the same options through a state-dict round trip: a full re-check, never the fast path.
      const d = fresh.stateDict();
      Object.assign(d.paramGroups[0]!, { ...hot.paramGroups[0], params: d.paramGroups[0]!.params });
      fresh.loadStateDict(d);
      fresh.step();
    }
    expectSameRun({ params: a.params, opt: hot }, { params: b.params, opt: fresh }, "after the cycled steps");
    apply(hot, 5, true);
    if (r.error) {
      const values = a.params.map((p) => p.value.slice()), state = hot.stateDict();
      expect(() => hot.step()).toThrow(r.error);
      a.params.forEach((p, i) => expect(firstBitDifference(p.value, values[i]!)).toBe(-1));
      expectSameState(hot.stateDict(), state);
    } else {
      hot.step();
      // Three options changed at once: both take the general re-check (a structural one re-plans the state).
      const { params: _p, ...options } = hot.paramGroups[0] as unknown as Record<string, unknown>;
      Object.assign(fresh.paramGroups[0]!, structuredClone(options));
      fresh.step();
      expectSameRun({ params: a.params, opt: hot }, { params: b.params, opt: fresh }, "after the extra edit");
    }
    a.store.dispose();
    b.store.dispose();
  });
});
