// The persistence matrix (tables in test/persistence.ts): every case × every path that applies to it — resume
// bit-exact with the uninterrupted run, or the path's clear error with nothing changed in the trainer that loads.
import { describe, expect, it } from "vitest";
import { CASES, firstDifference, K, N, PATHS, type PersistCase, type Trainer } from "../persistence.js";
import "../adapters/tfjs-persistence.js"; // pushes the tfjs path onto PATHS

/** A trainer that has trained elsewhere (its own gradients): loading must replace everything it built. */
function target(c: PersistCase, make: () => Trainer): Trainer {
  const t = make();
  for (let s = 50; s < 52; s++) t.step(s);
  c.mode.prepareTarget?.(t);
  return t;
}

describe.each(PATHS)("persistence: $name", (path) => {
  it.each(CASES.filter((c) => path.applies(c)))("$label", async (c) => {
    const make = () => path.trainer?.(c) ?? c.make();
    const whole = make(), saved = make(), to = target(c, make);
    for (let t = 0; t < K; t++) {
      whole.step(t);
      saved.step(t);
    }
    c.mode.pause?.(whole);
    c.mode.pause?.(saved);
    const refusal = path.refusal?.(saved);
    if (refusal) {
      const before = to.snapshot();
      await expect(async () => path.roundTrip(saved, to)).rejects.toThrow(refusal);
      expect(firstDifference(to.snapshot(), before), "the target changed").toBeUndefined();
    } else {
      await path.roundTrip(saved, to);
      for (const r of [whole, to]) {
        c.mode.resume?.(r);
        for (let t = K; t < N; t++) r.step(t);
      }
      expect(firstDifference(to.snapshot(), whole.snapshot(), path.byValue)).toBeUndefined();
    }
    for (const r of [whole, saved, to]) r.dispose();
  });
});

it("the matrix covers every kind, mode and path", () => {
  const kinds = new Set(CASES.map((c) => c.subject.kind)), modes = new Set(CASES.map((c) => c.mode.name));
  expect([...kinds].sort()).toEqual(["closure", "lookahead", "step"]);
  expect(modes.size).toBe(8);
  expect(PATHS.length).toBeGreaterThanOrEqual(3);
});
