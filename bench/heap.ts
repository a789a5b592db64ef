// JS heap per step of an optimizer driven by a scheduler (not part of `npm run bench` or the tests):
// `npx tsx bench/heap.ts`. Each case runs in a process of its own (one optimizer, one scheduler, as a trainer
// has: in a process that drives many, V8's call sites become polymorphic and box doubles, see bench/toolkit.ts),
// on a 16-float param: 200,000 warm-up steps, then 5 windows of 100,000 steps, each after a GC with none inside;
// the table gives the heap growth per step of every window (process.memoryUsage().heapUsed). One boxed double
// is 16 B (a HeapNumber with its header, 8-byte aligned): a case that stays under 2 B a step allocates nothing
// per step (what remains is V8's own bookkeeping).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import {
  Adam, ChainedScheduler, CosineAnnealingLR, CyclicLR, ExponentialLR, init, LambdaLR, MultiplicativeLR, OneCycleLR,
  ParamStore, SGD, StepLR,
} from "../src/index.js";

const CASES = [
  "step", "edit", "StepLR", "LambdaLR", "MultiplicativeLR", "CosineAnnealingLR", "ChainedScheduler",
  "CyclicLR (no momentum cycling)", "CyclicLR", "OneCycleLR",
] as const;
type Case = (typeof CASES)[number];
const OPTIMIZERS = ["Adam", "SGD"] as const;

async function measure(optName: string, c: Case): Promise<string> {
  await init({ backend: "simd" });
  const store = new ParamStore();
  const p = store.param("w", new Float32Array(16).fill(0.5));
  p.grad.fill(0.01);
  const opt = optName === "SGD" ? new SGD([p], { lr: 1e-3, momentum: 0.9 }) : new Adam([p], { lr: 1e-3 });
  const g = opt.paramGroups[0]!;
  const total = 1_000_000;
  const sched = c === "StepLR" ? new StepLR(opt, { stepSize: 1, gamma: 0.99999 })
    : c === "LambdaLR" ? new LambdaLR(opt, { lrLambda: (e) => 1 / (1 + e * 1e-6) })
    : c === "MultiplicativeLR" ? new MultiplicativeLR(opt, { lrLambda: () => 0.99999 })
    : c === "CosineAnnealingLR" ? new CosineAnnealingLR(opt, { tMax: total })
    : c === "ChainedScheduler" ? new ChainedScheduler([new StepLR(opt, { stepSize: 1, gamma: 0.99999 }), new ExponentialLR(opt, { gamma: 0.99999 })])
    : c === "CyclicLR (no momentum cycling)" ? new CyclicLR(opt, { baseLr: 1e-4, maxLr: 1e-3, stepSizeUp: 1000, cycleMomentum: false })
    : c === "CyclicLR" ? new CyclicLR(opt, { baseLr: 1e-4, maxLr: 1e-3, stepSizeUp: 1000 })
    : c === "OneCycleLR" ? new OneCycleLR(opt, { maxLr: 1e-3, totalSteps: total })
    : undefined;
  let i = 0;
  const fn = c === "step" ? () => { opt.step(); }
    : c === "edit" ? () => { g.lr = 1e-3 * (1 + (i++ & 1023) * 1e-6); opt.step(); }
    : () => { sched!.step(); opt.step(); };
  for (let k = 0; k < 200_000; k++) fn();
  const windows: string[] = [];
  for (let w = 0; w < 5; w++) {
    (globalThis as { gc?: () => void }).gc!();
    const before = process.memoryUsage().heapUsed;
    for (let k = 0; k < 100_000; k++) fn();
    windows.push(((process.memoryUsage().heapUsed - before) / 100_000).toFixed(1));
  }
  return windows.join(" / ");
}

const [optArg, caseArg] = process.argv.slice(2);
if (optArg !== undefined) {
  console.log(await measure(optArg, caseArg as Case));
} else {
  const self = fileURLToPath(import.meta.url);
  const label = (c: Case) => (c === "step" ? "`opt.step()`" : c === "edit" ? "`g.lr = x; opt.step()`" : `\`${c}\` + \`opt.step()\``);
  console.log(`| on a 16-float param, B of heap per step (5 windows) | ${OPTIMIZERS.join(" | ")} |`);
  console.log(`|---|${OPTIMIZERS.map(() => "---").join("|")}|`);
  for (const c of CASES) {
    const cells = OPTIMIZERS.map((o) => {
      const r = spawnSync(process.execPath, ["--expose-gc", "--import", "tsx", self, o, c], { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`${o} ${c}: ${r.stderr}`);
      return r.stdout.trim();
    });
    console.log(`| ${label(c)} | ${cells.join(" | ")} |`);
  }
  console.log(`\nNode ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
}
