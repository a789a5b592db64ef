// Every benchmarked optimizer configuration: bench/optim/<id>.bench.ts of every registry optimizer
// (src/optim/index.ts), each exporting `cases` (step() optimizers, run by bench/measure.ts); closure-kind
// optimizers (LBFGS) export `closureCases` too, measured by running their bench file (it has its own loop).
// BENCH_CASES (comma-separated case ids, e.g. "adam,lion") keeps only those, for a shorter run; an unknown id is
// an error.
import { OPTIMIZERS } from "../src/optim/index.js";
import type { BenchCase } from "./cases.js";

const files = await Promise.all(OPTIMIZERS.map((e) => import(`./optim/${e.id}.bench.js`) as Promise<{ cases: BenchCase[]; closureCases?: Array<{ id: string; label: string }> }>));
/** Every case, whatever BENCH_CASES keeps (the native binary is built with all of them). */
export const ALL_CASES: BenchCase[] = files.flatMap((f) => f.cases);
const all = ALL_CASES;
const only = process.env.BENCH_CASES?.split(",").filter(Boolean);
const unknown = only?.filter((id) => !all.some((c) => c.id === id)) ?? [];
if (unknown.length) throw new Error(`BENCH_CASES: unknown case ${unknown.join(", ")} (known: ${all.map((c) => c.id).join(", ")})`);
export const CASES: BenchCase[] = only ? all.filter((c) => only.includes(c.id)) : all;
export const CLOSURE_CASES: Array<{ id: string; label: string }> = files.flatMap((f) => f.closureCases ?? []);
