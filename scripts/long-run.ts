// Long runs against PyTorch, gradstep's side (a measurement tool, not a test; scripts/long-run.py writes torch's
// runs first and describes the problems and runs):
//
//   /path/to/venv/bin/python scripts/long-run.py && npx tsx scripts/long-run.ts [file] [--backend js|scalar|simd]
//
// For every run it reports, per closure call (L-BFGS: the params the closure was called at) or per step (Muon),
// the worst element's distance to torch in units of the conformance tolerance 1e-6 + 1e-5·|torch|
// (test/suites/conformance.test.ts): a ratio <= 1 is within tolerance. Printed: the first call/step past 1, the
// worst ratio before it, the ratio at a few milestones, and the control: where torch's own run from an init one
// ulp away first leaves the tolerance of torch's run (the problem's own amplification of a last-bit difference).
import { readFileSync } from "node:fs";
import { init, LBFGS, Muon, ParamStore, type Param } from "../src/index.js";

type Problem = "mlp" | "linear";
interface LbfgsRun { kind: "lbfgs"; f64: null | "dot" | "dot+sum"; calls: number[][][]; stepEnds: number[] }
interface MuonRun { kind: "muon"; trajectory: number[][][]; grads: number[][][] }
interface SyntheticRun { kind: "muon-synthetic"; shapes: number[][]; init: number[][]; steps: number; every: number; trajectory: number[][][] }
type Run = (LbfgsRun | MuonRun | SyntheticRun) & { problem: Problem; name: string; options: Record<string, unknown>; nudged?: number[][][] };
interface Output {
  torch: string; n: number; d: number; h: number; o: number; x: number[]; y: number[];
  problems: Record<Problem, { shapes: number[][]; init: number[][] }>; runs: Run[];
}

const args = process.argv.slice(2);
const b = args.indexOf("--backend");
const backend = (b >= 0 ? args.splice(b, 2)[1] : "simd") as "js" | "scalar" | "simd";
const file = args[0] ?? "/tmp/gradstep-long-run.json";
// Python's json writes a diverged run's non-finite numbers as bare NaN / Infinity: read them back as numbers.
const out = JSON.parse(readFileSync(file, "utf8").replace(/-?Infinity|NaN/g, '"$&"'),
  (_, v: unknown) => (v === "NaN" || v === "Infinity" || v === "-Infinity" ? Number(v) : v)) as Output;
const { n: N, d: D, h: H, o: O, x: X, y: Y } = out;

type Grads = Float64Array[];
/** scripts/long-run.py's `mlp`, operation for operation (f64 from the f32 params). */
function mlp(v: ArrayLike<number>[], g: Grads): number {
  const w1 = v[0]!, w2 = v[1]!, g1 = g[0]!, g2 = g[1]!;
  let loss = 0;
  const h = new Float64Array(H), r = new Float64Array(O);
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < H; j++) {
      let z = 0;
      for (let k = 0; k < D; k++) z = z + w1[j * D + k]! * X[n * D + k]!;
      h[j] = z > 0 ? z : 0;
    }
    for (let o = 0; o < O; o++) {
      let z = 0;
      for (let j = 0; j < H; j++) z = z + w2[o * H + j]! * h[j]!;
      r[o] = (z - Y[n * O + o]!) / N;
      loss = loss + 0.5 * N * (r[o]! * r[o]!);
    }
    for (let j = 0; j < H; j++) {
      let back = 0;
      for (let o = 0; o < O; o++) {
        g2[o * H + j] = g2[o * H + j]! + r[o]! * h[j]!;
        back = back + r[o]! * w2[o * H + j]!;
      }
      if (h[j]! > 0) for (let k = 0; k < D; k++) g1[j * D + k] = g1[j * D + k]! + back * X[n * D + k]!;
    }
  }
  return loss;
}
/** scripts/long-run.py's `linear`, operation for operation. */
function linear(v: ArrayLike<number>[], g: Grads): number {
  const w = v[0]!, gw = g[0]!;
  let loss = 0;
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      let z = 0;
      for (let k = 0; k < D; k++) z = z + w[o * D + k]! * X[n * D + k]!;
      const r = (z - Y[n * O + o]!) / N;
      loss = loss + 0.5 * N * (r * r);
      for (let k = 0; k < D; k++) gw[o * D + k] = gw[o * D + k]! + r * X[n * D + k]!;
    }
  }
  return loss;
}
const PROBLEMS = { mlp, linear };

/** Sets every param's gradient from the problem at the params' values; returns the loss rounded to f32 (torch's closure returns an f32 tensor). */
function evaluate(problem: Problem, ps: Param[]): number {
  const g = ps.map((p) => new Float64Array(p.value.length));
  const loss = PROBLEMS[problem](ps.map((p) => p.value), g);
  ps.forEach((p, i) => p.grad.set(g[i]!));
  return Math.fround(loss);
}

/** Worst |ours − torch| / (1e-6 + 1e-5·|torch|) over every element. */
function ratio(ours: ArrayLike<number>[], torch: number[][]): number {
  let worst = 0;
  torch.forEach((t, i) => t.forEach((w, j) => { worst = Math.max(worst, Math.abs(ours[i]![j]! - w) / (1e-6 + 1e-5 * Math.abs(w))); }));
  return Number.isNaN(worst) ? Infinity : worst;
}

/** The index (from 1) of the first ratio past the tolerance, or "never". */
function firstPast(ratios: number[]): string {
  const i = ratios.findIndex((r) => r > 1);
  return i < 0 ? "never" : `${i + 1}`;
}

/** `ratios[i]` is the ratio at call/step (i + 1)·every; `marks` are calls/steps. */
function report(label: string, unit: string, ratios: number[], marks: number[], where: (i: number) => string, extra: string, every = 1): void {
  const first = ratios.findIndex((r) => r > 1);
  const before = Math.max(0, ...ratios.slice(0, first < 0 ? ratios.length : first));
  const m = marks.filter((k) => k <= ratios.length * every).map((k) => `${k}: ${ratios[k / every - 1]!.toPrecision(2)}`).join(", ");
  console.log(`${label}: ${ratios.length * every} ${unit}s${every > 1 ? ` (compared every ${every})` : ""}; ` +
    `${first < 0 ? "within tolerance throughout" : `first past the tolerance at ${unit} ${(first + 1) * every}${where(first)} (${ratios[first]!.toPrecision(3)}x)`}; ` +
    `worst ${first < 0 ? "" : "before that "}${before.toPrecision(2)}x${extra}\n    ratio at ${unit} ${m}`);
}

await init();
console.log(`gradstep (${backend}) vs torch ${out.torch}; ratio = worst element's |diff| / (1e-6 + 1e-5·|torch|)`);
/** scripts/long-run.py's `synthetic_grad`: an integer hash, exact in both languages. */
function syntheticGrad(i: number, t: number, p: number): number {
  const u = (i * 7919 + t * 104729 + ((i * (t + 1)) % 997) * 31 + p * 65537) % 65536;
  return (u - 32768) / 32768;
}

for (const r of out.runs) {
  const store = new ParamStore();
  if (r.kind === "muon-synthetic") {
    const ps = r.init.map((v, i) => store.param(`w${i}`, v, { shape: r.shapes[i]! }));
    const opt = new Muon(ps, { ...r.options, backend } as never);
    const ratios: number[] = [];
    for (let t = 0; t < r.steps; t++) {
      ps.forEach((p, k) => { for (let i = 0; i < p.grad.length; i++) p.grad[i] = syntheticGrad(i, t, k); });
      opt.step();
      if ((t + 1) % r.every === 0) ratios.push(ratio(ps.map((p) => p.value), r.trajectory[(t + 1) / r.every - 1]!));
    }
    report(`muon ${JSON.stringify(r.options)} on ${r.shapes.map((s) => s.join("×")).join(" and ")}, hashed gradients (torch's Newton–Schulz in f32)`,
      "step", ratios, [50, 100, 150, 200, 300, 400], () => "", "", r.every);
    store.dispose();
    continue;
  }
  const { shapes, init: values } = out.problems[r.problem];
  const ps = values.map((v, i) => store.param(`w${i}`, v, { shape: shapes[i]! }));
  const label = `${r.problem} ${r.name} ${JSON.stringify(r.options)}`;
  if (r.kind === "lbfgs") {
    const opt = new LBFGS(ps, { ...r.options, backend } as never);
    const calls: Float32Array[][] = [], stepEnds: number[] = [];
    const closure = () => { const loss = evaluate(r.problem, ps); calls.push(ps.map((p) => p.value.slice())); return loss; };
    for (let s = 0; s < r.stepEnds.length; s++) { opt.step(closure); stepEnds.push(calls.length); }
    const k = Math.min(calls.length, r.calls.length);
    const ratios = Array.from({ length: k }, (_, i) => ratio(calls[i]!, r.calls[i]!));
    const countDiff = stepEnds.findIndex((e, s) => e !== r.stepEnds[s]);
    const control = r.nudged ? `; control: torch from one ulp away first past it at call ${firstPast(r.nudged.map((c, i) => ratio(c, r.calls[i]!)))}` : "";
    report(`${label}${r.f64 ? `, torch's ${r.f64} in f64` : ""}`, "call", ratios, [10, 20, 50, 100, 200, 400, 800],
      (i) => ` (step ${r.stepEnds.findIndex((e) => e > i) + 1})`,
      `; closure calls ${calls.length} (torch ${r.calls.length}), ${countDiff < 0 ? "the same count every step" : `counts first differ at step ${countDiff + 1}`}${control}`);
  } else {
    // Closed loop (each side's gradients from its own params), then torch's gradients replayed (open loop).
    for (const replay of [false, true]) {
      if (replay) ps.forEach((p, i) => p.value.set(values[i]!));
      const opt = new Muon(ps, { ...r.options, backend } as never);
      const ratios = r.trajectory.map((want, t) => {
        if (replay) ps.forEach((p, i) => p.grad.set(r.grads[t]![i]!));
        else evaluate(r.problem, ps);
        opt.step();
        return ratio(ps.map((p) => p.value), want);
      });
      const control = replay ? "" : `; control: torch from one ulp away first past it at step ${firstPast(r.nudged!.map((p, t) => ratio(p, r.trajectory[t]!)))}`;
      report(`${label} (torch's Newton–Schulz in f32), ${replay ? "torch's gradients replayed" : "closed loop"}`, "step", ratios,
        [50, 100, 150, 200, 300, 400], () => "", control);
    }
  }
  store.dispose();
}
