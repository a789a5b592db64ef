// GpuAveragedParams: EMA and SWA averages of GPU params against AveragedParams (checked against torch's
// AveragedModel in test/transforms/averaged-params.test.ts) over the same params and steps, bit for bit: by
// update() and following an optimizer (whose skipped steps, decided on the device, update nothing), swap,
// copyTo, state dicts both ways, and errors that change nothing.
import { describe, expect, it } from "vitest";
import { Adam, AveragedParams, type AveragedParamsState, ParamStore, SGD } from "../../src/index.js";
import { type GpuParam, GpuAveragedParams, GpuParamStore } from "../../src/webgpu/index.js";
import { firstBitDifference, randomArray, rng } from "../helpers.js";
import { gpuDevice } from "./device.js";

const { device } = await gpuDevice();
const gpu = await GpuParamStore.create({ device });
let run = 0;
const name = (s: string) => `${s}.${run++}`;
/** 20000 floats start a new block of the store now and then: a param list over two blocks (two runs). */
const LENGTHS = [1, 7, 1000, 20000, 3];

function rig(seed: number) {
  const rand = rng(seed), h = new ParamStore();
  const g = LENGTHS.map((n) => {
    const init = randomArray(n, rand, 1, 0), id = name("w");
    h.param(id, init);
    return gpu.param(id, init);
  });
  const grads = (bad = false) => g.forEach((p, i) => {
    const x = randomArray(p.length, rand, 1, 0.1);
    if (bad && i === 1) x[3] = NaN;
    p.writeGrad(x);
    h.params[i]!.grad.set(x);
  });
  return { g, h, grads };
}

async function expectSameArrays(got: Float32Array[], want: Float32Array[], where: string): Promise<void> {
  expect(got.length).toBe(want.length);
  for (const [i, w] of want.entries()) {
    const d = firstBitDifference(got[i]!, w);
    expect(d, `${where}: [${i}] element ${d}: ${got[i]![d]} vs ${w[d]}`).toBe(-1);
  }
}

async function expectSameAverages(ga: GpuAveragedParams, ha: AveragedParams, where: string): Promise<void> {
  const s = await ga.stateDictAsync(), r = ha.stateDict();
  expect({ ...s, averages: undefined }, where).toEqual({ ...r, averages: undefined });
  await expectSameArrays(s.averages, r.averages, where);
}

const KINDS = [
  { kind: "EMA decay 0.9 (w < 0.5: avg + w·d)", decay: 0.9 },
  { kind: "EMA decay 0.3 (w ≥ 0.5: param + (w − 1)·d)", decay: 0.3 },
  { kind: "SWA", decay: undefined },
];

describe.each(KINDS)("$kind: bit for bit AveragedParams", ({ decay }) => {
  const o = decay === undefined ? {} : { decay };

  it("update() after each step", async () => {
    const { g, h, grads } = rig(1);
    const opt = new Adam(g, { lr: 0.05 }), ref = new Adam(h.params, { lr: 0.05, backend: "js" });
    const ga = new GpuAveragedParams(g, o), ha = new AveragedParams(h.params, { ...o, backend: "js" });
    for (let t = 0; t < 5; t++) {
      grads();
      opt.step(); ref.step();
      ga.update(); ha.update();
    }
    await expectSameAverages(ga, ha, "after 5 updates");
    expect(await ga.nAveragedAsync()).toBe(5);
    h.dispose();
  });

  it("following an optimizer with skipNonFinite: the device's skipped steps (the first too) update nothing", async () => {
    const { g, h, grads } = rig(2);
    const opt = new SGD(g, { lr: 0.1, momentum: 0.9, skipNonFinite: true }), ref = new SGD(h.params, { lr: 0.1, momentum: 0.9, skipNonFinite: true, backend: "js" });
    const ga = new GpuAveragedParams(g, { ...o, optimizer: opt }), ha = new AveragedParams(h.params, { ...o, backend: "js", optimizer: ref });
    expect(ga.following).toBe(true);
    for (const bad of [true, false, false, true, false, true, false]) {
      grads(bad);
      opt.step(); ref.step();
    }
    expect(ref.skippedSteps).toBe(3);
    await expectSameAverages(ga, ha, "after 7 steps, 3 skipped");
    await expectSameArrays(await Promise.all(g.map((p) => p.read())), h.params.map((p) => p.value), "params");
    ga.detach(); ha.detach();
    grads();
    opt.step(); ref.step();
    await expectSameAverages(ga, ha, "detached");
    h.dispose();
  });

  it("swap() exchanges params and averages, copyTo() copies the averages; state dicts go both ways", async () => {
    const { g, h, grads } = rig(3);
    const opt = new Adam(g, { lr: 0.05 }), ref = new Adam(h.params, { lr: 0.05, backend: "js" });
    const ga = new GpuAveragedParams(g, { ...o, optimizer: opt }), ha = new AveragedParams(h.params, { ...o, backend: "js", optimizer: ref });
    for (let t = 0; t < 3; t++) { grads(); opt.step(); ref.step(); }
    ga.swap(); ha.swap();
    expect(ga.swapped).toBe(true);
    await expectSameArrays(await Promise.all(g.map((p) => p.read())), h.params.map((p) => p.value), "swapped params");
    await expectSameAverages(ga, ha, "swapped");
    const targets = g.map((p) => gpu.param(name("t"), p.length));
    ga.copyTo(targets); ha.copyTo(h.params.map((p) => ({ value: new Float32Array(p.length), grad: new Float32Array(p.length) })));
    await expectSameArrays(await Promise.all(targets.map((p) => p.read())), ha.stateDict().averages, "copyTo while swapped");
    ga.swap(); ha.swap();
    await expectSameArrays(await Promise.all(g.map((p) => p.read())), h.params.map((p) => p.value), "swapped back");
    // GPU → Wasm and Wasm → GPU, then both go on in step.
    const wasm = new AveragedParams(h.params, { ...o, backend: "js" });
    wasm.loadStateDict(await ga.stateDictAsync());
    const back = new GpuAveragedParams(g, o);
    back.loadStateDict(ha.stateDict());
    grads(); opt.step(); ref.step();
    wasm.update(); back.update();
    await expectSameAverages(back, wasm, "resumed both ways");
    await expectSameAverages(ga, ha, "the originals");
    ga.copyTo();
    await expectSameArrays(await Promise.all(g.map((p) => p.read())), ha.stateDict().averages, "copyTo()");
    h.dispose();
  });
});

const other = await GpuParamStore.create({ device });
describe("GpuAveragedParams: errors change nothing", () => {
  const w = () => [gpu.param(name("e"), new Float32Array([1, 2])), gpu.param(name("e"), new Float32Array([3]))];
  it.each([
    ["a bad decay", (_: GpuAveragedParams, p: GpuParam[]) => new GpuAveragedParams(p, { decay: 2 }), /^GpuAveragedParams: Invalid decay: 2 \(expected a number in \[0, 1\]\)$/],
    ["an unknown option", (_: GpuAveragedParams, p: GpuParam[]) => new GpuAveragedParams(p, { backend: "js" } as never), /^GpuAveragedParams: unknown option "backend"/],
    ["no params", () => new GpuAveragedParams([]), /^GpuAveragedParams: got an empty parameter list$/],
    ["a Wasm param", () => new GpuAveragedParams([new ParamStore().param("h", 2)] as never), /^GpuAveragedParams: params\[0\] is not a GPU param/],
    ["params of two stores", (_: GpuAveragedParams, p: GpuParam[]) => new GpuAveragedParams([p[0]!, other.param(name("o"), 1)]), /^GpuAveragedParams: params\[1\] is in another GpuParamStore than params\[0\]$/],
    ["an optimizer of other params", (_: GpuAveragedParams, p: GpuParam[]) => new GpuAveragedParams(p, { optimizer: new SGD([p[0]!]) }), /^GpuAveragedParams: params\[1\] is not a param of the optimizer it follows$/],
    ["AveragedParams over GPU params", (_: GpuAveragedParams, p: GpuParam[]) => new AveragedParams(p as never), /^AveragedParams: GPU params \(a GpuParamStore's\): use GpuAveragedParams of gradstep\/webgpu/],
    ["AveragedParams over a GpuParamStore", () => new AveragedParams(gpu as never), /^AveragedParams: GPU params/],
    ["update() while swapped", (a: GpuAveragedParams) => { a.swap(); try { a.update(); } finally { a.swap(); } }, /^GpuAveragedParams\.update: the params hold the averages \(swapped\)/],
    ["swap() before any update", (_: GpuAveragedParams, p: GpuParam[]) => new GpuAveragedParams(p).swap(), /^GpuAveragedParams\.swap: no average yet/],
    ["copyTo() of other lengths", (a: GpuAveragedParams) => a.copyTo([gpu.param(name("c"), 2), gpu.param(name("c"), 2)]), /^GpuAveragedParams\.copyTo: params\[1\] has length 2, its average has 1$/],
    ["a state dict of another kind", (a: GpuAveragedParams, p: GpuParam[]) => a.loadStateDict({ format: 1, kind: "swa", decay: null, nAveraged: 1, averages: p.map((x) => new Float32Array(x.length)) }),
      /^GpuAveragedParams\.loadStateDict: the dict is of kind "swa", this is an EMA with decay 0\.5$/],
    ["a state dict with a short average", (a: GpuAveragedParams) => a.loadStateDict({ format: 1, kind: "ema", decay: 0.5, nAveraged: 1, averages: [new Float32Array(2), new Float32Array(0)] }),
      /^GpuAveragedParams\.loadStateDict: averages\[1\] has 0 values, the param has 1$/],
  ] as [string, (a: GpuAveragedParams, p: GpuParam[]) => unknown, RegExp][])("%s", async (_, f, error) => {
    const p = w(), opt = new SGD(p, { lr: 0.1 });
    const a = new GpuAveragedParams(p, { decay: 0.5, optimizer: opt });
    p.forEach((x) => x.writeGrad(new Float32Array(x.length).fill(1)));
    opt.step();
    opt.step();
    const before: { avg: AveragedParamsState; params: Float32Array[] } = { avg: await a.stateDictAsync(), params: await Promise.all(p.map((x) => x.read())) };
    expect(() => f(a, p)).toThrow(error);
    const after = await a.stateDictAsync();
    expect(after.nAveraged).toBe(before.avg.nAveraged);
    await expectSameArrays(after.averages, before.avg.averages, "averages");
    await expectSameArrays(await Promise.all(p.map((x) => x.read())), before.params, "params");
    expect(a.swapped).toBe(false);
  });
});
