// The WGSL loop every elementwise kernel shares, written once (as assembly/lib/elementwise.ts is for Wasm), and
// its composition with an optimizer's element rule: its Wasm rule's `at` (assembly/optim/<id>.ts), translated at
// build time (scripts/wgsl-rules.mjs, into src/generated/wgsl-rules.ts); a per-tensor kernel's is its spec's
// `wgsl` (src/webgpu/per-tensor.ts). One invocation steps one element; the launch's numbers come from a uniform
// block written with queue.writeBuffer before the dispatch (never baked into the shader, so one pipeline per
// kernel serves every step and every schedule).
//
// Uniform words (u32; floats as their bits), the Launch's ABI order (src/core/backend.ts):
//   0 param, 1..4 state buffers a..d, 5 grad: element offsets into the buffers bound for this launch
//   6 n, 7 flags, 8..21 the spec's scalars s0..s13 (f32), 22 gradScale (f32), 23/24 the value clip's lo/hi (f32),
//   25 the device pre-pass (PRE_SKIP: skip when pre[1] != 0; PRE_SCALE: the gradient scale is pre[0]),
//   26 the f32 1 (keep(): a factor the compiler cannot see, so that it cannot rewrite y + (y' - y) as y')
//   bf16 state only: 27 which state buffers the launch binds (bit i: buffer i; BF16_STOCHASTIC: stochastic
//   rounding), 28 the step's seed mix (assembly/lib/lowp.ts seedMix)
// The rule sees: `e` (its element), indices `ip`, `ia`..`id`, `ig`; its scalars by their spec names; `param`,
// `grad` and the state arrays `a`..`d`; `has(FLAG)` and the helpers below, each rounding as its twin in
// assembly/lib/common.ts and src/core/reference-ops.ts (one f32 operation at a time, in the same order).
import { FLAG_MAP } from "../abi/index.js";
import type { BoundSpec } from "../core/backend.js";
import { WGSL_RULES } from "../generated/wgsl-rules.js";

/** Workgroup size: invocations per workgroup (one element each). */
export const WORKGROUP = 256;
/** Uniform block: 32 words (128 bytes; a launch's own buffer). */
export const ARGS_WORDS = 32;
export const W_N = 6, W_FLAGS = 7, W_SCALARS = 8, W_GRAD_SCALE = 22, W_CLIP = 23, W_PRE = 25, W_ONE = 26, W_BF16 = 27, W_MIX = 28;
export const BF16_STOCHASTIC = 16;
export const PRE_SKIP = 1, PRE_SCALE = 2;
/** State buffers a kernel may have (elementwise rules: a..d). */
export const MAX_BUFFERS = 4;
export const STATE_NAMES = ["a", "b", "c", "d"];

/** The helpers every rule may call: assembly/lib/common.ts's in WGSL (scripts/wgsl-rules.mjs maps them). */
const HELPERS = /* wgsl */ `
fn word(k: u32) -> u32 { return args.w[k / 4u][k % 4u]; }
fn scalar(k: u32) -> f32 { return bitcast<f32>(word(k)); }
fn has(flag: u32) -> bool { return (word(7u) & flag) != 0u; }
// x itself, through a multiplication by an f32 1 known only at run time: an operation the shader compiler may
// not fold into its neighbours (SwiftShader simplifies y + (y' - y) to y' otherwise: one rounding less).
fn keep(x: f32) -> f32 { return x * scalar(26u); }
// The gradient prologue (gradInFlags): the step's scale, the value clip, maximize, then coupled weight decay;
// gradInHas: only the switches in \`mask\` (a rule whose kernel passes fewer, as Lion's).
fn gradIn(g0: f32, p: f32, wd: f32) -> f32 { return gradInHas(g0, p, wd, GRAD_SCALE | CLIP | MAXIMIZE | WEIGHT_DECAY); }
fn gradInHas(g0: f32, p: f32, wd: f32, mask: u32) -> f32 {
  let f = word(7u) & mask;
  var g = g0;
  if ((f & GRAD_SCALE) != 0u) {
    var s = scalar(22u);
    if ((word(25u) & 2u) != 0u) { s = bitcast<f32>(pre[0]); }
    g = g * s;
  }
  if ((f & CLIP) != 0u) { g = clampp(g, scalar(23u), scalar(24u)); }
  if ((f & MAXIMIZE) != 0u) { g = -g; }
  if ((f & WEIGHT_DECAY) != 0u) { g = g + wd * p; }
  return g;
}
// torch.clamp for bounds that are not NaN: a NaN x stays NaN.
fn clampp(x: f32, lo: f32, hi: f32) -> f32 { let y = select(x, lo, x < lo); return select(y, hi, hi < y); }
fn lerp(a: f32, b: f32, w: f32) -> f32 { return a + w * (b - a); }
fn ema2(v: f32, g: f32, beta: f32, omBeta: f32) -> f32 { return v * beta + (omBeta * g) * g; }
fn subScaledDiv(p: f32, s: f32, x: f32, d: f32) -> f32 { return p - (s * x) / d; }
fn tfjsMoment(m: f32, g: f32, beta: f32, betaComp: f32) -> f32 { return m * beta + g * betaComp; }
fn tfjsEma2(v: f32, g: f32, beta: f32, betaComp: f32) -> f32 { return v * beta + (g * g) * betaComp; }
fn optaxMoment(m: f32, g: f32, beta: f32, betaComp: f32) -> f32 { return betaComp * g + beta * m; }
fn optaxMoment2(v: f32, g: f32, beta: f32, betaComp: f32) -> f32 { return betaComp * (g * g) + beta * v; }
// cbrt (common.ts): the same first guess from the bits and three Newton steps.
fn cbrt3(x: f32) -> f32 {
  let i = bitcast<u32>(x);
  var y = bitcast<f32>((i >> 2u) + (i >> 4u) + (i >> 6u) + (i >> 8u) + (i >> 10u) + (i >> 12u) + 0x2a56a800u);
  for (var k = 0; k < 3; k++) { y = y - (y - x / (y * y)) / 3.0; }
  return select(select(y, x, x > 0x1.fffffep+127f), x * 0.0, x < 0x1p-126f);
}
// sign (common.ts): -1, 0 (keeping the sign of zero) or 1; torchSign (Rprop's): -1, +0 or 1.
fn sign1(x: f32) -> f32 { return select(select(x, -1.0, x < 0.0), 1.0, x > 0.0); }
fn torchSign(x: f32) -> f32 { return select(select(0.0, -1.0, x < 0.0), 1.0, x > 0.0); }
`;

// bf16 state (stateDtype "bf16"), as the Wasm low-precision driver (assembly/lib/lowp.ts) does it: the state is
// decoded into f32, the unchanged rule runs on f32, and the new state is encoded, to nearest (ties to even) or
// stochastically with the same hash; every NaN is stored as 0xFFFF. Two bf16 share a u32 (WGSL has no 16-bit
// stores), so one invocation steps the two elements of one word: the state buffers a..d are private pairs the rule
// indexes with ia..id = 0 or 1 (`half_`). A run whose state starts at an odd element shares its first (and maybe last)
// word with the neighbouring run: the half it does not own is decoded and encoded again, unchanged (an exact
// bf16 value encodes to itself both ways), and the runs are separate dispatches, so never at the same time.
const BF16 = /* wgsl */ `
fn dither(b: u32, mix: u32) -> u32 {
  var h = b ^ mix;
  h = h * 0x85EBCA6Bu; h = h ^ (h >> 13u); h = h * 0xC2B2AE35u; h = h ^ (h >> 16u);
  return h & 0xFFFFu;
}
fn bf16(x: f32) -> u32 {
  let b = bitcast<u32>(x);
  if ((b & 0x7FFFFFFFu) > 0x7F800000u) { return 0xFFFFu; }
  if ((word(${W_BF16}u) & ${BF16_STOCHASTIC}u) != 0u) { return (b + dither(b, word(${W_MIX}u))) >> 16u; }
  return (b + 0x7FFFu + ((b >> 16u) & 1u)) >> 16u;
}
`;

/** What a kernel's WGSL shares: the flag constants, the bindings (param, state `a`.. as `dtype`, grad, args, pre) and the helpers. */
export function kernelPrelude(spec: { readonly name: string; readonly scalars: readonly string[] }, buffers: number, dtype: "f32" | "bf16" = "f32"): string {
  if (spec.scalars.length > W_GRAD_SCALE - W_SCALARS) throw new Error(`${spec.name}: more scalars than the WGSL driver's uniform block holds`);
  const flags = Object.entries(FLAG_MAP).map(([k, v]) => `const ${k}: u32 = ${v >>> 0}u;`).join("\n");
  const bf = dtype === "bf16", states = STATE_NAMES.slice(0, buffers);
  const bindings = [
    "@group(0) @binding(0) var<storage, read_write> param: array<f32>;",
    ...states.map((x, i) => bf
      ? `@group(0) @binding(${i + 1}) var<storage, read_write> ${x}_w: array<u32>;\nvar<private> ${x}: array<f32, 2>;`
      : `@group(0) @binding(${i + 1}) var<storage, read_write> ${x}: array<f32>;`),
    `@group(0) @binding(${buffers + 1}) var<storage, read> grad: array<f32>;`,
    `struct Args { w: array<vec4<u32>, ${ARGS_WORDS / 4}> }`,
    `@group(0) @binding(${buffers + 2}) var<uniform> args: Args;`,
    `@group(0) @binding(${buffers + 3}) var<storage, read> pre: array<u32>;`,
  ].join("\n");
  return `${flags}\n${bindings}\n${HELPERS}`;
}

/**
 * The element indices and scalars a rule sees, as `<decl> name = value;` lines (`let`, or assignments to private
 * globals). bf16 state: the rule indexes its private pair by `half_`.
 */
export function ruleLets(spec: { readonly scalars: readonly string[] }, buffers: number, decl: string, dtype: "f32" | "bf16" = "f32"): string[] {
  return [
    `${decl}ip = word(0u) + e;`,
    ...STATE_NAMES.slice(0, buffers).map((x, i) => (dtype === "bf16" ? `${decl}i${x} = half_;` : `${decl}i${x} = word(${i + 1}u) + e;`)),
    `${decl}ig = word(5u) + e;`,
    ...spec.scalars.map((s, i) => `${decl}${s} = scalar(${W_SCALARS + i}u);`),
  ];
}

/**
 * The WGSL rule of `spec`'s kernel: an elementwise kernel's generated from its Wasm rule, a per-tensor kernel's
 * written in its spec; undefined: the optimizer has none (it is refused on WebGPU).
 */
export function wgslRule(spec: BoundSpec): string | undefined {
  if (spec.kind === "tensor") return spec.wgsl;
  const rule = WGSL_RULES[spec.kernel];
  // The rule reads the scalars by the names of the kernel's parameters; the driver declares the spec's.
  if (rule && rule.scalars.join() !== spec.scalars.join()) {
    throw new Error(`${spec.name}: the spec's scalars (${spec.scalars.join(", ")}) are not those of ${spec.kernel} (${rule.scalars.join(", ")})`);
  }
  return rule?.body;
}

/** The WGSL of kernel `spec` with `buffers` state buffers stored as `dtype`: the driver around its `rule`. */
export function kernelSource(spec: { readonly name: string; readonly scalars: readonly string[] }, rule: string, buffers: number, dtype: "f32" | "bf16" = "f32"): string {
  const states = STATE_NAMES.slice(0, buffers);
  const f32Main = /* wgsl */ `
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let e = gid.x + gid.y * nw.x * ${WORKGROUP}u;
  if (e >= word(6u)) { return; }
  if ((word(25u) & 1u) != 0u && pre[1] != 0u) { return; }
  rule(e, 0u);
}`;
  // One word of state per invocation: word t of the run holds its elements 2t - par and 2t + 1 - par.
  const used = (i: number) => `(word(${W_BF16}u) & ${1 << i}u) != 0u`;
  const bf16Main = /* wgsl */ `${BF16}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let t = gid.x + gid.y * nw.x * ${WORKGROUP}u;
  let n = word(6u);
  let par = word(1u) & 1u; // the same for every state buffer of a launch (the backend checks)
  if (2u * t >= n + par) { return; }
  if ((word(25u) & 1u) != 0u && pre[1] != 0u) { return; }
${states.map((x, i) => `  let w${x} = (word(${i + 1}u) >> 1u) + t;
  if (${used(i)}) { let v = ${x}_w[w${x}]; ${x}[0] = bitcast<f32>(v << 16u); ${x}[1] = bitcast<f32>(v & 0xFFFF0000u); }`).join("\n")}
  if (t != 0u || par == 0u) { rule(2u * t - par, 0u); }
  if (2u * t + 1u < n + par) { rule(2u * t + 1u - par, 1u); }
${states.map((x, i) => `  if (${used(i)}) { ${x}_w[w${x}] = bf16(${x}[0]) | (bf16(${x}[1]) << 16u); }`).join("\n")}
}`;
  return `${kernelPrelude(spec, buffers, dtype)}
fn rule(e: u32, half_: u32) {
  ${ruleLets(spec, buffers, "let ", dtype).join("\n  ")}
${rule}}
${dtype === "bf16" ? bf16Main : f32Main}
`;
}
