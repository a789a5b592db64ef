// The example's WGSL MLP (examples/webgpu-mnist/) on a real WebGPU implementation (Node + Dawn + SwiftShader):
// its grads, written in place at the params' offsets, and its loss and hits against the plain-JS f64 MLP.
import { describe, expect, it } from "vitest";
import { createMlp, IN, OUT, readFloats, type GpuParamLocation, type MlpParams } from "../../examples/webgpu-mnist/mlp.js";
import { loadMnist } from "../../examples/mnist-data.js";
import { nodeDevice } from "./device.js";
import { mlpReference, type HostMlp } from "./mlp-reference.js";

const HIDDEN = 16, CAP = 12;
const { X, Y, train } = loadMnist();

let seed = 3;
const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);
const host: HostMlp = {
  W1: Float32Array.from({ length: IN * HIDDEN }, () => (rand() * 2 - 1) * 0.09),
  b1: Float32Array.from({ length: HIDDEN }, () => rand() * 0.1),
  W2: Float32Array.from({ length: HIDDEN * OUT }, () => (rand() * 2 - 1) * 0.5),
  b2: Float32Array.from({ length: OUT }, () => rand() * 0.1 - 0.05),
};

/** The four params packed into one value and one grad buffer at odd float offsets (as a store may place them). */
function pack(device: GPUDevice) {
  const names = ["W1", "b1", "W2", "b2"] as const;
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
  let at = 3;
  const offsets = names.map((k) => { const o = at; at += host[k].length + 5; return o; });
  const buffer = device.createBuffer({ size: at * 4, usage }), gradBuffer = device.createBuffer({ size: (at + 7) * 4, usage });
  const params = Object.fromEntries(names.map((k, i) => {
    device.queue.writeBuffer(buffer, offsets[i]! * 4, host[k] as Float32Array<ArrayBuffer>);
    const loc: GpuParamLocation = { length: host[k].length, buffer, offset: offsets[i]! * 4, gradBuffer, gradOffset: (offsets[i]! + 7) * 4 };
    return [k, loc];
  })) as unknown as MlpParams;
  return { params, gradBuffer, names };
}

describe("the WebGPU MNIST example's MLP", () => {
  it("writes the batch's grads in place and sums loss and hits like the f64 JS MLP", async () => {
    const device = await nodeDevice();
    const { params, gradBuffer, names } = pack(device);
    const mlp = createMlp(device, params, { X, Y }, { hidden: HIDDEN, cap: CAP, slots: 2 });
    const idx = [train[5]!, train[900]!, train[2500]!, train[4100]!, train[6000]!, train[8800]!, train[7]!];
    const ref = mlpReference(host, X, Y, idx, HIDDEN);
    mlp.clearStats();
    mlp.backward(idx, 1);
    for (const k of names) {
      const got = await readFloats(device, gradBuffer, params[k].gradOffset, params[k].length);
      const want = ref.grads[k], scale = Math.max(...want.map(Math.abs));
      const worst = got.reduce((m, v, i) => Math.max(m, Math.abs(v - want[i]!)), 0);
      expect(scale, k).toBeGreaterThan(0);
      expect(worst / scale, `${k}: largest error relative to max |grad|`).toBeLessThan(1e-5);
    }
    const stats = await mlp.readStats();
    expect(Array.from(stats.subarray(0, 2))).toEqual([0, 0]);
    expect(stats[2]).toBeCloseTo(ref.loss, 4);
    expect(stats[3]).toBe(ref.hits);
    mlp.destroy();
    device.destroy();
  });

  it.each([
    ["a batch larger than cap", (m: ReturnType<typeof createMlp>) => m.backward(new Array(CAP + 1).fill(0), 0), `a batch has 1 to ${CAP} images, not ${CAP + 1}`],
    ["an empty batch", (m: ReturnType<typeof createMlp>) => m.forward([], 0), `a batch has 1 to ${CAP} images, not 0`],
    ["a stats slot out of range", (m: ReturnType<typeof createMlp>) => m.forward([1], 2), "stats slot 2 is not in [0, 2)"],
  ])("refuses %s", async (_, call, message) => {
    const device = await nodeDevice();
    const mlp = createMlp(device, pack(device).params, { X, Y }, { hidden: HIDDEN, cap: CAP, slots: 2 });
    expect(() => call(mlp)).toThrow(message);
    device.destroy();
  });

  it("refuses params of the wrong size or in separate buffers", async () => {
    const device = await nodeDevice();
    const { params } = pack(device);
    expect(() => createMlp(device, params, { X, Y }, { hidden: HIDDEN + 1, cap: CAP, slots: 1 })).toThrow(`W1 has ${IN * HIDDEN} floats, the MLP needs ${IN * (HIDDEN + 1)}`);
    const other = device.createBuffer({ size: 64, usage: GPUBufferUsage.STORAGE });
    expect(() => createMlp(device, { ...params, b2: { ...params.b2, buffer: other } }, { X, Y }, { hidden: HIDDEN, cap: CAP, slots: 1 }))
      .toThrow("the MLP's params must share one value buffer and one grad buffer (one GPU param store)");
    device.destroy();
  });
});
