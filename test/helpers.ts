// Shared test helpers: seeded inputs, bitwise comparison, one table of configurations per optimizer.
import { expect } from "vitest";
import { Adagrad, Adam, AdamW, type Optimizer, RMSprop, SGD, type StateDict } from "../src/index.js";
import type { ParamLike } from "../src/core/optimizer.js";

/** mulberry32: deterministic uniform [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Seeded values in [-scale, scale) with a fraction of exact zeros. */
export function randomArray(n: number, rand: () => number, scale = 1, zeros = 0.1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rand() < zeros ? 0 : (rand() * 2 - 1) * scale;
  return a;
}

/** Index of the first element whose bits differ (NaN equals NaN), or -1. */
export function firstBitDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < a.length; i++) {
    if (ua[i] !== ub[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return i;
  }
  return -1;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type OptimizerClass = (new (params: any, options?: any) => Optimizer<any>) & {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  fromConfig(params: any, config: any): Optimizer<any>;
};

export interface Config { desc: string; options: Record<string, unknown> }

/** Every option of every optimizer, alone and combined. Backend choice stays out of the table. */
export const CONFIGS: Array<{ name: string; cls: OptimizerClass; configs: Config[] }> = [
  {
    name: "SGD", cls: SGD, configs: [
      { desc: "plain", options: { lr: 0.1 } },
      { desc: "momentum", options: { lr: 0.1, momentum: 0.9 } },
      { desc: "momentum + dampening", options: { lr: 0.1, momentum: 0.9, dampening: 0.3 } },
      { desc: "nesterov", options: { lr: 0.1, momentum: 0.9, nesterov: true } },
      { desc: "weight decay", options: { lr: 0.1, weightDecay: 0.1 } },
      { desc: "momentum + weight decay", options: { lr: 0.1, momentum: 0.8, weightDecay: 0.05 } },
      { desc: "maximize", options: { lr: 0.1, maximize: true } },
      { desc: "all", options: { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01, maximize: true } },
    ],
  },
  {
    name: "Adam", cls: Adam, configs: [
      { desc: "defaults", options: {} },
      { desc: "lr 0.1", options: { lr: 0.1 } },
      { desc: "L2 weight decay", options: { lr: 0.01, weightDecay: 0.1 } },
      { desc: "decoupled weight decay", options: { lr: 0.01, weightDecay: 0.1, decoupledWeightDecay: true } },
      { desc: "amsgrad", options: { lr: 0.01, amsgrad: true, betas: [0.9, 0.5] } },
      { desc: "betas + eps", options: { lr: 0.01, betas: [0.8, 0.9], eps: 1e-3 } },
      { desc: "maximize", options: { lr: 0.01, maximize: true } },
      { desc: "all", options: { lr: 0.01, amsgrad: true, weightDecay: 0.05, maximize: true, betas: [0.7, 0.8] } },
    ],
  },
  {
    name: "AdamW", cls: AdamW, configs: [
      { desc: "defaults", options: {} },
      { desc: "wd 0.1 + amsgrad", options: { lr: 0.01, weightDecay: 0.1, amsgrad: true } },
      { desc: "wd 0", options: { lr: 0.01, weightDecay: 0 } },
      { desc: "maximize", options: { lr: 0.01, maximize: true } },
    ],
  },
  {
    name: "Adagrad", cls: Adagrad, configs: [
      { desc: "defaults", options: {} },
      { desc: "lr decay + initial accumulator + wd", options: { lr: 0.1, lrDecay: 0.1, initialAccumulatorValue: 0.1, weightDecay: 0.1 } },
      { desc: "eps + maximize", options: { lr: 0.1, eps: 1e-3, maximize: true } },
    ],
  },
  {
    name: "RMSprop", cls: RMSprop, configs: [
      { desc: "defaults", options: {} },
      { desc: "centered", options: { centered: true } },
      { desc: "momentum + wd", options: { momentum: 0.9, weightDecay: 0.1 } },
      { desc: "centered + momentum + alpha", options: { alpha: 0.9, momentum: 0.5, centered: true } },
      { desc: "maximize + eps", options: { maximize: true, eps: 1e-3 } },
      { desc: "weight decay", options: { weightDecay: 0.01 } },
    ],
  },
];

/** A snapshot of every param value and every state buffer (via stateDict). */
export function snapshot(opt: Optimizer<object>, params: ParamLike[]) {
  return { values: params.map((p) => Float32Array.from(p.value)), state: opt.stateDict() };
}

/** Asserts two state dicts are identical: same layout and options, every buffer equal bit for bit. */
export function expectSameState(a: StateDict, b: StateDict): void {
  const strip = (d: StateDict) => ({ ...d, state: Object.fromEntries(Object.entries(d.state).map(([id, e]) => [id, Object.keys(e).sort()])) });
  expect(strip(a)).toEqual(strip(b));
  for (const [id, entry] of Object.entries(a.state)) {
    for (const [key, value] of Object.entries(entry)) {
      const other = b.state[Number(id)]![key];
      if (typeof value === "number") expect(other, `${key} of param ${id}`).toBe(value);
      else expect(firstBitDifference(other as Float32Array, value), `${key} of param ${id}`).toBe(-1);
    }
  }
}
