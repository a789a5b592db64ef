// Setup of the documentation blocks marked `setup=regression` (test/docs-blocks.test.ts prepends it): a linear
// model y = x·[1, −2, 0.5] + 0.3 in a store — `w` (shape [1, 3], decayed by paramGroupsForWeightDecay) and `b`
// (shape [1], not) — 64 samples in 8 `batches`, `backward(batch, scale = 1)` adding the batch's mean-squared-error gradient
// (times scale: a loss scaler's seed) into the grads and returning its loss, and `evaluate()` the loss over every sample. Its imports are renamed
// so that a block can import the same names itself.
import { init as init$, ParamStore as ParamStore$ } from "gradstep";

await init$();
const store = new ParamStore$();
const w = store.param("w", 3, { shape: [1, 3] });
const b = store.param("b", 1, { shape: [1] });
type Batch = { x: number[][]; y: number[] };
const truth = [1, -2, 0.5];
const samples = Array.from({ length: 64 }, (_, i) => [Math.sin(i), Math.cos(3 * i), (i % 7) / 7 - 0.5]);
const batches: Batch[] = Array.from({ length: 8 }, (_, k) => {
  const x = samples.slice(8 * k, 8 * k + 8);
  return { x, y: x.map((r) => r.reduce((s, v, j) => s + v * truth[j]!, 0.3)) };
});
function backward(batch: Batch, scale = 1): number {
  let loss = 0;
  batch.x.forEach((r, i) => {
    const err = r.reduce((s, v, j) => s + v * w.value[j]!, b.value[0]!) - batch.y[i]!;
    loss += err * err / batch.x.length;
    r.forEach((v, j) => { w.grad[j]! += scale * 2 * err * v / batch.x.length; });
    b.grad[0]! += scale * 2 * err / batch.x.length;
  });
  return loss;
}
function evaluate(): number {
  let loss = 0;
  for (const batch of batches) batch.x.forEach((r, i) => {
    const err = r.reduce((s, v, j) => s + v * w.value[j]!, b.value[0]!) - batch.y[i]!;
    loss += err * err / samples.length;
  });
  return loss;
}
