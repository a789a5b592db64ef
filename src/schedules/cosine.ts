// CosineAnnealingLR (SGDR without restarts, PyTorch's recursive form that keeps going past tMax) and
// CosineAnnealingWarmRestarts (SGDR, Loshchilov & Hutter 2016, https://arxiv.org/abs/1608.03983).
import { finite, invalid, nonNegativeNumber, numberOptions, positiveInt } from "../core/options.js";
import { type SchedulableOptimizer } from "./common.js";
import { LRScheduler, type StateReader } from "./scheduler.js";

/** The options of {@link CosineAnnealingLR}. */
export interface CosineAnnealingLROptions {
  /** Half period in epochs (required). */
  tMax: number;
  /** Minimum lr (default 0). */
  etaMin?: number;
}

/**
 * Anneals the lr from the base lr to `etaMin` along a cosine over `tMax` epochs, then back up (PyTorch's
 * `CosineAnnealingLR`, its chainable recursion: other schedulers may edit the lr in between).
 *
 * @example
 * const sched = new CosineAnnealingLR(opt, { tMax: 100, etaMin: 1e-5 });
 */
export class CosineAnnealingLR extends LRScheduler {
  #tMax: number;
  #etaMin: number;

  constructor(optimizer: SchedulableOptimizer, options: CosineAnnealingLROptions) {
    super("CosineAnnealingLR", optimizer);
    const o = numberOptions(this.label, options, { tMax: [positiveInt, undefined], etaMin: [nonNegativeNumber, 0] });
    this.#tMax = o.tMax;
    this.#etaMin = o.etaMin;
    this.atomically(() => this.start());
  }

  protected override getLr(out: number[]): void {
    const groups = this.optimizer.paramGroups, e = this.epoch, t = this.#tMax, eta = this.#etaMin;
    if (this.isInitial) {
      for (let i = 0; i < out.length; i++) out[i] = groups[i]!.lr;
    } else if (this.stepCount === 1 && e > 0) {
      for (let i = 0; i < out.length; i++) out[i] = eta + (this.baseLrs[i]! - eta) * (1 + Math.cos(e * Math.PI / t)) / 2;
    } else if ((e - 1 - t) % (2 * t) === 0) {
      for (let i = 0; i < out.length; i++) out[i] = groups[i]!.lr + (this.baseLrs[i]! - eta) * (1 - Math.cos(Math.PI / t)) / 2;
    } else {
      const ratio = (1 + Math.cos(Math.PI * e / t)) / (1 + Math.cos(Math.PI * (e - 1) / t));
      for (let i = 0; i < out.length; i++) out[i] = ratio * (groups[i]!.lr - eta) + eta;
    }
  }

  protected override closedFormLr(out: number[]): void {
    const eta = this.#etaMin, c = 1 + Math.cos(Math.PI * this.epoch / this.#tMax);
    for (let i = 0; i < out.length; i++) out[i] = eta + (this.baseLrs[i]! - eta) * c / 2;
  }

  protected override saveFields(): Record<string, unknown> {
    return { ...super.saveFields(), tMax: this.#tMax, etaMin: this.#etaMin };
  }

  protected override readFields(r: StateReader): () => void {
    const base = super.readFields(r), tMax = r.num("tMax", positiveInt), etaMin = r.num("etaMin", nonNegativeNumber);
    return () => { base(); this.#tMax = tMax; this.#etaMin = etaMin; };
  }
}

/** The options of {@link CosineAnnealingWarmRestarts}. */
export interface CosineAnnealingWarmRestartsOptions {
  /** Epochs until the first restart (required). */
  t0: number;
  /** Factor by which the period grows after each restart (default 1; an integer). */
  tMult?: number;
  /** Minimum lr (default 0). */
  etaMin?: number;
}

/**
 * Cosine annealing with warm restarts (PyTorch's `CosineAnnealingWarmRestarts`): the lr follows a cosine
 * from the base lr to `etaMin` over `t0` epochs, restarts, and each period is `tMult` times longer.
 * `step(epoch)` takes a fractional epoch, e.g. `sched.step(epoch + i / itersPerEpoch)` after each batch.
 *
 * @example
 * const sched = new CosineAnnealingWarmRestarts(opt, { t0: 10, tMult: 2 });
 */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  #t0: number;
  #tI: number;
  #tMult: number;
  #etaMin: number;
  #tCur: number;
  /** tCur and tI before the commit in progress (_save). */
  readonly #savedT = [0, 0];

  constructor(optimizer: SchedulableOptimizer, options: CosineAnnealingWarmRestartsOptions) {
    super("CosineAnnealingWarmRestarts", optimizer);
    const o = numberOptions(this.label, options, { t0: [positiveInt, undefined], tMult: [positiveInt, 1], etaMin: [nonNegativeNumber, 0] });
    this.#t0 = this.#tI = o.t0;
    this.#tMult = o.tMult;
    this.#etaMin = o.etaMin;
    this.#tCur = -1;
    this.atomically(() => this.start());
  }

  protected override getLr(out: number[]): void {
    const eta = this.#etaMin, c = 1 + Math.cos(Math.PI * this.#tCur / this.#tI);
    for (let i = 0; i < out.length; i++) out[i] = eta + (this.baseLrs[i]! - eta) * c / 2;
  }

  /** Advances one epoch, or jumps to `epoch` (a number >= 0, fractional for steps within an epoch). */
  override step(epoch?: number): void {
    this._check();
    if (epoch !== undefined && (typeof epoch !== "number" || !Number.isFinite(epoch) || epoch < 0)) {
      invalid(this.label, "epoch", epoch, "a finite number >= 0");
    }
    this.beginCommit();
    this.#advance(epoch);
    this.endCommit();
  }

  override _save(): void {
    super._save();
    this.#savedT[0] = this.#tCur;
    this.#savedT[1] = this.#tI;
  }

  override _restore(): void {
    super._restore();
    this.#tCur = this.#savedT[0]!;
    this.#tI = this.#savedT[1]!;
  }

  /** @internal A step without an epoch (PyTorch's step() does not count _step_count here). */
  override _commitStep(): void {
    this.#advance(undefined);
  }

  #advance(epoch: number | undefined): void {
    if (epoch === undefined && this.epoch < 0) epoch = 0;
    if (epoch === undefined) {
      epoch = this.epoch + 1;
      this.#tCur = this.#tCur + 1;
      if (this.#tCur >= this.#tI) {
        this.#tCur = this.#tCur % this.#tI;
        this.#tI = this.#tI * this.#tMult;
      }
    } else if (epoch >= this.#t0) {
      const t0 = this.#t0, m = this.#tMult;
      if (m === 1) {
        this.#tCur = epoch % t0;
      } else {
        const n = Math.trunc(Math.log(epoch / t0 * (m - 1) + 1) / Math.log(m));
        this.#tCur = epoch - t0 * (m ** n - 1) / (m - 1);
        this.#tI = t0 * m ** n;
      }
    } else {
      this.#tI = this.#t0;
      this.#tCur = epoch;
    }
    this.epoch = Math.floor(epoch);
    const out = this.next, groups = this.optimizer.paramGroups;
    this.getLr(out);
    for (let i = 0; i < out.length; i++) {
      groups[i]!.lr = out[i]!;
      this._lastLrs[i] = groups[i]!.lr;
    }
  }

  protected override saveFields(): Record<string, unknown> {
    return { ...super.saveFields(), t0: this.#t0, tI: this.#tI, tMult: this.#tMult, etaMin: this.#etaMin, tCur: this.#tCur };
  }

  protected override readFields(r: StateReader): () => void {
    const base = super.readFields(r), t0 = r.num("t0", positiveInt), tI = r.num("tI", positiveInt);
    const tMult = r.num("tMult", positiveInt), etaMin = r.num("etaMin", nonNegativeNumber), tCur = r.num("tCur", finite);
    return () => { base(); this.#t0 = t0; this.#tI = tI; this.#tMult = tMult; this.#etaMin = etaMin; this.#tCur = tCur; };
  }
}
