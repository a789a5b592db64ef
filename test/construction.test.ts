// Construction input, for every registry optimizer (step and closure kind): what is passed where params belong
// (a Float32Array, numbers, options first...), params that share memory (one update would be lost), the same
// param twice, a Proxy of a Param, and unknown options with the name probably meant. Each refusal is a clear
// error that allocates nothing and changes no array.
import { describe, expect, it } from "vitest";
import { Adam, NAdam, ParamStore, RMSprop, SGD } from "../src/index.js";
import { CLOSURE_REGISTRY, REGISTRY } from "./registry.js";
import { firstBitDifference, paramShape, randomArray, rng } from "./helpers.js";

type AnyClass = new (params: unknown, options?: unknown) => {
  paramGroups: readonly unknown[]; stateDict(): unknown; addParamGroup(g: unknown): void; step(closure?: () => number): unknown;
};
const ALL = [
  ...REGISTRY.map((e) => ({ name: e.name, cls: e.cls as unknown as AnyClass, closure: false, rules: Object.keys(e.spec.rules) })),
  ...CLOSURE_REGISTRY.map((e) => ({ name: e.name, cls: e.cls as unknown as AnyClass, closure: true, rules: Object.keys(e.spec.rules) })),
];
/** Options every step-kind optimizer has besides its spec's (the fused transforms). */
const WHOLE = ["backend", "verify", "maxGradNorm", "normType", "skipNonFinite", "clipValue"];

const N = 6;

/** Two store params and a maker of foreign ones, all of the shape the optimizer needs; every array is recorded. */
function world(cls: AnyClass) {
  const store = new ParamStore();
  const shape = paramShape(cls, N);
  const w = store.param("w", randomArray(N, rng(1)), shape), b = store.param("b", randomArray(N, rng(2)), shape);
  w.grad.set(randomArray(N, rng(3)));
  b.grad.set(randomArray(N, rng(4)));
  const arrays: Float32Array[] = [w.value, w.grad, b.value, b.grad];
  let seed = 10;
  const arr = (n = N) => {
    const a = randomArray(n, rng(seed++));
    arrays.push(a);
    return a;
  };
  const foreign = (value: Float32Array, grad: Float32Array) => ({ value, grad, ...shape });
  return { store, w, b, arr, foreign, arrays };
}
type World = ReturnType<typeof world>;

/** Expects `act` to throw `error` of `type`, allocating nothing in the store and changing no array. */
function expectRefused(s: World, act: () => unknown, error: RegExp, type: ErrorConstructor) {
  const bytes = s.store.bytesUsed, copies = s.arrays.map((a) => Float32Array.from(a));
  let thrown: unknown;
  try { act(); } catch (e) { thrown = e; }
  expect(thrown).toBeInstanceOf(type);
  expect((thrown as Error).message).toMatch(error);
  expect(s.store.bytesUsed).toBe(bytes);
  s.arrays.forEach((a, i) => expect(firstBitDifference(a, copies[i]!)).toBe(-1));
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const EXPECTED = esc("expected store params (store.param(name, init)) or { value, grad } Float32Array pairs");

interface Case {
  desc: string;
  args: (s: World) => [unknown, unknown?];
  error: (name: string) => RegExp;
  type?: ErrorConstructor;
  /** Param groups (LBFGS has one) or options of the fused transforms. */
  stepOnly?: boolean;
}

// Item 19: what is passed where params belong, and options that are not an object.
const INPUTS: Case[] = [
  { desc: "a Float32Array in the list (new X([w.value]))", args: (s) => [[s.w.value]],
    error: (n) => new RegExp(`^${n}: params\\[0\\] is not a param: got a Float32Array, values without their gradient \\(${EXPECTED}, e\\.g\\. \\{ value: w, grad: dw \\}\\)$`) },
  { desc: "a Float32Array alone", args: (s) => [s.w.value], error: (n) => new RegExp(`^${n}: params is a Float32Array, values without their gradient \\(${EXPECTED}`) },
  { desc: "a Float64Array in the list", args: () => [[new Float64Array(N)]], error: (n) => new RegExp(`^${n}: params\\[0\\] is not a param: got a Float64Array, values without`) },
  { desc: "numbers", args: () => [[1, 2, 3]], error: (n) => new RegExp(`^${n}: params\\[0\\] is not a param: got a number \\(${EXPECTED}, or param groups \\{ params, \\.\\.\\.options \\}\\)$`) },
  { desc: "a nested list", args: (s) => [[[s.w, s.b]]], error: (n) => new RegExp(`^${n}: params\\[0\\] is not a param: got an array \\(`) },
  { desc: "a Map in the list", args: () => [[new Map()]], error: (n) => new RegExp(`^${n}: params\\[0\\] is not a param: got a Map \\(`) },
  { desc: "options first", args: () => [{ lr: 0.1, weightDecay: 0 }],
    error: (n) => new RegExp(`^${n}: got an object with keys lr, weightDecay as params: options go second, new ${n}\\(params, \\{ lr, weightDecay \\}\\)$`) },
  { desc: "one param group, not in an array", args: (s) => [{ params: [s.w] }], error: (n) => new RegExp(`^${n}: got one param group: pass groups in an array, \\[\\{ params, \\.\\.\\.options \\}\\]$`) },
  { desc: "a value without a grad", args: (s) => [[{ value: s.arr() }]], error: (n) => new RegExp(`^${n}: params\\[0\\] is not a param: got an object with "value" but no "grad" \\(${EXPECTED}\\)$`) },
  { desc: "a grad without a value, alone", args: (s) => [{ grad: s.arr() }], error: (n) => new RegExp(`^${n}: params is not a param: got an object with "grad" but no "value"`) },
  { desc: "a learning rate as the options", args: (s) => [[s.w], 0.01], error: (n) => new RegExp(`^${n}: options must be an object \\(got 0\\.01: for a learning rate, pass \\{ lr: 0\\.01 \\}\\)$`) },
  { desc: "params as the options", args: (s) => [[s.w], [s.b]], error: (n) => new RegExp(`^${n}: options must be an object \\(got an array: params go first, options second\\)$`) },
  { desc: "an unknown option: the list leaves out internal keys (className)", args: (s) => [[s.w], { bogus: 1 }],
    error: (n) => new RegExp(`^${n}: unknown option "bogus" \\(expected one of (?!.*className).*\\)$`) },
  { desc: "an option of the whole optimizer in a group", args: (s) => [[{ params: [s.w], maxGradNorm: 1 }]], stepOnly: true,
    error: (n) => new RegExp(`^${n}: param group 0: "maxGradNorm" is an option of the whole optimizer, not of a group \\(pass it in the options, the second argument\\)$`) },
];

const LOST = "\\(one of the two updates would be lost\\)";
const READ = "\\(the step would overwrite a gradient it reads\\)";
const OWN = (n: string, at = "params\\[0\\]") => new RegExp(`^${n}: ${at}'s grad shares memory with its value ${READ}: give the grad an array of its own$`);
const PROXY = (n: string) => new RegExp(`^${n}: param group 0: params\\[0\\] is a Proxy of a Param or an object inheriting from one, not the Param \\(pass the Param itself\\)$`);

// Item 11: params whose arrays share memory where the step writes, the same param twice, proxies.
const ALIASING: Case[] = [
  { desc: "two foreign params over one value array", args: (s) => { const v = s.arr(); return [[s.foreign(v, s.arr()), s.foreign(v, s.arr())]]; },
    error: (n) => new RegExp(`^${n}: params\\[0\\]\\.value and params\\[1\\]\\.value share memory ${LOST}$`) },
  { desc: "overlapping subarrays of one Float32Array as values", args: (s) => { const buf = s.arr(2 * N - 2); return [[s.foreign(buf.subarray(0, N), s.arr()), s.foreign(buf.subarray(N - 2), s.arr())]]; },
    error: (n) => new RegExp(`^${n}: params\\[0\\]\\.value and params\\[1\\]\\.value share memory ${LOST}$`) },
  { desc: "views of one ArrayBuffer overlapping by one float (second param listed first)", args: (s) => {
    const ab = new ArrayBuffer(4 * (2 * N - 1)), lo = new Float32Array(ab, 0, N), hi = new Float32Array(ab, 4 * (N - 1), N);
    s.arrays.push(lo, hi);
    return [[s.foreign(hi, s.arr()), s.foreign(lo, s.arr())]];
  }, error: (n) => new RegExp(`^${n}: params\\[1\\]\\.value and params\\[0\\]\\.value share memory ${LOST}$`) },
  { desc: "a store param passed again as { value, grad }", args: (s) => [[s.w, s.b, s.foreign(s.w.value, s.w.grad)]],
    error: (n) => new RegExp(`^${n}: params\\[0\\]\\.value and params\\[2\\]\\.value share memory ${LOST}; params\\[0\\] is store param "w": pass it once, not also as \\{ value, grad \\}$`) },
  { desc: "a store param's value as a foreign grad", args: (s) => [[s.w, s.foreign(s.arr(), s.w.value)]],
    error: (n) => new RegExp(`^${n}: params\\[0\\]\\.value and params\\[1\\]\\.grad share memory ${READ}; params\\[0\\] is store param "w"`) },
  { desc: "a grad that is its own value", args: (s) => { const v = s.arr(); return [[s.foreign(v, v)]]; }, error: (n) => OWN(n) },
  { desc: "a grad that is its own value, the param alone", args: (s) => { const v = s.arr(); return [s.foreign(v, v)]; }, error: (n) => OWN(n) },
  { desc: "a grad overlapping its value", args: (s) => { const buf = s.arr(N + 2); return [[s.w, s.foreign(buf.subarray(0, N), buf.subarray(2))]]; },
    error: (n) => OWN(n, "params\\[1\\]") },
  { desc: "a grad over another param's value", args: (s) => { const v = s.arr(); return [[s.foreign(v, s.arr()), s.foreign(s.arr(), v)]]; },
    error: (n) => new RegExp(`^${n}: params\\[0\\]\\.value and params\\[1\\]\\.grad share memory ${READ}$`) },
  { desc: "the same store param twice in one group", args: (s) => [[s.w, s.b, s.w]],
    error: (n) => new RegExp(`^${n}: params\\[2\\] appears more than once \\(also params\\[0\\]; a param may be in only one group, once\\)$`) },
  { desc: "the same foreign param twice in one group", args: (s) => { const f = s.foreign(s.arr(), s.arr()); return [[f, f]]; },
    error: (n) => new RegExp(`^${n}: params\\[1\\] appears more than once \\(also params\\[0\\]`) },
  { desc: "the same param in two groups", stepOnly: true, args: (s) => [[{ params: [s.w] }, { params: [s.b, s.w] }]],
    error: (n) => new RegExp(`^${n}: param group 1 params\\[1\\] appears more than once \\(also param group 0 params\\[0\\]; a param may be in only one group, once\\)$`) },
  { desc: "one value array in two groups", stepOnly: true, args: (s) => { const v = s.arr(); return [[{ params: [s.foreign(v, s.arr())] }, { params: [s.foreign(v, s.arr())] }]]; },
    error: (n) => new RegExp(`^${n}: param group 0 params\\[0\\]\\.value and param group 1 params\\[0\\]\\.value share memory ${LOST}$`) },
  { desc: "a Proxy of a store param", args: (s) => [[new Proxy(s.w, {})]], error: PROXY, type: TypeError },
  { desc: "a Proxy of a store param, alone", args: (s) => [new Proxy(s.w, {})], error: PROXY, type: TypeError },
  { desc: "an object inheriting from a store param", args: (s) => [[Object.create(s.w) as unknown]], error: PROXY, type: TypeError },
];

const CASES = [...INPUTS.map((c) => ({ type: TypeError, ...c })), ...ALIASING.map((c) => ({ type: Error, ...c }))];

describe.each(ALL)("$name: construction input", ({ name, cls, closure }) => {
  it.each(CASES.filter((c) => !(closure && c.stepOnly)))("$desc: a clear error, nothing allocated or changed", ({ args, error, type }) => {
    const s = world(cls);
    const [params, options] = args(s);
    expectRefused(s, () => new cls(params, options), error(name), type);
  });

  it("accepted: adjacent subarrays of one buffer, grads shared between params, a Proxy of a { value, grad } object", () => {
    const s = world(cls);
    const values = s.arr(2 * N), grads = s.arr(2 * N), shared = s.arr();
    const flat = [s.foreign(values.subarray(0, N), grads.subarray(0, N)), s.foreign(values.subarray(N), grads.subarray(N))];
    const tied = [s.foreign(s.arr(), shared), s.foreign(s.arr(), shared)];
    const proxied = new Proxy(s.foreign(s.arr(), s.arr()), {});
    for (const params of [flat, tied, [proxied], [s.w, ...flat]]) expect(new cls(params).paramGroups).toHaveLength(1);
  });

  if (!closure) {
    it("addParamGroup: aliasing and proxies are refused, with the optimizer's state unchanged", () => {
      const s = world(cls);
      const opt = new cls([s.w]);
      opt.step();
      const state = opt.stateDict();
      const bad: Array<[unknown, RegExp, ErrorConstructor]> = [
        [{ params: [s.foreign(s.w.value, s.w.grad)] }, new RegExp(`^${name}: param group 0 params\\[0\\]\\.value and param group 1 params\\[0\\]\\.value share memory ${LOST}; param group 0 params\\[0\\] is store param "w"`), Error],
        [{ params: [s.b, s.w] }, new RegExp(`^${name}: param group 1 params\\[1\\] appears more than once \\(also param group 0 params\\[0\\]`), Error],
        [{ params: [new Proxy(s.b, {})] }, new RegExp(`^${name}: param group 1: params\\[0\\] is a Proxy of a Param`), TypeError],
      ];
      for (const [group, error, type] of bad) expectRefused(s, () => opt.addParamGroup(group), error, type);
      expect(opt.paramGroups).toHaveLength(1);
      expect(opt.stateDict()).toEqual(state);
    });
  }
});

// Item 19: an unknown option names the option probably meant, by a rule (case and snake_case, names other
// libraries use, edit distance), for every option of every optimizer.
const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
describe.each(ALL)("$name: unknown options name the option meant", ({ name, cls, closure, rules }) => {
  const options = closure ? rules : [...rules, ...WHOLE];
  const cases = [
    ...options.filter((k) => snake(k) !== k).map((k) => ({ given: snake(k), meant: k })),
    ...options.filter((k) => k.length > 3).map((k) => ({ given: k.toUpperCase(), meant: k })),
    ...(rules.includes("lr") ? [{ given: "learningRate", meant: "lr" }, { given: "learning_rate", meant: "lr" }] : []),
    ...(rules.includes("eps") ? [{ given: "epsilon", meant: "eps" }] : []),
    ...(rules.includes("betas") ? ["beta1", "beta_2", "b1", "b2"].map((given) => ({ given, meant: "betas" })) : []),
  ];
  it.each(cases)("$given -> $meant", ({ given, meant }) => {
    const s = world(cls);
    const shown = meant === "betas" ? `"betas" \\(a pair \\[beta1, beta2\\]\\)` : `"${meant}"`;
    expectRefused(s, () => new cls([s.w], { [given]: 1 }), new RegExp(`^${name}: unknown option "${given}", did you mean ${shown}\\? \\(expected one of `), TypeError);
  });
});

describe("unknown options: names from other libraries and typos", () => {
  const w = () => new ParamStore().param("w", 4);
  it.each([
    [Adam, { weight_decay: 0.1 }, /^Adam: unknown option "weight_decay", did you mean "weightDecay"\?/],
    [Adam, { decay: 0.1 }, /^Adam: unknown option "decay", did you mean "weightDecay"\?/], // Keras, AdamW ports
    [RMSprop, { decay: 0.9 }, /^RMSprop: unknown option "decay", did you mean "alpha" or "weightDecay"\?/], // tfjs, Optax
    [RMSprop, { rho: 0.9 }, /^RMSprop: unknown option "rho", did you mean "alpha"\?/], // Keras
    [NAdam, { momentum_decay: 0.004 }, /^NAdam: unknown option "momentum_decay", did you mean "momentumDecay"\?/],
    [SGD, { nestrov: true }, /^SGD: unknown option "nestrov", did you mean "nesterov"\?/],
    [Adam, { clipnorm: 1 }, /^Adam: unknown option "clipnorm", did you mean "maxGradNorm"\?/], // Keras
    [Adam, { clipvalue: 1 }, /^Adam: unknown option "clipvalue", did you mean "clipValue"\?/],
    [Adam, { mu_dtype: "bf16" }, /^Adam: unknown option "mu_dtype", did you mean "stateDtype"\?/], // Optax
    [Adam, { alpha: 1e-3 }, /^Adam: unknown option "alpha", did you mean "lr"\?/], // Chainer
    [Adam, { foo: 1 }, /^Adam: unknown option "foo" \(expected one of lr, betas, eps, weightDecay, .*backend, verify, maxGradNorm, normType, skipNonFinite, clipValue\)$/],
  ] as const)("%o %o", (cls, options, error) => {
    expect(() => new (cls as unknown as AnyClass)([w()], options)).toThrow(error);
  });

  it("className is accepted (getConfig writes it) though never listed", () => {
    expect(new Adam([w()], { className: "Adam" }).paramGroups).toHaveLength(1);
  });
});
