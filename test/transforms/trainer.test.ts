// The training toolkit guide's trainer (docs/toolkit.md) (its code, with this problem's constants) on a small linear regression (y = W·x + b, W 3×4):
// AdamW over paramGroupsForWeightDecay, warmup + cosine, fused clipping, 4 accumulated micro-batches,
// skipNonFinite, an EMA swapped in for evaluation, early stopping; and the GradScaler loop.
import { expect, it } from "vitest";
import {
  AdamW, AveragedParams, CosineAnnealingLR, GradScaler, LinearLR, ParamStore, ReduceLROnPlateau, SequentialLR,
  paramGroupsForWeightDecay,
} from "../../src/index.js";
import { firstBitDifference, rng } from "../helpers.js";

const IN = 4, OUT = 3;
const rand = rng(42);
const W_TRUE = Array.from({ length: OUT * IN }, () => rand() * 2 - 1), B_TRUE = [0.5, -1, 0.25];
const sample = () => {
  const x = Array.from({ length: IN }, () => rand() * 2 - 1);
  const y = B_TRUE.map((b, o) => b + x.reduce((s, xi, i) => s + W_TRUE[o * IN + i]! * xi, 0) + (rand() - 0.5) * 0.01);
  return { x, y };
};
const TRAIN = Array.from({ length: 64 }, sample), VAL = Array.from({ length: 32 }, sample);

function model() {
  const store = new ParamStore();
  const w = store.param("w", OUT * IN, { shape: [OUT, IN] }), b = store.param("b", OUT);
  return { store, w, b };
}
type Model = ReturnType<typeof model>;
type Row = { x: number[]; y: number[] };

/** Adds the gradient of the mean squared error over `rows` into w.grad and b.grad (scaled by `seed`). */
function backward(rows: Row[], { w, b }: Model, seed = 1): void {
  for (const { x, y } of rows) {
    for (let o = 0; o < OUT; o++) {
      let pred = b.value[o]!;
      for (let i = 0; i < IN; i++) pred += w.value[o * IN + i]! * x[i]!;
      const d = (seed * 2 * (pred - y[o]!)) / rows.length;
      b.grad[o] = b.grad[o]! + d;
      for (let i = 0; i < IN; i++) w.grad[o * IN + i] = w.grad[o * IN + i]! + d * x[i]!;
    }
  }
}

function evaluate({ w, b }: Model): number {
  let s = 0;
  for (const { x, y } of VAL) {
    for (let o = 0; o < OUT; o++) {
      let pred = b.value[o]!;
      for (let i = 0; i < IN; i++) pred += w.value[o * IN + i]! * x[i]!;
      s += (pred - y[o]!) ** 2;
    }
  }
  return s / VAL.length;
}

const chunks = <T>(xs: T[], k: number): T[][] => Array.from({ length: Math.ceil(xs.length / k) }, (_, i) => xs.slice(i * k, i * k + k));

it("the toolkit guide's trainer learns, skips a NaN step, evaluates with the EMA and ships it", () => {
  const m = model();
  const store = m.store;
  const start = evaluate(m);
  const opt = new AdamW(paramGroupsForWeightDecay(store, { weightDecay: 0.05 }), { lr: 3e-2, maxGradNorm: 1.0, skipNonFinite: true });
  expect(opt.paramGroups.map((g) => [g.params, g.weightDecay])).toEqual([[[m.w], 0.05], [[m.b], 0]]);
  const epochs = 60, k = 4;
  const sched = new SequentialLR(opt, {
    schedulers: [new LinearLR(opt, { startFactor: 0.01, totalIters: 5 }), new CosineAnnealingLR(opt, { tMax: epochs - 5 })],
    milestones: [5],
  });
  const ema = new AveragedParams(store, { decay: 0.9, optimizer: opt });
  let best = Infinity, bad = 0, epoch = 0, steps = 0;
  for (; epoch < epochs; epoch++) {
    for (const batches of chunks(chunks(TRAIN, 8), k)) {
      opt.zeroGrad();
      for (const b of batches) backward(b, m);
      if (epoch === 3 && steps % 2 === 0) m.w.grad[5] = Number.NaN;   // a bad batch
      steps++;
      opt.step({ gradScale: 1 / batches.length });      // ...and the EMA's update, unless the step was skipped
    }
    sched.step();
    const trained = [m.w.value.slice(), m.b.value.slice()];
    ema.swap();
    const valLoss = evaluate(m);
    expect(firstBitDifference(m.w.value, ema.averages[0]!)).not.toBe(-1);
    ema.swap();
    expect(firstBitDifference(m.w.value, trained[0]!)).toBe(-1);
    if (valLoss < best - 1e-4) { best = valLoss; bad = 0; } else if (++bad === 10) break;
  }
  ema.copyTo(store);
  expect(opt.skippedSteps).toBe(1);
  expect(ema.nAveraged).toBe(steps - 1);
  expect(Number.isFinite(evaluate(m))).toBe(true);
  expect(evaluate(m)).toBeLessThan(start / 100);
  expect(best).toBeLessThan(start / 100);
});

it("the toolkit guide's plateau variant stops early once the lr is at minLr and the loss flat", () => {
  const m = model();
  const opt = new AdamW(paramGroupsForWeightDecay(m.store, { weightDecay: 0.05 }), { lr: 3e-2 });
  const plateau = new ReduceLROnPlateau(opt, { factor: 0.5, patience: 3, minLr: 1e-5 });
  let best = Infinity, bad = 0, epoch = 0;
  for (; epoch < 2000; epoch++) {
    for (const b of chunks(TRAIN, 8)) { opt.zeroGrad(); backward(b, m); opt.step(); }
    const valLoss = evaluate(m);
    plateau.step(valLoss);
    if (valLoss < best - 1e-4) { best = valLoss; bad = 0; } else bad++;
    if (opt.paramGroups[0]!.lr <= 1e-5 && bad >= 5) break;
  }
  expect(epoch).toBeLessThan(2000);
  expect(opt.paramGroups[0]!.lr).toBeLessThanOrEqual(1e-5);
  expect(best).toBeLessThan(1e-3);
});

it("the toolkit guide's GradScaler loop: overflowing steps are skipped and back the scale off, the rest train", () => {
  const m = model();
  const start = evaluate(m);
  const scaler = new GradScaler({ growthInterval: 5 });
  const opt = new AdamW(m.store, { lr: 1e-2, skipNonFinite: true });
  const scales: number[] = [];
  for (let t = 0; t < 200; t++) {
    opt.zeroGrad();
    backward(TRAIN, m, scaler.scale(1));                    // seed with dLoss × scale, in f32 grads
    if (t === 10 || t === 11) m.w.grad[0] = Infinity;       // an overflow in the backward pass
    scaler.step(opt);
    scaler.update();
    scales.push(scaler.getScale());
  }
  expect(scaler.skippedSteps).toBe(2);
  expect(opt.skippedSteps).toBe(2);
  expect(scales[9]! / scales[11]!).toBe(4);
  expect(evaluate(m)).toBeLessThan(start / 100);
});
