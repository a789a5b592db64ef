/// <reference types="@webgpu/types" />
// The WebGPU MNIST trainer, runtime-agnostic: give it a GPUDevice and digits (examples/mnist-data.ts in Node and
// Deno, a fetched digits file in a browser). The MLP's WGSL (mlp.ts) writes the grads in place into the GPU
// param store's grad buffer, gradstep's Adam steps the params there (one dispatch per contiguous run), and
// nothing is read back until the end: the loss of every step and the held-out hits accumulate on the GPU.
//
// `checkFirstStep` also reads back the first step's grads, runs gradstep's Wasm Adam on them from the same
// initial values, and compares the GPU's params after its first step with the Wasm's, bit for bit.
import { Adam, ParamStore, init } from "gradstep";
import { type GpuParam, GpuParamStore } from "gradstep/webgpu";
import { createMlp, IN, OUT, type MlpParams } from "./mlp.js";
import type { Digits } from "./data.js";

export interface TrainConfig {
  hidden: number;
  batch: number;
  steps: number;
  lr: number;
  /** Compare the first step with the Wasm Adam's on the same grads (reads back once). */
  checkFirstStep?: boolean;
}

/** The CI variant: a few seconds on a software adapter. */
export const CI: TrainConfig = { hidden: 32, batch: 32, steps: 60, lr: 3e-3, checkFirstStep: true };
/** The full run: every training digit for a few epochs. */
export const FULL: TrainConfig = { hidden: 128, batch: 64, steps: 1500, lr: 1e-3 };

export interface TrainResult {
  /** Mean training loss of each step. */
  losses: number[];
  heldOutAccuracy: number;
  heldOutLoss: number;
  /** After the first step: how many of the params' floats differ in their bits between the GPU and the Wasm Adam. */
  firstStep?: { differing: number; compared: number };
  ms: number;
}

/** He-uniform init from a fixed seed (the same weights in every runtime). */
function initial(hidden: number) {
  let seed = 7;
  const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);
  const he = (fanIn: number, n: number) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * Math.sqrt(6 / fanIn));
  return { W1: he(IN, IN * hidden), b1: new Float32Array(hidden), W2: he(hidden, hidden * OUT), b2: new Float32Array(OUT) };
}

const SHAPES = (h: number) => ({ W1: [IN, h], b1: [h], W2: [h, OUT], b2: [OUT] });

export async function trainMnist(device: GPUDevice, data: Digits, cfg: TrainConfig): Promise<TrainResult> {
  const t0 = performance.now();
  await init(); // the optimizer classes resolve their options through gradstep's loaded runtime, GPU params too
  const { hidden, batch, steps } = cfg;
  const init0 = initial(hidden), shapes = SHAPES(hidden);
  // One block for the four params (capacity): one value buffer and one grad buffer for the WGSL to bind, and
  // one Adam dispatch per step.
  const names = ["W1", "b1", "W2", "b2"] as const;
  // (The casts: gradstep/webgpu's published types do not accept the DOM's GPUDevice nor its own params yet.)
  const store = await GpuParamStore.create({ device: device as never, capacity: names.reduce((n, k) => n + init0[k].length, 0) });
  const params = Object.fromEntries(names.map((k) => [k, store.param(k, init0[k], { shape: shapes[k] })])) as Record<(typeof names)[number], GpuParam>;
  const opt = new Adam(store.params as never, { lr: cfg.lr });
  // The store types GPU objects structurally (no @webgpu/types dependency); these are the device's own buffers.
  const mlp = createMlp(device, params as unknown as MlpParams, data, { hidden, cap: batch, slots: steps + 1 });

  // A fixed shuffle of the training digits, walked in batches.
  let seed = 11;
  const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);
  const order = data.train.slice();
  for (let i = order.length - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [order[i], order[j]] = [order[j]!, order[i]!]; }
  if (order.length < batch) throw new Error(`${order.length} training digits are fewer than a batch of ${batch}`);
  const batchAt = (s: number) => { const from = (s * batch) % (order.length - batch + 1); return order.slice(from, from + batch); };

  mlp.clearStats();
  let firstStep: TrainResult["firstStep"];
  for (let s = 0; s < steps; s++) {
    mlp.backward(batchAt(s), s);
    if (s === 0 && cfg.checkFirstStep) {
      const grads = await Promise.all(names.map((k) => params[k].readGrad()));
      opt.step();
      firstStep = await wasmFirstStep(init0, shapes, grads, cfg.lr, await Promise.all(names.map((k) => params[k].read())));
    } else {
      opt.step();
    }
  }
  for (let from = 0; from < data.test.length; from += batch) mlp.forward(data.test.slice(from, from + batch), steps);
  const stats = await mlp.readStats();
  const losses = Array.from({ length: steps }, (_, s) => stats[2 * s]! / batch);
  const result: TrainResult = {
    losses,
    heldOutLoss: stats[2 * steps]! / data.test.length,
    heldOutAccuracy: stats[2 * steps + 1]! / data.test.length,
    firstStep,
    ms: performance.now() - t0,
  };
  mlp.destroy();
  store.dispose();
  return result;
}

/** Steps gradstep's Wasm Adam once from the same values with the GPU's grads; counts floats whose bits differ. */
async function wasmFirstStep(init0: Record<string, Float32Array>, shapes: Record<string, number[]>, grads: Float32Array[], lr: number, gpu: Float32Array[]) {
  const store = new ParamStore();
  const ps = Object.keys(shapes).map((k, i) => {
    const p = store.param(k, init0[k]!, { shape: shapes[k]! });
    p.grad.set(grads[i]!);
    return p;
  });
  new Adam(ps, { lr }).step();
  let differing = 0, compared = 0;
  ps.forEach((p, i) => {
    const a = new Uint32Array(p.value.slice().buffer), b = new Uint32Array(gpu[i]!.buffer, gpu[i]!.byteOffset, gpu[i]!.length);
    for (let j = 0; j < a.length; j++) if (a[j] !== b[j]) differing++;
    compared += a.length;
  });
  store.dispose();
  return { differing, compared };
}

/** The adapter in words (backendInfo()-style): its vendor, architecture, device and description, where known. */
export function adapterName(info: GPUAdapterInfo): string {
  return [info.vendor, info.architecture, info.device, info.description].filter((x) => x).join(" / ") || "unnamed adapter";
}

/** One line per result, as every entry prints it. */
export function describe(r: TrainResult, runtime: string): string {
  const first = r.losses.slice(0, 5), last = r.losses.slice(-5);
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  return `${runtime}: ${r.losses.length} steps in ${(r.ms / 1000).toFixed(1)} s; training loss ${mean(first).toFixed(3)} -> ${mean(last).toFixed(3)} ` +
    `(mean of the first and last 5 steps); held-out accuracy ${(100 * r.heldOutAccuracy).toFixed(1)} %, loss ${r.heldOutLoss.toFixed(3)}` +
    (r.firstStep ? `; first step vs Wasm Adam: ${r.firstStep.differing} of ${r.firstStep.compared} floats differ` : "");
}
