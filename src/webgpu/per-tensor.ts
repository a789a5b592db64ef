// The WGSL driver of the per-tensor optimizers (spec kind "tensor": LAMB, LARS, NovoGrad), whose step needs a
// norm of the whole tensor before it can move any element. A launch (one tensor) is three dispatches over one
// bind group (four for tensors of more than 64K floats), one after another in the step's compute pass, so nothing
// is read back and the CPU never waits:
//   norms:    one invocation per block partial (8 per block of 128 elements) runs the rule's `norms(e)` on its 16
//             elements (it may update state and write the scratch area; it returns the two values whose squares
//             are summed: x for ‖θ‖, y for ‖u‖; NovoGrad: x = g, y = 0) and writes its two f32 sums of squares;
//   fold:     (more than 4096 partials) each workgroup adds 4096 partials into one double-f32 pair (a fixed tree);
//   finalize: one workgroup adds the partials or the folds (double-f32, a fixed tree) and calls the rule's
//             `perTensor(x, y)` with Σx², Σy², which returns the tensor's number (the trust ratio, NovoGrad's
//             denominator) into sums[0];
//   apply:    one invocation per element runs the rule's `apply(e, r)` with that number.
//
// Numerics. The host kernels (assembly/lib/trust-ratio.ts, src/core/reference-ops.ts sumSqBlocked) sum squares
// into 8 f32 partials per block of 128 elements (partial k takes elements 128j + k + 8m, m = 0..15, in order)
// and add the blocks' partials into f64 totals; WGSL has no f64. The f32 block partials are computed here in
// that exact order (the same bits; one thread per partial, so no barrier and no workgroup memory); the f64 part
// is carried as a double-f32 (an unevaluated sum hi + lo of two f32s, about 48 bits: Dekker's and Knuth's
// error-free transformations), and so are the square roots and the ratio, which the rule rounds to f32 last
// (hi). The result is the f64 computation's f32 rounding unless the exact value falls within about 2^-40
// (relative) of a midpoint between two f32s: then it may be the f32 next to it (1 ulp). docs/webgpu.md gives
// what was measured. Every operation of the error-free transformations goes through keep()
// (src/webgpu/driver.ts): a compiler that simplifies (a + b) - a to b would zero the low part (SwiftShader does
// not here, but it did rewrite schedule-free's y + (y' - y)).
import { STATE_NAMES, kernelPrelude, ruleLets } from "./driver.js";

/** Workgroup size of the per-tensor kernels. */
export const TENSOR_WORKGROUP = 256;
/** Entry points, in the order a launch dispatches them. */
export const TENSOR_ENTRIES = ["normsMain", "foldMain", "finalizeMain", "applyMain"] as const;
/** Partials one workgroup of foldMain adds (16 per thread). */
const FOLD = 16 * TENSOR_WORKGROUP;

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
export function tensorKernelSource(spec: { readonly name: string; readonly scalars: readonly string[] }, rule: string, buffers: number): string {
  const names = ["ip", ...STATE_NAMES.slice(0, buffers).map((x) => `i${x}`), "ig"];
  const WG = TENSOR_WORKGROUP;
  return `${kernelPrelude(spec, buffers)}
${DOUBLE_F32}
// [0].x: the tensor's number (perTensor's); [1 + T]: the f32 block partials of thread T of normsMain (x², y²);
// then foldMain's double-f32 pairs.
@group(0) @binding(${buffers + 4}) var<storage, read_write> sums: array<vec2<f32>>;
${names.map((x) => `var<private> ${x}: u32;`).join("\n")}
${spec.scalars.map((s) => `var<private> ${s}: f32;`).join("\n")}
fn setup(e: u32) {
  ${ruleLets(spec, buffers, "").join("\n  ")}
}
fn skipped() -> bool { return (word(25u) & 1u) != 0u && pre[1] != 0u; }
${rule}
// Thread T sums the squares of partial T % 8 of block T / 8: elements 128·(T / 8) + T % 8 + 8m, m = 0..15, in order
// (elements past n add nothing), as the host kernels do; its two f32 sums go to sums[1 + T].
@compute @workgroup_size(${WG})
fn normsMain(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let T = gid.x + gid.y * nw.x * ${WG}u;
  let n = word(6u);
  if (T >= (n + 127u) / 128u * 8u || skipped()) { return; }
  let first = (T / 8u) * 128u + T % 8u;
  var sx = 0.0;
  var sy = 0.0;
  for (var e = first; e < min(first + 128u, n); e = e + 8u) {
    setup(e);
    let v = norms(e);
    sx = sx + keep(v.x * v.x); // keep: no FMA (WGSL lets a compiler fuse a·b + c; the host rounds twice)
    sy = sy + keep(v.y * v.y);
  }
  sums[1u + T] = vec2<f32>(sx, sy);
}
var<workgroup> dd: array<vec4<f32>, ${WG}>;
fn partials() -> u32 { return (word(6u) + 127u) / 128u * 8u; }
// The workgroup's dd[0..WG) folded into dd[0] by halves (a fixed tree); the caller is in uniform control flow.
fn ddTree(t: u32) {
  for (var h = ${WG / 2}u; h > 0u; h = h / 2u) {
    workgroupBarrier();
    if (t < h) { dd[t] = vec4<f32>(ddAdd(dd[t].xy, dd[t + h].xy), ddAdd(dd[t].zw, dd[t + h].zw)); }
  }
  workgroupBarrier();
}
// Tensors of more than ${FOLD} partials: workgroup w adds partials ${FOLD}w.. into one double-f32 pair at
// sums[1 + partials + 2w], [2 + partials + 2w] (x, y), so that finalize adds at most one per thread per ${FOLD * WG}
// partials instead of all of them in one workgroup.
@compute @workgroup_size(${WG})
fn foldMain(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  if (skipped()) { return; }
  let t = lid.x;
  let w = wid.x + wid.y * nw.x;
  let count = partials();
  var x = vec2<f32>(0.0, 0.0);
  var y = vec2<f32>(0.0, 0.0);
  for (var i = w * ${FOLD}u + t; i < min(w * ${FOLD}u + ${FOLD}u, count); i = i + ${WG}u) {
    let p = sums[1u + i];
    x = ddAdd(x, vec2<f32>(p.x, 0.0));
    y = ddAdd(y, vec2<f32>(p.y, 0.0));
  }
  dd[t] = vec4<f32>(x, y);
  ddTree(t);
  if (t == 0u) { sums[1u + count + 2u * w] = dd[0].xy; sums[2u + count + 2u * w] = dd[0].zw; }
}
@compute @workgroup_size(${WG})
fn finalizeMain(@builtin(local_invocation_id) lid: vec3<u32>) {
  if (skipped()) { return; }
  let t = lid.x;
  let count = partials();
  var x = vec2<f32>(0.0, 0.0);
  var y = vec2<f32>(0.0, 0.0);
  if (count <= ${FOLD}u) {
    for (var i = t; i < count; i = i + ${WG}u) { let p = sums[1u + i]; x = ddAdd(x, vec2<f32>(p.x, 0.0)); y = ddAdd(y, vec2<f32>(p.y, 0.0)); }
  } else {
    for (var i = t; i < (count + ${FOLD - 1}u) / ${FOLD}u; i = i + ${WG}u) { x = ddAdd(x, sums[1u + count + 2u * i]); y = ddAdd(y, sums[2u + count + 2u * i]); }
  }
  dd[t] = vec4<f32>(x, y);
  ddTree(t);
  if (t == 0u) { setup(0u); sums[0] = vec2<f32>(perTensor(dd[0].xy, dd[0].zw), 0.0); }
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

/** Threads of normsMain for a tensor of n floats: one per block partial (8 per block of 128). */
export function tensorPartials(n: number): number {
  return 8 * Math.ceil(n / 128);
}

/** Workgroups of foldMain for a tensor of n floats (0: finalize adds the partials itself). */
export function tensorFolds(n: number): number {
  const count = tensorPartials(n);
  return count > FOLD ? Math.ceil(count / FOLD) : 0;
}

/** Bytes of a launch's `sums` buffer for a tensor of n floats (about n/2 bytes: an eighth of the param's). */
export function tensorSumsBytes(n: number): number {
  return 8 * (1 + tensorPartials(n) + 2 * tensorFolds(n));
}
