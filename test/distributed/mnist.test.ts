// Data parallel on one machine (examples/distributed-mnist.ts): worker threads each run forward/backward of the
// MNIST MLP on their micro-batch and reduce over shared memory; the run ends bit-identical to one process that
// computes the same micro-batches' gradients itself and steps on their rank-order mean (computed here).
import { expect, it } from "vitest";
import { AdamW, init, ParamStore } from "gradstep"; // the package, as the example imports it (its own init)
import { chunkRange } from "../../src/distributed/index.js";
import { batchOf, runDataParallel } from "../../examples/distributed-mnist.js";
import { loadMnist } from "../../examples/mnist-data.js";
import { mlp, mlpPass } from "../../examples/mnist-model.js";
import { firstBitDifference } from "./reference.js";
import { rankOrderMean } from "./world.js";

const HIDDEN = 32, STEPS = 4, LR = 3e-3;

it.each([[2, 16], [3, 20]])("%i workers, global batch %i: bit-identical to one process stepping on the rank-order mean", async (workers, batch) => {
  await init();
  const run = await runDataParallel({ workers, steps: STEPS, batch, hidden: HIDDEN, lr: LR, warmup: 0 });
  const data = loadMnist();
  const store = new ParamStore();
  const m = mlp(store, HIDDEN);
  const params = [m.W1, m.b1, m.W2, m.b2];
  const opt = new AdamW(params, { lr: LR });
  const chunks = Array.from({ length: workers }, (_, r) => chunkRange(batch, workers, r));
  for (let t = 0; t < STEPS; t++) {
    const idx = batchOf(data.train, batch, t);
    const grads = chunks.map(({ start, end }) => {
      opt.zeroGrad();
      mlpPass(data, HIDDEN, end - start)(m, idx, start, end, true);
      return params.map((p) => p.grad.slice());
    });
    params.forEach((p, i) => p.grad.set(rankOrderMean(grads.map((g) => g[i]!))));
    opt.step();
  }
  params.forEach((p, i) => expect(firstBitDifference(run.params[i]!, p.value), `param ${i}`).toBe(-1));
  // And training moved the params (the comparison is not of two untouched initializations).
  expect(firstBitDifference(run.params[0]!, mlp(new ParamStore(), HIDDEN).W1.value)).not.toBe(-1);
}, 60_000);
