// Loads test/fixtures/toolkit.json (scripts/fixtures/toolkit.py, torch 2.13 on CPU): non-finite numbers are
// stored as the strings "inf", "-inf" and "nan".
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const NON_FINITE: Record<string, number> = { inf: Infinity, "-inf": -Infinity, nan: Number.NaN };

export type Num = number | "inf" | "-inf" | "nan";
export const num = (x: Num): number => (typeof x === "number" ? x : NON_FINITE[x]!);
export const f32 = (xs: readonly Num[]): Float32Array => Float32Array.from(xs, num);

interface ClipNormCase { normType: Num; maxNorm: number; grads: Num[][]; norm: Num; clipped: Num[][]; clipped_: boolean }
interface ClipValueCase { clipValue: number; grads: Num[][]; clipped: Num[][] }
interface FusedAdamCase { normType: Num; maxNorm: number; lr: number; init: Num[][]; steps: { grads: Num[][]; norm: Num; params: Num[][] }[] }
export interface ScalerIteration {
  loss: number; scaledLoss: Num; scale: number; scaledGrads: Num[][]; stepped: boolean; norm: Num | null;
  scaleAfter: number; growthTracker: number; params: Num[][];
}
export interface ScalerCase {
  name: string; options: Record<string, number>; explicitUnscale: boolean; lr: number; init: Num[][];
  iterations: ScalerIteration[]; stateDict: Record<string, number>;
}
export interface AveragedCase { name: string; decay: number | null; init: Num[][]; updates: { params: Num[][]; averages: Num[][] }[]; numAveraged: number }

interface ClipNormLargeCase { seed: number; lengths: number[]; scales: number[]; normType: Num; norm: Num }

/** lcg_grads of scripts/fixtures/toolkit.py: x ← (1664525x + 1013904223) mod 2³², element ((x >> 8) − 2²³)/2²³·scale. */
export function lcgGrads(lengths: readonly number[], seed: number, scales: readonly number[]): Float32Array[] {
  let x = seed >>> 0;
  return lengths.map((n, k) => {
    const g = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      g[i] = (((x >>> 8) - 8388608) / 8388608) * scales[k]!;
    }
    return g;
  });
}

export interface ToolkitFixtures {
  torch: string;
  clipNorm: ClipNormCase[];
  clipValue: ClipValueCase[];
  fusedAdam: FusedAdamCase[];
  scaler: ScalerCase[];
  averaged: AveragedCase[];
  clipNormLarge: ClipNormLargeCase[];
}

export const FIXTURES: ToolkitFixtures = JSON.parse(readFileSync(fileURLToPath(new URL("../fixtures/toolkit.json", import.meta.url)), "utf8"));

/** The largest |ours − torch| / (atol + rtol·|torch|) over the elements (≤ 1 passes); NaN must meet NaN. */
export function worstRatio(ours: Float32Array, torch: Float32Array, atol: number, rtol: number): number {
  if (ours.length !== torch.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < ours.length; i++) {
    const a = ours[i]!, b = torch[i]!;
    if (Number.isNaN(a) || Number.isNaN(b)) {
      if (!(Number.isNaN(a) && Number.isNaN(b))) return Infinity;
      continue;
    }
    if (a === b) continue;
    worst = Math.max(worst, Math.abs(a - b) / (atol + rtol * Math.abs(b)));
  }
  return worst;
}

/** The largest relative difference |a − b| / |b| (0 where equal). */
export function relError(a: number, b: number): number {
  return a === b ? 0 : Math.abs(a - b) / Math.abs(b);
}
