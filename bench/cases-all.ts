// Every benchmarked optimizer configuration: bench/optim/<id>.bench.ts of every registry optimizer
// (src/optim/index.ts), each exporting `cases`.
import { OPTIMIZERS } from "../src/optim/index.js";
import type { BenchCase } from "./cases.js";

const files = await Promise.all(OPTIMIZERS.map((e) => import(`./optim/${e.id}.bench.js`) as Promise<{ cases: BenchCase[] }>));
export const CASES: BenchCase[] = files.flatMap((f) => f.cases);
