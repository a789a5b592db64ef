// The backend seam (src/core/backend.ts): what the step plan hands a backend. Every spec's stepScalars writes
// each of its kernel's scalars and nothing past them (a launch's scalars are a view of its argument array:
// a write past the end would be lost without a word) and sets GRAD_SCALE exactly when the step scales the
// gradients; a Launch lays its numbers out in the ABI's argument order; invoke passes each of them, in order,
// for every arity it takes.
import { describe, expect, it } from "vitest";
import { GRAD_SCALE } from "../src/abi/index.js";
import { invoke, Launch } from "../src/core/backend.js";
import type { Run } from "../src/core/spec.js";
import { REGISTRY } from "./registry.js";

/** A value no spec computes: a slot still holding it was not written. */
const UNWRITTEN = -1.2345e-300;

describe.each(REGISTRY)("$name stepScalars", ({ spec, cases }) => {
  const tensor = spec.kind === "tensor";
  it.each(cases.configs)("$desc", ({ options }) => {
    const o = { ...spec.defaults, ...options };
    const ns = spec.scalars.length;
    const g = new Float64Array(spec.global?.state.length ?? 0);
    spec.global?.init(g, o);
    for (const step of [0, 4]) {
      const run: Run = { n: 12, step, ready: spec.buffers.map(() => step > 0), shape: tensor ? [3, 4] : [12], first: 0, count: 1, offset: 0 };
      for (const gs of [1, 0.5]) {
        const s = new Float64Array(ns + 1).fill(UNWRITTEN);
        const flags = spec.stepScalars(s, run, o, gs, 0, g);
        const unwritten = [...s.subarray(0, ns)].flatMap((v, i) => (v === UNWRITTEN ? [spec.scalars[i]] : []));
        expect(unwritten, `step ${step}, gradScale ${gs}`).toEqual([]);
        expect(s[ns], `a write past the last scalar (step ${step}, gradScale ${gs})`).toBe(UNWRITTEN);
        expect(Number.isInteger(flags) && flags >= 0 && flags < 2 ** 31).toBe(true);
        expect((flags & GRAD_SCALE) !== 0, `GRAD_SCALE with gradScale ${gs}`).toBe(gs !== 1);
      }
    }
  });
});

describe("Launch and invoke", () => {
  it("a launch's args are offsets, n, scalars, gradScale, flags", () => {
    const l = new Launch("adam_f32", 5, 11, "f32", false);
    l.offsets.set([16, 32, 48, 0, 64]);
    l.n = 7;
    l.scalars.set(Array.from({ length: 11 }, (_, i) => i / 10));
    l.gradScale = 0.5;
    l.flags = 256;
    expect([...l.args]).toEqual([16, 32, 48, 0, 64, 7, ...Array.from({ length: 11 }, (_, i) => i / 10), 0.5, 256]);
    expect(l.bytes.length).toBe(5);
  });

  it.each(Array.from({ length: 15 }, (_, i) => i + 8))("invoke passes all %i arguments in order", (argc) => {
    const args = Float64Array.from({ length: argc }, (_, i) => 100 + i);
    let got: number[] = [];
    invoke((...a) => { got = a; }, args);
    expect(got).toEqual([...args]);
  });

  it("invoke refuses an arity it has no call for", () => {
    expect(() => invoke(() => {}, new Float64Array(23))).toThrow(/23 arguments/);
  });
});
