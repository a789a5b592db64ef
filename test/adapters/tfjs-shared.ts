// Shared by the gradstep/tfjs tests of each tfjs backend (tfjs.test.ts: cpu; tfjs-wasm.test.ts: wasm): seeded
// variables, an objective whose gradient is written with forward ops (tfjs-core alone registers no gradients),
// comparisons, the table of train.* factories against tf.train, and the suite that runs them on the current
// backend.
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { GradstepTfjsOptimizer, train } from "../../src/adapters/tfjs/index.js";
import { rng } from "../helpers.js";

export const SHAPES = [[3, 5], [7], [2, 2, 3]];
let serial = 0;

/** Fresh variables with the same seeded values for every call (unique names). */
export function variables(seed = 1): tf.Variable[] {
  const rand = rng(seed);
  const tag = `v${serial++}`;
  return SHAPES.map((shape, i) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const values = Float32Array.from({ length: n }, () => rand() * 2 - 1);
    return tf.variable(tf.tensor(values, shape), true, `${tag}/layer${i}/kernel`);
  });
}

/** Per-variable constants of the objective (the same for every set of variables), made on first use: on the
 *  backend the test file selected. */
let consts: (readonly [tf.Tensor, tf.Tensor])[] | null = null;
function constants(): (readonly [tf.Tensor, tf.Tensor])[] {
  consts ??= SHAPES.map((shape, i) => {
    const rand = rng(100 + i);
    const n = shape.reduce((a, b) => a * b, 1);
    const pair = [tf.tensor(Float32Array.from({ length: n }, () => rand() * 3 - 1.5), shape), tf.tensor(Float32Array.from({ length: n }, () => rand() - 0.5), shape)] as const;
    tf.keep(pair[0]); tf.keep(pair[1]);
    return pair;
  });
  return consts;
}

/** ∂L/∂w_i = tanh(a_i·w_i) − b_i + 0.1·w_i: non-linear, so a wrong step changes every later gradient. */
export function gradOf(w: tf.Tensor, i: number): tf.Tensor {
  const [a, b] = constants()[i]!;
  return tf.add(tf.sub(tf.tanh(tf.mul(w, a)), b), tf.mul(w, 0.1));
}

/** The objective over `vars` as one custom op (its value is Σw², its gradient gradOf). */
export function objective(vars: readonly tf.Variable[], which: readonly number[] = vars.map((_, i) => i)): () => tf.Scalar {
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

export function values(vars: readonly tf.Variable[]): Float32Array[] {
  return vars.map((v) => v.dataSync().slice() as Float32Array);
}

/**
 * Largest |a − b| / |a| over all elements (a = tfjs's value); NaN in both counts as equal (tfjs's centered
 * RMSProp takes √(ms − (mg² + ε)), NaN wherever ms − mg² < ε, and gradstep's "tfjs" flavor reproduces that).
 */
export function maxRelDiff(a: readonly Float32Array[], b: readonly Float32Array[]): number {
  let m = 0;
  a.forEach((x, i) => x.forEach((v, j) => {
    const w = b[i]![j]!;
    if (Number.isNaN(v) || Number.isNaN(w)) m = Number.isNaN(v) && Number.isNaN(w) ? m : Infinity;
    else m = Math.max(m, Math.abs(v - w) / Math.max(Math.abs(v), 1e-30));
  }));
  return m;
}

/** The f32 bits of every element (any NaN as the canonical one: Wasm's and JS's NaN sign bits differ). */
export function bits(xs: readonly Float32Array[]): number[] {
  return xs.flatMap((x) => [...new Uint32Array(x.buffer, x.byteOffset, x.length)].map((u, i) => (Number.isNaN(x[i]) ? 0x7fc00000 : u)));
}

export type Factory = [string, () => tf.Optimizer, () => tf.Optimizer];
export const FACTORIES: Factory[] = [
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
export const SAVABLE = FACTORIES.filter(([name]) => !name.startsWith("adamax"));

/**
 * Every train.* factory against tf.train on the current tfjs backend: minimize and applyGradients for 20 steps
 * (weights within 1e-5 relative, and bit for bit when `bitExact`), getConfig/fromConfig, and no leaks.
 */
export function factorySuite(backend: string, bitExact: boolean): void {
  describe.each(FACTORIES)(`train.%s vs tf.train (tfjs-backend-${backend})`, (_name, theirs, ours) => {
    it(`minimize: weights equal after 20 steps (within 1e-5 relative${bitExact ? "; bit for bit" : ""})`, () => {
      expect(tf.getBackend()).toBe(backend);
      const a = variables(), b = variables();
      const t = theirs(), o = ours();
      for (let s = 0; s < 20; s++) {
        t.minimize(objective(a), false, a);
        o.minimize(objective(b), false, b);
      }
      const want = values(a), got = values(b);
      expect(maxRelDiff(want, got)).toBeLessThanOrEqual(1e-5);
      // The backend rounds every op to f32 and the "tfjs" flavor runs tfjs's ops in tfjs's order.
      if (bitExact) expect(bits(got)).toEqual(bits(want));
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
      expect(t instanceof GradstepTfjsOptimizer).toBe(false); // not tf.Optimizer's duck-typed instanceof
      expect(copy.getConfig()).toEqual(o.getConfig());
      expect(o instanceof tf.Optimizer).toBe(true);
      t.dispose(); o.dispose(); (copy as tf.Optimizer).dispose();
    });
  });

  describe(`no leaks (tfjs-backend-${backend})`, () => {
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
  });
}
