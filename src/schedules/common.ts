// What a scheduler needs from an optimizer, the values PyTorch keeps in param groups, and PyTorch's per-group
// options (perGroup). Option checks are core/options.ts's, as every option's in the library.
//
// PyTorch's schedulers store `initial_lr`, `max_lr`, `min_lr`, `max_momentum`, `base_momentum` and `swa_lr`
// in the optimizer's param groups, where every scheduler over that optimizer sees them (a second scheduler's
// base lrs are the first one's `initial_lr`, which is how SequentialLR and ChainedScheduler compose).
// gradstep's groups hold only optimizer options, so these values live in GROUP_KEYS, a side table keyed by
// the group object: shared by every scheduler over the optimizer exactly as PyTorch's group keys are, and
// never visible to the optimizer. Schedulers also save them in their state dicts.
import { type Check, invalid } from "../core/options.js";

/** A param group as a scheduler sees it: its lr, and momentum (SGD, RMSprop) or betas (Adam, AdamW). */
export interface SchedulableParamGroup {
  /** The group's learning rate, which schedulers set. */
  lr: number;
  /** SGD's and RMSprop's momentum (cycled by CyclicLR and OneCycleLR). */
  momentum?: number;
  /** Adam's betas: momentum-cycling schedulers set betas[0]. */
  betas?: number[];
}

/**
 * An optimizer a scheduler can drive: every gradstep optimizer is one. Schedulers edit `lr` (and `momentum`
 * or `betas[0]`, in place) of `paramGroups`, read `defaults` to tell momentum from betas (as PyTorch does),
 * and refuse to drive a `disposed` optimizer.
 */
export interface SchedulableOptimizer {
  /** The groups whose lr (and momentum) the scheduler sets. */
  readonly paramGroups: readonly SchedulableParamGroup[];
  /** The optimizer's default options: whether it has `momentum` or `betas`. */
  readonly defaults: object;
  /** Whether it was disposed (a scheduler refuses it). */
  readonly disposed: boolean;
}

/** PyTorch's scheduler-owned group keys, camelCased. */
export interface GroupKeys {
  initialLr?: number;
  maxLr?: number;
  minLr?: number;
  maxMomentum?: number;
  baseMomentum?: number;
  swaLr?: number;
}

const GROUP_KEYS = new WeakMap<object, GroupKeys>();

/** The scheduler keys of `group` (created empty on first use). */
export function groupKeys(group: object): GroupKeys {
  let k = GROUP_KEYS.get(group);
  if (k === undefined) GROUP_KEYS.set(group, (k = {}));
  return k;
}

/** Every value a scheduler may change in the groups: restored when a constructor fails halfway. */
export function snapshotGroups(opt: SchedulableOptimizer): () => void {
  const saved = opt.paramGroups.map((g) => ({
    g, lr: g.lr, momentum: g.momentum, beta1: g.betas?.[0], keys: GROUP_KEYS.has(g) ? { ...groupKeys(g) } : undefined,
  }));
  return () => {
    for (const s of saved) {
      s.g.lr = s.lr;
      if (s.momentum !== undefined) s.g.momentum = s.momentum;
      if (s.beta1 !== undefined && s.g.betas) s.g.betas[0] = s.beta1;
      if (s.keys === undefined) GROUP_KEYS.delete(s.g);
      else GROUP_KEYS.set(s.g, s.keys);
    }
  };
}

/**
 * PyTorch's `_format_param`: a number for every group, or an array with one value per group. Each value is
 * checked with `check` (named `key[i]` for arrays).
 */
export function perGroup(where: string, key: string, v: unknown, groups: number, check: Check): number[] {
  if (Array.isArray(v)) {
    if (v.length !== groups) invalid(where, key, v, `a number or an array of ${groups} (one per param group)`, "object");
    v.forEach((x, i) => check(where, `${key}[${i}]`, x));
    return [...(v as number[])];
  }
  check(where, key, v);
  return new Array<number>(groups).fill(v as number);
}

/** Python's bisect.bisect_right over a sorted array. */
export function bisectRight(a: readonly number[], x: number): number {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x < a[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
