// The device pre-pass of maxGradNorm and skipNonFinite (src/core/backend.ts, Backend.prePass): the gradients are
// reduced on the GPU in a fixed order, and the step's decision (the gradient scale with the clip coefficient,
// and whether to skip) is written into a small device buffer that every launch of the step reads. The CPU
// never waits. Two kernels: `partials` (one dispatch per contiguous range of gradients: each workgroup reduces
// CHUNK consecutive floats to Σx², Σ|x|, max|x| and a non-finite flag, by a fixed tree) and `decide` (one
// workgroup: the partials in index order by a fixed tree, then the norm, torch's clip coefficient and the skip).
// The sums are f32 (WGSL has no f64): the norm may differ from the host pre-pass's (src/core/reduce.ts: f32
// blocks added in f64) by a few f32 ulps, and so may the clip coefficient (docs/webgpu.md, Numerics).
import type { GradRange, PrePassTransforms } from "../core/backend.js";
import { COPY_DST, COPY_SRC, type GPUBindGroup, type GPUBuffer, STORAGE, UNIFORM, type GpuMemory } from "./gpu.js";
import { computeKernel, type Kernel, NON_FINITE } from "./kernel.js";

const WG = 256;
const PER_THREAD = 16;
/** Floats one workgroup of `partials` reduces. */
const CHUNK = WG * PER_THREAD;

const COMMON = /* wgsl */ `
struct Part { sumSq: f32, sumAbs: f32, maxAbs: f32, bad: u32 }
var<workgroup> sq: array<f32, ${WG}>;
var<workgroup> ab: array<f32, ${WG}>;
var<workgroup> mx: array<f32, ${WG}>;
var<workgroup> bd: array<u32, ${WG}>;
const INF = 1u; // a partial's flags: an infinite element, a NaN element
const NAN = 2u;
${NON_FINITE}
// The workgroup's values folded into slot 0 by halves: the same order on every device.
fn tree(t: u32) {
  for (var s = ${WG / 2}u; s > 0u; s = s / 2u) {
    workgroupBarrier();
    if (t < s) {
      sq[t] = sq[t] + sq[t + s]; ab[t] = ab[t] + ab[t + s];
      mx[t] = max(mx[t], mx[t + s]); bd[t] = bd[t] | bd[t + s];
    }
  }
  workgroupBarrier();
}
`;

const PARTIALS = /* wgsl */ `${COMMON}
struct Range { offset: u32, n: u32, base: u32, pad: u32 }
@group(0) @binding(0) var<storage, read> grad: array<f32>;
@group(0) @binding(1) var<storage, read_write> parts: array<Part>;
@group(0) @binding(2) var<uniform> range: Range;
@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let t = lid.x;
  let start = wid.x * ${CHUNK}u;
  var s = 0.0; var a = 0.0; var m = 0.0; var b = 0u;
  for (var k = 0u; k < ${PER_THREAD}u; k = k + 1u) {
    let i = start + k * ${WG}u + t;
    if (i < range.n) {
      let x = grad[range.offset + i];
      if (nonFinite(x)) { b = b | select(INF, NAN, (bitcast<u32>(x) & 0x7fffffu) != 0u); } else { s = s + x * x; a = a + abs(x); m = max(m, abs(x)); }
    }
  }
  sq[t] = s; ab[t] = a; mx[t] = m; bd[t] = b;
  tree(t);
  if (t == 0u) { parts[range.base + wid.x] = Part(sq[0], ab[0], mx[0], bd[0]); }
}
`;

const DECIDE = /* wgsl */ `${COMMON}
// normType: 0 none (skip test only), 1, 2, 3 = infinity; clip: maxNorm applies; scaled: the gradient scale is
// 1/scale of a GpuGradScaler's buffer (src/webgpu/scaler.ts: [scale, growth tracker, found_inf, ...]), and a skip
// sets its found_inf.
struct Ask { count: u32, normType: u32, clip: u32, pad: u32, maxNorm: f32, gradScale: f32, scaled: u32, pad3: f32 }
@group(0) @binding(0) var<storage, read> parts: array<Part>;
@group(0) @binding(1) var<storage, read_write> decision: array<u32>;
@group(0) @binding(2) var<uniform> ask: Ask;
@group(0) @binding(3) var<storage, read_write> scaler: array<u32>;
@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_id) lid: vec3<u32>) {
  let t = lid.x;
  var s = 0.0; var a = 0.0; var m = 0.0; var b = 0u;
  for (var i = t; i < ask.count; i = i + ${WG}u) {
    let p = parts[i];
    s = s + p.sumSq; a = a + p.sumAbs; m = max(m, p.maxAbs); b = b | p.bad;
  }
  sq[t] = s; ab[t] = a; mx[t] = m; bd[t] = b;
  tree(t);
  if (t != 0u) { return; }
  // torch's inv_scale = 1/scale in f64, then f32: the same bits as the f32 division (both correctly rounded).
  var gs = ask.gradScale;
  if (ask.scaled != 0u) { gs = 1.0 / bitcast<f32>(scaler[0]); }
  var scale = gs;
  var norm = 0.0;
  if (ask.clip != 0u) {
    if (ask.normType == 1u) { norm = ab[0]; } else if (ask.normType == 3u) { norm = mx[0]; } else { norm = sqrt(sq[0]); }
    if (gs != 1.0) { norm = norm * abs(gs); }
    // torch: clip_coef = max_norm / (total_norm + 1e-6), clamped to at most 1 (src/core/norms.ts clipCoefficient)
    var coef = ask.maxNorm / (norm + 1e-6);
    if (coef > 1.0) { coef = 1.0; }
    // A non-finite element: the norm is NaN (a NaN) or inf, whose coefficient is 0 (NaN for an infinite maxNorm).
    if ((bd[0] & NAN) != 0u || (bd[0] != 0u && nonFinite(ask.maxNorm))) { coef = bitcast<f32>(0x7fc00000u | ask.pad); } // a NaN at run time (a constant NaN is no WGSL)
    else if (bd[0] != 0u) { coef = 0.0; }
    if (coef != 1.0) { if (gs == 1.0) { scale = coef; } else { scale = gs * coef; } }
  }
  decision[0] = bitcast<u32>(scale);
  // skip: a non-finite gradient, or one that the scale pushes past the f32 range (scaledMaxFinite).
  let skip = bd[0] != 0u || nonFinite(mx[0] * abs(scale)) || nonFinite(scale);
  decision[1] = select(0u, 1u, skip);
  decision[2] = bitcast<u32>(norm);
  if (ask.scaled != 0u && skip) { scaler[2] = 1u; }
}
`;

/** A range's bind group, and what it was made for (an external param's grads may move to another buffer between steps). */
interface RangeBinding { gradPtr: number; n: number; base: number; buffer: GPUBuffer; offset: number; uniform: GPUBuffer; group: GPUBindGroup }

export class PrePass {
  readonly #store: GpuMemory;
  /** [scale (f32 bits), skip, norm (f32 bits), 0]: what the step's launches read. */
  readonly decision: GPUBuffer;
  #partials: GPUBuffer | undefined;
  #capacity = 0;
  #kernels: { partials: Kernel; decide: Kernel } | undefined;
  readonly #ranges = new Map<GradRange, RangeBinding>();
  readonly #ask: GPUBuffer;
  readonly #askWords = new Uint32Array(8);
  readonly #askFloats = new Float32Array(this.#askWords.buffer);
  #decideGroup: GPUBindGroup | undefined;
  /** The scaler buffer the decide group binds (a 16-byte stand-in when no GpuGradScaler steps). */
  #decideScaler: GPUBuffer | undefined;
  readonly #noScaler: GPUBuffer;

  constructor(store: GpuMemory) {
    this.#store = store;
    this.decision = store.device.createBuffer({ size: 16, usage: STORAGE | COPY_DST | COPY_SRC });
    this.#ask = store.device.createBuffer({ size: 32, usage: UNIFORM | COPY_DST });
    this.#noScaler = store.device.createBuffer({ size: 16, usage: STORAGE });
  }

  #build(): { partials: Kernel; decide: Kernel } {
    const device = this.#store.device;
    const kernel = (code: string, types: string[]): Kernel => computeKernel(device, code, types);
    return {
      partials: kernel(PARTIALS, ["read-only-storage", "storage", "uniform"]),
      decide: kernel(DECIDE, ["read-only-storage", "storage", "uniform", "storage"]),
    };
  }

  /**
   * Queues the reduction of every gradient range of `planned` and the decision (see the header); with `scaler`
   * (a GpuGradScaler's buffer), the gradient scale is its 1/scale and a skip is recorded there as found_inf.
   */
  run(planned: readonly { readonly layout: { readonly segments: readonly GradRange[] } }[], t: PrePassTransforms, gradScale: number, scaler?: GPUBuffer): void {
    const store = this.#store, device = store.device;
    const k = (this.#kernels ??= this.#build());
    // Where each range's partials go; new ranges (or more partials than the buffer holds) bind once, here.
    let count = 0, grown = false;
    for (const p of planned) for (const seg of p.layout.segments) count += Math.ceil(seg.n / CHUNK);
    if (count > this.#capacity || !this.#partials) {
      this.#partials?.destroy();
      this.#capacity = Math.max(count, 2 * this.#capacity, 1);
      this.#partials = device.createBuffer({ size: 16 * this.#capacity, usage: STORAGE });
      this.#ranges.clear();
      grown = true;
    }
    const scalerBuffer = scaler ?? this.#noScaler;
    if (grown || !this.#decideGroup || this.#decideScaler !== scalerBuffer) {
      this.#decideGroup = device.createBindGroup({
        layout: k.decide.layout,
        entries: [{ binding: 0, resource: { buffer: this.#partials } }, { binding: 1, resource: { buffer: this.decision } }, { binding: 2, resource: { buffer: this.#ask } },
          { binding: 3, resource: { buffer: scalerBuffer } }],
      });
      this.#decideScaler = scalerBuffer;
    }
    const encoder = device.createCommandEncoder(), pass = encoder.beginComputePass();
    pass.setPipeline(k.partials.pipeline);
    let base = 0;
    for (const p of planned) {
      for (const seg of p.layout.segments) {
        if (seg.n > 0) {
          let r = this.#ranges.get(seg);
          const a = store.locate(seg.gradPtr);
          if (!r || r.base !== base || r.gradPtr !== seg.gradPtr || r.n !== seg.n || r.buffer !== a.buffer || r.offset !== a.offset) r = this.#bindRange(seg, base, k.partials, r);
          pass.setBindGroup(0, r.group);
          pass.dispatchWorkgroups(Math.ceil(seg.n / CHUNK));
        }
        base += Math.ceil(seg.n / CHUNK);
      }
    }
    const w = this.#askWords, f = this.#askFloats;
    w[0] = count;
    w[1] = t.maxGradNorm === undefined ? 0 : t.normType === 1 ? 1 : t.normType === Infinity ? 3 : 2;
    w[2] = t.maxGradNorm === undefined ? 0 : 1;
    f[4] = t.maxGradNorm ?? 0;
    f[5] = gradScale;
    w[6] = scaler ? 1 : 0;
    device.queue.writeBuffer(this.#ask, 0, w);
    pass.setPipeline(k.decide.pipeline);
    pass.setBindGroup(0, this.#decideGroup);
    pass.dispatchWorkgroups(1);
    pass.end();
    device.queue.submit([encoder.finish()]);
  }

  #bindRange(seg: GradRange, base: number, k: Kernel, old: RangeBinding | undefined): RangeBinding {
    const device = this.#store.device, a = this.#store.locate(seg.gradPtr);
    const uniform = old?.uniform ?? device.createBuffer({ size: 16, usage: UNIFORM | COPY_DST });
    device.queue.writeBuffer(uniform, 0, new Uint32Array([(seg.gradPtr - a.base + a.offset) / 4, seg.n, base, 0]));
    const group = device.createBindGroup({
      layout: k.layout,
      entries: [{ binding: 0, resource: { buffer: a.buffer } }, { binding: 1, resource: { buffer: this.#partials! } }, { binding: 2, resource: { buffer: uniform } }],
    });
    const r = { gradPtr: seg.gradPtr, n: seg.n, base, buffer: a.buffer, offset: a.offset, uniform, group };
    this.#ranges.set(seg, r);
    return r;
  }
}
