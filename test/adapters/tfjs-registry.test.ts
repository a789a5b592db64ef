// fromGradstep over every optimizer of the registry (src/optim/index.ts, through test/registry.ts: nothing is
// listed here by hand), on tfjs-backend-cpu. For every configuration of every cases file (bf16/int8 state and
// the schedule-free optimizers included): construct; minimize gives the numbers of the gradstep class itself on
// the same gradients and getWeights its state (names, shapes, values); getWeights → a new optimizer's
// setWeights resumes bit for bit, also when setWeights comes before any step. For each optimizer's first
// configuration and its first bf16 and int8 ones: model.fit, model.save({ includeOptimizer: true }),
// tf.loadLayersModel in this process while the first model lives (its variables are renamed `..._1`) and in a
// fresh process, then one more epoch: bit for bit the uninterrupted run. Closure-kind optimizers: refused.
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-core/dist/register_all_gradients.js";
import "@tensorflow/tfjs-backend-cpu";
import type * as tfl from "@tensorflow/tfjs-layers";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromGradstep, GradstepTfjsOptimizer } from "../../src/adapters/tfjs/index.js";
import { ParamStore } from "../../src/api.js";
import type { OptimizerClass } from "../../src/optim/index.js";
import { CLOSURE_REGISTRY, REGISTRY, type RegistryCases } from "../registry.js";
import { bits, gradOf, objective, values } from "./tfjs-shared.js";
import { fit, load, model, save, weightBits } from "./tfjs-model.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

interface Variant { label: string; e: RegistryCases; options: Record<string, unknown>; models: boolean }

/**
 * Every configuration; the model tests for the first, the first with each low-precision stateDtype, and those
 * with a snake_case string option (tfjs-layers camel-cases every string of a saved config when it loads it).
 */
const VARIANTS: Variant[] = REGISTRY.filter((e) => !e.spec.global).flatMap((e) => {
  const first = new Set<unknown>();
  return e.cases.configs.map((c, i) => {
    const dtype = c.options.stateDtype ?? "f32";
    const snake = Object.values(c.options).some((v) => typeof v === "string" && v.includes("_"));
    const models = i === 0 || (dtype !== "f32" && !first.has(dtype)) || snake;
    first.add(dtype);
    return { label: `${e.name} ${c.desc}`, e, options: c.options, models };
  });
});

/** Whether the class takes 1-D params (Muon takes matrices only). */
function takesVectors(cls: OptimizerClass): boolean {
  try {
    new cls([{ value: new Float32Array(3), grad: new Float32Array(3) }], { backend: "js" }).dispose();
    return true;
  } catch {
    return false;
  }
}

let serial = 0;
/**
 * Seeded tfjs variables of a 2-D, a 1-D and a 3-D shape; two matrices for an optimizer of matrices only (the
 * objective's constants have the shapes of tfjs-shared's SHAPES: [7] broadcasts over [1, 7]).
 */
function variablesFor(cls: OptimizerClass): tf.Variable[] {
  const shapes = takesVectors(cls) ? [[3, 5], [7], [2, 2, 3]] : [[3, 5], [1, 7]];
  const tag = `r${serial++}`;
  return shapes.map((shape, i) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const v = Float32Array.from({ length: n }, (_, k) => Math.sin(7 * k + i + 1));
    return tf.variable(tf.tensor(v, shape), true, `${tag}/w${i}`);
  });
}

/** The tfjs-shared objective's gradient of variable i at value `w` (its constants are per index, as the shapes). */
const gradAt = (w: Float32Array, shape: number[], i: number) => tf.tidy(() => gradOf(tf.tensor(w, shape), i).dataSync() as Float32Array);

describe.each(VARIANTS)("fromGradstep: $label", ({ e, options }) => {
  it("minimize: the class's own numbers on the same gradients; getWeights: its state (names, shapes, values)", async () => {
    const vars = variablesFor(e.cls);
    const o = fromGradstep(e.cls, options);
    expect(o.getClassName()).toBe(`gradstep.${e.name}`);
    expect(o).toBeInstanceOf(GradstepTfjsOptimizer);
    const store = new ParamStore();
    const params = vars.map((v, i) => store.param(`p${i}`, v.dataSync() as Float32Array, { shape: v.shape }));
    const direct = new e.cls(params, options);
    for (let s = 0; s < 5; s++) {
      params.forEach((p, i) => p.grad.set(gradAt(p.value, vars[i]!.shape, i)));
      direct.step();
      o.minimize(objective(vars), false, vars);
    }
    expect(bits(values(vars))).toEqual(bits(params.map((p) => p.value.slice())));
    // Each state buffer of each variable, in getWeights' order (every variable's first buffer, then the next):
    // the variable's shape, or flat when the buffer has its own length (Adafactor's factors, none for a param
    // without them) or is an int8 block maxima; low-precision codes as int32.
    const dict = direct.stateDict();
    // Each variable's own step count last, an int32 scalar, when the optimizer counts steps.
    const keys = [...new Set(Object.values(dict.state).flatMap((s) => Object.keys(s)))].sort((x, y) => Number(x === "step") - Number(y === "step"));
    const flat = (k: string) => k.endsWith("_absmax") || e.spec.buffers.find((b) => b.name === k)?.length !== undefined;
    const want = keys.flatMap((k) => vars.map((v, i) => {
      const value = dict.state[i]?.[k];
      const data = Array.from((typeof value === "number" ? [value] : value ?? []) as ArrayLike<number>);
      return { name: `${v.name}/${k}`, shape: k === "step" ? [] : flat(k) ? [data.length] : v.shape, bits: bits([Float32Array.from(data)]) };
    }));
    const w = await o.getWeights();
    expect([w[0]!.name, w[0]!.tensor.dataSync()[0]]).toEqual(["iter", 5]);
    expect(w.slice(1).map((x) => ({ name: x.name, shape: x.tensor.shape, bits: bits([Float32Array.from(x.tensor.dataSync())]) }))).toEqual(want);
    o.dispose(); store.dispose();
  });

  it("getWeights → a new optimizer's setWeights: 8 steps == 3 + 5 (bit for bit); set before a step, getWeights gives them back, each once", async () => {
    const a = variablesFor(e.cls), b = variablesFor(e.cls);
    const whole = fromGradstep(e.cls, options);
    for (let s = 0; s < 8; s++) whole.minimize(objective(a), false, a);
    const first = fromGradstep(e.cls, options);
    for (let s = 0; s < 3; s++) first.minimize(objective(b), false, b);
    const saved = (await first.getWeights()).map((w) => ({ name: w.name, tensor: tf.clone(w.tensor) }));
    const resumed = fromGradstep(e.cls, options);
    await resumed.setWeights(saved);
    const again = await resumed.getWeights();
    expect(again.map((w) => [w.name, w.tensor.shape, w.tensor.dtype, Array.from(w.tensor.dataSync())]))
      .toEqual(saved.map((w) => [w.name, w.tensor.shape, w.tensor.dtype, Array.from(w.tensor.dataSync())]));
    first.dispose();
    resumed.minimize(objective(b), false, b);
    const after = await resumed.getWeights();
    expect(after.length).toBe(saved.length);
    expect(after.map((w) => w.name)).toEqual(saved.map((w) => w.name));
    await fromGradstep(e.cls, options).setWeights(after); // the list it gives is one it takes
    for (let s = 1; s < 5; s++) resumed.minimize(objective(b), false, b);
    expect(bits(values(b))).toEqual(bits(values(a)));
    tf.dispose(saved.map((w) => w.tensor));
    whole.dispose(); resumed.dispose();
  });
});

// ---- model.fit, save with includeOptimizer, load in this process and in a fresh one ----

const MODELS = VARIANTS.filter((v) => v.models);
const dir = mkdtempSync(join(tmpdir(), "gradstep-tfjs-"));
/** Per model: the original (alive until the end) and its uninterrupted run's weights, or why it could not be made. */
const originals = new Map<string, { m?: tfl.LayersModel; reference?: number[]; error?: unknown }>();
let fresh: Record<string, { bits?: number[]; error?: string }> = {};

beforeAll(async () => {
  // Each model: 2 epochs, saved with its optimizer, then 1 more epoch (the uninterrupted run). The originals
  // stay alive until the end, so the models loaded in this process get renamed variables.
  for (const [k, v] of MODELS.entries()) {
    try {
      const m = model(11, takesVectors(v.e.cls));
      originals.set(v.label, { m });
      m.compile({ optimizer: fromGradstep(v.e.cls, v.options), loss: "meanSquaredError" });
      await fit(m, 2);
      await save(m, dir, `m${k}`);
      await fit(m, 1);
      originals.set(v.label, { m, reference: weightBits(m) });
    } catch (error) {
      originals.set(v.label, { ...originals.get(v.label), error });
    }
  }
  writeFileSync(join(dir, "jobs.json"), JSON.stringify(MODELS.map((_, k) => `m${k}`)));
  const tsx = fileURLToPath(new URL("../../node_modules/.bin/tsx", import.meta.url));
  const child = fileURLToPath(new URL("./tfjs-load-child.ts", import.meta.url));
  const r = spawnSync(tsx, [child, dir], { encoding: "utf8", timeout: 280_000 });
  if (r.status !== 0) throw new Error(`the fresh process failed: ${r.stderr}`);
  const results = JSON.parse(readFileSync(join(dir, "results.json"), "utf8")) as typeof fresh;
  fresh = Object.fromEntries(MODELS.map((v, k) => [v.label, results[`m${k}`]!]));
}, 300_000);

/** The original of `label` and its reference weights (throws what made them fail). */
function original(label: string): { m: tfl.LayersModel; reference: number[] } {
  const o = originals.get(label)!;
  if (o.error !== undefined) throw o.error;
  return o as { m: tfl.LayersModel; reference: number[] };
}

afterAll(() => {
  for (const { m } of originals.values()) m?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe.each(MODELS.map((v, k) => ({ ...v, k })))("model.fit with fromGradstep: $label", ({ label, e, k }) => {
  it("saved with includeOptimizer, loaded in this process while the original lives: one more epoch is bit for bit the uninterrupted run", async () => {
    const { m, reference } = original(label);
    const loaded = await load(dir, `m${k}`);
    expect(loaded.optimizer.getClassName()).toBe(`gradstep.${e.name}`);
    expect(loaded.optimizer.getConfig()).toEqual(m.optimizer.getConfig());
    // tfjs-layers names the loaded variables apart from the living original's: state goes over by position.
    expect(loaded.trainableWeights.map((w) => w.name)).not.toEqual(m.trainableWeights.map((w) => w.name));
    const losses = await fit(loaded, 1);
    expect(Number.isFinite(losses[0])).toBe(true);
    expect(weightBits(loaded)).toEqual(reference);
    expect(weightBits(loaded)).not.toEqual(weightBits(model(11, takesVectors(e.cls)))); // it trained
    loaded.dispose();
  });

  it("loaded by tf.loadLayersModel in a fresh process (gradstep/tfjs imported, no fromGradstep call): bit for bit", () => {
    expect(fresh[label]!.error).toBeUndefined();
    expect(fresh[label]!.bits).toEqual(original(label).reference);
  });
});

it.each(REGISTRY.filter((e) => e.spec.global).map((e) => [e.name, e] as const))("fromGradstep(%s): an optimizer with global reductions is refused, saying why", (name, e) => {
  expect(() => fromGradstep(e.cls as unknown as OptimizerClass, {})).toThrow(new RegExp(`^(fromGradstep|gradstep\\.${name}): ${name}'s step reduces over every variable .*cannot be wrapped$`));
});

it.each(CLOSURE_REGISTRY.map((e) => [e.name, e] as const))("fromGradstep(%s): a closure-kind optimizer is refused, saying why", (name, e) => {
  expect(() => fromGradstep(e.cls as unknown as OptimizerClass, {})).toThrow(new RegExp(`fromGradstep: ${name} steps with a closure .*cannot be wrapped`));
});
