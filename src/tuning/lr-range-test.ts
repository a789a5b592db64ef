// The LR range test (Leslie Smith's, as PyTorch Lightning's `Tuner.lr_find` runs it): train for numTraining
// steps while the lr grows from minLr to maxLr, record the smoothed loss, stop when it diverges, suggest the lr
// where the smoothed loss falls fastest; then put everything back.
//
//   lr_k    = minLr at k = 0, else minLr·(maxLr/minLr)^((k+1)/N) (exponential) or minLr + (k+1)/N·(maxLr − minLr)
//             (linear): Lightning's _ExponentialLR/_LinearLR, whose first step reads the base lr and whose
//             next one is already at (k+1)/N = 2/N, so the last of N steps runs at maxLr.
//   smooth  = Lightning's EMA of the loss, β = 0.98, divided by 1 − β^(k+2) (see SmoothedLoss).
//   stop    = after k ≥ 1, smooth_k > earlyStopThreshold · (the lowest smooth so far); also at a NaN loss
//             (Lightning steps on through NaNs, which its suggestion drops anyway: the suggestion is the same).
//   suggest = argmin of torch.gradient(smooth, spacing = lrs) over the finite points of [skipBegin, n − skipEnd)
//             (Lightning's `suggestion`), or fastai's `valley` over the same points.
// References: lightning/pytorch/tuner/lr_finder.py (2.6), fastai/callback/schedule.py (2.7).
import { closureOptimizers } from "../optim/index.js";
import type { ParamLike } from "../core/spec.js";
import { type OptionRule, readOptions, rule, SmoothedLoss } from "./common.js";

/** The options of {@link lrRangeTest}(). */
export interface LRRangeTestOptions {
  /** The first lr (default 1e-8; > 0). */
  minLr?: number;
  /** The last lr, reached at the last step (default 1; > minLr). */
  maxLr?: number;
  /** Steps to take from minLr to maxLr (default 100). */
  numTraining?: number;
  /** How the lr grows: "exponential" (default) or "linear". */
  mode?: "exponential" | "linear";
  /** Stop when the smoothed loss exceeds this times its lowest value (default 4; null: never). */
  earlyStopThreshold?: number | null;
  /** Smoothing of the loss (default 0.98; 0 = none). */
  beta?: number;
  /** Points left out at the start of the curve when suggesting (default 10, Lightning's skip_begin). */
  skipBegin?: number;
  /** Points left out at the end (default 1, Lightning's skip_end; 0 keeps them all). */
  skipEnd?: number;
}

/** What {@link lrRangeTest}() returns: the curve and two suggested learning rates. */
export interface LRRangeTestResult {
  /** The first param group's lr at each step (the others keep their ratio to it). */
  lrs: number[];
  /** The smoothed loss at each step (what the suggestion reads and what to plot). */
  losses: number[];
  /** The loss the step function returned at each step. */
  rawLosses: number[];
  /** Lightning's suggestion: the lr of the steepest descent of the smoothed loss, or null with under 2 points. */
  suggestion: number | null;
  /** The index of `suggestion` in `lrs` (null with it). */
  suggestionIndex: number | null;
  /** fastai's `valley`: the lr two-fifths... of the way down the longest descending run (see valleyIndex). */
  valley: number | null;
  /** The index of `valley` in `lrs` (null with it). */
  valleyIndex: number | null;
  /** Whether the test stopped before numTraining steps (divergence or a NaN loss). */
  stoppedEarly: boolean;
}

/** What lrRangeTest needs: every gradstep optimizer, Lookahead and LBFGS are one (each group has an `lr`). */
export interface RangeTestOptimizer {
  /** Its param groups: the test sets each group's lr. */
  readonly paramGroups: readonly {
    /** The group's learning rate. */
    lr?: number;
    /** The group's params (snapshotted and restored). */
    readonly params: readonly ParamLike[];
  }[];
  /** Whether it was disposed (then refused). */
  readonly disposed: boolean;
  /** Zeroes the gradients. */
  zeroGrad(): void;
  /** One step (LBFGS's takes a closure). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  step(arg?: any): unknown;
  /** Its state, saved before the test. */
  stateDict(): unknown;
  /** Restores the state saved before the test. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  loadStateDict(dict: any): void;
}

const WHERE = "lrRangeTest";
const positive = (x: number) => x > 0;
const OPTIONS: Record<string, OptionRule> = {
  minLr: rule.num(1e-8, positive, "a finite number > 0"),
  maxLr: rule.num(1, positive, "a finite number > 0"),
  numTraining: rule.int(100, 1),
  mode: rule.oneOf("exponential", ["exponential", "linear"]),
  earlyStopThreshold: { default: 4, ok: (v) => v === null || (typeof v === "number" && Number.isFinite(v) && v > 0), expected: "a finite number > 0, or null" },
  beta: rule.num(0.98, (x) => x >= 0 && x < 1, "0 <= beta < 1"),
  skipBegin: rule.int(10, 0),
  skipEnd: rule.int(1, 0),
};

/**
 * Runs the LR range test and restores the optimizer: afterwards the params (values and grads), the optimizer's
 * state and every group's lr are as they were, also when `step` throws (the error is rethrown) or the loss
 * diverges. A scheduler attached to the optimizer is not stepped, so it is untouched too.
 *
 * `step(lr)` is one training step without the optimizer: forward and backward on a batch, returning the loss.
 * The test sets the lr of every group (group i at lr · its lr / group 0's lr, so per-group lrs scale together),
 * zeroes the grads, calls `step(lr)`, then `optimizer.step()`. A closure optimizer (LBFGS) gets
 * `optimizer.step(closure)` with a closure that zeroes the grads and calls `step(lr)`, as many times as it
 * evaluates; the recorded loss is its first (the loss before the step, as for the others).
 *
 * @example
 * const { suggestion, lrs, losses } = lrRangeTest(opt, () => { const loss = forward(batch()); backward(); return loss; });
 */
export function lrRangeTest(optimizer: RangeTestOptimizer, step: (lr: number) => number, options: LRRangeTestOptions = {}): LRRangeTestResult {
  const o = readOptions<Required<LRRangeTestOptions>>(WHERE, options, OPTIONS);
  if (o.maxLr <= o.minLr) throw new RangeError(`${WHERE}: maxLr (${o.maxLr}) must be greater than minLr (${o.minLr})`);
  if (typeof step !== "function") throw new TypeError(`${WHERE}: step must be a function (lr) => loss, got ${step === null ? "null" : typeof step}`);
  if (optimizer === null || typeof optimizer !== "object" || !Array.isArray(optimizer.paramGroups)) {
    throw new TypeError(`${WHERE}: expected a gradstep optimizer`);
  }
  if (optimizer.disposed) throw new Error(`${WHERE}: the optimizer has been disposed`);
  const groups = optimizer.paramGroups as readonly { lr: number; readonly params: readonly ParamLike[] }[], base = groups.map((g) => g.lr);
  if (!base.every((lr) => typeof lr === "number")) throw new TypeError(`${WHERE}: expected a gradstep optimizer (its param groups have no lr)`);
  if (groups.length > 1 && !(base[0]! > 0)) {
    throw new RangeError(`${WHERE}: the first param group's lr is ${base[0]}; the other groups scale with it, so it must be > 0`);
  }
  const ratios = base.map((lr) => (groups.length > 1 ? lr / base[0]! : 1));
  const closureKind = closureOptimizers().some((e) => optimizer instanceof e.cls);

  const params = [...new Set(groups.flatMap((g) => g.params))];
  const saved = { state: optimizer.stateDict(), values: params.map((p) => p.value.slice()), grads: params.map((p) => p.grad.slice()) };
  const lrs: number[] = [], losses: number[] = [], rawLosses: number[] = [];
  const smooth = new SmoothedLoss(o.beta, 1);
  let best = 0, stoppedEarly = false;
  try {
    for (let k = 0; k < o.numTraining; k++) {
      const lr = lrAt(k, o);
      for (let i = 0; i < groups.length; i++) groups[i]!.lr = lr * ratios[i]!;
      const evaluate = (): number => {
        optimizer.zeroGrad();
        const loss = step(lr);
        if (typeof loss !== "number") throw new TypeError(`${WHERE}: step returned ${loss === null ? "null" : typeof loss}, expected the loss (a number)`);
        return loss;
      };
      let loss: number;
      if (closureKind) {
        loss = optimizer.step(evaluate) as number;
      } else {
        loss = evaluate();
        optimizer.step();
      }
      const s = smooth.push(loss);
      lrs.push(lr); rawLosses.push(loss); losses.push(s);
      const diverged = o.earlyStopThreshold !== null && k >= 1 && (s > o.earlyStopThreshold * best || Number.isNaN(s));
      if (s < best || k === 0) best = s;
      if (diverged) {
        stoppedEarly = k < o.numTraining - 1;
        break;
      }
    }
  } finally {
    // The state dict carries the groups' options, so this puts their lrs back too.
    optimizer.loadStateDict(saved.state);
    params.forEach((p, i) => { p.value.set(saved.values[i]!); p.grad.set(saved.grads[i]!); });
  }
  const suggestionIndex = steepestIndex(lrs, losses, o.skipBegin, o.skipEnd);
  const valleyIndex = valleyIndexOf(lrs, losses, o.skipBegin, o.skipEnd);
  return {
    lrs, losses, rawLosses, stoppedEarly,
    suggestion: suggestionIndex === null ? null : lrs[suggestionIndex]!, suggestionIndex,
    valley: valleyIndex === null ? null : lrs[valleyIndex]!, valleyIndex,
  };
}

function lrAt(k: number, o: Required<LRRangeTestOptions>): number {
  if (k === 0) return o.minLr;
  const r = (k + 1) / o.numTraining;
  return o.mode === "linear" ? o.minLr + r * (o.maxLr - o.minLr) : o.minLr * (o.maxLr / o.minLr) ** r;
}

/** Indices of [skipBegin, n − skipEnd) whose loss is finite. */
function finitePoints(losses: readonly number[], skipBegin: number, skipEnd: number): number[] {
  const idx: number[] = [];
  for (let i = skipBegin; i < losses.length - skipEnd; i++) if (Number.isFinite(losses[i])) idx.push(i);
  return idx;
}

/**
 * Lightning's suggestion: the index of the steepest descent of `losses` against `lrs` over the finite points
 * of [skipBegin, n − skipEnd), by torch.gradient's second-order differences on uneven spacing (one-sided at the
 * ends); null with fewer than 2 points. Lightning slices `[skip_begin:-skip_end]`, so its skip_end = 0 keeps
 * nothing; here 0 keeps every point. In f64 (Lightning's tensors are float32).
 */
export function steepestIndex(lrs: readonly number[], losses: readonly number[], skipBegin = 10, skipEnd = 1): number | null {
  const idx = finitePoints(losses, skipBegin, skipEnd), n = idx.length;
  if (n < 2) return null;
  const x = idx.map((i) => lrs[i]!), f = idx.map((i) => losses[i]!);
  let arg = 0, min = (f[1]! - f[0]!) / (x[1]! - x[0]!);
  const consider = (j: number, g: number) => { if (g < min) { min = g; arg = j; } };
  for (let j = 1; j < n - 1; j++) {
    const h1 = x[j]! - x[j - 1]!, h2 = x[j + 1]! - x[j]!;
    consider(j, (-h2 / (h1 * (h1 + h2))) * f[j - 1]! + ((h2 - h1) / (h1 * h2)) * f[j]! + (h1 / (h2 * (h1 + h2))) * f[j + 1]!);
  }
  consider(n - 1, (f[n - 1]! - f[n - 2]!) / (x[n - 1]! - x[n - 2]!));
  return idx[arg]!;
}

/**
 * fastai's `valley`: over the finite points of [skipBegin, n − skipEnd), the longest run of decreasing losses
 * (not necessarily adjacent: a longest decreasing subsequence ending at each point), and the point
 * ⌊len/3⌋ + ⌊len/6⌋ past its start; null with fewer than 2 points.
 */
export function valleyIndexOf(lrs: readonly number[], losses: readonly number[], skipBegin = 10, skipEnd = 1): number | null {
  const idx = finitePoints(losses, skipBegin, skipEnd), n = idx.length;
  if (n < 2 || lrs.length !== losses.length) return null;
  const f = idx.map((i) => losses[i]!), lds = new Array<number>(n).fill(1);
  let maxStart = 0, maxEnd = 0;
  for (let i = 1; i < n; i++) {
    for (let j = 0; j < i; j++) {
      if (f[i]! < f[j]! && lds[i]! < lds[j]! + 1) lds[i] = lds[j]! + 1;
      if (lds[maxEnd]! < lds[i]!) {
        maxEnd = i;
        maxStart = maxEnd - lds[maxEnd]!;
      }
    }
  }
  const sections = (maxEnd - maxStart) / 3;
  return idx[maxStart + Math.trunc(sections) + Math.trunc(sections / 2)]!;
}
