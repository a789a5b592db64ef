// Every benchmarked optimizer configuration: bench/optim/<id>.bench.ts of every registry optimizer
// (src/optim/index.ts), each exporting `cases` (step() optimizers, run by bench/measure.ts); closure-kind
// optimizers (LBFGS) export `closureCases` too, measured by running their bench file (it has its own loop).
import { OPTIMIZERS } from "../src/optim/index.js";
import type { BenchCase } from "./cases.js";

const files = await Promise.all(OPTIMIZERS.map((e) => import(`./optim/${e.id}.bench.js`) as Promise<{ cases: BenchCase[]; closureCases?: Array<{ id: string; label: string }> }>));
export const CASES: BenchCase[] = files.flatMap((f) => f.cases);
export const CLOSURE_CASES: Array<{ id: string; label: string }> = files.flatMap((f) => f.closureCases ?? []);
