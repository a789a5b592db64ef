// gradstep/tfjs against TensorFlow.js itself (tfjs-core 4.22 + tfjs-backend-cpu, in Node). tfjs-layers is not
// installed here, so model.compile/fit is not exercised; tfjs-layers' fit calls optimizer.minimize(f, true,
// trainableWeights), which these tests run directly. tfjs-core alone registers no gradients, so the objective
// is a tf.customGrad op whose gradient is written with forward ops (tanh, mul, sub: all cpu kernels).
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import { fromGradstep, GradstepTfjsOptimizer, train } from "../../src/adapters/tfjs/index.js";
import { AdamW, Lion, ParamStore } from "../../src/api.js";
import { rng } from "../helpers.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

const SHAPES = [[3, 5], [7], [2, 2, 3]];
let serial = 0;

/** Fresh variables with the same seeded values for every call (unique names). */
function variables(seed = 1): tf.Variable[] {
  const rand = rng(seed);
  const tag = `v${serial++}`;
  return SHAPES.map((shape, i) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const values = Float32Array.from({ length: n }, () => rand() * 2 - 1);
    return tf.variable(tf.tensor(values, shape), true, `${tag}/layer${i}/kernel`);
  });
}

/** Per-variable constants of the objective (the same for every set of variables). */
const CONSTS = SHAPES.map((shape, i) => {
  const rand = rng(100 + i);
  const n = shape.reduce((a, b) => a * b, 1);
  return [tf.tensor(Float32Array.from({ length: n }, () => rand() * 3 - 1.5), shape), tf.tensor(Float32Array.from({ length: n }, () => rand() - 0.5), shape)] as const;
});
for (const [a, b] of CONSTS) { tf.keep(a); tf.keep(b); }

/** ∂L/∂w_i = tanh(a_i·w_i) − b_i + 0.1·w_i: non-linear, so a wrong step changes every later gradient. */
function gradOf(w: tf.Tensor, i: number): tf.Tensor {
  const [a, b] = CONSTS[i]!;
  return tf.add(tf.sub(tf.tanh(tf.mul(w, a)), b), tf.mul(w, 0.1));
}

/** The objective over `vars` as one custom op (its value is Σw², its gradient gradOf). */
function objective(vars: readonly tf.Variable[], which: readonly number[] = vars.map((_, i) => i)): () => tf.Scalar {
  const f = tf.customGrad(((...args: unknown[]) => {
    const xs = args.slice(0, -1) as tf.Tensor[], save = args[args.length - 1] as tf.GradSaveFunc;
    save(xs);
    return {
      value: tf.addN(xs.map((x) => tf.sum(tf.mul(x, x)))) as tf.Scalar,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => saved.map((x, k) => tf.mul(dy, gradOf(x, which[k]!))),
    };
  }) as never) as (...xs: tf.Tensor[]) => tf.Scalar;
  return () => f(...vars);
}

function values(vars: readonly tf.Variable[]): Float32Array[] {
  return vars.map((v) => v.dataSync().slice() as Float32Array);
}

/**
 * Largest |a − b| / |a| over all elements (a = tfjs's value); NaN in both counts as equal (tfjs's centered
 * RMSProp takes √(ms − (mg² + ε)), NaN wherever ms − mg² < ε, and gradstep's "tfjs" flavor reproduces that).
 */
function maxRelDiff(a: readonly Float32Array[], b: readonly Float32Array[]): number {
  let m = 0;
  a.forEach((x, i) => x.forEach((v, j) => {
    const w = b[i]![j]!;
    if (Number.isNaN(v) || Number.isNaN(w)) m = Number.isNaN(v) && Number.isNaN(w) ? m : Infinity;
    else m = Math.max(m, Math.abs(v - w) / Math.max(Math.abs(v), 1e-30));
  }));
  return m;
}

/** The f32 bits of every element (any NaN as the canonical one: Wasm's and JS's NaN sign bits differ). */
function bits(xs: readonly Float32Array[]): number[] {
  return xs.flatMap((x) => [...new Uint32Array(x.buffer, x.byteOffset, x.length)].map((u, i) => (Number.isNaN(x[i]) ? 0x7fc00000 : u)));
}

type Factory = [string, () => tf.Optimizer, () => tf.Optimizer];
const FACTORIES: Factory[] = [
  ["sgd(0.1)", () => tf.train.sgd(0.1), () => train.sgd(0.1)],
  ["momentum(0.05, 0.9)", () => tf.train.momentum(0.05, 0.9), () => train.momentum(0.05, 0.9)],
  ["momentum(0.05, 0.9, nesterov)", () => tf.train.momentum(0.05, 0.9, true), () => train.momentum(0.05, 0.9, true)],
  ["adam()", () => tf.train.adam(), () => train.adam()],
  ["adam(0.01, 0.8, 0.95, 1e-3)", () => tf.train.adam(0.01, 0.8, 0.95, 1e-3), () => train.adam(0.01, 0.8, 0.95, 1e-3)],
  ["adagrad(0.1)", () => tf.train.adagrad(0.1), () => train.adagrad(0.1)],
  ["adagrad(0.05, 0.5)", () => tf.train.adagrad(0.05, 0.5), () => train.adagrad(0.05, 0.5)],
  ["adadelta()", () => tf.train.adadelta(), () => train.adadelta()],
  ["adadelta(1, 0.9, 1e-6)", () => tf.train.adadelta(1, 0.9, 1e-6), () => train.adadelta(1, 0.9, 1e-6)],
  ["rmsprop(0.01)", () => tf.train.rmsprop(0.01), () => train.rmsprop(0.01)],
  ["rmsprop(0.01, 0.8, 0.9)", () => tf.train.rmsprop(0.01, 0.8, 0.9), () => train.rmsprop(0.01, 0.8, 0.9)],
  ["rmsprop(0.01, 0.9, 0.5, 1e-6, centered)", () => tf.train.rmsprop(0.01, 0.9, 0.5, 1e-6, true), () => train.rmsprop(0.01, 0.9, 0.5, 1e-6, true)],
  ["adamax()", () => tf.train.adamax(), () => train.adamax()],
  ["adamax(0.01, 0.8, 0.9, 1e-4, 0.05)", () => tf.train.adamax(0.01, 0.8, 0.9, 1e-4, 0.05), () => train.adamax(0.01, 0.8, 0.9, 1e-4, 0.05)],
];
/** tfjs's Adamax cannot save its state (getWeights throws "not implemented"): no format to compare with. */
const SAVABLE = FACTORIES.filter(([name]) => !name.startsWith("adamax"));

describe.each(FACTORIES)("train.%s vs tf.train", (_name, theirs, ours) => {
  it("minimize: weights equal after 20 steps (within 1e-5 relative; bit for bit on tfjs-backend-cpu)", () => {
    const a = variables(), b = variables();
    const t = theirs(), o = ours();
    for (let s = 0; s < 20; s++) {
      t.minimize(objective(a), false, a);
      o.minimize(objective(b), false, b);
    }
    const want = values(a), got = values(b);
    expect(maxRelDiff(want, got)).toBeLessThanOrEqual(1e-5);
    // tfjs-backend-cpu rounds every op to f32 and the "tfjs" flavor runs tfjs's ops in tfjs's order.
    expect(bits(got)).toEqual(bits(want));
    expect(bits(values(a))).not.toEqual(bits(values(variables()))); // the run moved the weights
    expect(o.iterations).toBe(20);
    t.dispose(); o.dispose();
  });

  it("applyGradients (a map, then an array of { name, tensor }) equals tfjs's", () => {
    const a = variables(), b = variables();
    const t = theirs(), o = ours();
    for (let s = 0; s < 20; s++) {
      tf.tidy(() => {
        const ga = a.map((v, i) => gradOf(v, i)), gb = b.map((v, i) => gradOf(v, i));
        if (s % 2 === 0) {
          t.applyGradients(Object.fromEntries(a.map((v, i) => [v.name, ga[i]!])));
          o.applyGradients(Object.fromEntries(b.map((v, i) => [v.name, gb[i]!])));
        } else {
          t.applyGradients(a.map((v, i) => ({ name: v.name, tensor: ga[i]! })));
          o.applyGradients(b.map((v, i) => ({ name: v.name, tensor: gb[i]! })));
        }
      });
    }
    expect(maxRelDiff(values(a), values(b))).toBeLessThanOrEqual(1e-5);
    t.dispose(); o.dispose();
  });

  it("getConfig equals tfjs's; fromConfig through tf.serialization gives the same optimizer", () => {
    const t = theirs(), o = ours();
    expect(o.getConfig()).toEqual(t.getConfig());
    expect(o.getClassName()).toBe(t.getClassName());
    const [cls, fromConfig] = tf.serialization.SerializationMap.getMap().classNameMap[o.getClassName()]!;
    const copy = fromConfig(cls, o.getConfig());
    expect(copy).toBeInstanceOf(GradstepTfjsOptimizer);
    expect(copy.getConfig()).toEqual(o.getConfig());
    expect(o instanceof tf.Optimizer).toBe(true);
    t.dispose(); o.dispose(); (copy as tf.Optimizer).dispose();
  });
});

describe("getWeights / setWeights", () => {
  it("tfjs's format: the same names, shapes and order as tfjs's own optimizer", async () => {
    for (const [name, theirs, ours] of SAVABLE) {
      const a = variables(), b = variables();
      const t = theirs(), o = ours();
      for (let s = 0; s < 3; s++) { t.minimize(objective(a), false, a); o.minimize(objective(b), false, b); }
      const tw = await t.getWeights(), ow = await o.getWeights();
      const prefix = (vs: tf.Variable[]) => vs[0]!.name.split("/")[0]!;
      expect(ow.map((w) => w.name.replace(prefix(b), "#")), name).toEqual(tw.map((w) => w.name.replace(prefix(a), "#")));
      expect(ow.map((w) => w.tensor.shape), name).toEqual(tw.map((w) => w.tensor.shape));
      expect(ow.map((w) => w.tensor.dtype), name).toEqual(tw.map((w) => w.tensor.dtype));
      // The state itself: same values (bit for bit here, like the weights). One exception: tfjs's RMSProp with
      // momentum 0 still keeps `momentum` = the last update (it multiplies it by 0 at the next step); gradstep
      // keeps no buffer and saves zeros, which resume identically.
      const zeroMomentum = name === "rmsprop(0.01)";
      const data = (ws: typeof tw) => ws.filter((w) => !(zeroMomentum && w.name.endsWith("/momentum"))).map((w) => Array.from(w.tensor.dataSync()));
      expect(data(ow), name).toEqual(data(tw));
      if (zeroMomentum) for (const w of ow.filter((x) => x.name.endsWith("/momentum"))) expect(w.tensor.dataSync().every((x) => x === 0)).toBe(true);
      t.dispose(); o.dispose();
    }
  });

  it.each(FACTORIES)("%s: 10 steps == 4 steps, getWeights, a new optimizer setWeights, 6 steps (bit for bit)", async (_n, _theirs, ours) => {
    const a = variables(), b = variables();
    const whole = ours();
    for (let s = 0; s < 10; s++) whole.minimize(objective(a), false, a);
    const first = ours();
    for (let s = 0; s < 4; s++) first.minimize(objective(b), false, b);
    const saved = await first.getWeights();
    const resumed = ours();
    await resumed.setWeights(saved);
    first.dispose();
    expect(resumed.iterations).toBe(4);
    for (let s = 0; s < 6; s++) resumed.minimize(objective(b), false, b);
    expect(bits(values(b))).toEqual(bits(values(a)));
    whole.dispose(); resumed.dispose();
  });

  it("weights saved by tfjs's own Adam resume in gradstep's (a model saved with tfjs loads into gradstep)", async () => {
    const a = variables(), b = variables();
    const reference = tf.train.adam(0.01);
    for (let s = 0; s < 10; s++) reference.minimize(objective(a), false, a);
    const t = tf.train.adam(0.01);
    for (let s = 0; s < 4; s++) t.minimize(objective(b), false, b);
    const o = train.adam(0.01);
    await o.setWeights(await t.getWeights());
    for (let s = 0; s < 6; s++) o.minimize(objective(b), false, b);
    // tfjs rebuilds accBeta as pow(beta, iter + 1) on setWeights, a few ulps from its running product: close, not bitwise.
    expect(maxRelDiff(values(a), values(b))).toBeLessThanOrEqual(1e-5);
    reference.dispose(); t.dispose(); o.dispose();
  });
});

describe("minimize with varList", () => {
  it("steps only the listed variables; alternating lists == one optimizer per variable (state follows each variable)", () => {
    const a = variables(), b = variables();
    const o = train.adam(0.02);
    const own = b.map(() => train.adam(0.02));
    const lists = [[0], [1, 2], [0, 1, 2], [2], [0, 2], [1]];
    for (let s = 0; s < 12; s++) {
      const list = lists[s % lists.length]!;
      const before = values(a);
      o.minimize(objective(list.map((i) => a[i]!), list), false, list.map((i) => a[i]!));
      const after = values(a);
      a.forEach((_, i) => {
        if (!list.includes(i)) expect(bits([after[i]!])).toEqual(bits([before[i]!])); // not listed: untouched
      });
      for (const i of list) own[i]!.minimize(objective([b[i]!], [i]), false, [b[i]!]);
    }
    expect(bits(values(a))).toEqual(bits(values(b)));
    o.dispose(); for (const x of own) x.dispose();
  });

  it("returnCost returns the loss (the caller's to dispose)", () => {
    const a = variables();
    const o = train.sgd(0.1);
    const cost = o.minimize(objective(a), true, a)!;
    expect(cost.dataSync()[0]).toBeGreaterThan(0);
    cost.dispose();
    o.dispose();
  });
});

describe("no leaks", () => {
  it.each(FACTORIES)("%s: tf.memory() after 1,000 steps (with save/load every 100) equals after 10", async (_n, _theirs, ours) => {
    const a = variables();
    const o = ours();
    const f = objective(a);
    const step = () => o.minimize(f, false, a);
    for (let s = 0; s < 10; s++) step();
    await o.getWeights();
    const at10 = tf.memory();
    for (let s = 10; s < 1000; s++) {
      step();
      if (s % 100 === 0) await o.setWeights(await o.getWeights());
    }
    await o.getWeights();
    const at1000 = tf.memory();
    expect(at1000.numTensors).toBe(at10.numTensors);
    expect(at1000.numBytes).toBe(at10.numBytes);
    o.dispose();
    for (const v of a) v.dispose();
  });

  it("dispose() releases everything the optimizer made", async () => {
    const a = variables();
    const before = tf.memory();
    const o = train.rmsprop(0.01, 0.9, 0.5, null, true);
    for (let s = 0; s < 5; s++) o.minimize(objective(a), false, a);
    await o.getWeights();
    o.dispose();
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
  });
});

describe("bad input: a clear error, nothing changed", () => {
  async function snapshot(o: tf.Optimizer, vars: tf.Variable[]) {
    const w = await o.getWeights();
    return { values: bits(values(vars)), weights: w.map((x) => [x.name, Array.from(x.tensor.dataSync())]), iterations: o.iterations };
  }

  it("a gradient for something that is not a tfjs variable", async () => {
    const a = variables();
    const o = train.adam(0.01);
    o.minimize(objective(a), false, a);
    const before = await snapshot(o, a);
    const g = tf.onesLike(a[0]!);
    expect(() => o.applyGradients({ [a[0]!.name]: g, "not-a-variable": g })).toThrow(/Adam: "not-a-variable" is not a tfjs variable/);
    expect(() => o.applyGradients([{ name: a[0]!.name, tensor: new Float32Array(15) as never }])).toThrow(/Adam: the gradient of ".*" is not a tf.Tensor/);
    expect(() => o.applyGradients({ [a[0]!.name]: tf.ones([5, 3]) })).toThrow(/Adam: the gradient of ".*" has shape \[5, 3\], the variable \[3, 5\]/);
    expect(await snapshot(o, a)).toEqual(before);
    g.dispose();
    o.dispose();
  });

  it("a disposed optimizer", async () => {
    const a = variables();
    const o = train.momentum(0.1, 0.9);
    o.minimize(objective(a), false, a);
    o.dispose();
    const before = bits(values(a));
    const tensors = tf.memory().numTensors;
    expect(() => o.minimize(objective(a), false, a)).toThrow(/Momentum: this optimizer has been disposed/);
    expect(() => o.applyGradients({ [a[0]!.name]: tf.onesLike(a[0]!) })).toThrow(/disposed/);
    await expect(o.getWeights()).rejects.toThrow(/disposed/);
    await expect(o.setWeights([])).rejects.toThrow(/disposed/);
    expect(bits(values(a))).toEqual(before);
    expect(tf.memory().numTensors).toBe(tensors + 1); // only the onesLike made by this test
  });

  it("setWeights with weights that do not fit", async () => {
    const a = variables();
    const o = train.adam(0.01);
    for (let s = 0; s < 3; s++) o.minimize(objective(a), false, a);
    const good = await o.getWeights();
    const copy = good.map((w) => ({ name: w.name, tensor: tf.clone(w.tensor) }));
    const before = await snapshot(o, a);
    const bad: [string, { name: string; tensor: tf.Tensor }[], RegExp][] = [
      ["without iter", copy.slice(1), /Adam.setWeights: the first weight must be the scalar "iter"/],
      ["one weight missing", copy.slice(0, -1), /expected "<variable>\/m", then "<variable>\/v" for every variable, got 5 weights after iter/],
      ["m and v swapped", [copy[0]!, ...copy.slice(4), ...copy.slice(1, 4)], /weight 1 is ".*\/v", expected "<variable>\/m"/],
      ["a wrong shape", [copy[0]!, { name: copy[1]!.name, tensor: tf.zeros([5, 3]) }, ...copy.slice(2)], /has shape \[5, 3\], the variable ".*" has \[3, 5\]/],
      ["variables out of order", [copy[0]!, copy[2]!, copy[1]!, copy[3]!, ...copy.slice(4)], /is out of order/],
      ["not a tensor", [copy[0]!, { name: copy[1]!.name, tensor: [1, 2] as never }, ...copy.slice(2)], /every weight must be \{ name: string, tensor: tf.Tensor \}/],
    ];
    for (const [what, weights, error] of bad) {
      await expect(o.setWeights(weights), what).rejects.toThrow(error);
      expect(await snapshot(o, a), what).toEqual(before);
    }
    // Still usable, and the same as an optimizer that never saw the bad weights.
    const b = variables();
    const twin = train.adam(0.01);
    for (let s = 0; s < 4; s++) twin.minimize(objective(b), false, b);
    o.minimize(objective(a), false, a);
    expect(bits(values(a))).toEqual(bits(values(b)));
    tf.dispose(copy.map((w) => w.tensor));
    o.dispose(); twin.dispose();
  });

  it("bad factory options are refused at construction", () => {
    expect(() => train.adam(-1)).toThrow(/Invalid lr: -1/);
    expect(() => train.rmsprop(0.01, 0.9, -0.5)).toThrow(/Invalid momentum: -0.5/);
    expect(() => fromGradstep(Map as never)).toThrow(/fromGradstep: Map is not a gradstep optimizer class/);
  });
});

describe("fromGradstep", () => {
  it("AdamW as a tfjs optimizer: the same numbers as gradstep's AdamW on the same gradients", () => {
    const a = variables();
    const o = fromGradstep(AdamW, { lr: 0.01, weightDecay: 0.1, maxGradNorm: 1 });
    expect(o.getClassName()).toBe("gradstep.AdamW");
    const store = new ParamStore();
    const params = a.map((v, i) => store.param(`p${i}`, v.dataSync() as Float32Array));
    const direct = new AdamW(params, { lr: 0.01, weightDecay: 0.1, maxGradNorm: 1 });
    for (let s = 0; s < 20; s++) {
      params.forEach((p, i) => tf.tidy(() => p.grad.set(gradOf(tf.tensor(p.value, SHAPES[i]), i).dataSync())));
      direct.step();
      o.minimize(objective(a), false, a);
    }
    expect(bits(values(a))).toEqual(bits(params.map((p) => p.value.slice())));
    expect(o.getConfig()).toEqual({ lr: 0.01, weightDecay: 0.1, maxGradNorm: 1 });
    o.dispose(); store.dispose();
  });

  it("Lion: getWeights names gradstep's state, and the weights resume exactly", async () => {
    const a = variables(), b = variables();
    const whole = fromGradstep(Lion, { lr: 1e-3 });
    for (let s = 0; s < 8; s++) whole.minimize(objective(a), false, a);
    const first = fromGradstep(Lion, { lr: 1e-3 });
    for (let s = 0; s < 3; s++) first.minimize(objective(b), false, b);
    const saved = await first.getWeights();
    expect(saved.map((w) => w.name.split("/").slice(-1)[0])).toEqual(["iter", "exp_avg", "exp_avg", "exp_avg"]);
    const [cls, fromConfig] = tf.serialization.SerializationMap.getMap().classNameMap["gradstep.Lion"]!;
    const resumed = fromConfig(cls, first.getConfig()) as tf.Optimizer;
    await resumed.setWeights(saved);
    first.dispose();
    for (let s = 0; s < 5; s++) resumed.minimize(objective(b), false, b);
    expect(bits(values(b))).toEqual(bits(values(a)));
    whole.dispose(); resumed.dispose();
  });
});
