// ConvergenceMonitor (src/tuning/convergence.ts) against its rule computed independently here (the smoothed
// loss in closed form, not by recursion), both threshold modes, non-finite losses, resume through its state
// dict, errors; and the shared improvement test (src/core/improvement.ts) on ties, NaN and its four modes.
import { describe, expect, it } from "vitest";
import { ConvergenceMonitor, type ConvergenceMonitorOptions, type ConvergenceMonitorState } from "../../src/index.js";
import { isImprovement } from "../../src/core/improvement.js";

/** A loss that falls fast, then slowly, then flattens, with a wiggle. */
const LOSSES = Array.from({ length: 1000 }, (_, t) => 0.2 + 2 * Math.exp(-t / 40) + 0.05 * Math.exp(-t / 150) + 0.01 * Math.sin(t));

/** s_t = Σ (1 − β)·β^(t−i)·x_i / (1 − β^t): the bias-corrected EMA in closed form. */
function smoothedAt(xs: readonly number[], t: number, beta: number): number {
  let s = 0;
  for (let i = 1; i <= t; i++) s += (1 - beta) * beta ** (t - i) * xs[i - 1]!;
  return s / (1 - beta ** t);
}

describe("ConvergenceMonitor: the rule", () => {
  const CASES: Array<[string, ConvergenceMonitorOptions]> = [
    ["defaults", {}],
    ["rel, window 50, 1 %", { window: 50, threshold: 0.01 }],
    ["abs, window 30, 0.005", { window: 30, threshold: 0.005, thresholdMode: "abs" }],
    ["no smoothing", { beta: 0, window: 20, threshold: 0.02 }],
  ];
  it.each(CASES)("%s: converged exactly when the independent rule says so", (_, options) => {
    const m = new ConvergenceMonitor(options);
    const w = options.window ?? 100, thr = options.threshold ?? 1e-3, beta = options.beta ?? 0.98, abs = options.thresholdMode === "abs";
    let first = -1;
    LOSSES.forEach((x, i) => {
      const t = i + 1, got = m.update(x);
      expect(m.smoothed! / smoothedAt(LOSSES, t, beta)).toBeCloseTo(1, 12);
      let want = false;
      if (t > w) {
        const now = smoothedAt(LOSSES, t, beta), then = smoothedAt(LOSSES, t - w, beta);
        want = abs ? now >= then - thr : now >= then * (1 - thr);
      }
      expect(got, `step ${t}`).toBe(want);
      if (got && first < 0) first = t;
    });
    expect(first).toBeGreaterThan(w); // each case converges somewhere in the sequence, not at once
  });

  it("non-finite losses are left out and counted", () => {
    const a = new ConvergenceMonitor({ window: 5 }), b = new ConvergenceMonitor({ window: 5 });
    LOSSES.slice(0, 40).forEach((x, i) => {
      a.update(x);
      if (i % 7 === 3) b.update(NaN);
      if (i % 11 === 5) b.update(Infinity);
      b.update(x);
    });
    expect(b.smoothed).toBe(a.smoothed);
    expect(b.count).toBe(40);
    expect(b.skipped).toBe(6 + 4);
  });

  it("resumes from its state dict (through JSON) identically", () => {
    const a = new ConvergenceMonitor({ window: 40, threshold: 0.01 });
    LOSSES.slice(0, 100).forEach((x) => a.update(x));
    const b = new ConvergenceMonitor({ window: 40, threshold: 0.01 });
    b.loadStateDict(JSON.parse(JSON.stringify(a.stateDict())) as ConvergenceMonitorState);
    for (const x of LOSSES.slice(100)) expect(b.update(x)).toBe(a.update(x));
    expect(b.stateDict()).toEqual(a.stateDict());
  });

  const BAD: Array<[string, (d: ConvergenceMonitorState) => unknown, RegExp]> = [
    ["not an object", () => 3, /expected a state dict object/],
    ["an unknown key", (d) => ({ ...d, x: 1 }), /unknown key "x"/],
    ["a missing key", (d) => { const { avg: _, ...rest } = d; return rest; }, /missing key "avg"/],
    ["another window", (d) => ({ ...d, window: 7 }), /the dict has window 7, this monitor has 40/],
    ["a bad count", (d) => ({ ...d, count: 1.5 }), /invalid count 1.5/],
    ["a history too long", (d) => ({ ...d, history: new Array(42).fill(1) }), /at most min\(count, window \+ 1\)/],
    ["a history of strings", (d) => ({ ...d, history: ["x"] }), /avg and history must be numbers/],
  ];
  it.each(BAD)("loadStateDict refuses %s and changes nothing", (_, edit, message) => {
    const m = new ConvergenceMonitor({ window: 40 });
    LOSSES.slice(0, 60).forEach((x) => m.update(x));
    const before = m.stateDict();
    expect(() => m.loadStateDict(edit(structuredClone(before)) as ConvergenceMonitorState)).toThrow(message);
    expect(m.stateDict()).toEqual(before);
  });

  const ERRORS: Array<[string, ConvergenceMonitorOptions, RegExp]> = [
    ["window 0", { window: 0 }, /ConvergenceMonitor: invalid window: 0 \(expected an integer >= 1\)/],
    ["threshold -1", { threshold: -1 }, /invalid threshold: -1 \(expected a finite number >= 0\)/],
    ["thresholdMode", { thresholdMode: "pct" as "rel" }, /invalid thresholdMode: "pct" \(expected one of "rel", "abs"\)/],
    ["beta 1", { beta: 1 }, /invalid beta: 1 \(expected 0 <= beta < 1\)/],
    ["beta a string", { beta: "0.9" as unknown as number }, /invalid beta: "0.9" \(expected 0 <= beta < 1\)/],
    ["an unknown option", { patience: 3 } as ConvergenceMonitorOptions, /unknown option "patience"/],
  ];
  it.each(ERRORS)("%s: a clear error", (_, options, message) => {
    expect(() => new ConvergenceMonitor(options)).toThrow(message);
  });

  it("update refuses a loss that is not a number", () => {
    const m = new ConvergenceMonitor();
    expect(() => m.update(null as unknown as number)).toThrow(/expected the loss \(a number\), got null/);
    expect(m.count + m.skipped).toBe(0);
  });
});

describe("isImprovement (core/improvement.ts): one test for ReduceLROnPlateau, EarlyStopping and ConvergenceMonitor", () => {
  const TABLE: Array<[number, number, "min" | "max", number, "rel" | "abs", boolean]> = [
    [0.9, 1, "min", 0.1, "abs", false], // a change of exactly the threshold: no improvement (0.9 < 1 − 0.1 is false in f64)
    [0.75, 1, "min", 0.25, "abs", false],
    [0.7, 1, "min", 0.25, "abs", true],
    [1, 1, "min", 0, "abs", false], // a tie
    [1, 1, "max", 0, "rel", false],
    [1.5, 1, "max", 0.5, "rel", false],
    [1.51, 1, "max", 0.5, "rel", true],
    [0.98, 1, "min", 0.01, "rel", true],
    [0.995, 1, "min", 0.01, "rel", false],
    [1.25, 1, "max", 0.25, "abs", false],
    [NaN, 1, "min", 0, "abs", false],
    [0.5, NaN, "min", 0, "abs", false],
    [NaN, 1, "max", 0, "rel", false],
    [0, Infinity, "min", 0, "abs", true],
  ];
  it.each(TABLE)("%s against best %s (%s, threshold %s %s) → %s", (value, best, mode, threshold, thresholdMode, want) => {
    expect(isImprovement(value, best, mode, threshold, thresholdMode)).toBe(want);
  });
});
