// The WGSL driver of the per-tensor optimizers (spec kind "tensor": LAMB, LARS, NovoGrad), whose step needs a
// norm of the whole tensor before it can move any element. A launch (one tensor) is three dispatches over one
// bind group, one after another in the step's compute pass, so nothing is read back and the CPU never waits:
//   norms:    one invocation per element runs the rule's `norms(e)` (which may update state and write the scratch
//             area) and returns the two values whose squares are summed (x: ‖θ‖, y: ‖u‖; NovoGrad: x = g, y = 0);
//             each workgroup sums their squares in the kernels' blocked order (below) and writes its two sums;
//   finalize: one workgroup adds the workgroups' sums and calls the rule's `perTensor(x, y)` with ‖x‖², ‖y‖²,
//             which returns the tensor's number (the trust ratio, NovoGrad's denominator) into `sums[0]`;
//   apply:    one invocation per element runs the rule's `apply(e, r)` with that number.
//
// Numerics. The host kernels (assembly/lib/trust-ratio.ts, src/core/reference-ops.ts sumSqBlocked) sum squares
// into 8 f32 partials per block of 128 elements (partial k takes elements 128j + k + 8m, m = 0..15, in order)
// and add the blocks' partials into f64 totals; WGSL has no f64. The f32 block partials are computed here in
// that exact order (the same bits); the f64 part is carried as a double-f32 (an unevaluated sum hi + lo of two
// f32s, about 48 bits: Dekker's and Knuth's error-free transformations), and so are the square roots and the
// ratio, which the rule rounds to f32 last (hi). The result is the f64 computation's f32 rounding unless the
// exact value falls within about 2^-40 (relative) of a midpoint between two f32s: then it may be the f32 next to
// it (1 ulp). docs/webgpu.md gives what was measured. Every operation of the error-free transformations goes
// through keep() (src/webgpu/driver.ts): a compiler that simplifies (a + b) - a to b would zero the low part.
import { STATE_NAMES, kernelPrelude, ruleLets } from "./driver.js";

/** Workgroup size of the per-tensor kernels: two blocks of 128 elements. */
export const TENSOR_WORKGROUP = 256;
/** Entry points, in the order a launch dispatches them. */
export const TENSOR_ENTRIES = ["normsMain", "finalizeMain", "applyMain"] as const;

const DOUBLE_F32 = /* wgsl */ `
// Double-f32 arithmetic (vec2: hi, lo with |lo| <= ulp(hi)/2), for the f64 part of the host's norms.
fn twoSum(a: f32, b: f32) -> vec2<f32> {
  let s = keep(a + b);
  let bb = keep(s - a);
  return vec2<f32>(s, keep(keep(a - keep(s - bb)) + keep(b - bb)));
}
fn quickTwoSum(a: f32, b: f32) -> vec2<f32> { let s = keep(a + b); return vec2<f32>(s, keep(b - keep(s - a))); }
fn ddAdd(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  let s = twoSum(a.x, b.x);
  let t = twoSum(a.y, b.y);
  let u = quickTwoSum(s.x, keep(s.y + t.x));
  return quickTwoSum(u.x, keep(t.y + u.y));
}
// Veltkamp's split (2^12 + 1) and Dekker's exact product: a·b = p + err.
fn split(a: f32) -> vec2<f32> { let c = keep(4097.0 * a); let hi = keep(c - keep(c - a)); return vec2<f32>(hi, keep(a - hi)); }
fn twoProd(a: f32, b: f32) -> vec2<f32> {
  let p = keep(a * b);
  let x = split(a);
  let y = split(b);
  return vec2<f32>(p, keep(keep(keep(keep(keep(x.x * y.x) - p) + keep(x.x * y.y)) + keep(x.y * y.x)) + keep(x.y * y.y)));
}
fn ddMulF(a: vec2<f32>, b: f32) -> vec2<f32> { let p = twoProd(a.x, b); return quickTwoSum(p.x, keep(p.y + keep(a.y * b))); }
fn ddDiv(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  let q1 = keep(a.x / b.x);
  let r1 = ddAdd(a, -ddMulF(b, q1));
  let q2 = keep(r1.x / b.x);
  let r2 = ddAdd(r1, -ddMulF(b, q2));
  let q3 = keep(r2.x / b.x);
  let q = quickTwoSum(q1, q2);
  return ddAdd(q, vec2<f32>(q3, 0.0));
}
// √a (a >= 0): one Newton step from the f32 root.
fn ddSqrt(a: vec2<f32>) -> vec2<f32> {
  if (a.x <= 0.0) { return vec2<f32>(0.0, 0.0); }
  let s = sqrt(a.x);
  let r = ddAdd(a, -twoProd(s, s));
  return quickTwoSum(s, keep(r.x / keep(2.0 * s)));
}
`;

/**
 * The WGSL of per-tensor kernel `spec` (`buffers` state buffers, the scratch area among them): the rule (the spec's
 * `wgsl`: the functions `norms`, `perTensor`, `apply`) inside the three entry points.
 */
export function tensorKernelSource(spec: { readonly name: string; readonly scalars: readonly string[]; readonly wgsl?: string }, buffers: number): string {
  const names = ["ip", ...STATE_NAMES.slice(0, buffers).map((x) => `i${x}`), "ig"];
  const WG = TENSOR_WORKGROUP;
  return `${kernelPrelude(spec, buffers)}
${DOUBLE_F32}
// [0].x: the tensor's number (perTensor's); [1 + w]: workgroup w's ‖x‖², ‖y‖² (double-f32 each).
@group(0) @binding(${buffers + 4}) var<storage, read_write> sums: array<vec4<f32>>;
${names.map((x) => `var<private> ${x}: u32;`).join("\n")}
${spec.scalars.map((s) => `var<private> ${s}: f32;`).join("\n")}
fn setup(e: u32) {
  ${ruleLets(spec, buffers, "").join("\n  ")}
}
fn skipped() -> bool { return (word(25u) & 1u) != 0u && pre[1] != 0u; }
${spec.wgsl}
var<workgroup> sq: array<f32, ${2 * WG}>;
var<workgroup> dd: array<vec4<f32>, ${WG}>;
@compute @workgroup_size(${WG})
fn normsMain(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  if (skipped()) { return; }
  let t = lid.x;
  let w = wid.x + wid.y * nw.x;
  let e = w * ${WG}u + t;
  var v = vec2<f32>(0.0, 0.0);
  if (e < word(6u)) { setup(e); v = norms(e); }
  sq[t] = v.x * v.x;
  sq[${WG}u + t] = v.y * v.y;
  workgroupBarrier();
  // Threads 0..15: x's partials k = t % 8 of the workgroup's blocks t / 8; threads 16..31: y's. Elements past n
  // add +0 (no bit changes).
  var s = 0.0;
  if (t < 32u) {
    let base = (t / 16u) * ${WG}u + ((t / 8u) % 2u) * 128u + t % 8u;
    for (var m = 0u; m < 16u; m = m + 1u) { s = s + sq[base + 8u * m]; }
  }
  workgroupBarrier();
  if (t < 32u) { sq[t] = s; }
  workgroupBarrier();
  if (t == 0u) {
    var x = vec2<f32>(0.0, 0.0);
    var y = vec2<f32>(0.0, 0.0);
    for (var k = 0u; k < 16u; k = k + 1u) { x = ddAdd(x, vec2<f32>(sq[k], 0.0)); y = ddAdd(y, vec2<f32>(sq[16u + k], 0.0)); }
    sums[1u + w] = vec4<f32>(x, y);
  }
}
@compute @workgroup_size(${WG})
fn finalizeMain(@builtin(local_invocation_id) lid: vec3<u32>) {
  if (skipped()) { return; }
  let t = lid.x;
  let count = (word(6u) + ${WG - 1}u) / ${WG}u;
  var x = vec2<f32>(0.0, 0.0);
  var y = vec2<f32>(0.0, 0.0);
  for (var i = t; i < count; i = i + ${WG}u) { let p = sums[1u + i]; x = ddAdd(x, p.xy); y = ddAdd(y, p.zw); }
  dd[t] = vec4<f32>(x, y);
  for (var h = ${WG / 2}u; h > 0u; h = h / 2u) {
    workgroupBarrier();
    if (t < h) { dd[t] = vec4<f32>(ddAdd(dd[t].xy, dd[t + h].xy), ddAdd(dd[t].zw, dd[t + h].zw)); }
  }
  workgroupBarrier();
  if (t == 0u) { setup(0u); sums[0] = vec4<f32>(perTensor(dd[0].xy, dd[0].zw), 0.0, 0.0, 0.0); }
}
@compute @workgroup_size(${WG})
fn applyMain(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let e = gid.x + gid.y * nw.x * ${WG}u;
  if (e >= word(6u) || skipped()) { return; }
  setup(e);
  apply(e, sums[0].x);
}
`;
}

/** Bytes of a launch's `sums` buffer for a tensor of n floats. */
export function tensorSumsBytes(n: number): number {
  return 16 * (1 + Math.ceil(n / TENSOR_WORKGROUP));
}
