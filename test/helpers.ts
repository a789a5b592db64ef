// Shared test helpers: seeded inputs, bitwise comparison, one table of configurations per optimizer.
import { expect } from "vitest";
import type { Optimizer, StateDict } from "../src/index.js";
import type { ParamLike } from "../src/core/optimizer.js";
import { REGISTRY } from "./registry.js";

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

/**
 * Index of the first element whose bits differ, or -1. Parity is "bit-identical except the sign and payload of
 * NaNs": any two NaNs compare equal (Wasm's f32.max/neg and the reference's Math.max may give different NaN
 * bit patterns for the same NaN inputs; see docs/correctness.md); every other value by its bits.
 */
export function firstBitDifference(a: Float32Array | Uint16Array | Uint8Array, b: Float32Array | Uint16Array | Uint8Array): number {
  if (a.length !== b.length || Object.prototype.toString.call(a) !== Object.prototype.toString.call(b)) return 0;
  // Low-precision state (bf16 bits, int8 codes): every value by its bits (their NaNs are canonical).
  if (!(a instanceof Float32Array)) return a.findIndex((x, i) => x !== b[i]);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < a.length; i++) {
    if (ua[i] !== ub[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return i;
  }
  return -1;
}

export type { OptimizerClass } from "../src/optim/index.js";
export type { Config } from "./optim/types.js";

/**
 * `error`, a rule's message (`^Invalid beta1: ...`), as an optimizer throws it with `where` in front: the optimizer,
 * and the group (`Adam: param group 0: Invalid beta1: ...`).
 */
export function locatedError(where: string, error: RegExp): RegExp {
  return new RegExp(`^${where.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: ${error.source.replace(/^\^/, "")}`, error.flags);
}

/** store.param options for a param of n floats in the registry suites: the shape its cases file asks for (Muon: 2-D), if any. */
export function paramShape(cls: unknown, n: number): { shape: number[] } | undefined {
  const shape = REGISTRY.find((e) => e.cls === cls)?.cases.shape;
  return shape ? { shape: shape(n) } : undefined;
}

/** Every registry optimizer with its configurations (test/optim/<id>.cases.ts). */
export const CONFIGS = REGISTRY.map((e) => ({ name: e.name, cls: e.cls, configs: e.cases.configs }));

/** A snapshot of every param value and every state buffer (via stateDict). */
export function snapshot(opt: Optimizer<object>, params: ParamLike[]) {
  return { values: params.map((p) => Float32Array.from(p.value)), state: opt.stateDict() };
}

/** Asserts two state dicts are identical: same layout and options, every buffer equal bit for bit. */
/** The backends and memory kinds every parity check runs (the first, the pure-TS reference, is what the others must match). */
export const BACKEND_VARIANTS = [
  { backend: "js", shared: true },
  { backend: "scalar", shared: true },
  { backend: "simd", shared: true },
  { backend: "simd", shared: false },
  { backend: "scalar", shared: false },
] as const;
export type BackendVariant = (typeof BACKEND_VARIANTS)[number];
export const variantLabel = (v: BackendVariant): string => `${v.backend}${v.shared ? "" : " (non-shared)"}`;

/** A run of an optimizer over store params, as the lockstep checks drive it. */
interface LockstepRun { store: { dispose(): void }; params: { length: number; grad: Float32Array; value: Float32Array }[]; opt: Optimizer<object>; rand: () => number }

/**
 * Steps every run `steps` times on the same random gradients (drawn from the first run's generator) and expects
 * params and state dicts bit-identical to the first run's; disposes the stores.
 */
export function expectLockstepRunsAgree(runs: readonly LockstepRun[], steps: number): void {
  for (let t = 0; t < steps; t++) {
    const grads = runs[0]!.params.map((p) => randomArray(p.length, runs[0]!.rand));
    for (const r of runs) {
      r.params.forEach((p, i) => p.grad.set(grads[i]!));
      r.opt.step();
    }
  }
  for (const r of runs.slice(1)) {
    r.params.forEach((p, i) => expect(firstBitDifference(p.value, runs[0]!.params[i]!.value)).toBe(-1));
    expectSameState(r.opt.stateDict(), runs[0]!.opt.stateDict());
  }
  for (const r of runs) r.store.dispose();
}

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
