// LR schedulers against PyTorch 2.13 and the schedule functions against Optax 0.2.8
// (test/fixtures/schedules.json, written by scripts/fixtures/schedules.py).
//
// Tolerances:
// - schedulers: |ours − torch| <= 1e-12·|torch| for every lr and momentum/beta1. Both sides are IEEE f64 and
//   follow the same formulas in the same order; what may differ is the last bit of cos, log and pow (V8's
//   fdlibm-derived versions against glibc's), which the chainable forms carry over ≤ 50 steps: ~1e-15.
// - Optax in float64 (jax_enable_x64): 1e-12 relative, for the same reason (XLA's cos against V8's).
// - Optax in float32 (JAX's default): 1e-6·|value| + 1e-6·(the schedule's peak value): JAX rounds every
//   intermediate to f32 (ε = 6e-8, a few operations), and a value far below the peak (the end of a cosine,
//   init − end cancellations) carries the absolute rounding error of the large intermediates.
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { Adagrad, Adam, AdamW, ParamStore, RMSprop, SGD } from "../src/index.js";
import {
  ChainedScheduler, ConstantLR, constantSchedule, CosineAnnealingLR, CosineAnnealingWarmRestarts, cosineDecaySchedule,
  cosineOnecycleSchedule, CyclicLR, exponentialDecay, ExponentialLR, joinSchedules, LambdaLR, LinearLR, linearOnecycleSchedule,
  linearSchedule, type LrLambda, LRScheduler, MultiplicativeLR, MultiStepLR, OneCycleLR, piecewiseConstantSchedule,
  piecewiseInterpolateSchedule, polynomialSchedule, PolynomialLR, ReduceLROnPlateau, type Schedule, scheduleLambda,
  SequentialLR, sgdrSchedule, StepLR, SWALR, warmupCosineDecaySchedule,
} from "../src/schedules/index.js";

interface Spec { type: string; options: Record<string, unknown> }
interface PlanStep { scheduler: number; metric?: number; epoch?: number }
interface Case {
  name: string; optimizer: "sgd" | "adam"; groupLrs: number[]; schedulers: Spec[]; plan: PlanStep[];
  trajectory: Array<{ lrs: number[]; momentum: number[] }>;
}
interface OptaxCase { name: string; options: Record<string, unknown>; f64: number[]; f32: number[] }
const fixture = JSON.parse(readFileSync(new URL("./fixtures/schedules.json", import.meta.url), "utf8")) as {
  torch: string; optax: { steps: number[]; cases: OptaxCase[] }; lambdas: string[]; scaleFns: string[]; cases: Case[];
};

// The named functions of scripts/fixtures/schedules.py, written identically.
const LAMBDAS: Record<string, LrLambda> = {
  warmup10: (e) => Math.min(1.0, (e + 1) / 10),
  pow095: (e) => 0.95 ** e,
  invSqrt: (e) => 1 / Math.sqrt(e + 1),
  const09: () => 0.9,
  alternate: (e) => (e % 2 === 0 ? 1.05 : 0.9),
  decay3: (e) => 1 - e / 60,
};
const SCALE_FNS: Record<string, (x: number) => number> = {
  halfLife: (x) => 1 / (1 + 0.5 * x),
  cosScale: (x) => 0.5 * (1 + Math.cos(x / 10)),
};

const stores: ParamStore[] = [];
afterEach(() => { while (stores.length) stores.pop()!.dispose(); });

function makeOptimizer(kind: "sgd" | "adam", lrs: number[]): SGD | Adam {
  const store = new ParamStore();
  stores.push(store);
  const params = [store.param("a", [0.5, -1, 2]), store.param("b", [0.25, 3])];
  for (const p of params) p.grad.fill(1);
  const groups = params.map((p, i) => ({ params: [p], lr: lrs[i]! }));
  return kind === "sgd" ? new SGD(groups, { lr: 0.1, momentum: 0.9 }) : new Adam(groups, { lr: 0.01, betas: [0.9, 0.999] });
}

type Opt = SGD | Adam;
type AnySched = LRScheduler | ReduceLROnPlateau;

function build(spec: Spec, opt: Opt): AnySched {
  const o: Record<string, unknown> = { ...spec.options };
  if (typeof o.lrLambda === "string") o.lrLambda = LAMBDAS[o.lrLambda];
  else if (Array.isArray(o.lrLambda)) o.lrLambda = (o.lrLambda as string[]).map((n) => LAMBDAS[n]);
  if (typeof o.scaleFn === "string") o.scaleFn = SCALE_FNS[o.scaleFn];
  const children = () => (o.schedulers as Spec[]).map((s) => build(s, opt) as LRScheduler);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const a = o as any;
  switch (spec.type) {
    case "LambdaLR": return new LambdaLR(opt, a);
    case "MultiplicativeLR": return new MultiplicativeLR(opt, a);
    case "StepLR": return new StepLR(opt, a);
    case "MultiStepLR": return new MultiStepLR(opt, a);
    case "ConstantLR": return new ConstantLR(opt, a);
    case "LinearLR": return new LinearLR(opt, a);
    case "ExponentialLR": return new ExponentialLR(opt, a);
    case "PolynomialLR": return new PolynomialLR(opt, a);
    case "CosineAnnealingLR": return new CosineAnnealingLR(opt, a);
    case "CosineAnnealingWarmRestarts": return new CosineAnnealingWarmRestarts(opt, a);
    case "CyclicLR": return new CyclicLR(opt, a);
    case "OneCycleLR": return new OneCycleLR(opt, a);
    case "ReduceLROnPlateau": return new ReduceLROnPlateau(opt, a);
    case "SWALR": return new SWALR(opt, a);
    case "SequentialLR": return new SequentialLR(opt, { schedulers: children(), milestones: a.milestones });
    case "ChainedScheduler": return new ChainedScheduler(children());
    default: throw new Error(`unknown scheduler ${spec.type}`);
  }
}

function momenta(opt: Opt): number[] {
  return opt.paramGroups.map((g) => ("betas" in g ? g.betas[0] : g.momentum));
}

function stepOnce(s: AnySched, p: PlanStep): void {
  if (s instanceof ReduceLROnPlateau) s.step(p.metric!);
  else if (s instanceof CosineAnnealingWarmRestarts && p.epoch !== undefined) s.step(p.epoch);
  else s.step();
}

/**
 * stepOnce, where a step PyTorch takes to a negative lr is refused (gradstep's schedulers write only what the
 * optimizer accepts: OneCycleLR's linear anneal stepped totalSteps times extrapolates below 0 at its last step).
 */
function stepOrRefuse(s: AnySched, p: PlanStep): void {
  try {
    stepOnce(s, p);
  } catch (e) {
    if (!(e instanceof RangeError) || !/the step would set param group \d+'s lr to -/.test(e.message)) throw e;
  }
}

/** Builds a case's optimizer and schedulers and runs `plan` (optimizer step, then scheduler step). */
function run(c: Case, plan = c.plan) {
  const opt = makeOptimizer(c.optimizer, c.groupLrs);
  const scheds = c.schedulers.map((s) => build(s, opt));
  const rows = [{ lrs: opt.paramGroups.map((g) => g.lr), momentum: momenta(opt) }];
  for (const p of plan) {
    opt.step();
    stepOrRefuse(scheds[p.scheduler]!, p);
    rows.push({ lrs: opt.paramGroups.map((g) => g.lr), momentum: momenta(opt) });
    expect(scheds[p.scheduler]!.getLastLr()).toEqual(rows.at(-1)!.lrs);
  }
  return { opt, scheds, rows };
}

let maxRelError = 0;
function close(got: number, want: number, rel: number, abs: number, what: string): void {
  const err = Math.abs(got - want);
  if (want !== 0) maxRelError = Math.max(maxRelError, err / Math.abs(want));
  if (!(err <= rel * Math.abs(want) + abs)) throw new Error(`${what}: got ${got}, want ${want} (|diff| ${err})`);
}

describe(`LR schedulers vs PyTorch ${fixture.torch}`, () => {
  it("the fixture covers every class and option mode", () => {
    const seen = new Set<string>();
    const walk = (s: Spec) => {
      seen.add(s.type);
      const o = s.options;
      if (o.mode) seen.add(`${s.type}:${String(o.mode)}`);
      if (o.thresholdMode) seen.add(`${s.type}:${String(o.thresholdMode)}`);
      if (o.annealStrategy) seen.add(`${s.type}:${String(o.annealStrategy)}`);
      if (o.scaleFn) seen.add(`${s.type}:scaleFn:${String(o.scaleMode ?? "cycle")}`);
      if (o.threePhase) seen.add(`${s.type}:threePhase`);
      if (o.epochs) seen.add(`${s.type}:epochs`);
      if (o.cycleMomentum === false) seen.add(`${s.type}:noMomentum`);
      if (Array.isArray(o.lrLambda)) seen.add(`${s.type}:perGroup`);
      (o.schedulers as Spec[] | undefined)?.forEach(walk);
    };
    for (const c of fixture.cases) {
      c.schedulers.forEach(walk);
      if (c.plan.some((p) => p.epoch !== undefined)) seen.add("CosineAnnealingWarmRestarts:epoch");
      for (const s of c.schedulers) if (c.optimizer === "adam") seen.add(`${s.type}:adam`);
    }
    const want = [
      "LambdaLR", "LambdaLR:perGroup", "MultiplicativeLR", "MultiplicativeLR:perGroup", "StepLR", "MultiStepLR", "ConstantLR",
      "LinearLR", "ExponentialLR", "PolynomialLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts",
      "CosineAnnealingWarmRestarts:epoch", "CyclicLR", "CyclicLR:triangular2", "CyclicLR:exp_range", "CyclicLR:scaleFn:cycle",
      "CyclicLR:scaleFn:iterations", "CyclicLR:noMomentum", "CyclicLR:adam", "OneCycleLR", "OneCycleLR:linear", "OneCycleLR:threePhase",
      "OneCycleLR:epochs", "OneCycleLR:noMomentum", "OneCycleLR:adam", "ReduceLROnPlateau", "ReduceLROnPlateau:max",
      "ReduceLROnPlateau:abs", "SequentialLR", "ChainedScheduler", "SWALR", "SWALR:linear",
    ];
    for (const w of want) expect(seen, w).toContain(w);
    expect(fixture.lambdas).toEqual(Object.keys(LAMBDAS).sort());
    expect(fixture.scaleFns).toEqual(Object.keys(SCALE_FNS).sort());
    for (const c of fixture.cases) expect(c.plan.length, c.name).toBeGreaterThanOrEqual(40);
  });

  for (const c of fixture.cases) {
    it(`${c.name} (${c.optimizer})`, () => {
      const { opt, rows } = run(c);
      expect(rows.length).toBe(c.trajectory.length);
      rows.forEach((row, t) => {
        const want = c.trajectory[t]!;
        if (want.lrs.some((x) => x < 0)) {
          expect(row.lrs, `step ${t}: refused, nothing changed`).toEqual(rows[t - 1]!.lrs);
          return;
        }
        row.lrs.forEach((x, i) => close(x, want.lrs[i]!, 1e-12, 0, `step ${t} group ${i} lr`));
        row.momentum.forEach((x, i) => close(x, want.momentum[i]!, 1e-12, 0, `step ${t} group ${i} momentum`));
      });
      // The groups gained no key (PyTorch's initial_lr, max_lr, swa_lr... live in the schedulers' side table).
      for (const g of opt.paramGroups) expect(Object.keys(g).sort()).toEqual(Object.keys(opt.defaults).concat("params").sort());
    });
  }

  it(`max relative error over every fixture value is below 1e-12`, () => {
    expect(maxRelError).toBeLessThan(1e-12);
    console.log(`schedulers: max relative error vs torch ${maxRelError.toExponential(2)}`);
  });
});

describe("state dicts", () => {
  for (const c of fixture.cases) {
    it(`${c.name}: round trip and resume`, () => {
      const k = 17;
      const full = run(c).rows;
      const first = run(c, c.plan.slice(0, k));
      const saved = JSON.parse(JSON.stringify({
        opt: first.opt.stateDict(), scheds: first.scheds.map((s) => s.stateDict()),
      }, (_, v: unknown) => (v instanceof Float32Array ? Array.from(v) : v))) as {
        opt: ReturnType<Opt["stateDict"]>; scheds: ReturnType<AnySched["stateDict"]>[];
      };
      // Round trip: loading a scheduler's own dict changes nothing.
      first.scheds.forEach((s, i) => {
        s.loadStateDict(saved.scheds[i]!);
        expect(JSON.parse(JSON.stringify(s.stateDict()))).toEqual(saved.scheds[i]);
      });
      // Resume: a fresh optimizer and fresh schedulers, both loaded, continue like the uninterrupted run.
      const opt = makeOptimizer(c.optimizer, c.groupLrs);
      const scheds = c.schedulers.map((s) => build(s, opt));
      // PyTorch's resume: the optimizer's dict (which holds the groups' lr and momentum/betas), then the schedulers'.
      opt.loadStateDict(saved.opt);
      scheds.forEach((s, i) => s.loadStateDict(saved.scheds[i]!));
      for (const [t, p] of c.plan.slice(k).entries()) {
        opt.step();
        stepOrRefuse(scheds[p.scheduler]!, p);
        expect(opt.paramGroups.map((g) => g.lr), `step ${k + t + 1}`).toEqual(full[k + t + 1]!.lrs);
        expect(momenta(opt), `step ${k + t + 1}`).toEqual(full[k + t + 1]!.momentum);
      }
    });
  }
});

describe("behaviour", () => {
  it("momentum cycling edits betas[0] in place (Adam)", () => {
    const opt = makeOptimizer("adam", [0.01, 0.002]);
    const betas = opt.paramGroups.map((g) => (g as { betas: number[] }).betas);
    const sched = new OneCycleLR(opt, { maxLr: 0.05, totalSteps: 10 });
    for (let i = 0; i < 5; i++) { opt.step(); sched.step(); }
    opt.paramGroups.forEach((g, i) => {
      expect((g as { betas: number[] }).betas).toBe(betas[i]);
      expect(betas[i]![1]).toBe(0.999);
    });
  });

  it("ReduceLROnPlateau with a scalar minLr covers a group added later (as PyTorch); with a list it throws", () => {
    for (const minLr of [0.001, [0.001, 0.001]]) {
      const opt = makeOptimizer("sgd", [0.1, 0.03]);
      const s = new ReduceLROnPlateau(opt, { patience: 0, minLr });
      s.step(1);
      opt.addParamGroup({ params: [{ value: new Float32Array(2), grad: new Float32Array(2) }], lr: 0.5 });
      if (Array.isArray(minLr)) {
        const before = snapshot(opt, s);
        expect(() => s.step(2)).toThrow(/the number of param groups in the optimizer \(3\) differs from when ReduceLROnPlateau was initialized \(2\)/);
        expect(snapshot(opt, s)).toBe(before);
      } else {
        s.step(2);
        expect(s.getLastLr()).toEqual(opt.paramGroups.map((g) => g.lr));
        expect(opt.paramGroups[2]!.lr).toBe(0.5 * 0.1);
      }
    }
  });

  it("ChainedScheduler takes the optimizer as an optional second argument", () => {
    const opt = makeOptimizer("sgd", [0.1, 0.03]);
    const a = new ConstantLR(opt, { factor: 0.5, totalIters: 2 }), b = new ExponentialLR(opt, { gamma: 0.9 });
    const c = new ChainedScheduler([a, b], opt);
    expect(c.optimizer).toBe(opt);
    expect(c.schedulers).toEqual([a, b]);
    expect(() => new ChainedScheduler([a, b], makeOptimizer("sgd", [0.1, 0.1]))).toThrow(/belong to the same optimizer/);
  });

  it("momentum cycling drives RMSprop's momentum and AdamW's beta1 exactly like SGD's and Adam's (identity)", () => {
    const store = new ParamStore();
    stores.push(store);
    const groups = (lrs: number[]) => lrs.map((lr, i) => ({ params: [store.param(`p${store.params.length}_${i}`, 4)], lr }));
    const pairs: Array<[Opt, { paramGroups: readonly { lr: number; momentum?: number; betas?: number[] }[]; step(): void }]> = [
      [makeOptimizer("sgd", [0.1, 0.03]), new RMSprop(groups([0.1, 0.03]), { momentum: 0.9 })],
      [makeOptimizer("adam", [0.01, 0.002]), new AdamW(groups([0.01, 0.002]))],
    ];
    for (const [ref, other] of pairs) {
      const mk = (o: never, k: number) => (k === 0
        ? new CyclicLR(o, { baseLr: 0.001, maxLr: [0.01, 0.02], stepSizeUp: 3 })
        : new OneCycleLR(o, { maxLr: 0.05, totalSteps: 20 }));
      for (let k = 0; k < 2; k++) {
        const a = mk(ref as never, k), b = mk(other as never, k);
        for (let t = 0; t < 20; t++) {
          expect(other.paramGroups.map((g) => g.lr)).toEqual(ref.paramGroups.map((g) => g.lr));
          expect(other.paramGroups.map((g) => g.momentum ?? g.betas![0])).toEqual(momenta(ref));
          other.step(); a.step(); b.step();
        }
      }
    }
  });

  it("Adagrad (no momentum) takes CyclicLR and OneCycleLR with cycleMomentum: false", () => {
    const opt = makeKind("adagrad") as unknown as Adagrad;
    const c = new CyclicLR(opt, { baseLr: [0.01, 0.001], maxLr: 0.1, stepSizeUp: 2, cycleMomentum: false });
    for (let t = 0; t < 5; t++) { opt.step(); c.step(); }
    expect(c.getLastLr()).toEqual(opt.paramGroups.map((g) => g.lr));
    const o = new OneCycleLR(opt, { maxLr: 0.1, totalSteps: 5, cycleMomentum: false });
    expect(o.getLastLr()).toEqual(opt.paramGroups.map((g) => g.lr));
  });

  it("getLastLr returns a copy", () => {
    const opt = makeOptimizer("sgd", [0.1, 0.03]);
    const sched = new StepLR(opt, { stepSize: 2 });
    const last = sched.getLastLr();
    last[0] = 42;
    expect(sched.getLastLr()).toEqual([0.1, 0.03]);
    expect(opt.paramGroups[0]!.lr).toBe(0.1);
  });

  it("LambdaLR follows an Optax-style schedule through scheduleLambda (within one rounding)", () => {
    const opt = makeOptimizer("sgd", [0.1, 0.1]);
    const lr = warmupCosineDecaySchedule({ initValue: 0, peakValue: 0.1, warmupSteps: 5, decaySteps: 50, endValue: 1e-3 });
    const sched = new LambdaLR(opt, { lrLambda: scheduleLambda(lr, 0.1) });
    for (let e = 0; e < 60; e++) {
      // base · (s / base) is s within one rounding of the division and one of the product: 2^-52 relative.
      for (const g of opt.paramGroups) close(g.lr, lr(e), 2 ** -52, 0, `epoch ${e}`);
      opt.step();
      sched.step();
    }
  });

  it("a step allocates no per-group arrays: the last-lr array is reused", () => {
    const opt = makeOptimizer("sgd", [0.1, 0.03]);
    const sched = new CosineAnnealingLR(opt, { tMax: 10 });
    const internal = sched._lastLrs;
    for (let i = 0; i < 5; i++) sched.step();
    expect(sched._lastLrs).toBe(internal);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Errors: every bad option or call throws a clear error and changes nothing.

/** Everything an error must leave unchanged: the groups' lr and momentum/betas, and a witness scheduler. */
function snapshot(opt: Opt, s?: AnySched) {
  return JSON.stringify({
    groups: opt.paramGroups.map((g) => ({ ...g, params: undefined })), state: s?.stateDict(), last: s?.getLastLr(),
  });
}

type Ctor = (opt: Opt, pre: LRScheduler[]) => unknown;
const L = (o: Record<string, unknown>) => o as never;
const CTOR_ERRORS: Array<{ desc: string; kind?: "sgd" | "adam" | "adagrad"; pre?: (o: Opt) => LRScheduler[]; make: Ctor; error: ErrorConstructor; message: RegExp }> = [
  { desc: "StepLR stepSize 0", make: (o) => new StepLR(o, { stepSize: 0 }), error: RangeError, message: /^StepLR: invalid stepSize: 0 \(expected an integer >= 1\)$/ },
  { desc: "StepLR stepSize string", make: (o) => new StepLR(o, L({ stepSize: "7" })), error: TypeError, message: /StepLR: invalid stepSize: "7"/ },
  { desc: "StepLR negative gamma", make: (o) => new StepLR(o, { stepSize: 3, gamma: -0.5 }), error: RangeError, message: /StepLR: invalid gamma: -0.5 \(expected a finite number >= 0\)/ },
  { desc: "StepLR missing stepSize", make: (o) => new StepLR(o, L({})), error: TypeError, message: /StepLR: missing option "stepSize"/ },
  { desc: "StepLR unknown option", make: (o) => new StepLR(o, L({ step_size: 3 })), error: TypeError, message: /StepLR: unknown option "step_size"/ },
  { desc: "MultiStepLR non-increasing milestones", make: (o) => new MultiStepLR(o, { milestones: [5, 3] }), error: RangeError, message: /MultiStepLR: invalid milestones: \[5, 3\] \(expected strictly increasing integers >= 0\)/ },
  { desc: "MultiStepLR fractional milestone", make: (o) => new MultiStepLR(o, { milestones: [1.5] }), error: RangeError, message: /MultiStepLR: invalid milestones\[0\]: 1.5/ },
  { desc: "ConstantLR factor 1.5", make: (o) => new ConstantLR(o, { factor: 1.5 }), error: RangeError, message: /ConstantLR: invalid factor: 1.5 \(expected 0 < factor <= 1\)/ },
  { desc: "ConstantLR factor 0", make: (o) => new ConstantLR(o, { factor: 0 }), error: RangeError, message: /ConstantLR: invalid factor: 0/ },
  { desc: "LinearLR startFactor 0", make: (o) => new LinearLR(o, { startFactor: 0 }), error: RangeError, message: /LinearLR: invalid startFactor: 0 \(expected 0 < startFactor <= 1\)/ },
  { desc: "LinearLR endFactor 1.2", make: (o) => new LinearLR(o, { endFactor: 1.2 }), error: RangeError, message: /LinearLR: invalid endFactor: 1.2/ },
  { desc: "LinearLR totalIters 0", make: (o) => new LinearLR(o, { totalIters: 0 }), error: RangeError, message: /LinearLR: invalid totalIters: 0/ },
  { desc: "ExponentialLR gamma NaN", make: (o) => new ExponentialLR(o, { gamma: NaN }), error: RangeError, message: /ExponentialLR: invalid gamma: NaN/ },
  { desc: "ExponentialLR gamma missing", make: (o) => new ExponentialLR(o, L({})), error: TypeError, message: /ExponentialLR: missing option "gamma"/ },
  { desc: "PolynomialLR negative power", make: (o) => new PolynomialLR(o, { power: -1 }), error: RangeError, message: /PolynomialLR: invalid power: -1/ },
  { desc: "CosineAnnealingLR tMax 0", make: (o) => new CosineAnnealingLR(o, { tMax: 0 }), error: RangeError, message: /CosineAnnealingLR: invalid tMax: 0/ },
  { desc: "CosineAnnealingLR negative etaMin", make: (o) => new CosineAnnealingLR(o, { tMax: 5, etaMin: -1 }), error: RangeError, message: /CosineAnnealingLR: invalid etaMin: -1/ },
  { desc: "CosineAnnealingWarmRestarts t0 0", make: (o) => new CosineAnnealingWarmRestarts(o, { t0: 0 }), error: RangeError, message: /CosineAnnealingWarmRestarts: invalid t0: 0/ },
  { desc: "CosineAnnealingWarmRestarts tMult 1.5", make: (o) => new CosineAnnealingWarmRestarts(o, { t0: 3, tMult: 1.5 }), error: RangeError, message: /CosineAnnealingWarmRestarts: invalid tMult: 1.5/ },
  { desc: "CyclicLR maxLr of the wrong length", make: (o) => new CyclicLR(o, { baseLr: 0.01, maxLr: [0.1] }), error: RangeError, message: /CyclicLR: invalid maxLr: \[0.1\] \(expected a number or an array of 2 \(one per param group\)\)/ },
  { desc: "CyclicLR bad mode", make: (o) => new CyclicLR(o, L({ baseLr: 0.01, maxLr: 0.1, mode: "sawtooth" })), error: RangeError, message: /CyclicLR: invalid mode: "sawtooth"/ },
  { desc: "CyclicLR stepSizeUp 0", make: (o) => new CyclicLR(o, { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 0 }), error: RangeError, message: /CyclicLR: invalid stepSizeUp: 0/ },
  { desc: "CyclicLR beta1 1.2", kind: "adam", make: (o) => new CyclicLR(o, { baseLr: 0.01, maxLr: 0.1, maxMomentum: 1.2 }), error: RangeError, message: /CyclicLR: invalid maxMomentum: 1.2 \(expected 0 <= beta1 < 1\)/ },
  { desc: "CyclicLR momentum on Adagrad", kind: "adagrad", make: (o) => new CyclicLR(o, { baseLr: 0.01, maxLr: 0.1 }), error: TypeError, message: /CyclicLR: optimizer must support momentum or beta1 with `cycleMomentum` option enabled/ },
  { desc: "CyclicLR scaleFn not a function", make: (o) => new CyclicLR(o, L({ baseLr: 0.01, maxLr: 0.1, scaleFn: 3 })), error: TypeError, message: /CyclicLR: invalid scaleFn: 3 \(expected a function\)/ },
  { desc: "OneCycleLR without totalSteps", make: (o) => new OneCycleLR(o, { maxLr: 0.1 }), error: TypeError, message: /OneCycleLR: you must define either totalSteps OR \(epochs AND stepsPerEpoch\)/ },
  { desc: "OneCycleLR fractional totalSteps", make: (o) => new OneCycleLR(o, { maxLr: 0.1, totalSteps: 2.5 }), error: RangeError, message: /OneCycleLR: invalid totalSteps: 2.5/ },
  { desc: "OneCycleLR pctStart 1.5", make: (o) => new OneCycleLR(o, { maxLr: 0.1, totalSteps: 10, pctStart: 1.5 }), error: RangeError, message: /OneCycleLR: invalid pctStart: 1.5/ },
  { desc: "OneCycleLR bad annealStrategy", make: (o) => new OneCycleLR(o, L({ maxLr: 0.1, totalSteps: 10, annealStrategy: "exp" })), error: RangeError, message: /OneCycleLR: invalid annealStrategy: "exp"/ },
  { desc: "OneCycleLR divFactor 0", make: (o) => new OneCycleLR(o, { maxLr: 0.1, totalSteps: 10, divFactor: 0 }), error: RangeError, message: /OneCycleLR: invalid divFactor: 0/ },
  { desc: "OneCycleLR zero-length phase", make: (o) => new OneCycleLR(o, { maxLr: 0.1, totalSteps: 10, pctStart: 0.1 }), error: RangeError, message: /OneCycleLR: phase 1 has zero length at step 0/ },
  { desc: "ReduceLROnPlateau factor 1", make: (o) => new ReduceLROnPlateau(o, { factor: 1 }), error: RangeError, message: /ReduceLROnPlateau: invalid factor: 1 \(expected 0 <= factor < 1\)/ },
  { desc: "ReduceLROnPlateau bad mode", make: (o) => new ReduceLROnPlateau(o, L({ mode: "avg" })), error: RangeError, message: /ReduceLROnPlateau: invalid mode: "avg"/ },
  { desc: "ReduceLROnPlateau bad thresholdMode", make: (o) => new ReduceLROnPlateau(o, L({ thresholdMode: "pct" })), error: RangeError, message: /ReduceLROnPlateau: invalid thresholdMode: "pct"/ },
  { desc: "ReduceLROnPlateau minLr of the wrong length", make: (o) => new ReduceLROnPlateau(o, { minLr: [0, 0, 0] }), error: RangeError, message: /ReduceLROnPlateau: invalid minLr/ },
  { desc: "ReduceLROnPlateau patience -1", make: (o) => new ReduceLROnPlateau(o, { patience: -1 }), error: RangeError, message: /ReduceLROnPlateau: invalid patience: -1/ },
  { desc: "SWALR missing swaLr", make: (o) => new SWALR(o, L({})), error: TypeError, message: /SWALR: missing option "swaLr"/ },
  { desc: "SWALR annealEpochs -1", make: (o) => new SWALR(o, { swaLr: 0.05, annealEpochs: -1 }), error: RangeError, message: /SWALR: invalid annealEpochs: -1/ },
  { desc: "LambdaLR lrLambda not a function", make: (o) => new LambdaLR(o, L({ lrLambda: 0.5 })), error: TypeError, message: /LambdaLR: invalid lrLambda: 0.5 \(expected a function\)/ },
  { desc: "LambdaLR wrong number of lambdas", make: (o) => new LambdaLR(o, { lrLambda: [() => 1] }), error: RangeError, message: /LambdaLR: invalid lrLambda: \[a function\] \(expected a function or an array of 2 functions/ },
  { desc: "LambdaLR lambda returning NaN at epoch 0", make: (o) => new LambdaLR(o, { lrLambda: () => NaN }), error: RangeError, message: /LambdaLR: lrLambda\(0\) returned NaN \(expected a finite number\)/ },
  { desc: "SequentialLR milestones of the wrong length", pre: (o) => [new ConstantLR(o), new ExponentialLR(o, { gamma: 0.9 })], make: (o, pre) => new SequentialLR(o, { schedulers: pre, milestones: [] }), error: RangeError, message: /SequentialLR expects number of schedulers provided to be one more than the number of milestone points/ },
  { desc: "SequentialLR non-increasing milestones", pre: (o) => [new ConstantLR(o), new LinearLR(o), new StepLR(o, { stepSize: 2 })], make: (o, pre) => new SequentialLR(o, { schedulers: pre, milestones: [5, 5] }), error: RangeError, message: /SequentialLR: invalid milestones: \[5, 5\]/ },
  { desc: "SequentialLR with ReduceLROnPlateau", pre: (o) => [new ConstantLR(o)], make: (o, pre) => new SequentialLR(o, { schedulers: [pre[0]!, new ReduceLROnPlateau(o) as never], milestones: [3] }), error: TypeError, message: /SequentialLR does not support ReduceLROnPlateau/ },
  { desc: "SequentialLR over another optimizer", make: (o) => new SequentialLR(o, { schedulers: [new ConstantLR(makeOptimizer("sgd", [0.1, 0.1]))], milestones: [] }), error: Error, message: /SequentialLR expects all schedulers to belong to the same optimizer/ },
  { desc: "SequentialLR with no scheduler", make: (o) => new SequentialLR(o, { schedulers: [], milestones: [] }), error: RangeError, message: /SequentialLR expects at least one scheduler/ },
  { desc: "SequentialLR with a composite after the first", pre: (o) => [new LinearLR(o), new ConstantLR(o), new ExponentialLR(o, { gamma: 0.9 })], make: (o, pre) => new SequentialLR(o, { schedulers: [pre[0]!, new ChainedScheduler(pre.slice(1))], milestones: [3] }), error: TypeError, message: /SequentialLR: schedulers\[1\] is a ChainedScheduler, which cannot be restarted at a milestone/ },
  { desc: "SequentialLR with a scheduler twice", pre: (o) => [new ConstantLR(o)], make: (o, pre) => new SequentialLR(o, { schedulers: [pre[0]!, pre[0]!], milestones: [3] }), error: Error, message: /SequentialLR: the scheduler at index 1 appears twice/ },
  { desc: "ChainedScheduler over two optimizers", pre: (o) => [new ConstantLR(o)], make: (_o, pre) => new ChainedScheduler([pre[0]!, new ConstantLR(makeOptimizer("sgd", [0.1, 0.1]))]), error: Error, message: /ChainedScheduler expects all schedulers to belong to the same optimizer/ },
  { desc: "ChainedScheduler with no scheduler", make: () => new ChainedScheduler([]), error: RangeError, message: /ChainedScheduler expects at least one scheduler/ },
  { desc: "ChainedScheduler with ReduceLROnPlateau", make: (o) => new ChainedScheduler([new ReduceLROnPlateau(o) as never]), error: TypeError, message: /ChainedScheduler does not support ReduceLROnPlateau/ },
  { desc: "a disposed optimizer", make: (o) => { (o as SGD).dispose(); return new StepLR(o, { stepSize: 3 }); }, error: Error, message: /^StepLR: the optimizer has been disposed$/ },
  { desc: "not an optimizer", make: () => new StepLR({} as never, { stepSize: 3 }), error: TypeError, message: /StepLR: an object is not an optimizer/ },
];

function makeKind(kind: "sgd" | "adam" | "adagrad" = "sgd"): Opt {
  if (kind !== "adagrad") return makeOptimizer(kind, kind === "sgd" ? [0.1, 0.03] : [0.01, 0.002]);
  const store = new ParamStore();
  stores.push(store);
  return new Adagrad([{ params: [store.param("a", 3)], lr: 0.1 }, { params: [store.param("b", 2)], lr: 0.03 }]) as never;
}

CTOR_ERRORS.push(
  { desc: "LambdaLR whose lambda is negative at the initial step", make: (o) => new LambdaLR(o, { lrLambda: () => -2 }), error: RangeError, message: /^LambdaLR: the step would set param group 0's lr to -0.2 \(expected a finite number >= 0\)/ },
);

describe("errors at construction change nothing", () => {
  for (const e of CTOR_ERRORS) {
    it(e.desc, () => {
      const opt = makeKind(e.kind);
      // A scheduler already over the optimizer: its state and the groups (lr, momentum, betas) must not move.
      const witness = new ExponentialLR(opt, { gamma: 0.5 });
      witness.step();
      const pre = e.pre?.(opt) ?? [];
      const before = snapshot(opt, witness) + pre.map((s) => JSON.stringify(s.stateDict())).join();
      let thrown: unknown;
      try { e.make(opt, pre); } catch (err) { thrown = err; }
      expect(thrown).toBeInstanceOf(e.error);
      expect((thrown as Error).message).toMatch(e.message);
      if (!opt.disposed) {
        expect(snapshot(opt, witness) + pre.map((s) => JSON.stringify(s.stateDict())).join()).toBe(before);
        witness.step(); // and it still works
      }
    });
  }
});

const STEP_ERRORS: Array<{ desc: string; kind?: "sgd" | "adam"; make: (o: Opt) => AnySched; before?: (s: AnySched, o: Opt) => void; act: (s: AnySched, o: Opt) => void; error: ErrorConstructor; message: RegExp }> = [
  {
    desc: "OneCycleLR past totalSteps", make: (o) => new OneCycleLR(o, { maxLr: 0.1, totalSteps: 10 }),
    before: (s) => { for (let i = 0; i < 10; i++) s.step(undefined as never); }, act: (s) => s.step(undefined as never),
    error: RangeError, message: /^OneCycleLR: tried to step 11 times; the specified number of total steps is 10$/,
  },
  { desc: "ReduceLROnPlateau NaN metric", make: (o) => new ReduceLROnPlateau(o, { patience: 0 }), before: (s) => s.step(1 as never), act: (s) => s.step(NaN as never), error: RangeError, message: /^ReduceLROnPlateau: invalid metric: NaN \(expected a finite number\)$/ },
  { desc: "ReduceLROnPlateau Infinity metric", make: (o) => new ReduceLROnPlateau(o), act: (s) => s.step(Infinity as never), error: RangeError, message: /invalid metric: Infinity/ },
  { desc: "ReduceLROnPlateau string metric", make: (o) => new ReduceLROnPlateau(o), act: (s) => s.step("0.5" as never), error: TypeError, message: /invalid metric: "0.5"/ },
  { desc: "step over a disposed optimizer", make: (o) => new StepLR(o, { stepSize: 2 }), act: (_s, o) => { (o as SGD).dispose(); _s.step(undefined as never); }, error: Error, message: /^StepLR: the optimizer has been disposed$/ },
  { desc: "ReduceLROnPlateau over a disposed optimizer", make: (o) => new ReduceLROnPlateau(o), act: (s, o) => { (o as SGD).dispose(); s.step(1 as never); }, error: Error, message: /ReduceLROnPlateau: the optimizer has been disposed/ },
  {
    desc: "LambdaLR lambda returning NaN at epoch 3", make: (o) => new LambdaLR(o, { lrLambda: (e) => (e === 3 ? NaN : 1 / (e + 1)) }),
    before: (s) => { s.step(undefined as never); s.step(undefined as never); }, act: (s) => s.step(undefined as never),
    error: RangeError, message: /LambdaLR: lrLambda\(3\) returned NaN/,
  },
  {
    desc: "MultiplicativeLR lambda throwing", make: (o) => new MultiplicativeLR(o, { lrLambda: (e) => { if (e === 2) throw new TypeError("boom"); return 0.9; } }),
    before: (s) => s.step(undefined as never), act: (s) => s.step(undefined as never), error: TypeError, message: /^boom$/,
  },
  {
    desc: "CyclicLR scaleFn returning a string", make: (o) => new CyclicLR(o, { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 2, scaleFn: (x) => (x > 1 ? ("x" as never) : 1) }),
    before: (s) => { for (let i = 0; i < 3; i++) s.step(undefined as never); }, act: (s) => s.step(undefined as never),
    error: TypeError, message: /CyclicLR: scaleFn\(2\) returned string/,
  },
  {
    desc: "ChainedScheduler whose second child fails: the first does not step either",
    make: (o) => new ChainedScheduler([new ExponentialLR(o, { gamma: 0.9 }), new OneCycleLR(o, { maxLr: 0.1, totalSteps: 3, cycleMomentum: false })]),
    before: (s) => { for (let i = 0; i < 3; i++) s.step(undefined as never); }, act: (s) => s.step(undefined as never),
    error: RangeError, message: /OneCycleLR: tried to step 4 times/,
  },
  {
    desc: "SequentialLR restarting a failing LambdaLR at its milestone",
    make: (o) => {
      let calls = 0; // NaN at epoch 0 after the constructor's initial step (one call per group): the restart fails
      return new SequentialLR(o, { schedulers: [new ConstantLR(o), new LambdaLR(o, { lrLambda: (e) => (e === 0 && calls++ >= 2 ? NaN : 1) })], milestones: [2] });
    },
    before: (s) => s.step(undefined as never), act: (s) => s.step(undefined as never), error: RangeError, message: /LambdaLR: lrLambda\(0\) returned NaN/,
  },
  // A value no optimizer accepts is refused at sched.step(), not at the next opt.step() after the scheduler moved.
  ...([
    ["LambdaLR lambda negative at epoch 3", () => 1, (o: Opt) => new LambdaLR(o, { lrLambda: (e) => (e === 3 ? -1 : 1) }), 2, "LambdaLR", "lr to -0.1 "],
    ["MultiplicativeLR negative factor", 0, (o: Opt) => new MultiplicativeLR(o, { lrLambda: () => -0.5 }), 0, "MultiplicativeLR", "lr to -0.05 "],
    ["MultiplicativeLR compounding past the f64 range", 0, (o: Opt) => new MultiplicativeLR(o, { lrLambda: () => 1e300 }), 1, "MultiplicativeLR", "lr to Infinity "],
    ["ExponentialLR gamma 1e200 compounding to Infinity", 0, (o: Opt) => new ExponentialLR(o, { gamma: 1e200 }), 1, "ExponentialLR", "lr to Infinity "],
    ["CyclicLR scaleFn -100: a negative lr", 0, (o: Opt) => new CyclicLR(o, { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 2, scaleFn: () => -100 }), 0, "CyclicLR", "lr to -4.49"],
    ["CyclicLR scaleFn 30: SGD momentum below 0", 0, (o: Opt) => new CyclicLR(o, { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 2, scaleFn: () => 30 }), 0, "CyclicLR", "momentum to -0.59"],
    ["OneCycleLR linear stepped totalSteps times (PyTorch extrapolates below 0)", 0, (o: Opt) => new OneCycleLR(o, { maxLr: 0.05, totalSteps: 10, annealStrategy: "linear", cycleMomentum: false }), 9, "OneCycleLR", "lr to -0.00"],
    ["ChainedScheduler whose LambdaLR goes negative: no child steps",  0, (o: Opt) => new ChainedScheduler([new CosineAnnealingWarmRestarts(o, { t0: 3 }), new ExponentialLR(o, { gamma: 0.9 }), new LambdaLR(o, { lrLambda: (e) => (e === 2 ? -1 : 1) })]), 1, "ChainedScheduler", "lr to -"],
    ["SequentialLR switching to a MultiplicativeLR with a negative factor", 0, (o: Opt) => new SequentialLR(o, { schedulers: [new ConstantLR(o), new MultiplicativeLR(o, { lrLambda: () => -1 })], milestones: [2] }), 1, "SequentialLR", "lr to -"],
  ] as const).map(([desc, _unused, make, steps, label, what]) => ({
    desc, make: make as (o: Opt) => AnySched, error: RangeError,
    before: (s: AnySched) => { for (let i = 0; i < steps; i++) s.step(undefined as never); }, act: (s: AnySched) => s.step(undefined as never),
    message: new RegExp(`^${label}: the step would set param group 0's ${what.replace(/[.+]/g, "\\$&")}.*; the scheduler and the optimizer are unchanged$`),
  })),
  {
    desc: "CyclicLR scaleFn 30 over Adam: beta1 below 0", kind: "adam", error: RangeError,
    make: (o) => new CyclicLR(o, { baseLr: 0.001, maxLr: 0.01, stepSizeUp: 2, scaleFn: () => 30 }), act: (s) => s.step(undefined as never),
    message: /^CyclicLR: the step would set param group 0's beta1 to -0\.59\d* \(expected 0 <= beta1 < 1\); the scheduler and the optimizer are unchanged$/,
  },
  { desc: "CosineAnnealingWarmRestarts negative epoch", make: (o) => new CosineAnnealingWarmRestarts(o, { t0: 3 }), act: (s) => (s as CosineAnnealingWarmRestarts).step(-1), error: RangeError, message: /CosineAnnealingWarmRestarts: invalid epoch: -1/ },
  {
    desc: "a param group added after construction", make: (o) => new StepLR(o, { stepSize: 2 }),
    act: (s, o) => { const st = new ParamStore(); stores.push(st); void st; (o as SGD).addParamGroup({ params: [{ value: new Float32Array(2), grad: new Float32Array(2) }], lr: 0.5 }); s.step(undefined as never); },
    error: Error, message: /StepLR: the optimizer has 3 param groups, but the scheduler was built for 2/,
  },
];

describe("errors at step() change nothing", () => {
  for (const e of STEP_ERRORS) {
    it(e.desc, () => {
      const opt = makeKind(e.kind);
      const s = e.make(opt);
      e.before?.(s, opt);
      const before = snapshot(opt, s);
      let thrown: unknown;
      try { e.act(s, opt); } catch (err) { thrown = err; }
      expect(thrown).toBeInstanceOf(e.error);
      expect((thrown as Error).message).toMatch(e.message);
      if (!opt.disposed && opt.paramGroups.length === 2) expect(snapshot(opt, s)).toBe(before);
      else expect(s.getLastLr()).toEqual(JSON.parse(before).last);
    });
  }
});

describe("loadStateDict of a bad dict throws and changes nothing", () => {
  const good = () => {
    const opt = makeOptimizer("sgd", [0.1, 0.03]);
    const s = new StepLR(opt, { stepSize: 3, gamma: 0.5 });
    for (let i = 0; i < 4; i++) s.step();
    return { opt, s, dict: s.stateDict() };
  };
  const BAD: Array<{ desc: string; edit: (d: Record<string, unknown>) => unknown; error: ErrorConstructor; message: RegExp }> = [
    { desc: "not an object", edit: () => 42, error: TypeError, message: /StepLR.loadStateDict: expected a state dict object, got 42/ },
    { desc: "another scheduler's dict", edit: (d) => ({ ...d, scheduler: "LinearLR" }), error: Error, message: /the state dict is from "LinearLR", not StepLR/ },
    { desc: "another format", edit: (d) => ({ ...d, format: 99 }), error: Error, message: /unsupported format 99/ },
    { desc: "a missing key", edit: (d) => { const { gamma: _g, ...rest } = d; return rest; }, error: Error, message: /the state dict is missing "gamma"/ },
    { desc: "an unknown key", edit: (d) => ({ ...d, extra: 1 }), error: Error, message: /unknown key "extra"/ },
    { desc: "a negative gamma", edit: (d) => ({ ...d, gamma: -1 }), error: RangeError, message: /StepLR.loadStateDict: invalid gamma: -1/ },
    { desc: "baseLrs of the wrong length", edit: (d) => ({ ...d, baseLrs: [0.1] }), error: RangeError, message: /invalid baseLrs: \[0.1\] \(expected an array of 2 numbers\)/ },
    { desc: "a fractional lastEpoch", edit: (d) => ({ ...d, lastEpoch: 1.5 }), error: RangeError, message: /invalid lastEpoch: 1.5/ },
  ];
  for (const b of BAD) {
    it(b.desc, () => {
      const { opt, s, dict } = good();
      const before = snapshot(opt, s);
      expect(() => s.loadStateDict(b.edit({ ...dict }) as never)).toThrow(b.error);
      expect(() => s.loadStateDict(b.edit({ ...dict }) as never)).toThrow(b.message);
      expect(snapshot(opt, s)).toBe(before);
    });
  }

  it("a SequentialLR dict with one bad child changes no child", () => {
    const opt = makeOptimizer("sgd", [0.1, 0.03]);
    const mk = () => new SequentialLR(opt, { schedulers: [new LinearLR(opt), new StepLR(opt, { stepSize: 2 })], milestones: [3] });
    const s = mk();
    for (let i = 0; i < 5; i++) s.step();
    const dict = s.stateDict();
    const bad = JSON.parse(JSON.stringify(dict)) as { schedulers: Array<Record<string, unknown>> };
    bad.schedulers[0]!.lastEpoch = 0;
    bad.schedulers[1]!.gamma = -1;
    const before = snapshot(opt, s);
    expect(() => s.loadStateDict(bad as never)).toThrow(/StepLR.loadStateDict: invalid gamma: -1/);
    expect(snapshot(opt, s)).toBe(before);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Optax schedule functions.

function buildOptax(name: string, o: Record<string, unknown>): Schedule {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const a = o as any;
  switch (name) {
    case "constantSchedule": return constantSchedule(a.value);
    case "linearSchedule": return linearSchedule(a);
    case "polynomialSchedule": return polynomialSchedule(a);
    case "cosineDecaySchedule": return cosineDecaySchedule(a);
    case "exponentialDecay": return exponentialDecay(a);
    case "warmupCosineDecaySchedule": return warmupCosineDecaySchedule(a);
    case "piecewiseConstantSchedule": return piecewiseConstantSchedule(a);
    case "piecewiseInterpolateSchedule": return piecewiseInterpolateSchedule(a);
    case "linearOnecycleSchedule": return linearOnecycleSchedule(a);
    case "cosineOnecycleSchedule": return cosineOnecycleSchedule(a);
    case "sgdrSchedule": return sgdrSchedule(a.cycles);
    case "joinSchedules": return joinSchedules((a.schedules as Array<{ name: string; options: Record<string, unknown> }>).map((s) => buildOptax(s.name, s.options)), a.boundaries);
    default: throw new Error(`unknown schedule ${name}`);
  }
}

describe(`schedule functions vs Optax ${String((fixture as unknown as { optax: { version?: string } }).optax.version ?? "0.2.8")}`, () => {
  it("covers every function", () => {
    const names = new Set(fixture.optax.cases.map((c) => c.name));
    for (const n of ["constantSchedule", "linearSchedule", "polynomialSchedule", "cosineDecaySchedule", "exponentialDecay",
      "warmupCosineDecaySchedule", "piecewiseConstantSchedule", "joinSchedules", "piecewiseInterpolateSchedule",
      "linearOnecycleSchedule", "cosineOnecycleSchedule", "sgdrSchedule"]) expect(names).toContain(n);
    const types = fixture.optax.cases.filter((c) => c.name === "piecewiseInterpolateSchedule").map((c) => c.options.interpolateType);
    expect(new Set(types)).toEqual(new Set(["linear", "cosine"]));
  });
  let max64 = 0, max32 = 0;
  for (const c of fixture.optax.cases) {
    it(`${c.name} ${JSON.stringify(c.options)}`, () => {
      const f = buildOptax(c.name, c.options);
      const peak = Math.max(...c.f64.map(Math.abs));
      fixture.optax.steps.forEach((step, i) => {
        const got = f(step), w64 = c.f64[i]!, w32 = c.f32[i]!;
        const e64 = Math.abs(got - w64), e32 = Math.abs(got - w32);
        if (w64 !== 0) max64 = Math.max(max64, e64 / Math.abs(w64));
        if (w32 !== 0) max32 = Math.max(max32, e32 / Math.abs(w32));
        if (!(e64 <= 1e-12 * Math.abs(w64))) throw new Error(`step ${step}: got ${got}, optax f64 ${w64}`);
        if (!(e32 <= 1e-6 * Math.abs(w32) + 1e-6 * peak)) throw new Error(`step ${step}: got ${got}, optax f32 ${w32}`);
      });
    });
  }
  it("max relative errors", () => {
    console.log(`optax: max relative error vs f64 ${max64.toExponential(2)}, vs f32 ${max32.toExponential(2)}`);
    expect(max64).toBeLessThan(1e-12);
  });

  const FN_ERRORS: Array<{ desc: string; make: () => unknown; error: ErrorConstructor; message: RegExp }> = [
    { desc: "cosineDecaySchedule decaySteps 0", make: () => cosineDecaySchedule({ initValue: 0.1, decaySteps: 0 }), error: RangeError, message: /cosineDecaySchedule requires positive decaySteps, got decaySteps=0/ },
    { desc: "warmupCosineDecaySchedule decaySteps <= warmupSteps", make: () => warmupCosineDecaySchedule({ initValue: 0, peakValue: 1, warmupSteps: 10, decaySteps: 10 }), error: RangeError, message: /requires positive decaySteps/ },
    { desc: "piecewiseConstantSchedule negative scale", make: () => piecewiseConstantSchedule({ initValue: 0.1, boundariesAndScales: { 10: -0.5 } }), error: RangeError, message: /expects non-negative scale factors/ },
    { desc: "linearSchedule missing endValue", make: () => linearSchedule({ initValue: 0.1, transitionSteps: 5 } as never), error: TypeError, message: /linearSchedule|polynomialSchedule: missing option "endValue"/ },
    { desc: "exponentialDecay unknown option", make: () => exponentialDecay({ initValue: 0.1, transitionSteps: 5, decayRate: 0.5, decay: 1 } as never), error: TypeError, message: /exponentialDecay: unknown option "decay"/ },
    { desc: "exponentialDecay NaN initValue", make: () => exponentialDecay({ initValue: NaN, transitionSteps: 5, decayRate: 0.5 }), error: RangeError, message: /exponentialDecay: invalid initValue: NaN/ },
    { desc: "joinSchedules boundaries of the wrong length", make: () => joinSchedules([constantSchedule(1), constantSchedule(2)], []), error: RangeError, message: /joinSchedules: invalid boundaries/ },
    { desc: "piecewiseInterpolateSchedule unknown interpolateType", make: () => piecewiseInterpolateSchedule({ interpolateType: "quadratic" as never, initValue: 0.1 }), error: RangeError, message: /^piecewiseInterpolateSchedule: invalid interpolateType: "quadratic" \(expected "linear" or "cosine"\)$/ },
    { desc: "piecewiseInterpolateSchedule missing interpolateType", make: () => piecewiseInterpolateSchedule({ initValue: 0.1 } as never), error: TypeError, message: /^piecewiseInterpolateSchedule: invalid interpolateType: undefined \(expected "linear" or "cosine"\)$/ },
    { desc: "piecewiseInterpolateSchedule negative scale", make: () => piecewiseInterpolateSchedule({ interpolateType: "cosine", initValue: 0.1, boundariesAndScales: { 5: 2, 10: -0.5 } }), error: RangeError, message: /^piecewiseInterpolateSchedule expects non-negative scale factors, got -0.5 at boundary 10$/ },
    { desc: "piecewiseInterpolateSchedule non-numeric boundary", make: () => piecewiseInterpolateSchedule({ interpolateType: "linear", initValue: 0.1, boundariesAndScales: { ten: 0.5 } as never }), error: TypeError, message: /^piecewiseInterpolateSchedule: invalid boundariesAndScales: "ten" \(expected numeric boundaries\)$/ },
    { desc: "piecewiseInterpolateSchedule overflowing values", make: () => piecewiseInterpolateSchedule({ interpolateType: "linear", initValue: 1, boundariesAndScales: { 1: 1e300, 2: 1e300 } }), error: RangeError, message: /^piecewiseInterpolateSchedule: the value at boundary 2 overflows \(Infinity\)/ },
    { desc: "linearOnecycleSchedule transitionSteps 0", make: () => linearOnecycleSchedule({ transitionSteps: 0, peakValue: 0.1 }), error: RangeError, message: /^linearOnecycleSchedule: invalid transitionSteps: 0 \(expected an integer > 0\)$/ },
    { desc: "linearOnecycleSchedule fractional transitionSteps", make: () => linearOnecycleSchedule({ transitionSteps: 10.5, peakValue: 0.1 }), error: RangeError, message: /^linearOnecycleSchedule: invalid transitionSteps: 10.5 \(expected an integer > 0\)$/ },
    { desc: "linearOnecycleSchedule missing peakValue", make: () => linearOnecycleSchedule({ transitionSteps: 10 } as never), error: TypeError, message: /^linearOnecycleSchedule: missing option "peakValue"$/ },
    { desc: "linearOnecycleSchedule pctFinal < pctStart", make: () => linearOnecycleSchedule({ transitionSteps: 10, peakValue: 0.1, pctStart: 0.5, pctFinal: 0.4 }), error: RangeError, message: /^linearOnecycleSchedule: invalid pctFinal: 0.4 \(expected pctStart <= pctFinal <= 1 \(pctStart is 0.5\)\)$/ },
    { desc: "linearOnecycleSchedule divFactor 0", make: () => linearOnecycleSchedule({ transitionSteps: 10, peakValue: 0.1, divFactor: 0 }), error: RangeError, message: /^linearOnecycleSchedule: invalid divFactor: 0 \(expected a finite number > 0\)$/ },
    { desc: "cosineOnecycleSchedule pctStart 1.5", make: () => cosineOnecycleSchedule({ transitionSteps: 10, peakValue: 0.1, pctStart: 1.5 }), error: RangeError, message: /^cosineOnecycleSchedule: invalid pctStart: 1.5 \(expected 0 <= pctStart <= 1\)$/ },
    { desc: "cosineOnecycleSchedule finalDivFactor -1", make: () => cosineOnecycleSchedule({ transitionSteps: 10, peakValue: 0.1, finalDivFactor: -1 }), error: RangeError, message: /^cosineOnecycleSchedule: invalid finalDivFactor: -1 \(expected a finite number > 0\)$/ },
    { desc: "cosineOnecycleSchedule pctFinal (linear's option)", make: () => cosineOnecycleSchedule({ transitionSteps: 10, peakValue: 0.1, pctFinal: 0.8 } as never), error: TypeError, message: /^cosineOnecycleSchedule: unknown option "pctFinal"/ },
    { desc: "cosineOnecycleSchedule peakValue Infinity", make: () => cosineOnecycleSchedule({ transitionSteps: 10, peakValue: Infinity }), error: RangeError, message: /^cosineOnecycleSchedule: invalid peakValue: Infinity \(expected a finite number\)$/ },
    { desc: "sgdrSchedule no cycles", make: () => sgdrSchedule([]), error: RangeError, message: /^sgdrSchedule: invalid cycles: \[\] \(expected a non-empty array of warmupCosineDecaySchedule options\)$/ },
    { desc: "sgdrSchedule not an array", make: () => sgdrSchedule({ initValue: 0, peakValue: 1, warmupSteps: 1, decaySteps: 5 } as never), error: TypeError, message: /^sgdrSchedule: invalid cycles: an object \(expected a non-empty array/ },
    { desc: "sgdrSchedule a cycle with decaySteps <= warmupSteps", make: () => sgdrSchedule([{ initValue: 0, peakValue: 1, warmupSteps: 1, decaySteps: 5 }, { initValue: 0, peakValue: 1, warmupSteps: 5, decaySteps: 5 }]), error: RangeError, message: /^sgdrSchedule: cycles\[1\]: cosineDecaySchedule requires positive decaySteps, got decaySteps=0$/ },
    { desc: "sgdrSchedule a cycle missing peakValue", make: () => sgdrSchedule([{ initValue: 0, warmupSteps: 1, decaySteps: 5 } as never]), error: TypeError, message: /^sgdrSchedule: cycles\[0\]: warmupCosineDecaySchedule: missing option "peakValue"$/ },
    { desc: "scheduleLambda baseLr 0", make: () => scheduleLambda(constantSchedule(1), 0), error: RangeError, message: /scheduleLambda: invalid baseLr: 0/ },
  ];
  for (const e of FN_ERRORS) {
    it(`error: ${e.desc}`, () => {
      expect(e.make).toThrow(e.error);
      expect(e.make).toThrow(e.message);
    });
  }
});
