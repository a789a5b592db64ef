// The per-tensor driver's norms (src/webgpu/per-tensor.ts) against the host kernels' (src/core/reference-ops.ts:
// f32 block partials in a fixed order, f64 totals, the f64 ratio rounded to f32 once). A probe optimizer of kind
// "tensor" writes its tensor's number into every element of its param, so the quantities the optimizers
// take from the sums come back as param values: ‖x‖, ‖x‖/‖y‖ (LAMB's trust ratio), f32(Σx²) (NovoGrad's) and
// c·‖x‖/(‖y‖ + ε) (LARS's). The parity suite (parity.test.ts) checks the optimizers themselves, bit for bit; here
// too: a per-tensor step after the first makes no GPU object (buffers, bind groups, pipelines are plan-time).
import { describe, expect, it, vi } from "vitest";
import { nonNegative } from "../../src/core/options.js";
import { defineSpec } from "../../src/core/define-spec.js";
import { Optimizer } from "../../src/core/optimizer.js";
import { sumSqBlocked, trustRatio } from "../../src/core/reference-ops.js";
import { type GpuParam, GpuParamStore } from "../../src/webgpu/index.js";
import { randomArray, rng } from "../helpers.js";
import { REGISTRY } from "../registry.js";
import { gpuDevice } from "./device.js";

const { device } = await gpuDevice();
const gpu = await GpuParamStore.create({ device });

interface ProbeOptions { which: number }
const PROBE_SPEC = defineSpec<ProbeOptions>({
  name: "NormProbe",
  defaults: { which: 0 },
  rules: { which: nonNegative },
  kind: "tensor",
  kernel: "normprobe_f32",
  wgsl: /* wgsl */ `
fn norms(e: u32) -> vec2<f32> { return vec2<f32>(param[ip], grad[ig]); }
fn perTensor(x: vec2<f32>, y: vec2<f32>) -> f32 {
  if (which == 0.0) { return ddSqrt(x).x; }
  if (which == 1.0) { return select(ddDiv(ddSqrt(x), ddSqrt(y)).x, 1.0, x.x == 0.0 || y.x == 0.0); }
  if (which == 2.0) { return x.x; }
  return select(ddDiv(ddMulF(ddSqrt(x), 1e-3), ddAdd(ddSqrt(y), vec2<f32>(1e-8, 0.0))).x, 1.0, x.x == 0.0 || y.x == 0.0);
}
fn apply(e: u32, r: f32) { param[ip] = r; }
`,
  scalars: ["which"],
  reference: () => { throw new Error("the probe runs on webgpu only"); },
  buffers: [],
  hasStep: false,
  stepScalars(s, _r, o) { s[0] = o.which; return 0; },
});
class NormProbe extends Optimizer<ProbeOptions> {
  constructor(params: GpuParam[], which: number) { super(PROBE_SPEC, params as never, { which }); }
}

const f = Math.fround;
const ulps = (a: number, b: number) => { const u = new Int32Array(new Float32Array([a, b]).buffer); return Math.abs(u[0]! - u[1]!); };
/** What the host kernels compute, per probe: f32 of ‖x‖, of ‖x‖/‖y‖ (LAMB's ratio), of Σx² (NovoGrad's), of c‖x‖/(‖y‖ + ε) (LARS's). */
const HOST = [
  (x: Float32Array, _y: Float32Array) => f(Math.sqrt(sumSqBlocked(x, x.length))),
  (x: Float32Array, y: Float32Array) => f(trustRatio(sumSqBlocked(x, x.length), sumSqBlocked(y, y.length), 1, 0)),
  (x: Float32Array, _y: Float32Array) => f(sumSqBlocked(x, x.length)),
  (x: Float32Array, y: Float32Array) => f(trustRatio(sumSqBlocked(x, x.length), sumSqBlocked(y, y.length), f(1e-3), f(1e-8))),
];
/** Σx² with the host's f32 block partials added in f32 (no f64): what an f32 driver would give. */
function sumSqF32(x: Float32Array): number {
  const q = new Float32Array(8);
  let t = 0;
  for (let i = 0; i < x.length; i++) {
    q[i & 7] = f(q[i & 7]! + f(x[i]! * x[i]!));
    if ((i & 127) === 127 || i === x.length - 1) for (let k = 0; k < 8; k++) { t = f(t + q[k]!); q[k] = 0; }
  }
  return t;
}

describe("per-tensor norms on webgpu (double-f32) vs the host kernels' (f32 blocks, f64 totals)", () => {
  it("give the same f32 ‖x‖, ‖x‖/‖y‖, Σx² and c‖x‖/(‖y‖ + ε) over random tensors (lengths 1..300K, magnitudes 1e-3..1e3)", async () => {
    const LENGTHS = [1, 7, 128, 129, 1000, 4097, 65536, 300000], TRIALS = 20, rand = rng(77);
    const probes = HOST.map((_, which) => {
      const params = LENGTHS.map((n, i) => gpu.param(`probe${which}.${i}`, n));
      return { params, opt: new NormProbe(params, which) };
    });
    let checked = 0, inexact = 0, worst = 0, f32Differs = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const xs = LENGTHS.map((n) => randomArray(n, rand, 10 ** (rand() * 6 - 3), 0.05));
      const ys = LENGTHS.map((n) => randomArray(n, rand, 10 ** (rand() * 6 - 3), 0.05));
      for (const { params, opt } of probes) {
        params.forEach((p, i) => { p.write(xs[i]!); p.writeGrad(ys[i]!); });
        opt.step();
      }
      for (const [which, { params }] of probes.entries()) {
        for (const [i, p] of params.entries()) {
          const got = (await p.read())[0]!, want = HOST[which]!(xs[i]!, ys[i]!);
          checked++;
          if (!Object.is(got, want)) { inexact++; console.log(`probe ${which}, length ${LENGTHS[i]}: ${got} vs ${want}`); }
          worst = Math.max(worst, ulps(got, want));
          if (which === 2 && sumSqF32(xs[i]!) !== want) f32Differs++;
        }
      }
    }
    console.log(`per-tensor norms: ${checked} checked, ${inexact} not bit-exact (max ${worst} ulp); an f32 sum of the same block partials differs in ${f32Differs} of ${TRIALS * LENGTHS.length} Σx²`);
    // The inputs are ones an f32 driver gets wrong: without the double-f32 this test would fail.
    expect(f32Differs).toBeGreaterThan(0);
    expect(worst).toBeLessThanOrEqual(1);
    expect(inexact).toBe(0);
  });
});

const PER_TENSOR = REGISTRY.filter((e) => e.spec.kind === "tensor" && e.spec.wgsl !== undefined);

describe.each(PER_TENSOR.map((e) => ({ name: e.name, cls: e.cls })))("$name on webgpu: a step after the first", ({ cls }) => {
  it("creates no buffer, bind group, pipeline or shader (a scheduler's lr, a gradient scale, the device pre-pass)", () => {
    const rand = rng(3);
    const params = [70000, 1000, 5].map((n, i) => gpu.param(`alloc.${cls.name}.${i}`, randomArray(n, rand, 1, 0)));
    const opt = new cls(params as never, { maxGradNorm: 1, skipNonFinite: true });
    const step = (t: number) => {
      params.forEach((p) => p.writeGrad(randomArray(p.length, rand, 1, 0.1)));
      (opt.paramGroups[0] as { lr: number }).lr *= 0.9;
      opt.step(t % 2 ? { gradScale: 0.5 } : undefined);
    };
    step(0);
    step(1);
    const spies = (["createBuffer", "createBindGroup", "createComputePipeline", "createShaderModule"] as const).map((m) => vi.spyOn(device, m).mockName(m));
    for (let t = 2; t < 6; t++) step(t);
    for (const spy of spies) expect(spy, spy.getMockName()).not.toHaveBeenCalled();
    spies.forEach((s) => s.mockRestore());
  });
});
