// CyclicLR (Smith 2015, https://arxiv.org/abs/1506.01186) and OneCycleLR (Smith & Topin 2017,
// https://arxiv.org/abs/1708.07120): the lr cycles between two bounds and, with cycleMomentum, the momentum
// (SGD, RMSprop) or beta1 (Adam, AdamW: `betas[0]`, edited in place) cycles inversely, as PyTorch's
// `use_beta1` does. PyTorch's group keys `max_momentum`, `base_momentum`, `initial_lr`, `max_lr` and
// `min_lr` live in the side table of common.ts.
import { boolean, type Check, fn, invalid, nonNegativeNumber, number, oneOf, optionsOf, positive, positiveInt, show } from "../core/options.js";
import { groupKeys, type GroupKeys, perGroup, type SchedulableOptimizer, type SchedulableParamGroup } from "./common.js";
import { LRScheduler, type StateReader } from "./scheduler.js";

/**
 * Whether the optimizer's momentum is beta1 (PyTorch: `"betas" in optimizer.defaults`); throws PyTorch's
 * error if it has neither momentum nor betas, or a group lacks it.
 */
function usesBeta1(label: string, optimizer: SchedulableOptimizer): boolean {
  const d = optimizer.defaults;
  if (!("momentum" in d) && !("betas" in d)) {
    throw new TypeError(`${label}: optimizer must support momentum or beta1 with \`cycleMomentum\` option enabled (pass cycleMomentum: false)`);
  }
  const beta1 = "betas" in d;
  optimizer.paramGroups.forEach((g, i) => {
    if (beta1 ? !Array.isArray(g.betas) || g.betas.length < 1 : typeof g.momentum !== "number") {
      throw new TypeError(`${label}: param group ${i} has no ${beta1 ? "betas" : "momentum"} to cycle`);
    }
  });
  return beta1;
}

function momentumCheck(beta1: boolean): Check {
  return beta1 ? number((x) => x >= 0 && x < 1, "0 <= beta1 < 1") : nonNegativeNumber;
}

function setMomentum(g: SchedulableParamGroup, beta1: boolean, m: number): void {
  if (beta1) g.betas![0] = m;
  else g.momentum = m;
}

const MODES = ["triangular", "triangular2", "exp_range"] as const;
const SCALE_MODES = ["cycle", "iterations"] as const;

/** The options of {@link CyclicLR}. */
export interface CyclicLROptions {
  /** Lower lr bound: one number, or one per group (required). */
  baseLr: number | number[];
  /** Upper lr bound: one number, or one per group (required). */
  maxLr: number | number[];
  /** Steps in the increasing half of a cycle (default 2000). */
  stepSizeUp?: number;
  /** Steps in the decreasing half (default: stepSizeUp). */
  stepSizeDown?: number | null;
  /** Amplitude policy (default "triangular"); ignored when `scaleFn` is given. */
  mode?: "triangular" | "triangular2" | "exp_range";
  /** "exp_range"'s factor: amplitude gamma^iterations (default 1). */
  gamma?: number;
  /** Custom amplitude policy, 0 <= scaleFn(x) <= 1 (overrides mode). */
  scaleFn?: (x: number) => number;
  /** What scaleFn takes: the cycle number or the iteration (default "cycle"). */
  scaleMode?: "cycle" | "iterations";
  /** Cycle the momentum inversely to the lr (default true). */
  cycleMomentum?: boolean;
  /** Lower momentum bound (default 0.8): one number, or one per group. */
  baseMomentum?: number | number[];
  /** Upper momentum bound (default 0.9): one number, or one per group. */
  maxMomentum?: number | number[];
}

const CYCLIC_KEYS = ["baseLr", "maxLr", "stepSizeUp", "stepSizeDown", "mode", "gamma", "scaleFn", "scaleMode", "cycleMomentum", "baseMomentum", "maxMomentum"];

/**
 * Cycles the lr between `baseLr` and `maxLr` (PyTorch's `CyclicLR`); step it after every batch. With
 * `cycleMomentum` (default) the momentum or beta1 cycles between `maxMomentum` and `baseMomentum`.
 *
 * @example
 * const opt = new SGD(store.params, { lr: 0.01, momentum: 0.9 });
 * const sched = new CyclicLR(opt, { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 500 });
 * for (const batch of data) { train(batch, opt); sched.step(); }
 */
export class CyclicLR extends LRScheduler {
  #maxLrs: number[];
  #totalSize: number;
  #stepRatio: number;
  #mode: (typeof MODES)[number];
  #gamma: number;
  readonly #scaleFnCustom: ((x: number) => number) | undefined;
  #scaleMode: (typeof SCALE_MODES)[number];
  #cycleMomentum: boolean;
  #useBeta1 = false;
  #baseMomentums: number[] = [];
  #maxMomentums: number[] = [];
  /** scale_fn's value for the epoch being prepared. */
  #scale = 1;

  constructor(optimizer: SchedulableOptimizer, options: CyclicLROptions) {
    super("CyclicLR", optimizer);
    const where = this.label, n = this.next.length;
    const o = optionsOf(where, options, CYCLIC_KEYS);
    const req = (k: string, v: unknown) => { if (v === undefined) throw new TypeError(`${where}: missing option "${k}"`); };
    req("baseLr", o.baseLr);
    req("maxLr", o.maxLr);
    const baseLrs = perGroup(where, "baseLr", o.baseLr, n, nonNegativeNumber);
    this.#maxLrs = perGroup(where, "maxLr", o.maxLr, n, nonNegativeNumber);
    const up = o.stepSizeUp ?? 2000;
    positive(where, "stepSizeUp", up);
    const down = o.stepSizeDown ?? up;
    positive(where, "stepSizeDown", down);
    this.#totalSize = up + down;
    this.#stepRatio = up / this.#totalSize;
    const mode = o.mode ?? "triangular";
    oneOf(MODES)(where, "mode", mode);
    this.#mode = mode;
    const gamma = o.gamma ?? 1.0;
    nonNegativeNumber(where, "gamma", gamma);
    this.#gamma = gamma;
    if (o.scaleFn !== undefined) fn(where, "scaleFn", o.scaleFn);
    this.#scaleFnCustom = o.scaleFn;
    const scaleMode = o.scaleMode ?? "cycle";
    oneOf(SCALE_MODES)(where, "scaleMode", scaleMode);
    this.#scaleMode = this.#initScaleMode(scaleMode);
    const cycleMomentum = o.cycleMomentum ?? true;
    boolean(where, "cycleMomentum", cycleMomentum);
    this.#cycleMomentum = cycleMomentum;
    if (cycleMomentum) {
      this.#useBeta1 = usesBeta1(where, optimizer);
      const check = momentumCheck(this.#useBeta1);
      this.#baseMomentums = perGroup(where, "baseMomentum", o.baseMomentum ?? 0.8, n, check);
      this.#maxMomentums = perGroup(where, "maxMomentum", o.maxMomentum ?? 0.9, n, check);
    }
    this.atomically(() => {
      optimizer.paramGroups.forEach((g, i) => { g.lr = baseLrs[i]!; });
      if (cycleMomentum) {
        optimizer.paramGroups.forEach((g, i) => {
          setMomentum(g, this.#useBeta1, this.#maxMomentums[i]!);
          const k = groupKeys(g);
          k.maxMomentum = this.#maxMomentums[i]!;
          k.baseMomentum = this.#baseMomentums[i]!;
        });
      }
      this.start();
    });
    this.baseLrs = baseLrs;
  }

  /** PyTorch's `_init_scale_fn`: the built-in modes fix the scale mode. */
  #initScaleMode(scaleMode: (typeof SCALE_MODES)[number]): (typeof SCALE_MODES)[number] {
    if (this.#scaleFnCustom !== undefined) return scaleMode;
    return this.#mode === "exp_range" ? "iterations" : "cycle";
  }

  #scaleFn(x: number): number {
    if (this.#scaleFnCustom !== undefined) {
      const v: unknown = this.#scaleFnCustom(x);
      if (typeof v !== "number" || !Number.isFinite(v)) {
        const msg = `${this.label}: scaleFn(${x}) returned ${typeof v === "number" ? v : typeof v} (expected a finite number)`;
        throw typeof v === "number" ? new RangeError(msg) : new TypeError(msg);
      }
      return v;
    }
    if (this.#mode === "triangular") return 1.0;
    if (this.#mode === "triangular2") return 1 / (2.0 ** (x - 1));
    return this.#gamma ** x;
  }

  protected override prepare(epoch: number): void {
    const cycle = Math.floor(1 + epoch / this.#totalSize);
    this.#scale = this.#scaleFn(this.#scaleMode === "cycle" ? cycle : epoch);
  }

  protected override getLr(out: number[]): void {
    const e = this.epoch, ratio = this.#stepRatio;
    const cycle = Math.floor(1 + e / this.#totalSize);
    const x = 1.0 + e / this.#totalSize - cycle;
    const scaleFactor = x <= ratio ? x / ratio : (x - 1) / (ratio - 1);
    const s = this.#scale;
    for (let i = 0; i < out.length; i++) {
      const base = this.baseLrs[i]!;
      out[i] = base + (this.#maxLrs[i]! - base) * scaleFactor * s;
    }
    if (this.#cycleMomentum) {
      const groups = this.optimizer.paramGroups;
      for (let i = 0; i < out.length; i++) {
        const max = this.#maxMomentums[i]!;
        setMomentum(groups[i]!, this.#useBeta1, max - (max - this.#baseMomentums[i]!) * scaleFactor * s);
      }
    }
  }

  protected override saveFields(): Record<string, unknown> {
    return {
      ...super.saveFields(), maxLrs: [...this.#maxLrs], totalSize: this.#totalSize, stepRatio: this.#stepRatio, mode: this.#mode,
      gamma: this.#gamma, scaleMode: this.#scaleMode, customScaleFn: this.#scaleFnCustom !== undefined,
      cycleMomentum: this.#cycleMomentum, baseMomentums: [...this.#baseMomentums], maxMomentums: [...this.#maxMomentums],
    };
  }

  protected override readFields(r: StateReader): () => void {
    const base = super.readFields(r), maxLrs = r.nums("maxLrs", nonNegativeNumber), totalSize = r.num("totalSize", positive);
    const stepRatio = r.num("stepRatio", number((x) => x > 0 && x <= 1, "0 < stepRatio <= 1"));
    const mode = r.str("mode", MODES), gamma = r.num("gamma", nonNegativeNumber), scaleMode = r.str("scaleMode", SCALE_MODES);
    const custom = r.bool("customScaleFn");
    if (custom !== (this.#scaleFnCustom !== undefined)) {
      throw new Error(`${r.where}: the state dict was saved ${custom ? "with" : "without"} a custom scaleFn, this CyclicLR has ${custom ? "none" : "one"}`);
    }
    const cycleMomentum = r.bool("cycleMomentum");
    if (cycleMomentum !== this.#cycleMomentum) {
      throw new Error(`${r.where}: the state dict has cycleMomentum ${cycleMomentum}, this CyclicLR ${this.#cycleMomentum} (build it with the same option)`);
    }
    const check = momentumCheck(this.#useBeta1), len = cycleMomentum ? r.groups : 0;
    const baseMomentums = r.nums("baseMomentums", check, len), maxMomentums = r.nums("maxMomentums", check, len);
    return () => {
      base();
      this.#maxLrs = maxLrs; this.#totalSize = totalSize; this.#stepRatio = stepRatio; this.#mode = mode; this.#gamma = gamma;
      this.#scaleMode = this.#scaleFnCustom !== undefined ? scaleMode : this.#initScaleMode(scaleMode);
      this.#baseMomentums = baseMomentums; this.#maxMomentums = maxMomentums;
      this.optimizer.paramGroups.forEach((g, i) => {
        if (!cycleMomentum) return;
        const k = groupKeys(g);
        k.maxMomentum = maxMomentums[i]!;
        k.baseMomentum = baseMomentums[i]!;
      });
    };
  }
}

type LrKey = "initialLr" | "maxLr" | "minLr";
type MomentumKey = "maxMomentum" | "baseMomentum";
interface Phase { endStep: number; startLr: LrKey; endLr: LrKey; startMomentum: MomentumKey; endMomentum: MomentumKey }

function phases(totalSteps: number, pctStart: number, threePhase: boolean): Phase[] {
  if (threePhase) {
    return [
      { endStep: pctStart * totalSteps - 1, startLr: "initialLr", endLr: "maxLr", startMomentum: "maxMomentum", endMomentum: "baseMomentum" },
      { endStep: 2 * pctStart * totalSteps - 2, startLr: "maxLr", endLr: "initialLr", startMomentum: "baseMomentum", endMomentum: "maxMomentum" },
      { endStep: totalSteps - 1, startLr: "initialLr", endLr: "minLr", startMomentum: "maxMomentum", endMomentum: "maxMomentum" },
    ];
  }
  return [
    { endStep: pctStart * totalSteps - 1, startLr: "initialLr", endLr: "maxLr", startMomentum: "maxMomentum", endMomentum: "baseMomentum" },
    { endStep: totalSteps - 1, startLr: "maxLr", endLr: "minLr", startMomentum: "baseMomentum", endMomentum: "maxMomentum" },
  ];
}

/**
 * k[key] by named loads: a keyed load whose key changes with the phase boxes the double it reads (one heap
 * number per load, every step), a named one reads it in place.
 */
function groupValue(k: GroupKeys, key: LrKey | MomentumKey): number {
  switch (key) {
    case "initialLr": return k.initialLr!;
    case "maxLr": return k.maxLr!;
    case "minLr": return k.minLr!;
    case "maxMomentum": return k.maxMomentum!;
    default: return k.baseMomentum!;
  }
}

function annealCos(start: number, end: number, pct: number): number {
  const cosOut = Math.cos(Math.PI * pct) + 1;
  return end + (start - end) / 2.0 * cosOut;
}

function annealLinear(start: number, end: number, pct: number): number {
  return (end - start) * pct + start;
}

const pctStartCheck = number((x) => x >= 0 && x <= 1, "0 <= pctStart <= 1");
const STRATEGIES = ["cos", "linear"] as const;

/** The options of {@link OneCycleLR}. */
export interface OneCycleLROptions {
  /** Peak lr: one number, or one per group (required). */
  maxLr: number | number[];
  /** Steps in the cycle; or give `epochs` and `stepsPerEpoch`. */
  totalSteps?: number;
  /** Epochs of the cycle (with stepsPerEpoch: totalSteps = epochs·stepsPerEpoch). */
  epochs?: number;
  /** Steps per epoch (with epochs). */
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent increasing the lr (default 0.3). */
  pctStart?: number;
  /** "cos" (default) or "linear" annealing. */
  annealStrategy?: "cos" | "linear";
  /** Cycle the momentum inversely to the lr (default true). */
  cycleMomentum?: boolean;
  /** Momentum at the peak lr (default 0.85): one number, or one per group. */
  baseMomentum?: number | number[];
  /** Momentum at the start and end (default 0.95): one number, or one per group. */
  maxMomentum?: number | number[];
  /** Initial lr = maxLr / divFactor (default 25). */
  divFactor?: number;
  /** Final lr = initial lr / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** Three phases (up, down to the initial lr, annihilate) instead of two (default false). */
  threePhase?: boolean;
}

const ONE_CYCLE_KEYS = ["maxLr", "totalSteps", "epochs", "stepsPerEpoch", "pctStart", "annealStrategy", "cycleMomentum", "baseMomentum", "maxMomentum", "divFactor", "finalDivFactor", "threePhase"];

/**
 * The 1cycle policy (PyTorch's `OneCycleLR`): the lr rises from maxLr/divFactor to maxLr over
 * `pctStart` of `totalSteps`, then anneals to maxLr/(divFactor·finalDivFactor); momentum (or beta1)
 * moves inversely. Step it after every batch, exactly totalSteps times at most.
 *
 * @example
 * const opt = new AdamW(store.params);
 * const sched = new OneCycleLR(opt, { maxLr: 0.01, epochs: 10, stepsPerEpoch: batches.length });
 */
export class OneCycleLR extends LRScheduler {
  #totalSteps: number;
  #pctStart: number;
  #threePhase: boolean;
  #phases: Phase[];
  #anneal: (typeof STRATEGIES)[number];
  #cycleMomentum: boolean;
  #useBeta1 = false;
  /** The phase and its fraction for the epoch being prepared (the same for every group). */
  #phase = 0;
  #pct = 0;

  constructor(optimizer: SchedulableOptimizer, options: OneCycleLROptions) {
    super("OneCycleLR", optimizer);
    const where = this.label, n = this.next.length;
    const o = optionsOf(where, options, ONE_CYCLE_KEYS);
    if (o.totalSteps !== undefined) {
      positiveInt(where, "totalSteps", o.totalSteps);
      this.#totalSteps = o.totalSteps;
    } else if (o.epochs !== undefined && o.stepsPerEpoch !== undefined) {
      positiveInt(where, "epochs", o.epochs);
      positiveInt(where, "stepsPerEpoch", o.stepsPerEpoch);
      this.#totalSteps = o.epochs * o.stepsPerEpoch;
    } else {
      throw new TypeError(`${where}: you must define either totalSteps OR (epochs AND stepsPerEpoch)`);
    }
    const pctStart = o.pctStart ?? 0.3;
    pctStartCheck(where, "pctStart", pctStart);
    this.#pctStart = pctStart;
    const threePhase = o.threePhase ?? false;
    boolean(where, "threePhase", threePhase);
    this.#threePhase = threePhase;
    this.#phases = phases(this.#totalSteps, pctStart, threePhase);
    const anneal = o.annealStrategy ?? "cos";
    oneOf(STRATEGIES)(where, "annealStrategy", anneal);
    this.#anneal = anneal;
    if (o.maxLr === undefined) throw new TypeError(`${where}: missing option "maxLr"`);
    const maxLrs = perGroup(where, "maxLr", o.maxLr, n, nonNegativeNumber);
    const divFactor = o.divFactor ?? 25.0, finalDivFactor = o.finalDivFactor ?? 1e4;
    positive(where, "divFactor", divFactor);
    positive(where, "finalDivFactor", finalDivFactor);
    const cycleMomentum = o.cycleMomentum ?? true;
    boolean(where, "cycleMomentum", cycleMomentum);
    this.#cycleMomentum = cycleMomentum;
    let maxMomentums: number[] = [], baseMomentums: number[] = [];
    if (cycleMomentum) {
      this.#useBeta1 = usesBeta1(where, optimizer);
      const check = momentumCheck(this.#useBeta1);
      maxMomentums = perGroup(where, "maxMomentum", o.maxMomentum ?? 0.95, n, check);
      baseMomentums = perGroup(where, "baseMomentum", o.baseMomentum ?? 0.85, n, check);
    }
    this.atomically(() => {
      optimizer.paramGroups.forEach((g, i) => {
        const k = groupKeys(g);
        k.initialLr = maxLrs[i]! / divFactor;
        k.maxLr = maxLrs[i]!;
        k.minLr = k.initialLr / finalDivFactor;
        if (cycleMomentum) {
          setMomentum(g, this.#useBeta1, maxMomentums[i]!);
          k.maxMomentum = maxMomentums[i]!;
          k.baseMomentum = baseMomentums[i]!;
        }
      });
      this.start();
    });
  }

  protected override prepare(epoch: number): void {
    if (epoch > this.#totalSteps) {
      throw new RangeError(`${this.label}: tried to step ${epoch} times; the specified number of total steps is ${this.#totalSteps}`);
    }
    let start = 0.0;
    const ps = this.#phases;
    for (let i = 0; i < ps.length; i++) {
      const end = ps[i]!.endStep;
      if (epoch <= end || i === ps.length - 1) {
        if (end === start) {
          throw new RangeError(`${this.label}: phase ${i + 1} has zero length at step ${epoch} (pctStart ${this.#pctStart}, totalSteps ${this.#totalSteps}; PyTorch divides by zero here)`);
        }
        this.#phase = i;
        this.#pct = (epoch - start) / (end - start);
        return;
      }
      start = end;
    }
  }

  protected override getLr(out: number[]): void {
    const p = this.#phases[this.#phase]!, pct = this.#pct, groups = this.optimizer.paramGroups;
    const anneal = this.#anneal === "cos" ? annealCos : annealLinear;
    for (let i = 0; i < out.length; i++) {
      const g = groups[i]!, k = groupKeys(g);
      out[i] = anneal(groupValue(k, p.startLr), groupValue(k, p.endLr), pct);
      if (this.#cycleMomentum) setMomentum(g, this.#useBeta1, anneal(groupValue(k, p.startMomentum), groupValue(k, p.endMomentum), pct));
    }
  }

  protected override saveFields(): Record<string, unknown> {
    return {
      ...super.saveFields(), totalSteps: this.#totalSteps, pctStart: this.#pctStart, threePhase: this.#threePhase,
      annealStrategy: this.#anneal, cycleMomentum: this.#cycleMomentum,
      groups: this.optimizer.paramGroups.map((g) => {
        const k = groupKeys(g);
        return this.#cycleMomentum
          ? { initialLr: k.initialLr, maxLr: k.maxLr, minLr: k.minLr, maxMomentum: k.maxMomentum, baseMomentum: k.baseMomentum }
          : { initialLr: k.initialLr, maxLr: k.maxLr, minLr: k.minLr };
      }),
    };
  }

  protected override readFields(r: StateReader): () => void {
    const base = super.readFields(r), totalSteps = r.num("totalSteps", positiveInt), pctStart = r.num("pctStart", pctStartCheck);
    const threePhase = r.bool("threePhase"), anneal = r.str("annealStrategy", STRATEGIES);
    const cycleMomentum = r.bool("cycleMomentum");
    if (cycleMomentum !== this.#cycleMomentum) {
      throw new Error(`${r.where}: the state dict has cycleMomentum ${cycleMomentum}, this OneCycleLR ${this.#cycleMomentum} (build it with the same option)`);
    }
    const groups = r.get("groups");
    if (!Array.isArray(groups) || groups.length !== r.groups) invalid(r.where, "groups", groups, `an array of ${r.groups} objects`, "object");
    const keys = groups.map((g: unknown, i): GroupKeys => {
      if (g === null || typeof g !== "object") throw new TypeError(`${r.where}: groups[${i}] is ${show(g)}, expected an object`);
      const want = cycleMomentum ? ["initialLr", "maxLr", "minLr", "maxMomentum", "baseMomentum"] : ["initialLr", "maxLr", "minLr"];
      const rec = g as Record<string, unknown>, out: Record<string, number> = {};
      for (const k of want) {
        if (!(k in rec)) throw new Error(`${r.where}: groups[${i}] is missing "${k}"`);
        (k.endsWith("Momentum") ? momentumCheck(this.#useBeta1) : nonNegativeNumber)(r.where, `groups[${i}].${k}`, rec[k]);
        out[k] = rec[k] as number;
      }
      return out;
    });
    return () => {
      base();
      this.#totalSteps = totalSteps; this.#pctStart = pctStart; this.#threePhase = threePhase; this.#anneal = anneal;
      this.#phases = phases(totalSteps, pctStart, threePhase);
      this.optimizer.paramGroups.forEach((g, i) => Object.assign(groupKeys(g), keys[i]));
    };
  }
}
