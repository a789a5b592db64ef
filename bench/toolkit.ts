// The training toolkit's costs, standalone (not part of `npm run bench` or the tests): `npx tsx bench/toolkit.ts`.
// One process, one interleaved run: every round times each contender once (a batch of calls, rotating the
// order so none always runs first), and the table reports the median over the rounds.
//   At 1M floats (one store param, simd backend): Adam alone; Adam + fused maxGradNorm (clipping every step,
//   and with a maxNorm above the grads' norm: the pre-pass, then the unscaled loop); clipGradNorm + Adam
//   (the unfused free function: one read pass + one scale pass, then the step; clipping converges to norm ≈
//   maxNorm, after which f32's coefficient rounds to 1 and nothing is scaled, so each call first restores the
//   grads with a copy, timed on its own and subtracted); Adam + skipNonFinite; an EMA
//   update (AveragedParams); GradScaler.step + update around Adam (fused unscale, skipNonFinite pre-pass); Adam +
//   fused clipValue; clipGradValue + Adam (the free function's clamp pass, also net of the grad copy); Adam with an
//   EMA that follows it (AveragedParams { optimizer }: the step, then the EMA's own pass).
//   Adam with step({ gradScale }) alone: the kernels' scaled (general) path, without a pre-pass.
//   On a 16-float param: opt.step() vs StepLR.step() + opt.step() (the fixed cost a scheduler adds), and the
//   JS heap growth per step of each over 100,000 steps (after 20,000 warm-up steps and a GC; no GC between).
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { cpus } from "node:os";
import {
  Adam, AveragedParams, backendInfo, clipGradNorm, clipGradValue, GradScaler, init, ParamStore, StepLR,
} from "../src/index.js";

const N = 1 << 20;
const ROUNDS = Number(process.env.ROUNDS ?? 41);

function randomFill(a: Float32Array, seed: number, scale = 0.1): Float32Array {
  let x = seed >>> 0;
  for (let i = 0; i < a.length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    a[i] = (x / 4294967296 - 0.5) * scale;
  }
  return a;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

interface Contender { name: string; calls: number; fn: () => void; per: "1M" | "16" }

await init({ backend: "simd" });
const store = new ParamStore({ capacity: 16 * N + 64 });
const param = (name: string) => {
  const p = store.param(name, randomFill(new Float32Array(N), 1));
  randomFill(p.grad, 2);
  return p;
};
const pUnder = param("under");
const pAdam = param("adam"), pFused = param("fused"), pUnfused = param("unfused"), pSkip = param("skip"), pScaler = param("scaler");
const pValue = param("value"), pValueUnfused = param("valueUnfused"), pFollow = param("follow"), pScaled = param("scaled");
const adam = new Adam([pAdam], { lr: 1e-3 });
const fused = new Adam([pFused], { lr: 1e-3, maxGradNorm: 1 });
const under = new Adam([pUnder], { lr: 1e-3, maxGradNorm: 100 }); // the grads' norm (~29.6) is under it: no clipping
const unfused = new Adam([pUnfused], { lr: 1e-3 });
const skip = new Adam([pSkip], { lr: 1e-3, skipNonFinite: true });
const ema = new AveragedParams([pAdam], { decay: 0.999 });
ema.update();
const scaled = new Adam([pScaler], { lr: 1e-3, skipNonFinite: true });
const scaler = new GradScaler({ initScale: 1024 });
const valueFused = new Adam([pValue], { lr: 1e-3, clipValue: 0.01 });
const scaledOnly = new Adam([pScaled], { lr: 1e-3 });
const valueUnfused = new Adam([pValueUnfused], { lr: 1e-3 });
const followed = new Adam([pFollow], { lr: 1e-3 });
new AveragedParams([pFollow], { decay: 0.999, optimizer: followed });
let lastNorm = 0;
const gradSource = pUnfused.grad.slice();
const pCopy = param("copy");

const tiny = new ParamStore();
const w = tiny.param("w", randomFill(new Float32Array(16), 3)), v = tiny.param("v", randomFill(new Float32Array(16), 3));
randomFill(w.grad, 4);
randomFill(v.grad, 4);
const plainOpt = new Adam([w], { lr: 1e-3 });
const schedOpt = new Adam([v], { lr: 1e-3 });
const sched = new StepLR(schedOpt, { stepSize: 1000, gamma: 0.999 });

const contenders: Contender[] = [
  { name: "Adam", calls: 5, per: "1M", fn: () => adam.step() },
  { name: "Adam + maxGradNorm (fused)", calls: 5, per: "1M", fn: () => fused.step() },
  { name: "Adam + maxGradNorm (fused), norm under maxNorm (coefficient 1: the unscaled loop)", calls: 5, per: "1M", fn: () => under.step() },
  { name: "Adam step({ gradScale: 0.5 }) (the scaled prologue alone)", calls: 5, per: "1M", fn: () => scaledOnly.step({ gradScale: 0.5 }) },
  { name: "clipGradNorm + Adam (unfused)", calls: 5, per: "1M", fn: () => { pUnfused.grad.set(gradSource); lastNorm = clipGradNorm([pUnfused], 1); unfused.step(); } },
  { name: "grad copy (subtracted from the unfused row)", calls: 5, per: "1M", fn: () => pCopy.grad.set(gradSource) },
  { name: "Adam + skipNonFinite", calls: 5, per: "1M", fn: () => skip.step() },
  { name: "Adam + clipValue (fused)", calls: 5, per: "1M", fn: () => valueFused.step() },
  { name: "clipGradValue + Adam (unfused)", calls: 5, per: "1M", fn: () => { pValueUnfused.grad.set(gradSource); clipGradValue([pValueUnfused], 0.01); valueUnfused.step(); } },
  { name: "Adam + EMA following it (AveragedParams { optimizer })", calls: 5, per: "1M", fn: () => followed.step() },
  { name: "EMA update (AveragedParams)", calls: 5, per: "1M", fn: () => ema.update() },
  { name: "GradScaler.step + update (Adam, skipNonFinite)", calls: 5, per: "1M", fn: () => { scaler.step(scaled); scaler.update(); } },
  { name: "Adam step, 16 floats", calls: 5_000, per: "16", fn: () => plainOpt.step() },
  { name: "StepLR.step() + Adam step, 16 floats", calls: 5_000, per: "16", fn: () => { sched.step(); schedOpt.step(); } },
];

// Warm-up: every contender's code optimized before the first timed round.
for (const c of contenders) for (let i = 0; i < Math.min(c.calls, 2000); i++) c.fn();

const samples = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
for (let r = 0; r < ROUNDS; r++) {
  const k = r % contenders.length;
  for (const c of [...contenders.slice(k), ...contenders.slice(0, k)]) {
    const t0 = performance.now();
    for (let i = 0; i < c.calls; i++) c.fn();
    samples.get(c.name)!.push((performance.now() - t0) / c.calls);
  }
}

// Heap growth per step (needs a GC: exposed here through V8's flag, so no command-line option is needed).
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
function heapPerStep(fn: () => void): number {
  for (let i = 0; i < 20_000; i++) fn();
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 100_000; i++) fn();
  return (process.memoryUsage().heapUsed - before) / 100_000;
}
const tinyPlain = contenders.find((c) => c.name === "Adam step, 16 floats")!;
const tinySched = contenders.find((c) => c.name.startsWith("StepLR"))!;
const heapPlain = heapPerStep(tinyPlain.fn), heapSched = heapPerStep(tinySched.fn);

const copy = median(samples.get("grad copy (subtracted from the unfused row)")!);
const ms = (name: string) => median(samples.get(name)!) - (name.startsWith("clipGrad") ? copy : 0);
const base = ms("Adam"), fixed = ms("Adam step, 16 floats");
const lines = [
  `gradstep toolkit bench: ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus()[0]?.model ?? "?"} (${cpus().length} cores), backend ${backendInfo().backend}, median of ${ROUNDS} interleaved rounds`,
  "",
  "| case | time per step | vs Adam alone |",
  "|---|---|---|",
  ...contenders.filter((c) => c.per === "1M" && !c.name.startsWith("grad copy")).map((c) => `| ${c.name}, 1M floats | ${ms(c.name).toFixed(3)} ms | ${(ms(c.name) / base).toFixed(2)}× |`),
  "",
  "| case | time per step | vs unscheduled | JS heap per step |",
  "|---|---|---|---|",
  `| Adam step, 16 floats | ${(fixed * 1e3).toFixed(3)} µs | 1.00× | ${heapPlain.toFixed(1)} B |`,
  `| StepLR.step() + Adam step, 16 floats | ${(ms(tinySched.name) * 1e3).toFixed(3)} µs | ${(ms(tinySched.name) / fixed).toFixed(2)}× | ${heapSched.toFixed(1)} B |`,
];
console.log(lines.join("\n"));
if (!(lastNorm > 1.01)) throw new Error(`the unfused row did not clip (norm ${lastNorm})`);
console.log(`(the unfused rows are net of a ${copy.toFixed(3)} ms grad copy; norm of the grads before clipping ${lastNorm.toFixed(2)}, maxNorm 1)`);
store.dispose();
tiny.dispose();
