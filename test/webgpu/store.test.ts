// GpuParamStore and the webgpu backend besides parity (test/webgpu/parity.test.ts): the param API and its errors,
// a trainer's own WGSL writing grads in place, what is refused (with the message), the fused toolkit (clipValue,
// gradScale, skipNonFinite, maxGradNorm) against the reference, zeroGrad, a scheduler, and state dicts between
// the GPU and Wasm in both directions.
import { describe, expect, it } from "vitest";
import { DataParallel, DiLoCo, localGroups } from "../../src/distributed/index.js";
import { Adafactor, Adam, clipGradNorm, GradScaler, loadCheckpoint, saveCheckpoint, LBFGS, Lookahead, Muon, ParamStore, Prodigy, SGD, StepLR } from "../../src/index.js";
import { type GpuParam, GpuParamStore, loadCheckpointAsync, saveCheckpointAsync } from "../../src/webgpu/index.js";
import { firstBitDifference, randomArray, rng } from "../helpers.js";
import { REGISTRY } from "../registry.js";
import { PrePass } from "../../src/webgpu/prepass.js";
import { wgslRule } from "../../src/webgpu/driver.js";
import { gpuDevice } from "./device.js";

const { device } = await gpuDevice();
const gpu = await GpuParamStore.create({ device });
let run = 0;
const name = (s: string) => `${s}.${run++}`;

const SUPPORTED = REGISTRY.filter((e) => wgslRule(e.spec) !== undefined);
/** Each supported optimizer's first f32 configuration. */
const FIRST = SUPPORTED.map((e) => ({ name: e.name, cls: e.cls, options: e.cases.configs.find((c) => (c.options.stateDtype ?? "f32") === "f32")!.options }));
/** Each supported optimizer's first bf16 configuration, where it has one. */
const BF16 = SUPPORTED.flatMap((e) => e.cases.configs.filter((c) => c.options.stateDtype === "bf16").slice(0, 1).map((c) => ({ name: e.name, options: c.options })));
const LENGTHS = [1, 5, 1000];

/** Params of LENGTHS on the GPU and, with the same values, on a ParamStore. */
function pair(seed: number): { g: GpuParam[]; h: ParamStore; rand: () => number } {
  const rand = rng(seed), h = new ParamStore();
  const g = LENGTHS.map((n) => {
    const init = randomArray(n, rand, 1, 0), id = name("w");
    h.param(id, init);
    return gpu.param(id, init);
  });
  return { g, h, rand };
}

async function expectSameParams(g: GpuParam[], h: ParamStore, where: string): Promise<void> {
  for (const [i, p] of h.params.entries()) {
    const got = await g[i]!.read();
    const d = firstBitDifference(got, p.value);
    expect(d, `${where}: param ${i} element ${d}: ${got[d]} vs ${p.value[d]}`).toBe(-1);
  }
}

describe("GpuParam", () => {
  it("packs params contiguously and exposes where value and grad live", async () => {
    const a = gpu.param(name("a"), new Float32Array([1, 2, 3]), { shape: [3, 1] }), b = gpu.param(name("b"), 4);
    expect([a.length, a.shape, b.shape]).toEqual([3, [3, 1], [4]]);
    expect(b.buffer).toBe(a.buffer);
    expect(b.offset).toBe(a.offset + 12);
    expect(b.gradBuffer).toBe(a.gradBuffer);
    expect(b.gradOffset).toBe(a.gradOffset + 12);
    expect(b.gradBuffer).not.toBe(b.buffer);
    expect(Array.from(await a.read())).toEqual([1, 2, 3]);
    expect(Array.from(await b.read())).toEqual([0, 0, 0, 0]); // a length: zero-filled
    a.writeGrad(new Float32Array([4, 5, 6]));
    a.write(new Float32Array([7, 8, 9]));
    expect(Array.from(await a.readGrad())).toEqual([4, 5, 6]);
    expect(Array.from(await a.read())).toEqual([7, 8, 9]);
    expect(gpu.get(a.name)).toBe(a);
  });

  it("says which adapter it is on", () => {
    // Dawn names the adapter it runs on (SwiftShader here: vendor "google", or a GPU's driver where there is one).
    expect(gpu.adapterInfo).toMatchObject({ vendor: expect.any(String), description: expect.any(String) });
    console.log("webgpu adapter:", JSON.stringify(gpu.adapterInfo));
  });

  it.each([
    ["a duplicate name", () => { const n = name("d"); gpu.param(n, 1); gpu.param(n, 1); }, /^param\(\): a param named "d\.\d+" already exists in this store$/],
    ["a bad shape", () => gpu.param(name("s"), 6, { shape: [4, 2] }), /shape \[4, 2\] has 8 elements, the param has 6/],
    ["an unknown option", () => gpu.param(name("o"), 2, { dtype: "f16" } as never), /unknown option "dtype" \(expected shape\)/],
    ["a grad of the wrong length", () => gpu.param(name("g"), 3).writeGrad(new Float32Array(2)), /writeGrad: got 2 floats, the param has 3$/],
    ["a grad that is no Float32Array", () => gpu.param(name("g"), 2).writeGrad([1, 2] as never), /writeGrad: expected a Float32Array$/],
    ["a device that is not one", () => GpuParamStore.create({ device: {} as never }), /device must be a GPUDevice/],
  ])("refuses %s", async (_, f, error) => {
    await expect((async () => f())()).rejects.toThrow(error);
  });

  it("a trainer's own WGSL writes the grads in place; the step reads them there", async () => {
    const init = Float32Array.from({ length: 300 }, (_, i) => Math.sin(i));
    const w = gpu.param(name("w"), init);
    const h = new ParamStore(), hw = h.param("w", init);
    // grad = 2·value, computed on the GPU at the param's own offsets (the backward of Σw²)
    const module = device.createShaderModule({
      code: `@group(0) @binding(0) var<storage, read> v: array<f32>;
@group(0) @binding(1) var<storage, read_write> g: array<f32>;
struct At { v: u32, g: u32, n: u32, pad: u32 }
@group(0) @binding(2) var<uniform> at: At;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x < at.n) { g[at.g + id.x] = 2.0 * v[at.v + id.x]; }
}`,
    });
    const pipeline = device.createComputePipeline({ layout: "auto", compute: { module, entryPoint: "main" } }) as { getBindGroupLayout(i: number): object };
    const at = device.createBuffer({ size: 16, usage: 64 | 8 });
    device.queue.writeBuffer(at, 0, new Uint32Array([w.offset / 4, w.gradOffset / 4, w.length, 0]));
    const group = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [{ binding: 0, resource: { buffer: w.buffer } }, { binding: 1, resource: { buffer: w.gradBuffer } }, { binding: 2, resource: { buffer: at } }],
    });
    const opt = new Adam([w], { lr: 0.01 }), ref = new Adam([hw], { lr: 0.01, backend: "js" });
    for (let t = 0; t < 5; t++) {
      const enc = device.createCommandEncoder(), pass = enc.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, group);
      pass.dispatchWorkgroups(Math.ceil(w.length / 64));
      pass.end();
      device.queue.submit([enc.finish()]);
      opt.step();
      for (let i = 0; i < hw.length; i++) hw.grad[i] = Math.fround(2 * hw.value[i]!);
      ref.step();
    }
    expect(firstBitDifference(await w.read(), hw.value)).toBe(-1);
    h.dispose();
  });

  it("dispose destroys the store: its params, optimizers and store refuse to work, with a clear message", async () => {
    const s = await GpuParamStore.create({ device });
    const w = s.param("w", 4);
    const opt = new Adam([w]);
    opt.step();
    s.dispose();
    expect(() => s.param("x", 1)).toThrow(/^GpuParamStore has been disposed$/);
    expect(() => w.writeGrad(new Float32Array(4))).toThrow(/^param "w": its GpuParamStore has been disposed$/);
    await expect(w.read()).rejects.toThrow(/^param "w": its GpuParamStore has been disposed$/);
    expect(() => opt.step()).toThrow(/^Adam: its webgpu store has been disposed$/);
    expect(() => new SGD([w])).toThrow(/belongs to a disposed webgpu store/);
  });
});

describe("refused on webgpu, with a message that says so", () => {
  const w = () => [gpu.param(name("r"), 4, { shape: [2, 2] })];
  it.each([
    ["Adafactor", () => new Adafactor(w()), /^Adafactor is not supported on WebGPU yet \(no WGSL kernel; step it on a ParamStore\)$/],
    ["Muon", () => new Muon(w()), /^Muon is not supported on WebGPU yet \(no WGSL kernel; step it on a ParamStore\)$/],
    ["LBFGS", () => new LBFGS(w()), /^LBFGS is not supported on webgpu params yet \(its closure steps read the params on the host\)$/],
    ["int8 state", () => new SGD(w(), { momentum: 0.9, stateDtype: "int8" }), /^SGD on webgpu: stateDtype "int8" is not supported on WebGPU yet/],
    ["verify", () => new Adam(w(), { verify: true }), /^Adam: verify is not supported on webgpu/],
    ["a Wasm backend", () => new Adam(w(), { backend: "simd" }), /^Adam: backend "simd" cannot step webgpu params \(leave backend "auto"\)$/],
    ["a p-norm other than 1, 2, ∞", () => new Adam(w(), { maxGradNorm: 1, normType: 3 }), /^Adam: maxGradNorm with normType 3 is not supported on webgpu yet/],
    ["host and GPU params together", () => new Adam([...w(), new ParamStore().param("h", 2)]), /^Adam: a mix of device params \(GpuParamStore\) and host params/],
    ["Lookahead", () => new Lookahead(new Adam(w())), /^Lookahead: not supported on webgpu params yet$/],
    ["GradScaler", () => new GradScaler().step(new Adam(w())), /^GradScaler\.step: not supported on webgpu params \(use GpuGradScaler of gradstep\/webgpu/],
    ["Prodigy (global reductions)", () => new Prodigy(w()), /^Prodigy is not supported on WebGPU yet/],
    ["DataParallel", () => new DataParallel(new Adam(w()), localGroups(1)[0]!), /^DataParallel: Adam's params live in a GPU param store \(the webgpu backend\); distributed training steps params of a ParamStore \(Wasm memory\) only, not on WebGPU yet$/],
    ["DiLoCo", () => new DiLoCo(new Adam(w()), localGroups(1)[0]!, { syncEvery: 2 }), /^DiLoCo: Adam's params live in a GPU param store/],
    ["a synchronous stateDict()", () => { const o = new Adam(w()); o.step(); o.stateDict(); }, /^the optimizer's state lives on the GPU: read it with await opt\.stateDictAsync\(\)$/],
  ])("%s", (_, f, error) => {
    expect(f).toThrow(error);
  });
});

/**
 * A gradient scale (a clip) cannot change their trajectory: sign-based updates, and LARS in its first configuration
 * (no weight decay, eps 0: the trust ratio divides the update by ‖g‖; what rounding leaves is below the params' ulp).
 */
const SCALE_INVARIANT = new Set(["Rprop", "Lion", "LARS"]);

describe.each(FIRST)("$name: the fused toolkit on webgpu", ({ name: optimizer, cls, options }) => {
  it("clipValue and gradScale: bit for bit the reference", async () => {
    const { g, h, rand } = pair(7);
    const o = { ...options, clipValue: 0.05 };
    const opt = new cls(g as never, o), ref = new cls(h.params, { ...o, backend: "js" });
    for (let t = 0; t < 4; t++) {
      g.forEach((p, i) => { const x = randomArray(p.length, rand, 2, 0.1); p.writeGrad(x); h.params[i]!.grad.set(x); });
      opt.step({ gradScale: 0.7 });
      ref.step({ gradScale: 0.7 });
    }
    await expectSameParams(g, h, "clipValue");
    h.dispose();
  });

  it("skipNonFinite: a NaN gradient changes no param and no state; finite steps are the reference's", async () => {
    const { g, h, rand } = pair(8);
    const opt = new cls(g as never, { ...options, skipNonFinite: true }), ref = new cls(h.params, { ...options, skipNonFinite: true, backend: "js" });
    const grads = () => g.forEach((p, i) => { const x = randomArray(p.length, rand, 1, 0.1); p.writeGrad(x); h.params[i]!.grad.set(x); });
    grads();
    opt.step();
    ref.step();
    const before = await Promise.all(g.map((p) => p.read())), state = await opt.stateDictAsync();
    const bad = randomArray(1000, rand, 1, 0);
    bad[500] = Number.NaN;
    g[2]!.writeGrad(bad);
    opt.step();
    for (const [i, p] of g.entries()) expect(firstBitDifference(await p.read(), before[i]!), `param ${i}`).toBe(-1);
    const after = await opt.stateDictAsync();
    for (const [id, entry] of Object.entries(state.state)) {
      for (const [k, v] of Object.entries(entry)) if (typeof v !== "number") expect(firstBitDifference(after.state[Number(id)]![k] as Float32Array, v), k).toBe(-1);
    }
    // (the step count is the host's: it counts the skipped step, see docs/webgpu.md)
    await expectSameParams(g, h, "after the skipped step");
  });

  it("maxGradNorm: clips (the norm reduced on the GPU in f32) within 1e-5 relative of the reference", async () => {
    const { g, h, rand } = pair(9);
    const o = { ...options, maxGradNorm: 0.5 };
    const opt = new cls(g as never, o), ref = new cls(h.params, { ...o, backend: "js" }), free = new ParamStore();
    const unclipped = h.params.map((p) => free.param(p.name, p.value));
    const plain = new cls(unclipped, { ...options, backend: "js" });
    for (let t = 0; t < 3; t++) {
      g.forEach((p, i) => {
        const x = randomArray(p.length, rand, 3, 0.1);
        p.writeGrad(x); h.params[i]!.grad.set(x); unclipped[i]!.grad.set(x);
      });
      opt.step();
      ref.step();
      plain.step();
    }
    let moved = false;
    for (const [i, p] of h.params.entries()) {
      const got = await g[i]!.read();
      for (let k = 0; k < p.length; k++) {
        expect(Math.abs(got[k]! - p.value[k]!), `param ${i}[${k}]: ${got[k]} vs ${p.value[k]}`).toBeLessThanOrEqual(1e-5 * Math.abs(p.value[k]!) + 1e-7);
        moved ||= p.value[k] !== unclipped[i]!.value[k];
      }
    }
    expect(moved, "the clip changed the trajectory").toBe(!SCALE_INVARIANT.has(optimizer));
    h.dispose();
    free.dispose();
  });

  it.each([
    { dtype: "f32", o: options },
    ...BF16.filter((b) => b.name === optimizer).map((b) => ({ dtype: "bf16", o: b.options })),
  ])("stateDictAsync → a Wasm optimizer, and a Wasm state dict → the GPU: both resume bit for bit ($dtype state)", async ({ o: options }) => {
    const { g, h, rand } = pair(10);
    const grads = () => LENGTHS.map((n) => randomArray(n, rand, 1, 0.1));
    const feed = (xs: Float32Array[]) => xs.forEach((x, i) => { g[i]!.writeGrad(x); h.params[i]!.grad.set(x); });
    const gOpt = new cls(g as never, options), hOpt = new cls(h.params, options);
    for (let t = 0; t < 3; t++) { feed(grads()); gOpt.step(); hOpt.step(); }
    // GPU → Wasm: a fresh Wasm optimizer over copies of the GPU params takes the GPU's state.
    const copy = new ParamStore(), cp = await Promise.all(g.map(async (p) => copy.param(p.name, await p.read())));
    const cOpt = new cls(cp, options);
    cOpt.loadStateDict(await gOpt.stateDictAsync());
    // Wasm → GPU: a fresh GPU optimizer over copies of the Wasm params takes the Wasm state.
    const g2 = h.params.map((p) => gpu.param(name(p.name), p.value));
    const g2Opt = new cls(g2 as never, options);
    g2Opt.loadStateDict(hOpt.stateDict());
    for (let t = 0; t < 3; t++) {
      const xs = grads();
      feed(xs);
      xs.forEach((x, i) => { cp[i]!.grad.set(x); g2[i]!.writeGrad(x); });
      gOpt.step(); hOpt.step(); cOpt.step(); g2Opt.step();
    }
    await expectSameParams(g, h, "the GPU run vs the Wasm run");
    await expectSameParams(g, copy, "GPU state resumed on Wasm");
    await expectSameParams(g2, h, "Wasm state resumed on the GPU");
    h.dispose();
    copy.dispose();
  });
});

describe("the rest of a training loop", () => {
  it("zeroGrad zeroes the grads on the GPU", async () => {
    const w = gpu.param(name("z"), 5);
    w.writeGrad(new Float32Array([1, 2, 3, 4, 5]));
    new SGD([w]).zeroGrad();
    expect(Array.from(await w.readGrad())).toEqual([0, 0, 0, 0, 0]);
  });

  it("a scheduler drives the GPU optimizer's lr (a launch scalar): the reference's trajectory", async () => {
    const { g, h, rand } = pair(11);
    const opt = new Adam(g, { lr: 0.1 }), ref = new Adam(h.params, { lr: 0.1, backend: "js" });
    const s1 = new StepLR(opt, { stepSize: 2, gamma: 0.5 }), s2 = new StepLR(ref, { stepSize: 2, gamma: 0.5 });
    for (let t = 0; t < 6; t++) {
      g.forEach((p, i) => { const x = randomArray(p.length, rand, 1, 0.1); p.writeGrad(x); h.params[i]!.grad.set(x); });
      opt.step(); ref.step(); s1.step(); s2.step();
    }
    expect(opt.paramGroups[0]!.lr).toBe(0.0125);
    await expectSameParams(g, h, "StepLR");
    h.dispose();
  });
});

describe("checkpoints", () => {
  /** Adam + StepLR over params w (shape [2, 3]) and b on `store`; a GPU store's or a ParamStore's. */
  function trainer<S extends GpuParamStore | ParamStore>(store: S) {
    const w = store.param("w", Float32Array.from({ length: 6 }, (_, i) => i / 7 - 0.3), { shape: [2, 3] });
    const b = store.param("b", new Float32Array([0.5, -0.5]));
    const opt = new Adam([w, b] as never, { lr: 0.05, amsgrad: true });
    const sched = new StepLR(opt, { stepSize: 2, gamma: 0.5 });
    let t = 0;
    const step = () => {
      const gw = Float32Array.from({ length: 6 }, (_, i) => Math.sin(i + t)), gb = new Float32Array([Math.cos(t), 1 / (t + 1)]);
      t++;
      if ("writeGrad" in w) { w.writeGrad(gw); (b as GpuParam).writeGrad(gb); }
      else { w.grad.set(gw); (b as { grad: Float32Array }).grad.set(gb); }
      opt.step();
      sched.step();
    };
    const values = async () => [...(await (("read" in w) ? (w as GpuParam).read() : Float32Array.from((w as { value: Float32Array }).value))),
      ...(await (("read" in b) ? (b as GpuParam).read() : Float32Array.from((b as { value: Float32Array }).value)))];
    return { opt, sched, step, values, setT: (x: number) => { t = x; } };
  }

  it("saveCheckpointAsync on the GPU → loadCheckpoint on Wasm, and saveCheckpoint on Wasm → loadCheckpointAsync on the GPU: bit for bit", async () => {
    const g = await GpuParamStore.create({ device }), h = new ParamStore();
    const a = trainer(g), c = trainer(h);
    for (let i = 0; i < 3; i++) { a.step(); c.step(); }
    const fromGpu = await saveCheckpointAsync({ params: g, optimizer: a.opt, scheduler: a.sched });
    const fromWasm = saveCheckpoint({ params: h, optimizer: c.opt, scheduler: c.sched });
    const h2 = new ParamStore(), g2 = await GpuParamStore.create({ device });
    const a2 = trainer(h2), c2 = trainer(g2);
    loadCheckpoint(fromGpu, { params: h2, optimizer: a2.opt, scheduler: a2.sched });
    await loadCheckpointAsync(fromWasm, { params: g2, optimizer: c2.opt, scheduler: c2.sched });
    a2.setT(3);
    c2.setT(3);
    for (let i = 0; i < 3; i++) { a.step(); c.step(); a2.step(); c2.step(); }
    const want = await c.values();
    for (const [k, x] of [await a.values(), await a2.values(), await c2.values()].entries()) {
      expect(firstBitDifference(new Float32Array(x), new Float32Array(want)), `run ${k}`).toBe(-1);
    }
    g.dispose(); g2.dispose(); h.dispose(); h2.dispose();
  });

  it("loadCheckpointAsync of a file that does not fit throws and changes nothing", async () => {
    const g = await GpuParamStore.create({ device }), a = trainer(g);
    a.step();
    const one = new ParamStore(), p = one.param("w", 6), o = new Adam([p]);
    o.step();
    const bytes = saveCheckpoint({ params: one, optimizer: o });
    const before = await a.values(), state = await a.opt.stateDictAsync();
    await expect(loadCheckpointAsync(bytes, { params: g, optimizer: a.opt, scheduler: a.sched })).rejects.toThrow(/the file has 1 params, 2 were given/);
    expect(await a.values()).toEqual(before);
    expect(await a.opt.stateDictAsync()).toEqual(state);
    g.dispose(); one.dispose();
  });
});

describe("the device pre-pass's norm", () => {
  const ulps = (a: number, b: number) => { const u = new Int32Array(new Float32Array([a, b]).buffer); return Math.abs(u[0]! - u[1]!); };

  it("is within 1 ulp of the host pre-pass's (f32 tree vs f32 blocks added in f64), exact for ∞; measured over random tensors", async () => {
    const pre = new PrePass(gpu), rand = rng(5), worst: Record<string, number> = { 1: 0, 2: 0, Infinity: 0 };
    for (let trial = 0; trial < 12; trial++) {
      const h = new ParamStore();
      const data = [5000, 300000, 70].map((n) => randomArray(1 + Math.floor(rand() * n), rand, 10 ** (rand() * 6 - 3), 0.1));
      const gp = data.map((x) => { const p = gpu.param(name("n"), x.length); p.writeGrad(x); return p; });
      const hp = data.map((x, i) => { const p = h.param(`t${i}`, x.length); p.grad.set(x); return p; });
      for (const normType of [2, 1, Infinity]) {
        pre.run([{ layout: { segments: gp.map((p) => ({ gradPtr: p.gradPtr, n: p.length })) } }], { maxGradNorm: 1e30, normType, skipNonFinite: false }, 1);
        const got = new Float32Array(await gpu.readBytes(pre.decision, 8, 4))[0]!;
        worst[normType] = Math.max(worst[normType]!, ulps(got, clipGradNorm(hp, Infinity, { normType })));
      }
      h.dispose();
    }
    console.log("device pre-pass norm vs host, max ulps:", JSON.stringify(worst));
    expect(worst).toEqual({ 1: expect.any(Number), 2: expect.any(Number), Infinity: 0 });
    expect(Math.max(worst[1]!, worst[2]!)).toBeLessThanOrEqual(1);
  });
});
