// SWALR (PyTorch's torch.optim.swa_utils.SWALR): anneals each group's lr to a constant `swaLr` over
// `annealEpochs`, for Stochastic Weight Averaging (Izmailov et al. 2018, https://arxiv.org/abs/1803.05407).
// PyTorch's group key `swa_lr` lives in the side table of common.ts.
import { nonNegativeInt, nonNegativeNumber, oneOf, optionsOf } from "../core/options.js";
import { groupKeys, perGroup, type SchedulableOptimizer } from "./common.js";
import { LRScheduler, type StateReader } from "./scheduler.js";

const STRATEGIES = ["cos", "linear"] as const;

/** The options of {@link SWALR}. */
export interface SWALROptions {
  /** The lr to anneal to: one number, or one per group (required). */
  swaLr: number | number[];
  /** Epochs of annealing (default 10). */
  annealEpochs?: number;
  /** "cos" (default) or "linear". */
  annealStrategy?: "cos" | "linear";
}

/**
 * Anneals the lr to `swaLr` and keeps it there (PyTorch's `SWALR`).
 *
 * @example
 * const swa = new SWALR(opt, { swaLr: 0.05, annealEpochs: 5, annealStrategy: "linear" });
 * for (let epoch = 0; epoch < 100; epoch++) { train(opt); epoch >= 75 ? swa.step() : cosine.step(); }
 */
export class SWALR extends LRScheduler {
  #annealEpochs: number;
  #strategy: (typeof STRATEGIES)[number];

  constructor(optimizer: SchedulableOptimizer, options: SWALROptions) {
    super("SWALR", optimizer);
    const where = this.label;
    const o = optionsOf(where, options, ["swaLr", "annealEpochs", "annealStrategy"]);
    if (o.swaLr === undefined) throw new TypeError(`${where}: missing option "swaLr"`);
    const swaLrs = perGroup(where, "swaLr", o.swaLr, this.next.length, nonNegativeNumber);
    const strategy = o.annealStrategy ?? "cos";
    oneOf(STRATEGIES)(where, "annealStrategy", strategy);
    const annealEpochs = o.annealEpochs ?? 10;
    nonNegativeInt(where, "annealEpochs", annealEpochs);
    this.#strategy = strategy;
    this.#annealEpochs = annealEpochs;
    this.atomically(() => {
      optimizer.paramGroups.forEach((g, i) => { groupKeys(g).swaLr = swaLrs[i]!; });
      this.start();
    });
  }

  #anneal(t: number): number {
    return this.#strategy === "cos" ? (1 - Math.cos(Math.PI * t)) / 2 : t;
  }

  protected override getLr(out: number[]): void {
    let step = this.stepCount - 1;
    if (this.#annealEpochs === 0) step = Math.max(1, step);
    const span = Math.max(1, this.#annealEpochs);
    const prevAlpha = this.#anneal(Math.max(0, Math.min(1, (step - 1) / span)));
    const alpha = this.#anneal(Math.max(0, Math.min(1, step / span)));
    const groups = this.optimizer.paramGroups;
    for (let i = 0; i < out.length; i++) {
      const g = groups[i]!, swaLr = groupKeys(g).swaLr!;
      const prevLr = prevAlpha === 1 ? swaLr : (g.lr - prevAlpha * swaLr) / (1 - prevAlpha);
      out[i] = swaLr * alpha + prevLr * (1 - alpha);
    }
  }

  protected override saveFields(): Record<string, unknown> {
    return {
      ...super.saveFields(), swaLrs: this.optimizer.paramGroups.map((g) => groupKeys(g).swaLr!),
      annealEpochs: this.#annealEpochs, annealStrategy: this.#strategy,
    };
  }

  protected override readFields(r: StateReader): () => void {
    const base = super.readFields(r), swaLrs = r.nums("swaLrs", nonNegativeNumber);
    const annealEpochs = r.num("annealEpochs", nonNegativeInt), strategy = r.str("annealStrategy", STRATEGIES);
    return () => {
      base();
      this.#annealEpochs = annealEpochs;
      this.#strategy = strategy;
      this.optimizer.paramGroups.forEach((g, i) => { groupKeys(g).swaLr = swaLrs[i]!; });
    };
  }
}
