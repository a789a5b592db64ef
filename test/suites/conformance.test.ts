// Conformance with PyTorch itself: test/fixtures/pytorch.json holds float32 trajectories that PyTorch
// 2.13 produced (scripts/gen-fixtures.py, foreach=False) for every optimizer and option combination.
//
// Tolerance: |ours - torch| <= 1e-6 + 1e-5·|torch| per element, every step. Both sides are f32 but round
// differently (PyTorch's vectorised CPU kernels use FMA for `add(alpha=)`; Adam here multiplies by
// 1/sqrt(bc2) where PyTorch divides), so results differ by a few ulps per step; docs/correctness.md gives
// torch f32 vs f64 within 4e-7 over 8 steps, and the bound leaves room for 10 steps. State buffers are
// checked with the same bound; `step` exactly.
//
// Conformance with Optax itself: test/fixtures/optax.json, the `reference: "optax"` cases run by Optax 0.2.8
// on jax in float32 (same params, gradients, schedules; gradstep's `maximize` fed as the negated gradient;
// Optax's state under gradstep's names, `count` as `step`). Same tolerance, for the same reason: both sides
// are f32 and apply the same operations, XLA may fuse or reorder them (a few ulps per step).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ParamStore } from "../../src/index.js";
import { classOf, REGISTRY, stepFixtureCaseList } from "../registry.js";

interface Case {
  optimizer: string;
  options: Record<string, unknown>;
  lrSchedule: number[] | null;
  /** 2-D optimizers (Muon): the params' shapes, with the case's own `init` and `grads`. */
  shapes?: number[][];
  grads?: number[][][];
  trajectory: number[][][];
  /** The case's own initial params (cases with `zeroInit`); else the fixture's `init`. */
  init?: number[][];
  state: Record<string, number | number[]>[];
  /** Schedule-free cases: the params eval() must give after the last step. */
  evalParams?: number[][];
  /** Optimizers with global reductions (Prodigy): the state dict's `global` after the last step. */
  global?: Record<string, number>;
}
interface Fixture { init: number[][]; grads: number[][][]; cases: Case[] }
const read = <T>(file: string) => JSON.parse(readFileSync(new URL(`../fixtures/${file}`, import.meta.url), "utf8")) as T;
const fixture = read<Fixture & { torch: string }>("pytorch.json");
const optaxFixture = read<Fixture & { optax: string; jax: string }>("optax.json");
const BACKENDS = ["simd", "scalar", "js"] as const;

function close(got: ArrayLike<number>, want: ArrayLike<number>, what: string, who: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const tol = 1e-6 + 1e-5 * Math.abs(want[i]!);
    if (!(Math.abs(got[i]! - want[i]!) <= tol)) {
      throw new Error(`${what}[${i}]: got ${got[i]}, ${who} ${want[i]} (|diff| ${Math.abs(got[i]! - want[i]!)} > ${tol})`);
    }
  }
}

const SOURCES = [
  { title: `PyTorch ${fixture.torch} float32 conformance`, reference: "torch", who: "PyTorch", fixture },
  { title: `Optax ${optaxFixture.optax} (jax ${optaxFixture.jax}) float32 conformance`, reference: "optax", who: "Optax", fixture: optaxFixture },
] as const;

describe.each(SOURCES)("$title", ({ reference, who, fixture }) => {
  it(`has a fixture for every ${reference} case of every registry optimizer's cases file (else: run scripts/gen-fixtures.py)`, () => {
    const key = (c: { optimizer: string; options: unknown; lrSchedule?: unknown }) => JSON.stringify([c.optimizer, c.options, c.lrSchedule ?? null]);
    const have = new Set(fixture.cases.map(key));
    expect(stepFixtureCaseList().filter((c) => c.reference === reference).map(key).filter((k) => !have.has(k))).toEqual([]);
    expect(new Set(fixture.cases.map((c) => c.optimizer))).toEqual(new Set(REGISTRY.filter((e) => e.cases.fixtures.some((f) => f.reference === reference)).map((e) => e.name)));
  });
  const cases = fixture.cases.flatMap((c) => BACKENDS.map((backend) => ({ ...c, backend, label: `${c.optimizer} ${JSON.stringify(c.options)}${c.lrSchedule ? " with lr schedule" : ""} [${backend}]` })));
  it.each(cases)("$label", (c) => {
    const store = new ParamStore();
    const params = (c.init ?? fixture.init).map((v, i) => store.param(`p${i}`, v, c.shapes ? { shape: c.shapes[i]! } : undefined));
    const opt = new (classOf(c.optimizer))(params, { ...c.options, backend: c.backend });
    c.trajectory.forEach((expected, t) => {
      if (c.lrSchedule) (opt.paramGroups[0] as { lr: number }).lr = c.lrSchedule[t]!;
      params.forEach((p, i) => p.grad.set((c.grads ?? fixture.grads)[t]![i]!));
      opt.step();
      params.forEach((p, i) => close(p.value, expected[i]!, `step ${t + 1} param ${i}`, who));
    });
    const dict = opt.stateDict(), state = dict.state;
    if (c.global) {
      expect(Object.keys(dict.global ?? {}).sort()).toEqual(Object.keys(c.global).sort());
      // Relative: d starts at 1e-6, below the absolute part of `close`. Σg·(θ0 − θ) is summed in another order.
      for (const [key, value] of Object.entries(c.global)) {
        expect(Math.abs(dict.global![key]! - value), `global ${key}: got ${dict.global![key]}, ${who} ${value}`).toBeLessThanOrEqual(1e-4 * Math.abs(value));
      }
    }
    c.state.forEach((want, i) => {
      const got = state[i] ?? {};
      expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
      for (const [key, value] of Object.entries(want)) {
        if (typeof value === "number") expect(got[key]).toBe(value);
        else close(got[key] as Float32Array, value, `state ${key} of param ${i}`, who);
      }
    });
    // Schedule-free optimizers: eval() must give Optax's schedule_free_eval_params (the x sequence).
    if (c.evalParams) {
      (opt as unknown as { eval(): void }).eval();
      params.forEach((p, i) => close(p.value, c.evalParams![i]!, `eval() param ${i}`, who));
    }
    store.dispose();
  });
});
