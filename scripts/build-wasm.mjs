// Builds the four Wasm binaries (SIMD/scalar × shared/non-shared memory; targets in asconfig.json), tags
// each with a custom section "gradstep" naming its variant (init({ module }) and the loader check it),
// copies them to dist/wasm/ (the runtime entries load them from there) and embeds them as base64 in
// src/generated/wasm.ts (the default entry, for hosts without file access). First it writes
// build/optim-exports.ts, the optimizers' kernels that assembly/index.ts re-exports (optimExports): the
// hand-written exports of assembly/optim/*.ts, and the kernels it writes from each file's rule (ruleKernels);
// and src/generated/wgsl-rules.ts, the webgpu backend's WGSL of each rule (scripts/wgsl-rules.mjs): a rule it
// cannot translate fails the build before the compiles.
import { spawn } from "node:child_process";
import { availableParallelism } from "node:os";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { wgslRulesModule } from "./wgsl-rules.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const asc = join(root, "node_modules", "assemblyscript", "bin", "asc.js");
const targets = { simd: "simd", scalar: "scalar", simdShared: "simd-shared", scalarShared: "scalar-shared" };

/** The parameters of a rule's at<T, S>: o, param, grad, 4 state buffers (from BUFFERS), 14 scalars (from SCALARS), f, sr, mix. */
const BUFFERS = 3, SCALARS = 7, SCALAR_COUNT = 14, AT_PARAMS = 24;

/**
 * The kernels written here for the rule of `source` (assembly/optim/<stem>.ts): its `export class` with an
 * `at<T, S>` method (assembly/lib/elementwise.ts), none when the file has none. `<stem>_f32` takes, after param,
 * the at's state buffers without a `_` prefix, then grad, n, the at's scalars up to and including gradScale
 * (those after it carry a `_` prefix) and flags, and calls elementwise<Rule, f32>. A rule with `state(k)` (the
 * int8 map of its buffers) also gets `<stem>_bf16` and `<stem>_i8` with the same parameters, through
 * lowp<Rule, u16 | u8> (assembly/lib/lowp.ts); one whose at reads its state through lds/sts gets its bf16 kernel
 * from the rule itself instead, converted in registers: elementwise<Rule, u16> (Adam).
 */
export function ruleKernels(stem, source) {
  const cls = [...source.matchAll(/^export class (\w+) \{$/gm)].filter((m) => /^\s+@inline at<T, S>\(/m.test(classBody(source, m.index)));
  if (cls.length === 0) return [];
  if (cls.length > 1) throw new Error(`assembly/optim/${stem}.ts: one exported rule class a file (${cls.map((m) => m[1]).join(", ")})`);
  const rule = cls[0][1], body = classBody(source, cls[0].index);
  const params = /@inline at<T, S>\(([^)]*)\)/.exec(body)[1].split(",").map((p) => p.trim().split(":")[0].trim());
  const where = `assembly/optim/${stem}.ts ${rule}.at`;
  if (params.length !== AT_PARAMS) throw new Error(`${where}: ${params.length} parameters, not ${AT_PARAMS}`);
  const buffers = params.slice(BUFFERS, SCALARS), used = buffers.filter((b) => !b.startsWith("_"));
  const gs = params.indexOf("gradScale");
  if (gs < SCALARS || gs >= SCALARS + SCALAR_COUNT) throw new Error(`${where}: no scalar gradScale`);
  const scalars = params.slice(SCALARS, gs + 1), unused = params.slice(gs + 1, SCALARS + SCALAR_COUNT).filter((s) => !s.startsWith("_"));
  if (unused.length) throw new Error(`${where}: scalars after gradScale are not the kernel's: prefix them with _ (${unused.join(", ")})`);
  const [param, grad] = [params[1], params[2]];
  const signature = [`${param}: usize`, ...used.map((b) => `${b}: usize`), `${grad}: usize`, "n: i32",
    ...scalars.map((s) => `${s}: f32`), "flags: i32"].join(", ");
  const args = [param, grad, "n", "flags", ...buffers.map((b) => (b.startsWith("_") ? "0" : b)), ...scalars].join(", ");
  const kernel = (name, call) => ({ name, rule, code: `export function ${name}(${signature}): void {\n  ${call}(${args});\n}` });
  const out = [kernel(`${stem}_f32`, `elementwise<${rule}, f32>`)];
  if (/^\s+@inline state\(/m.test(body)) {
    const inRegisters = /\blds<T, S>\(/.test(body);
    out.push(kernel(`${stem}_bf16`, inRegisters ? `elementwise<${rule}, u16>` : `lowp<${rule}, u16>`));
    out.push(kernel(`${stem}_i8`, `lowp<${rule}, u8>`));
  }
  return out;
}

/** The body of the class declared at `at` in `source`: up to the first line that is only `}`. */
function classBody(source, at) {
  const end = source.indexOf("\n}", at);
  return source.slice(at, end < 0 ? source.length : end);
}

/**
 * The optimizers' kernels, from their files (assembly/optim/<id>.ts): `exports`, the hand-written `export
 * function <name>_f32|_bf16|_i8` of the file (per-tensor kernels), and `generated`, the kernels written here for
 * its rule (ruleKernels).
 */
export function kernelFiles(dir = join(root, "assembly", "optim")) {
  return readdirSync(dir).filter((f) => f.endsWith(".ts")).sort().map((file) => {
    const source = readFileSync(join(dir, file), "utf8"), stem = file.slice(0, -3);
    const exports = [...source.matchAll(/^export function (\w+_(?:f32|bf16|i8))\(/gm)].map((m) => m[1]);
    const generated = ruleKernels(stem, source);
    const twice = generated.filter((k) => exports.includes(k.name)).map((k) => k.name);
    if (twice.length) throw new Error(`assembly/optim/${file}: ${twice.join(", ")} written by hand and generated from its rule`);
    return { stem, exports, generated, source };
  }).filter((k) => k.exports.length || k.generated.length);
}

/**
 * The rule of each optimizer's elementwise f32 kernel (`<stem>_f32` of assembly/optim/<stem>.ts), which
 * scripts/wgsl-rules.mjs translates: the one written from its rule class (ruleKernels), or a hand-written one
 * whose body is one `elementwise<Rule, f32>(...)` call (ASGD's, which sets its COPY flag from mu).
 */
export function elementwiseRules(dir) {
  return kernelFiles(dir).flatMap(({ stem, generated, source }) => {
    const rule = generated.find((k) => k.name === `${stem}_f32`)?.rule
      ?? new RegExp(`^export function ${stem}_f32\\([^)]*\\): void \\{\\s*elementwise<(\\w+), f32>\\([^;]*\\);\\s*\\}`, "m").exec(source)?.[1];
    return rule ? [{ kernel: `${stem}_f32`, rule, source, file: `assembly/optim/${stem}.ts` }] : [];
  });
}

/** build/optim-exports.ts, which assembly/index.ts re-exports: every kernel of kernelFiles(). */
export function optimExports(dir) {
  const files = kernelFiles(dir), lines = ["// Generated by scripts/build-wasm.mjs from assembly/optim/*.ts; do not edit."];
  const code = files.flatMap((k) => k.generated.map((g) => g.code)).join("\n");
  if (code.includes("elementwise<")) lines.push(`import { elementwise } from "../assembly/lib/elementwise";`);
  if (code.includes("lowp<")) lines.push(`import { lowp } from "../assembly/lib/lowp";`);
  for (const { stem, exports, generated } of files) {
    if (exports.length) lines.push(`export { ${exports.join(", ")} } from "../assembly/optim/${stem}";`);
    if (generated.length) lines.push(`import { ${generated[0].rule} } from "../assembly/optim/${stem}";`, ...generated.map((g) => g.code));
  }
  return `${lines.join("\n")}\n`;
}

function leb128(n) {
  const out = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

/** Appends a custom section (id 0) named `name` holding `text`. */
function withCustomSection(bytes, name, text) {
  const nameBytes = [...Buffer.from(name)], payload = [...Buffer.from(text)];
  const body = [...leb128(nameBytes.length), ...nameBytes, ...payload];
  return Buffer.concat([bytes, Buffer.from([0, ...leb128(body.length), ...body])]);
}

/** Runs asc for `target`; rejects with its exit status. */
function compile(target) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [asc, "assembly/index.ts", "--config", "asconfig.json", "--target", target],
      { cwd: root, stdio: "inherit" });
    child.on("error", reject);
    child.on("exit", (code, signal) => (code === 0 ? resolve() : reject(new Error(`asc --target ${target} failed (${code ?? signal})`))));
  });
}

/** The four compiles, as many at once as the machine has cores (each is single-threaded: converge makes it long). */
async function compileAll() {
  const queue = Object.values(targets);
  const worker = async () => { for (let t = queue.shift(); t !== undefined; t = queue.shift()) await compile(t); };
  await Promise.all(Array.from({ length: Math.min(queue.length, availableParallelism()) }, worker));
}

async function build() {
  mkdirSync(join(root, "build"), { recursive: true });
  writeFileSync(join(root, "build", "optim-exports.ts"), optimExports());
  mkdirSync(join(root, "src", "generated"), { recursive: true });
  writeFileSync(join(root, "src", "generated", "wgsl-rules.ts"), wgslRulesModule(elementwiseRules()));
  const lines = [
    "// Generated by scripts/build-wasm.mjs from build/*.wasm (asconfig.json targets); do not edit.",
    // Typed as plain strings: a `const` object would put 300 kB of literal types into the published .d.ts.
    "export const WASM_BASE64: Readonly<Record<\"simd\" | \"scalar\" | \"simdShared\" | \"scalarShared\", string>> = {",
  ];
  mkdirSync(join(root, "dist", "wasm"), { recursive: true });
  await compileAll();
  for (const [variant, target] of Object.entries(targets)) {
    const file = `gradstep-${target}.wasm`;
    const bytes = withCustomSection(readFileSync(join(root, "build", file)), "gradstep", variant);
    writeFileSync(join(root, "build", file), bytes);
    writeFileSync(join(root, "dist", "wasm", file), bytes);
    lines.push(`  ${variant}: "${bytes.toString("base64")}",`);
  }
  lines.push("};", "");
  writeFileSync(join(root, "src", "generated", "wasm.ts"), lines.join("\n"));
  console.log("built build/ and dist/wasm/gradstep-{simd,scalar,simd-shared,scalar-shared}.wasm and src/generated/{wasm,wgsl-rules}.ts");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await build();
