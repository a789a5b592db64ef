// test/fixtures/tuning.json (scripts/fixtures/tuning.py): Lightning's lr_find and Keras' EarlyStopping.
import { readFileSync } from "node:fs";

export type Num = number | "nan" | "inf" | "-inf";
export const num = (v: Num): number => (v === "nan" ? NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : v);

export interface LrFindCase {
  name: string;
  options: Record<string, unknown>;
  rawLosses?: Num[];
  lrs: Num[];
  losses: Num[];
  suggestionIndex: number | null;
  suggestionIndexBySkips: Record<string, number | null>;
  valleyIndex: number | null;
}
export interface LrFindModelCase extends LrFindCase { x: number[]; y: number[]; w0: number[]; b0: number[]; optimizer: { momentum: number }; wAfter: number[] }
export interface EarlyStoppingCase {
  name: string;
  options: Record<string, unknown>;
  values: Num[];
  epochsRun: number;
  stoppedEpoch: number;
  bestEpoch: number;
  best: Num | null;
  wait: number;
  weights: number[][];
}

export const FIXTURE = JSON.parse(readFileSync(new URL("../fixtures/tuning.json", import.meta.url), "utf8")) as {
  lightning: string; keras: string; lrFind: LrFindCase[]; lrFindModel: LrFindModelCase[]; earlyStopping: EarlyStoppingCase[];
};
