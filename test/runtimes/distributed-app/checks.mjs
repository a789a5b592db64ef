// The distributed checks every runtime of the matrix runs (plain JS, no framework): one rank's work on a
// process group (allReduce sum and mean of seeded inputs, then DataParallel steps of AdamW), and the reference
// computed here in one thread (the rank-order f32 sum with Math.fround; one AdamW stepping on the rank-order
// mean), compared bit for bit.
import { randomF32, seeded } from "./random.mjs";

export const N = 100_003; // odd: chunks of unequal length
const LENGTHS = [37, 100, 5];
const STEPS = 2;
const OPTIONS = { lr: 0.01, weightDecay: 0.1 };

const inputOf = (rank) => randomF32(N, seeded(100 + rank));
const gradsOf = (t, rank) => { const rand = seeded(1000 * t + rank + 1); return LENGTHS.map((n) => randomF32(n, rand)); };

function model(g) {
  const store = new g.ParamStore();
  const rand = seeded(7);
  const params = LENGTHS.map((n, i) => store.param(`p${i}`, randomF32(n, rand)));
  return { store, params, opt: new g.AdamW(params, OPTIONS) };
}

/** Rank `group.rank`'s part: what it ends with, as plain arrays of f32 bits. */
export async function rankWork(g, d, group) {
  const sum = inputOf(group.rank), mean = inputOf(group.rank);
  await group.allReduce(sum, { op: "sum" });
  await group.allReduce(mean, { op: "mean" });
  const m = model(g);
  const ddp = new d.DataParallel(m.opt, group, { firstBucketBytes: 256 });
  for (let t = 0; t < STEPS; t++) {
    gradsOf(t, group.rank).forEach((x, i) => m.params[i].grad.set(x));
    await ddp.step();
  }
  const bits = (x) => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length));
  const out = { sum: bits(sum), mean: bits(mean), params: m.params.map((p) => bits(p.value)) };
  m.store.dispose();
  return out;
}

/** The same in one thread, without any group. */
export function reference(g, W) {
  const inputs = Array.from({ length: W }, (_, r) => inputOf(r));
  const sum = new Float32Array(N), mean = new Float32Array(N);
  for (let i = 0; i < N; i++) {
    let acc = inputs[0][i];
    for (let r = 1; r < W; r++) acc = Math.fround(acc + inputs[r][i]);
    sum[i] = acc;
    mean[i] = Math.fround(acc / W);
  }
  const m = model(g);
  for (let t = 0; t < STEPS; t++) {
    const grads = Array.from({ length: W }, (_, r) => gradsOf(t, r));
    m.params.forEach((p, i) => {
      for (let j = 0; j < p.grad.length; j++) {
        let acc = grads[0][i][j];
        for (let r = 1; r < W; r++) acc = Math.fround(acc + grads[r][i][j]);
        p.grad[j] = Math.fround(acc / W);
      }
    });
    m.opt.step();
  }
  const bits = (x) => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length));
  const out = { sum: bits(sum), mean: bits(mean), params: m.params.map((p) => bits(p.value)) };
  m.store.dispose();
  return out;
}

/** One result line per check of `how`: every rank's allReduce and DataParallel bits against the reference. */
export function compare(how, got, ref, ms) {
  const first = (a, b) => { if (a.length !== b.length) return 0; for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i; return -1; };
  const ranks = got.map((r, k) => ({ k, sum: first(r.sum, ref.sum), mean: first(r.mean, ref.mean), params: r.params.map((p, i) => first(p, ref.params[i])).findIndex((x) => x !== -1) }));
  const bad = (key) => ranks.filter((r) => (key === "params" ? r.params !== -1 : r[key] !== -1)).map((r) => `rank ${r.k} differs at ${r[key]}`).join(", ");
  return [
    { name: `${how}: allReduce sum and mean of ${N} floats, W = ${got.length}, bit for bit the rank-order f32 sum`, pass: !bad("sum") && !bad("mean"), detail: bad("sum") || bad("mean") || `${ms.toFixed(0)} ms for the mode, workers included` },
    { name: `${how}: DataParallel (AdamW, ${STEPS} steps) bit for bit one process on the rank-order mean`, pass: !bad("params"), detail: bad("params") || undefined },
  ];
}
