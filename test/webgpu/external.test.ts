// External params (store.external, param.bind): values and grads in GPU buffers the caller owns, stepped in
// place. Besides the parity suite's trajectories over mixed packed and external params (test/webgpu/parity.test.ts):
// where an external param lives and what the store does with its buffers, bind groups made per buffer pair and
// cached (no pipeline per step), the device pre-pass over rebound grads, and every refusal with nothing changed.
import { describe, expect, it } from "vitest";
import { Adam, SGD } from "../../src/index.js";
import { GpuAveragedParams, type GpuParam, GpuParamStore, type GPUBuffer, type GPUDevice } from "../../src/webgpu/index.js";
import { COPY_DST, COPY_SRC, STORAGE } from "../../src/webgpu/gpu.js";
import { firstBitDifference, randomArray, rng } from "../helpers.js";
import { gpuDevice } from "./device.js";

const { device } = await gpuDevice();
const USAGE = STORAGE | COPY_SRC | COPY_DST;
const buffer = (floats: number, usage = USAGE): GPUBuffer => device.createBuffer({ size: 4 * floats, usage });

/** Counts the device's calls of `method` while `f` runs. */
async function counting(method: "createBindGroup" | "createComputePipeline", f: () => unknown): Promise<number> {
  const d = device as unknown as Record<string, (...a: unknown[]) => unknown>, original = d[method]!;
  let calls = 0;
  d[method] = function (this: GPUDevice, ...a: unknown[]) { calls++; return original.apply(this, a); };
  try { await f(); } finally { d[method] = original; }
  return calls;
}

/** Every value and every state buffer of `opt`'s params, read back. */
async function snapshot(params: GpuParam[], opt: { stateDictAsync(): Promise<{ state: Record<number, Record<string, unknown>> }> }) {
  const values = await Promise.all(params.map((p) => p.read()));
  const state = Object.values((await opt.stateDictAsync()).state).flatMap((s) => Object.values(s).filter((v): v is Float32Array => v instanceof Float32Array));
  return [...values, ...state];
}

function expectSame(a: Float32Array[], b: Float32Array[], where: string): void {
  expect(a.length).toBe(b.length);
  a.forEach((x, i) => expect(firstBitDifference(x, b[i]!), `${where}: array ${i}`).toBe(-1));
}

describe("store.external", () => {
  it("lives at its caller's buffers and offsets; the store counts, and destroys, none of them", async () => {
    const store = await GpuParamStore.create({ device });
    const values = buffer(8), grads = buffer(6);
    const before = store.bytesUsed;
    const p = store.external("w", { buffer: values, offset: 8, shape: [2, 2], gradBuffer: grads, gradOffset: 4 });
    expect([p.external, p.buffer, p.offset, p.gradBuffer, p.gradOffset, p.length, p.shape]).toEqual([true, values, 8, grads, 4, 4, [2, 2]]);
    expect(store.bytesUsed).toBe(before);
    device.queue.writeBuffer(values, 0, new Float32Array([9, 9, 1, 2, 3, 4, 9, 9]));
    expect(Array.from(await p.read())).toEqual([1, 2, 3, 4]);
    p.writeGrad(new Float32Array([5, 6, 7, 8]));
    expect(Array.from(new Float32Array(await store.readBytes(grads, 0, 24)))).toEqual([0, 5, 6, 7, 8, 0]);
    // Without a gradBuffer, the grads are the store's: one buffer more.
    const q = store.external("q", { buffer: buffer(3), length: 3 });
    expect([q.external, store.bytesUsed > before, q.gradBuffer === q.buffer]).toEqual([true, true, false]);
    expect(store.params.map((x) => x.name)).toEqual(["w", "q"]);
    store.dispose();
    const other = await GpuParamStore.create({ device });
    expect(Array.from(new Float32Array(await other.readBytes(values, 8, 16)))).toEqual([1, 2, 3, 4]); // still alive
    other.dispose();
  });

  it("steps in place with no copy; rebinding makes a bind group per new buffer pair, cached, and never a pipeline", async () => {
    const store = await GpuParamStore.create({ device }), twin = await GpuParamStore.create({ device });
    const rand = rng(5), init = randomArray(300, rand, 1, 0);
    const values = buffer(300), grads = [buffer(300), buffer(300), buffer(300)];
    const p = store.external("w", { buffer: values, length: 300, gradBuffer: grads[0]! }), packed = store.param("b", new Float32Array(7));
    p.write(init);
    const t = twin.param("w", init), tb = twin.param("b", new Float32Array(7));
    const opt = new Adam([p, packed], { lr: 0.01 }), ref = new Adam([t, tb], { lr: 0.01 });
    let copies = 0;
    const step = (k: number) => {
      const g = randomArray(300, rand, 1, 0.1), gb = randomArray(7, rand, 1, 0.1);
      p.bind({ gradBuffer: grads[k % grads.length]! });
      p.writeGrad(g); t.writeGrad(g); packed.writeGrad(gb); tb.writeGrad(gb);
      const create = device.createCommandEncoder;
      (device as { createCommandEncoder: () => unknown }).createCommandEncoder = function (this: GPUDevice) {
        const e = create.call(this), copy = e.copyBufferToBuffer;
        e.copyBufferToBuffer = (...a: Parameters<typeof copy>) => { copies++; copy.apply(e, a); };
        return e;
      };
      try { opt.step(); } finally { (device as { createCommandEncoder: unknown }).createCommandEncoder = create; }
      ref.step();
    };
    step(0);
    // The first visit of each of the other grad buffers makes its bind group; after that, none.
    expect(await counting("createBindGroup", () => { step(1); step(2); })).toBe(2);
    let pipelines = -1;
    expect(await counting("createBindGroup", async () => { pipelines = await counting("createComputePipeline", () => { for (let k = 3; k < 12; k++) step(k); }); })).toBe(0);
    expect([pipelines, copies]).toEqual([0, 0]);
    expect(firstBitDifference(await p.read(), await t.read())).toBe(-1);
    expect(firstBitDifference(await packed.read(), await tb.read())).toBe(-1);
    expect(firstBitDifference(new Float32Array(await store.readBytes(values, 0, 1200)), await t.read())).toBe(-1);
    store.dispose(); twin.dispose();
  });

  it("maxGradNorm and skipNonFinite (the device pre-pass) read rebound grads: bit for bit the same optimizer on packed params", async () => {
    const store = await GpuParamStore.create({ device }), twin = await GpuParamStore.create({ device });
    const rand = rng(6), lengths = [40, 5000, 3];
    const grads = lengths.map((n) => [buffer(n + 1), buffer(n)]);
    const ext = lengths.map((n, i) => store.external(`e${i}`, { buffer: buffer(n), length: n, gradBuffer: grads[i]![0]!, gradOffset: 4 }));
    const packed = lengths.map((n, i) => twin.param(`e${i}`, n));
    const init = lengths.map((n) => randomArray(n, rand, 1, 0));
    ext.forEach((p, i) => p.write(init[i]!)); packed.forEach((p, i) => p.write(init[i]!));
    const o = { lr: 0.05, momentum: 0.9, maxGradNorm: 0.3, skipNonFinite: true };
    // One group per param on the packed side: one gradient range each, as the external params', so that the f32
    // norm is summed in the same order.
    const opt = new SGD(ext, o), ref = new SGD(packed.map((q) => ({ params: [q] })), o);
    for (let s = 0; s < 6; s++) {
      ext.forEach((p, i) => p.bind({ gradBuffer: grads[i]![s % 2]!, gradOffset: s % 2 === 0 ? 4 : 0 }));
      const g = lengths.map((n) => randomArray(n, rand, 2, 0.1));
      if (s === 3) g[1]![77] = Number.POSITIVE_INFINITY; // skipped, on both
      ext.forEach((p, i) => p.writeGrad(g[i]!)); packed.forEach((p, i) => p.writeGrad(g[i]!));
      opt.step(); ref.step();
    }
    expectSame(await snapshot(ext, opt), await snapshot(packed, ref), "external vs packed");
    expect(firstBitDifference(await ext[1]!.read(), init[1]!)).not.toBe(-1); // it moved
    store.dispose(); twin.dispose();
  });

  describe("refusals change nothing", async () => {
    const store = await GpuParamStore.create({ device });
    const values = buffer(4), grads = buffer(4);
    const w = store.external("w", { buffer: values, length: 4, gradBuffer: grads }), packed = store.param("p", new Float32Array([1, 2]));
    const own = store.external("own", { buffer: buffer(2), length: 2 });
    w.write(new Float32Array([1, -1, 2, -2]));
    const opt = new Adam(store.params, { lr: 0.1 });
    w.writeGrad(new Float32Array([1, 2, 3, 4])); packed.writeGrad(new Float32Array([1, 1])); own.writeGrad(new Float32Array([2, 2]));
    opt.step();
    const at = () => [store.params.map((p) => p.name), w.buffer, w.offset, w.gradBuffer, w.gradOffset, own.buffer, own.gradBuffer];
    it.each([
      ["no STORAGE usage", () => store.external("x", { buffer: buffer(4, COPY_SRC | COPY_DST), length: 4 }),
        'external("x"): buffer has usage 12, without STORAGE (GPUBufferUsage.STORAGE: a launch binds it as a storage buffer)'],
      ["a buffer too small", () => store.external("x", { buffer: buffer(3), length: 4 }), 'external("x"): buffer of 12 bytes is too small for 4 floats at offset 0'],
      ["a buffer too small at its offset", () => store.external("x", { buffer: buffer(4), offset: 4, length: 4 }), 'external("x"): buffer of 16 bytes is too small for 4 floats at offset 4'],
      ["a grad buffer too small", () => store.external("x", { buffer: buffer(4), length: 4, gradBuffer: buffer(4), gradOffset: 8 }),
        'external("x"): gradBuffer of 16 bytes is too small for 4 floats at gradOffset 8'],
      ["an offset that is no multiple of 4", () => store.external("x", { buffer: buffer(4), offset: 2, length: 1 }), 'external("x"): invalid offset 2 (expected a multiple of 4, >= 0)'],
      ["one buffer for values and grads", () => store.external("x", { buffer: values, length: 2, gradBuffer: values, gradOffset: 8 }),
        'external("x"): gradBuffer is the value buffer; they must be two buffers (a launch writes the values and reads the grads, and WebGPU forbids a written binding aliasing another)'],
      ["something that is no GPUBuffer", () => store.external("x", { buffer: {} as never, length: 1 }), 'external("x"): buffer must be a GPUBuffer'],
      ["neither length nor shape", () => store.external("x", { buffer: buffer(1) }), 'external("x"): give its length or its shape'],
      ["a shape that is not the length's", () => store.external("x", { buffer: buffer(6), length: 6, shape: [4, 2] }), 'param("x"): shape [4, 2] has 8 elements, the param has 6'],
      ["an unknown option", () => store.external("x", { buffer: buffer(1), length: 1, size: 4 } as never),
        'external("x"): unknown option "size" (expected buffer, offset, gradBuffer, gradOffset, length, shape)'],
      ["gradOffset without gradBuffer", () => store.external("x", { buffer: buffer(2), length: 1, gradOffset: 4 }), 'external("x"): gradOffset without gradBuffer'],
      ["a name in use", () => store.external("w", { buffer: buffer(1), length: 1 }), 'param(): a param named "w" already exists in this store'],
      ["bind on a packed param", () => packed.bind({ buffer: buffer(2) }),
        'param "p".bind: only an external param (store.external()) can be rebound; a packed param\'s buffers are the store\'s'],
      ["bind of grads that are the store's", () => own.bind({ gradBuffer: buffer(2) }),
        'param "own".bind: its grads are in the store\'s own buffer (store.external() was given no gradBuffer); they cannot be rebound'],
      ["bind to a buffer too small", () => w.bind({ buffer: buffer(3) }), 'param "w".bind: buffer of 12 bytes is too small for 4 floats at offset 0'],
      ["bind to a grad buffer without STORAGE", () => w.bind({ gradBuffer: buffer(4, COPY_DST) }),
        'param "w".bind: gradBuffer has usage 8, without STORAGE (GPUBufferUsage.STORAGE: a launch binds it as a storage buffer)'],
      ["bind of the value buffer as the grads", () => w.bind({ gradBuffer: values }), /^param "w"\.bind: gradBuffer is the value buffer/],
      ["bind with an unknown key", () => w.bind({ grad: grads } as never), 'param "w".bind: unknown option "grad" (expected buffer, offset, gradBuffer, gradOffset)'],
      ["GpuAveragedParams over an external param (its runs are bound once)", () => new GpuAveragedParams([packed, w], { decay: 0.9 }),
        'GpuAveragedParams: param "w" is external (store.external): not supported yet'],
      ["a read of a buffer without COPY_SRC", () => store.external("nocopy", { buffer: buffer(1, STORAGE), length: 1 }).read(),
        'param "nocopy".read: its buffer has usage 128, without COPY_SRC'],
    ] as const)("%s", async (_, f, message) => {
      const where = at(), before = await snapshot(store.params.filter((p) => p.name !== "nocopy"), opt);
      await expect((async () => f())()).rejects.toThrow(message);
      expect(at().slice(1)).toEqual(where.slice(1));
      expect(at()[0]).toEqual((where[0] as string[]).concat(/nocopy/.test(String(message)) ? ["nocopy"] : []));
      expectSame(await snapshot(store.params.filter((p) => p.name !== "nocopy"), opt), before, "after the refusal");
    });
  });

  it("a destroyed buffer: WebGPU cannot tell before the submit; the device rejects the step whole, no param and no state changes", async () => {
    const store = await GpuParamStore.create({ device });
    const grads = buffer(4);
    const w = store.external("w", { buffer: buffer(4), length: 4, gradBuffer: grads }), p = store.param("p", new Float32Array([1, 2, 3]));
    w.write(new Float32Array([1, 2, 3, 4]));
    const opt = new Adam([w, p], { lr: 0.1 });
    w.writeGrad(new Float32Array([1, 1, 1, 1])); p.writeGrad(new Float32Array([1, 1, 1]));
    opt.step();
    const before = await snapshot([w, p], opt);
    grads.destroy();
    device.pushErrorScope!("validation");
    opt.step();
    const error = await device.popErrorScope!();
    expect(error?.message).toMatch(/destroyed/);
    expectSame(await snapshot([w, p], opt), before, "after the rejected step");
    store.dispose();
  });
});
