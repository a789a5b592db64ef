// The step path with global reductions between passes (GlobalSpec, src/core/spec.ts; Prodigy): the totals are
// folded over every run of every group, so a model cut into several runs (two groups, a foreign param) follows
// Optax's one-tree run; the global scalars travel in the state dict's `global`, and a dict whose `global` does
// not fit is refused with nothing changed.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ParamStore, Prodigy } from "../src/index.js";
import { expectSameState, firstBitDifference } from "./helpers.js";

interface Case { optimizer: string; options: Record<string, unknown>; lrSchedule: null; trajectory: number[][][]; global: Record<string, number> }
const fixture = JSON.parse(readFileSync(new URL("./fixtures/optax.json", import.meta.url), "utf8")) as { init: number[][]; grads: number[][][]; cases: Case[] };
// The case whose d grows (10.5× over the 10 steps): every step's reductions matter.
const growing = fixture.cases.find((c) => c.optimizer === "Prodigy" && c.options.estimLrCoef === 10)!;

describe.each(["simd", "scalar", "js"] as const)("%s", (backend) => {
  it("a model in three runs (two groups, the second with a foreign param) follows Optax's one-tree run", () => {
    const store = new ParamStore();
    const a = store.param("a", fixture.init[0]!);
    const b = { value: Float32Array.from(fixture.init[1]!), grad: new Float32Array(fixture.init[1]!.length) };
    store.param("gap", 3); // a third param between: the foreign copy is not contiguous with `a`
    const opt = new Prodigy([{ params: [a] }, { params: [b] }], { ...growing.options, backend });
    growing.trajectory.forEach((want, t) => {
      a.grad.set(fixture.grads[t]![0]!);
      b.grad.set(fixture.grads[t]![1]!);
      opt.step();
      [a.value, b.value].forEach((got, i) => want[i]!.forEach((w, k) => {
        expect(Math.abs(got[k]! - w), `step ${t + 1} param ${i}[${k}]`).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(w));
      }));
    });
    const g = opt.stateDict().global!;
    for (const [k, w] of Object.entries(growing.global)) expect(Math.abs(g[k]! - w), k).toBeLessThanOrEqual(1e-4 * Math.abs(w));
    expect(g.estim_lr).toBeGreaterThan(10 * (growing.options.estimLr0 as number));
  });
});

describe("the state dict's global", () => {
  const trained = () => {
    const store = new ParamStore();
    const w = store.param("w", fixture.init[0]!);
    const opt = new Prodigy([w], { estimLrCoef: 10, estimLr0: 0.01 });
    for (let t = 0; t < 3; t++) {
      w.grad.set(fixture.grads[t]![0]!);
      opt.step();
    }
    return { w, opt };
  };

  it("carries d: a fresh optimizer that loads it takes the same next step, bit for bit", () => {
    const a = trained(), b = trained();
    const store = new ParamStore();
    const w = store.param("w", a.w.value);
    const c = new Prodigy([w], { estimLrCoef: 10, estimLr0: 0.01 });
    c.loadStateDict(structuredClone(a.opt.stateDict()));
    for (const x of [a.w, w]) x.grad.set(fixture.grads[3]![0]!);
    a.opt.step();
    c.step();
    expect(firstBitDifference(w.value, a.w.value)).toBe(-1);
    expect(c.stateDict().global).toEqual(a.opt.stateDict().global);
    // With another d in the dict, the next step differs: d is read from it.
    const edited = b.opt.stateDict();
    edited.global!.estim_lr = 2 * edited.global!.estim_lr!;
    b.opt.loadStateDict(edited);
    b.w.grad.set(fixture.grads[3]![0]!);
    b.opt.step();
    expect(firstBitDifference(b.w.value, a.w.value)).not.toBe(-1);
  });

  it.each([
    [(d: Record<string, unknown>) => { delete d.global; }, /^Prodigy\.loadStateDict: global is missing \(expected \{ estim_lr, numerator_weighted \}\)$/],
    [(d: Record<string, unknown>) => { delete (d.global as Record<string, unknown>).numerator_weighted; }, /^Prodigy\.loadStateDict: global is missing "numerator_weighted"$/],
    [(d: Record<string, unknown>) => { (d.global as Record<string, unknown>).estim_lr = "1"; }, /^Prodigy\.loadStateDict: global\.estim_lr is string, expected a number$/],
    [(d: Record<string, unknown>) => { (d.global as Record<string, unknown>).estim_lr = null; }, /^Prodigy\.loadStateDict: global\.estim_lr is null \(NaN and ±Infinity do not survive JSON/],
    [(d: Record<string, unknown>) => { (d.global as Record<string, unknown>).d = 1; }, /^Prodigy\.loadStateDict: global has an unknown key "d" \(expected estim_lr, numerator_weighted\)$/],
  ])("a dict whose global does not fit is refused, nothing changed (%#)", (spoil, error) => {
    const { w, opt } = trained();
    const before = opt.stateDict(), values = Float32Array.from(w.value);
    const dict = opt.stateDict() as unknown as Record<string, unknown>;
    spoil(dict);
    expect(() => opt.loadStateDict(dict as never)).toThrow(error);
    expectSameState(opt.stateDict(), before);
    expect(firstBitDifference(w.value, values)).toBe(-1);
  });
});
