/// <reference types="@webgpu/types" />
// What every WebGPU runtime of the matrix runs (test/runtimes/webgpu.mjs bundles this file with esbuild, gradstep
// left to the installed package): the WebGPU MNIST example's trainer (judged by webgpu.mjs, which also runs the
// example's own browser page in Chromium), and the GPU optimizers against the pure-TS reference (gradstep
// initialized with `backend: "js"`: every CPU step is the reference kernels), which returns
// { info, results: [{ name, pass, detail }], version } like suite.mjs.
import * as g from "gradstep";
import { GpuParamStore } from "gradstep/webgpu";
import { adapterName } from "../../examples/webgpu-mnist/train.js";

interface Check { name: string; pass: boolean; detail?: unknown }


const report = (adapter: GPUAdapterInfo, results: Check[], version: string) =>
  ({ info: { backend: "webgpu", loadedVia: adapterName(adapter), sharedMemory: false }, results, version });

export { adapterName, CI, describe, trainMnist } from "../../examples/webgpu-mnist/train.js";
export { unpackDigits } from "../../examples/webgpu-mnist/data.js";

/** The optimizers the matrix steps on the GPU and on the pure-TS reference (a few, with their flags). */
const PARITY: Array<["Adam" | "AdamW" | "SGD" | "LAMB", Record<string, unknown>]> = [
  ["Adam", { lr: 0.01 }],
  ["AdamW", { lr: 0.01, weightDecay: 0.1, amsgrad: true }],
  ["SGD", { lr: 0.1, momentum: 0.9, nesterov: true }],
  ["LAMB", { lr: 0.01, weightDecay: 0.1 }], // per-tensor: norms reduced on the device (src/webgpu/per-tensor.ts)
];
const LENGTHS = [1000, 7, 33], STEPS = 5;

/** Each PARITY optimizer: STEPS steps on GPU params and on CPU params under the reference, params bit for bit. */
export async function parityCheck(device: GPUDevice, adapter: GPUAdapterInfo, runtime: string) {
  await g.init({ backend: "js" });
  let seed = 5;
  const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296 - 0.5);
  const init = LENGTHS.map((n) => Float32Array.from({ length: n }, rand));
  const grads = Array.from({ length: STEPS }, () => LENGTHS.map((n) => Float32Array.from({ length: n }, rand)));
  const results: Check[] = [{ name: "gradstep steps the CPU side on the pure-TS reference", pass: g.backendInfo().backend === "js", detail: g.backendInfo().backend }];
  for (const [cls, options] of PARITY) {
    const name = `${cls} ${JSON.stringify(options)}: ${STEPS} steps on the GPU equal the pure-TS reference's bit for bit`;
    try {
      const Opt = g[cls] as unknown as new (params: unknown, o: object) => { step(): void };
      const cpu = new g.ParamStore(), gpu = await GpuParamStore.create({ device: device as never });
      const cp = init.map((v, i) => cpu.param(`p${i}`, v)), gp = init.map((v, i) => gpu.param(`p${i}`, v, { shape: [v.length] }));
      const co = new Opt(cp, options), go = new Opt(gpu.params as never, options);
      for (const gs of grads) {
        cp.forEach((p, i) => p.grad.set(gs[i]!));
        gp.forEach((p, i) => p.writeGrad(gs[i]!));
        co.step();
        go.step();
      }
      let differing = 0, worst = "";
      for (const [i, p] of gp.entries()) {
        const got = await p.read(), want = cp[i]!.value;
        for (let j = 0; j < want.length; j++) {
          if (!Object.is(got[j], want[j])) { differing++; worst ||= `p${i}[${j}]: GPU ${got[j]} vs reference ${want[j]}`; }
        }
      }
      results.push({ name, pass: differing === 0, detail: differing ? `${differing} floats differ, first ${worst}` : `${LENGTHS.join(" + ")} floats` });
      cpu.dispose();
      gpu.dispose();
    } catch (e) {
      results.push({ name, pass: false, detail: String((e as Error).stack ?? e) });
    }
  }
  return report(adapter, results, runtime);
}
