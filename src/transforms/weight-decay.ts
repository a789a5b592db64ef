// The usual AdamW set-up: weight decay on weight matrices, none on biases and normalisation scales.
import { nonNegativeNumber, rejectUnknown } from "../core/options.js";
import type { ParamLike } from "../core/spec.js";
import { Param, type ParamStore } from "../runtime/store.js";
import { paramList } from "./clip.js";

/** The options of {@link paramGroupsForWeightDecay}(). */
export interface WeightDecayGroupsOptions<P extends ParamLike = ParamLike> {
  /** The weight decay of the decayed group (a finite number >= 0). */
  weightDecay: number;
  /**
   * Which params get no weight decay. Default: 1-D params (`shape.length === 1`: biases, norm scales), which
   * needs shapes: with the default, params of which none has a shape are refused (see the function).
   */
  exclude?: (p: P) => boolean;
}

/** A param group of paramGroupsForWeightDecay(): pass the list to an optimizer as is. */
export interface WeightDecayGroup<P extends ParamLike = ParamLike> {
  /** The params of the group. */
  params: P[];
  /** Its weight decay: WeightDecayGroupsOptions.weightDecay, or 0 for the excluded params. */
  weightDecay: number;
}

/** A param's shape: Param.shape, a foreign param's `shape`, or `[length]` when it has none. */
function shapeOf(p: ParamLike): readonly number[] {
  return p instanceof Param ? p.shape : p.shape ?? [p.value.length];
}

/** Whether `p`'s shape was given (store.param(..., { shape }), a foreign param's `shape`) rather than defaulted. */
function hasShape(p: ParamLike): boolean {
  return p instanceof Param ? p.hasShape : p.shape !== undefined;
}

/** The default exclusion: 1-D params (biases, LayerNorm/BatchNorm scales and shifts). */
export function isOneDimensional(p: ParamLike): boolean {
  return shapeOf(p).length === 1;
}

/**
 * Splits params into `[{ params: decayed, weightDecay }, { params: excluded, weightDecay: 0 }]` for an
 * optimizer (the usual AdamW set-up: no decay on biases and norms). A group that would be empty is left
 * out (optimizers reject empty groups). Store params have shape `[length]` unless created with one, so give
 * weight matrices their shape: `store.param("w1", 64 * 32, { shape: [64, 32] })`. With the default `exclude`,
 * params of which none has a shape are refused: every one would count as 1-D and nothing would decay (the
 * PyTorch/timm/Hugging Face convention this follows decays weight matrices and excludes biases and norms, which
 * it tells apart by their dimensions).
 *
 * @example
 * const opt = new AdamW(paramGroupsForWeightDecay(store.params, { weightDecay: 0.05 }), { lr: 1e-3 });
 */
export function paramGroupsForWeightDecay<P extends ParamLike>(params: Iterable<P> | ParamStore | P,
    options: WeightDecayGroupsOptions<P>): WeightDecayGroup<P>[] {
  const where = "paramGroupsForWeightDecay";
  if (options === null || typeof options !== "object") throw new TypeError(`${where}: options must be an object ({ weightDecay, exclude? })`);
  rejectUnknown(where, options, {}, ["weightDecay", "exclude"]);
  const { weightDecay, exclude = isOneDimensional as (p: P) => boolean } = options;
  const byShape = options.exclude === undefined;
  nonNegativeNumber(where, "weightDecay", weightDecay);
  if (typeof exclude !== "function") throw new TypeError(`${where}: exclude must be a function (param) => boolean`);
  const list = paramList(params as Iterable<ParamLike>, where) as P[];
  if (list.length === 0) throw new Error(`${where}: got an empty parameter list`);
  if (byShape && !list.some(hasShape)) {
    const none = list.length === 1 ? "the param has no shape" : `none of the ${list.length} params has a shape`;
    throw new Error(`${where}: ${none}, so the default rule (decay params of 2 or more dimensions, exclude 1-D ` +
      "biases and norm scales) would decay nothing: create weight matrices with " +
      "their shape (store.param(\"w\", 64 * 32, { shape: [64, 32] }), or { value, grad, shape }) or pass exclude: (p) => boolean");
  }
  const decayed: P[] = [], excluded: P[] = [];
  list.forEach((p, i) => {
    const out = exclude(p);
    if (typeof out !== "boolean") throw new TypeError(`${where}: exclude(params[${i}]) returned ${String(out)}, expected a boolean`);
    (out ? excluded : decayed).push(p);
  });
  const groups: WeightDecayGroup<P>[] = [];
  if (decayed.length) groups.push({ params: decayed, weightDecay });
  if (excluded.length) groups.push({ params: excluded, weightDecay: 0 });
  return groups;
}
