// GpuGradScaler: torch.amp.GradScaler with its state on the GPU, against gradstep's GradScaler (itself checked
// against torch in test/transforms/grad-scaler.test.ts) on the same gradients: the scale and growth tracker after
// every update, the params and the optimizer state, bit for bit. The GPU side's gradients are scaled by a WGSL
// kernel reading scaler.scaleBuffer, as a trainer's backward does (the host never learns the scale).
import { describe, expect, it } from "vitest";
import { Adagrad, GradScaler, Lion, type Optimizer, ParamStore, SGD } from "../../src/index.js";
import { type GpuParam, GpuGradScaler, GpuParamStore } from "../../src/webgpu/index.js";
import { COPY_DST, STORAGE, UNIFORM } from "../../src/webgpu/gpu.js";
import { computeKernel } from "../../src/webgpu/kernel.js";
import { wgslRule } from "../../src/webgpu/driver.js";
import { firstBitDifference, randomArray, rng } from "../helpers.js";
import { REGISTRY } from "../registry.js";
import { gpuDevice } from "./device.js";

const { device } = await gpuDevice();
const gpu = await GpuParamStore.create({ device });
let run = 0;
const name = (s: string) => `${s}.${run++}`;
const LENGTHS = [1, 7, 1000];

/** grad ← raw · scale, the scale read from the scaler's buffer (a backward seeded with the scaled loss). */
const SCALE_GRADS = computeKernel(device, /* wgsl */ `
@group(0) @binding(0) var<storage, read> raw: array<f32>;
@group(0) @binding(1) var<storage, read_write> grad: array<f32>;
@group(0) @binding(2) var<storage, read> scale: array<f32>;
@group(0) @binding(3) var<uniform> at: vec4<u32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x < at.y) { grad[at.x + id.x] = raw[id.x] * scale[at.z]; }
}`, ["read-only-storage", "storage", "read-only-storage", "uniform"]);

function backward(p: GpuParam, raw: Float32Array, scaler: GpuGradScaler): void {
  const buf = (size: number, usage: number) => device.createBuffer({ size, usage });
  const rawBuf = buf(Math.max(16, 4 * raw.length), STORAGE | COPY_DST), at = buf(16, UNIFORM | COPY_DST);
  device.queue.writeBuffer(rawBuf, 0, raw);
  device.queue.writeBuffer(at, 0, new Uint32Array([p.gradOffset / 4, p.length, scaler.scaleOffset / 4, 0]));
  const enc = device.createCommandEncoder(), pass = enc.beginComputePass();
  pass.setPipeline(SCALE_GRADS.pipeline);
  pass.setBindGroup(0, device.createBindGroup({
    layout: SCALE_GRADS.layout,
    entries: [rawBuf, p.gradBuffer, scaler.scaleBuffer, at].map((buffer, binding) => ({ binding, resource: { buffer } })),
  }));
  pass.dispatchWorkgroups(Math.ceil(p.length / 64));
  pass.end();
  device.queue.submit([enc.finish()]);
}

type Cls = new (params: never, options?: object) => Optimizer<object>;

/** A GPU and a host optimizer (reference backend) over the same initial params, each with its scaler. */
function rig(cls: Cls, options: object, scalerOptions: object, seed: number) {
  const rand = rng(seed), h = new ParamStore();
  const g = LENGTHS.map((n) => {
    const init = randomArray(n, rand, 1, 0), id = name("w");
    h.param(id, init);
    return gpu.param(id, init);
  });
  const o = { ...options, skipNonFinite: true };
  return {
    rand, g, h,
    gOpt: new cls(g as never, o), hOpt: new cls(h.params as never, { ...o, backend: "js" }),
    gScaler: new GpuGradScaler(gpu, scalerOptions), hScaler: new GradScaler(scalerOptions),
  };
}

/** One iteration on both sides; `bad`: an Inf (1) or NaN (2) among the unscaled gradients of param 2. */
function iterate(r: ReturnType<typeof rig>, bad: 0 | 1 | 2): void {
  const scale = r.hScaler.getScale();
  r.g.forEach((p, i) => {
    const raw = randomArray(p.length, r.rand, 1, 0.1);
    if (bad && i === 2) raw[333] = bad === 1 ? Infinity : NaN;
    backward(p, raw, r.gScaler);
    r.h.params[i]!.grad.set(raw.map((x) => x * scale)); // f32(raw · scale), as the kernel computes it
  });
  r.gScaler.step(r.gOpt);
  r.hScaler.step(r.hOpt);
  r.gScaler.update();
  r.hScaler.update();
}

async function expectSame(r: ReturnType<typeof rig>, where: string): Promise<void> {
  expect(await r.gScaler.stateDictAsync(), `${where}: the scaler's state`).toEqual(r.hScaler.stateDict());
  for (const [i, p] of r.h.params.entries()) {
    const got = await r.g[i]!.read(), d = firstBitDifference(got, p.value);
    expect(d, `${where}: param ${i} element ${d}: ${got[d]} vs ${p.value[d]}`).toBe(-1);
  }
  const gs = await r.gOpt.stateDictAsync(), hs = r.hOpt.stateDict();
  for (const [id, entry] of Object.entries(hs.state)) {
    for (const [k, v] of Object.entries(entry)) {
      if (v instanceof Float32Array) expect(firstBitDifference(gs.state[Number(id)]![k] as Float32Array, v), `${where}: state ${id}.${k}`).toBe(-1);
    }
  }
}

const SCALER = { initScale: 1024, growthInterval: 3 };
/** Finite steps only (the scale grows every 3): every optimizer with a WGSL kernel, its first f32 configuration. */
const FINITE = REGISTRY.filter((e) => wgslRule(e.spec) !== undefined).map((e) => ({
  name: e.name, cls: e.cls as Cls, options: e.cases.configs.find((c) => (c.options.stateDtype ?? "f32") === "f32")!.options,
}));
/**
 * With overflowing steps: optimizers whose update does not use the step count (a skipped step still counts in the
 * host's step count on the GPU, docs/webgpu.md).
 */
const OVERFLOW = [
  { name: "SGD", cls: SGD as Cls, options: { lr: 0.1 } },
  { name: "SGD momentum", cls: SGD as Cls, options: { lr: 0.1, momentum: 0.9, nesterov: true } },
  { name: "Adagrad", cls: Adagrad as Cls, options: { lr: 0.1 } },
  { name: "Lion", cls: Lion as Cls, options: { lr: 0.01, weightDecay: 0.1 } },
];

describe("GpuGradScaler: bit for bit GradScaler", () => {
  it.each(FINITE)("$name: finite steps, the scale growing", async ({ cls, options }) => {
    const r = rig(cls, options, SCALER, 1);
    for (let t = 0; t < 7; t++) iterate(r, 0);
    await expectSame(r, "after 7 iterations");
    expect(await r.gScaler.getScaleAsync()).toBe(1024 * 4);
    r.h.dispose();
  });

  it.each(OVERFLOW)("$name: inf and NaN gradients skip the step and back the scale off", async ({ cls, options }) => {
    const r = rig(cls, options, SCALER, 2);
    const plan: (0 | 1 | 2)[] = [0, 0, 1, 0, 0, 0, 2, 2, 0, 0];
    for (const [t, bad] of plan.entries()) {
      iterate(r, bad);
      expect(await r.gScaler.stateDictAsync(), `iteration ${t}`).toEqual(r.hScaler.stateDict());
    }
    await expectSame(r, "after the plan");
    expect(r.hScaler.skippedSteps).toBe(3);
    r.h.dispose();
  });

  it("two optimizers, one overflowing: it skips alone, and the one update backs off", async () => {
    const a = rig(SGD as Cls, { lr: 0.1 }, SCALER, 3), b = rig(Adagrad as Cls, { lr: 0.1 }, SCALER, 4);
    // b's optimizers share a's scalers
    const scale = a.hScaler.getScale(), raws = [a, b].map((r) => r.g.map((p) => randomArray(p.length, r.rand, 1, 0.1)));
    raws[1]![0]![0] = Infinity;
    [a, b].forEach((r, k) => r.g.forEach((p, i) => {
      backward(p, raws[k]![i]!, a.gScaler);
      r.h.params[i]!.grad.set(raws[k]![i]!.map((x) => x * scale));
    }));
    for (const r of [a, b]) { a.gScaler.step(r.gOpt); a.hScaler.step(r.hOpt); }
    a.gScaler.update();
    a.hScaler.update();
    expect(a.hScaler.getScale()).toBe(512);
    expect(await a.gScaler.stateDictAsync()).toEqual(a.hScaler.stateDict());
    for (const r of [a, b]) {
      for (const [i, p] of r.h.params.entries()) expect(firstBitDifference(await r.g[i]!.read(), p.value)).toBe(-1);
      r.h.dispose();
    }
  });

  it.each([
    ["growth stops below f32 overflow", { scale: 2 ** 127, growthTracker: 2 }, 0 as const],
  ])("%s", async (_, state, bad) => {
    const r = rig(SGD as Cls, { lr: 0.1 }, SCALER, 5);
    const dict = { ...r.hScaler.stateDict(), ...state } as Parameters<GradScaler["loadStateDict"]>[0];
    r.hScaler.loadStateDict(dict);
    r.gScaler.loadStateDict(dict);
    for (let t = 0; t < 4; t++) {
      iterate(r, bad);
      expect(await r.gScaler.stateDictAsync(), `iteration ${t}`).toEqual(r.hScaler.stateDict());
    }
    r.h.dispose();
  });

  it("backoff stops at 2^-126, the smallest normal f32 (GradScaler goes on into subnormals)", async () => {
    const r = rig(SGD as Cls, { lr: 0.1 }, SCALER, 9);
    const dict = { ...r.hScaler.stateDict(), scale: 2 ** -125 } as Parameters<GradScaler["loadStateDict"]>[0];
    r.hScaler.loadStateDict(dict);
    r.gScaler.loadStateDict(dict);
    const scales: number[] = [];
    for (let t = 0; t < 3; t++) {
      iterate(r, 1);
      scales.push(await r.gScaler.getScaleAsync());
    }
    expect(scales).toEqual([2 ** -126, 2 ** -126, 2 ** -126]);
    expect(r.hScaler.getScale()).toBe(2 ** -127);
    await expectSame({ ...r, hScaler: { stateDict: () => ({ ...dict, scale: 2 ** -126 }) } as never }, "params: every step skipped");
    r.h.dispose();
  });

  it("state dicts go both ways between GradScaler and GpuGradScaler", async () => {
    const r = rig(SGD as Cls, { lr: 0.1 }, SCALER, 6);
    for (let t = 0; t < 4; t++) iterate(r, t === 1 ? 1 : 0);
    const host = new GradScaler();
    host.loadStateDict(await r.gScaler.stateDictAsync() as never);
    expect(host.stateDict()).toEqual(r.hScaler.stateDict());
    const back = new GpuGradScaler(gpu);
    back.loadStateDict(r.hScaler.stateDict() as never);
    expect(await back.stateDictAsync()).toEqual(r.hScaler.stateDict());
    r.h.dispose();
  });

  it("update(newScale) sets the scale and drops the recorded inf", async () => {
    const r = rig(SGD as Cls, { lr: 0.1 }, SCALER, 7);
    iterate(r, 0);
    r.g[0]!.writeGrad(new Float32Array([Infinity]));
    r.h.params[0]!.grad.set([Infinity]);
    r.gScaler.step(r.gOpt);
    r.hScaler.step(r.hOpt);
    r.gScaler.update(8);
    r.hScaler.update(8);
    iterate(r, 0);
    await expectSame(r, "after update(8)");
    r.h.dispose();
  });

  it("disabled: step() steps, the buffer holds the scale 1, the state dict is empty", async () => {
    const r = rig(SGD as Cls, { lr: 0.1 }, { enabled: false }, 8);
    iterate(r, 0);
    await expectSame(r, "disabled");
    expect(await r.gScaler.getScaleAsync()).toBe(1);
    expect(new Float32Array(await gpu.readBytes(r.gScaler.scaleBuffer, r.gScaler.scaleOffset, 4))[0]).toBe(1);
    r.gScaler.update();
    r.h.dispose();
  });
});

const other = await GpuParamStore.create({ device });
describe("GpuGradScaler: errors change nothing", () => {
  it.each([
    ["an optimizer without skipNonFinite", (s: GpuGradScaler, w: GpuParam[]) => s.step(new SGD(w)), /^GpuGradScaler\.step: build the optimizer with skipNonFinite: true/],
    ["an optimizer of another store", (s: GpuGradScaler) => s.step(new SGD([other.param(name("o"), 2)], { skipNonFinite: true })), /^GpuGradScaler\.step: the optimizer's params are not in this scaler's GpuParamStore$/],
    ["a host optimizer", (s: GpuGradScaler) => s.step(new SGD([new ParamStore().param("h", 2)], { skipNonFinite: true, backend: "js" })), /^GpuGradScaler\.step: the optimizer's params are not in this scaler's GpuParamStore$/],
    ["step() twice", (s: GpuGradScaler, _: GpuParam[], o: Optimizer<object>) => s.step(o), /^GpuGradScaler\.step: step\(\) has already been called on this optimizer since the last update\(\)$/],
    ["update() with no step", () => new GpuGradScaler(gpu).update(), /^GpuGradScaler\.update: no inf checks were recorded prior to update\(\)/],
    ["update(newScale) below 2^-126", (s: GpuGradScaler) => s.update(2 ** -127), /^GpuGradScaler\.update: scale 5\.8\d+e-39 is below 2\^-126/],
    ["update(newScale) not invertible", (s: GpuGradScaler) => s.update(1e-40), /^GradScaler\.update: Invalid newScale/],
    ["unscale()", (s: GpuGradScaler, _: GpuParam[], o: Optimizer<object>) => s.unscale(o), /^GpuGradScaler\.unscale: not supported on the GPU/],
    ["a growthFactor that is no f32", () => new GpuGradScaler(gpu, { growthFactor: 1.1 }), /^GpuGradScaler: growthFactor 1\.1 is not an f32 value/],
    ["a bad option (GradScaler's rules)", () => new GpuGradScaler(gpu, { backoffFactor: 2 }), /^GradScaler: Invalid backoffFactor/],
    ["no store", () => new GpuGradScaler({} as never), /^GpuGradScaler: expected a GpuParamStore/],
    ["a state dict with a key missing", (s: GpuGradScaler) => s.loadStateDict({ scale: 2 } as never), /^GradScaler\.loadStateDict: unknown key|missing key/],
    ["a state dict with a backoffFactor that is no f32", (s: GpuGradScaler) => s.loadStateDict({ scale: 2, growthFactor: 2, backoffFactor: 0.3, growthInterval: 5, growthTracker: 1 }),
      /^GpuGradScaler\.loadStateDict: backoffFactor 0\.3 is not an f32 value/],
  ])("%s", async (_, f, error) => {
    const w = [gpu.param(name("e"), new Float32Array([1, 2])), gpu.param(name("e"), new Float32Array([3]))];
    const opt = new SGD(w, { momentum: 0.9, skipNonFinite: true }), s = new GpuGradScaler(gpu, { initScale: 4, growthInterval: 2 });
    w.forEach((p) => p.writeGrad(new Float32Array(p.length).fill(0.5)));
    s.step(opt);
    s.update();
    s.step(opt); // pending: update() comes after the failing call
    const before = { scaler: await s.stateDictAsync(), params: await Promise.all(w.map((p) => p.read())), state: await opt.stateDictAsync() };
    expect(() => f(s, w, opt)).toThrow(error);
    expect(await s.stateDictAsync()).toEqual(before.scaler);
    for (const [i, p] of w.entries()) expect(firstBitDifference(await p.read(), before.params[i]!)).toBe(-1);
    expect(await opt.stateDictAsync()).toEqual(before.state);
  });
});
