// gradstep/tfjs against TensorFlow.js itself (tfjs-core 4.22 + tfjs-backend-cpu, in Node): every train.*
// factory against tf.train bit for bit (the shared suite, also run on tfjs-backend-wasm by tfjs-wasm.test.ts),
// then tfjs's weight format, resuming, varList, bad input and fromGradstep. model.fit is in
// tfjs-layers.test.ts; tfjs-layers' fit calls optimizer.minimize(f, true, trainableWeights), which these tests
// run directly. tfjs-core alone registers no gradients, so the objective is a tf.customGrad op whose gradient
// is written with forward ops (tanh, mul, sub: all cpu kernels).
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import { fromGradstep, train } from "../../src/adapters/tfjs/index.js";
import { AdamW, Lion, ParamStore } from "../../src/api.js";
import { bits, factorySuite, FACTORIES, gradOf, maxRelDiff, objective, SAVABLE, SHAPES, values, variables } from "./tfjs-shared.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

factorySuite("cpu", true);

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

  it.each(SAVABLE)("%s: tfjs's \"continue training\": setWeights before a step, getWeights gives the weights back; a step later each once, and they load again (as tfjs's own)", async (_n, theirs, ours) => {
    // tfjs-core's own Adam and centered-RMSProp tests: optimizer1 steps, optimizer2 takes its weights and steps,
    // optimizer3 takes optimizer2's. Run on both, with the same variables' values: the same weights and values.
    const run = async (make: () => tf.Optimizer) => {
      const vars = variables();
      const o1 = make();
      o1.minimize(objective(vars), false, vars);
      const w1 = await o1.getWeights();
      const o2 = make();
      await o2.setWeights(w1);
      const before = (await o2.getWeights()).map((w) => [w.name, w.tensor.shape, Array.from(w.tensor.dataSync())]);
      o2.minimize(objective(vars), false, vars);
      const w2 = await o2.getWeights();
      const o3 = make();
      await o3.setWeights(w2);
      o3.minimize(objective(vars), false, vars);
      const out = {
        set: w1.map((w) => [w.name, w.tensor.shape, Array.from(w.tensor.dataSync())]), before,
        after: w2.map((w) => [w.name, w.tensor.shape]), iterations: o3.iterations, values: bits(values(vars)),
        prefix: vars[0]!.name.split("/")[0]!,
      };
      o1.dispose(); o2.dispose(); o3.dispose();
      return out;
    };
    const t = await run(theirs), o = await run(ours);
    const unprefixed = (x: typeof t, k: "set" | "before" | "after") => JSON.stringify(x[k]).replaceAll(x.prefix, "#");
    expect(unprefixed(o, "before")).toBe(unprefixed(o, "set"));
    expect(unprefixed(o, "after")).toBe(unprefixed(t, "after"));
    expect(o.iterations).toBe(3);
    // tfjs's Adam rebuilds accBeta as pow(beta, iter + 1) in setWeights, a few ulps from its running product.
    expect(maxRelDiff([new Float32Array(new Uint32Array(o.values).buffer)], [new Float32Array(new Uint32Array(t.values).buffer)])).toBeLessThanOrEqual(1e-6);
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
  it("fromGradstep (int8 state: codes, block maxima and steps): tf.memory() after 300 steps with save/load every 50 equals after 10", async () => {
    const a = variables();
    const o = fromGradstep(AdamW, { lr: 0.01, stateDtype: "int8" });
    const f = objective(a);
    for (let s = 0; s < 10; s++) o.minimize(f, false, a);
    await o.getWeights();
    const at10 = tf.memory();
    for (let s = 10; s < 300; s++) {
      o.minimize(f, false, a);
      if (s % 50 === 0) await o.setWeights(await o.getWeights());
    }
    await o.getWeights();
    expect([tf.memory().numTensors, tf.memory().numBytes]).toEqual([at10.numTensors, at10.numBytes]);
    o.dispose();
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

  it("state set for other variables: a step matching them neither by name nor by position is refused, nothing changed", async () => {
    const a = variables(), b = variables();
    const o = train.adam(0.01);
    for (let s = 0; s < 2; s++) o.minimize(objective(a), false, a);
    b.forEach((v, i) => v.assign(a[i]!)); // b: a model of the same weights, whose variables have other names
    const saved = await o.getWeights();
    const copy = saved.map((w) => ({ name: w.name, tensor: tf.clone(w.tensor) }));
    const fresh = train.adam(0.01);
    await fresh.setWeights(copy);
    const before = await snapshot(fresh, b);
    const cases: [string, () => void, RegExp][] = [
      ["fewer variables", () => fresh.minimize(objective(b.slice(0, 2)), false, b.slice(0, 2)),
        /Adam: the state set by setWeights is for 3 variables \(.*\); this step's 2 \(.*\) match none of them by name, and tfjs's rule \(by position\) needs as many/],
      ["other shapes in that order", () => fresh.minimize(objective([b[1]!, b[0]!, b[2]!], [1, 0, 2]), false, [b[1]!, b[0]!, b[2]!]),
        /Adam: the state saved for ".*\/layer0\/kernel"\/m has shape \[3, 5\], but variable ".*\/layer1\/kernel" of shape \[7\] needs \[7\]/],
    ];
    for (const [what, step, error] of cases) {
      expect(step, what).toThrow(error);
      expect(await snapshot(fresh, b), what).toEqual(before);
    }
    // By position, as tfjs's own Adam: the same as continuing the first optimizer on its own variables.
    for (let s = 0; s < 3; s++) { fresh.minimize(objective(b), false, b); o.minimize(objective(a), false, a); }
    expect(bits(values(b))).toEqual(bits(values(a)));
    expect((await fresh.getWeights()).map((w) => w.name)).toEqual((await o.getWeights()).map((w) => w.name.replace(a[0]!.name.split("/")[0]!, b[0]!.name.split("/")[0]!)));
    tf.dispose(copy.map((w) => w.tensor));
    o.dispose(); fresh.dispose();
  });

  it("setWeights of low-precision state: codes out of range or not int32, a negative step, are refused, nothing changed", async () => {
    const a = variables();
    const o = fromGradstep(AdamW, { lr: 0.01, stateDtype: "int8" });
    for (let s = 0; s < 2; s++) o.minimize(objective(a), false, a);
    const good = (await o.getWeights()).map((w) => ({ name: w.name, tensor: tf.clone(w.tensor) }));
    const before = await snapshot(o, a);
    const codes = good.findIndex((w) => w.name.endsWith("/exp_avg"));
    const step = good.findIndex((w) => w.name.endsWith("/step"));
    const replaced = (at: number, t: tf.Tensor) => good.map((w, i) => (i === at ? { name: w.name, tensor: t } : w));
    const bad: [string, { name: string; tensor: tf.Tensor }[], RegExp][] = [
      ["a code of 300", replaced(codes, tf.fill(good[codes]!.tensor.shape, 300, "int32")), /gradstep.AdamW.setWeights: ".*\/exp_avg"\[0\] is 300, not an int8 state code \(0..255\)/],
      ["float32 codes", replaced(codes, tf.cast(good[codes]!.tensor, "float32")), /gradstep.AdamW.setWeights: ".*\/exp_avg" must be int32, got float32/],
      ["a negative step", replaced(step, tf.scalar(-1, "int32")), /gradstep.AdamW.setWeights: ".*\/step" must be a scalar step count >= 0, got \[-1\]/],
    ];
    for (const [what, weights, error] of bad) {
      await expect(o.setWeights(weights), what).rejects.toThrow(error);
      expect(await snapshot(o, a), what).toEqual(before);
    }
    tf.dispose(good.map((w) => w.tensor));
    o.dispose();
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

  it("each variable's own step count is saved (<var>/step): variables stepped apart resume exactly", async () => {
    // minimize with a varList steps only its variables, so their step counts differ from tfjs's one `iter`.
    const a = variables(), b = variables();
    const run = (o: tf.Optimizer, vs: tf.Variable[], from: number, to: number) => {
      for (let s = from; s < to; s++) {
        const list = s < 3 ? [0] : [0, 1, 2];
        o.minimize(objective(list.map((i) => vs[i]!), list), false, list.map((i) => vs[i]!));
      }
    };
    const whole = fromGradstep(AdamW, { lr: 0.01 });
    run(whole, a, 0, 8);
    const first = fromGradstep(AdamW, { lr: 0.01 });
    run(first, b, 0, 4);
    const saved = await first.getWeights();
    expect(saved.filter((w) => w.name.endsWith("/step")).map((w) => w.tensor.dataSync()[0])).toEqual([4, 1, 1]);
    const resumed = fromGradstep(AdamW, { lr: 0.01 });
    await resumed.setWeights(saved);
    first.dispose();
    run(resumed, b, 4, 8);
    expect(bits(values(b))).toEqual(bits(values(a)));
    whole.dispose(); resumed.dispose();
  });

  it("Lion: getWeights names gradstep's state, and the weights resume exactly", async () => {
    const a = variables(), b = variables();
    const whole = fromGradstep(Lion, { lr: 1e-3 });
    for (let s = 0; s < 8; s++) whole.minimize(objective(a), false, a);
    const first = fromGradstep(Lion, { lr: 1e-3 });
    for (let s = 0; s < 3; s++) first.minimize(objective(b), false, b);
    const saved = await first.getWeights();
    expect(saved.map((w) => w.name.split("/").slice(-1)[0])).toEqual(["iter", "exp_avg", "exp_avg", "exp_avg", "step", "step", "step"]);
    const [cls, fromConfig] = tf.serialization.SerializationMap.getMap().classNameMap["gradstep.Lion"]!;
    const resumed = fromConfig(cls, first.getConfig()) as tf.Optimizer;
    await resumed.setWeights(saved);
    first.dispose();
    for (let s = 0; s < 5; s++) resumed.minimize(objective(b), false, b);
    expect(bits(values(b))).toEqual(bits(values(a)));
    whole.dispose(); resumed.dispose();
  });
});
