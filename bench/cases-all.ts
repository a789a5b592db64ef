// Every benchmarked optimizer configuration, from the per-optimizer files.
import { adagradCases } from "./adagrad.bench.js";
import { adamCases } from "./adam.bench.js";
import { adamwCases } from "./adamw.bench.js";
import type { BenchCase } from "./cases.js";
import { rmspropCases } from "./rmsprop.bench.js";
import { sgdCases } from "./sgd.bench.js";

export const CASES: BenchCase[] = [...adamCases, ...adamwCases, ...sgdCases, ...rmspropCases, ...adagradCases];
