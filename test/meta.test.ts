// The registry is complete: every optimizer in src/optim/index.ts has its kernel, reference, cases file and
// bench file; its spec's buffers and scalars are its kernel's parameters, in order; the fixture generator's
// case list is up to date. A new optimizer that forgets one of these fails here, by name.
import { existsSync, readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { AUX_KERNELS, FLAGS } from "../src/abi/index.js";
import { closureOptimizers, kernels, OPTIMIZERS, stepOptimizers } from "../src/optim/index.js";
import { render } from "../scripts/fixture-cases.js";
import { MISSING_CASES } from "./registry.js";
import type { BenchCase } from "../bench/cases.js";
import { kernelFiles, ruleKernels } from "../scripts/build-wasm.mjs";

const root = new URL("../", import.meta.url);
const file = (path: string) => new URL(path, root);
const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
// The Wasm module's exports: assembly/index.ts's own, and the optimizers' kernels that scripts/build-wasm.mjs
// finds in assembly/optim/<stem>.ts (their hand-written exports, and the kernels it writes from their rules).
const KERNEL_FILES = kernelFiles();
const kernelsOf = (stem: string) => KERNEL_FILES.filter((k) => k.stem === stem).flatMap((k) => [...k.exports, ...k.generated.map((t) => t.name)]);
const WASM_EXPORTS = [
  ...[...readFileSync(file("assembly/index.ts"), "utf8").matchAll(/^export \{([^}]*)\} from/gm)].flatMap((m) => m[1]!.split(",").map((x) => x.trim())),
  ...KERNEL_FILES.flatMap((k) => kernelsOf(k.stem)),
];

it("every registry optimizer has a cases file test/optim/<id>.cases.ts", () => {
  expect(MISSING_CASES).toEqual([]);
});

it.each(OPTIMIZERS.map((e) => ({ ...e, name: e.spec.name })))("$name has its files: class, reference, kernel, bench", (e) => {
  const kernelId = e.kernelOf ?? e.id;
  for (const path of [`src/optim/${e.id}.ts`, `src/optim/${kernelId}.reference.ts`, `assembly/optim/${kernelId}.ts`, `bench/optim/${e.id}.bench.ts`]) {
    expect(existsSync(file(path)), `${e.spec.name}: ${path}`).toBe(true);
  }
  const kernels = e.kind === "closure" ? e.spec.kernels : [e.spec.kernel];
  expect(kernelsOf(kernelId), `assembly/optim/${kernelId}.ts has its kernels`).toEqual(expect.arrayContaining([...kernels]));
});

it.each(closureOptimizers().map((e) => ({ ...e, name: e.spec.name })))("$name (closure kind): its kernels are declared with their arity and have references of that arity", (e) => {
  const source = readFileSync(file(`assembly/optim/${e.id}.ts`), "utf8");
  for (const k of e.spec.kernels) {
    const m = new RegExp(`export function ${k}\\(([^)]*)\\)`, "s").exec(source);
    expect(m, `export function ${k}(...) in assembly/optim/${e.id}.ts`).not.toBeNull();
    const arity = m![1]!.split(",").filter((x) => x.trim()).length;
    expect(AUX_KERNELS[k], `AUX_KERNELS.${k}`).toBe(arity);
    expect(e.spec.reference[k]?.length, `reference ${k}`).toBe(arity);
  }
});

it.each(stepOptimizers().map((e) => ({ ...e, name: e.spec.name })))("$name: spec buffers and scalars are the kernel's parameters, in order", (e) => {
  const stem = e.kernelOf ?? e.id, generated = KERNEL_FILES.find((k) => k.stem === stem)?.generated ?? [];
  const source = generated.find((g) => g.name === e.spec.kernel)?.code ?? readFileSync(file(`assembly/optim/${stem}.ts`), "utf8");
  const m = new RegExp(`export function ${e.spec.kernel}\\(([^)]*)\\)`, "s").exec(source);
  expect(m, `export function ${e.spec.kernel}(...) in assembly/optim/${stem}.ts or generated from its rule`).not.toBeNull();
  const params = m![1]!.split(",").map((p) => p.trim().split(":")[0]!.trim()).filter(Boolean);
  const expected = [...kernels()[e.spec.kernel]!.pointers.map(camel), "n", ...e.spec.scalars, "gradScale", "flags"];
  expect(params).toEqual(expected);
});

it("test/fixtures/cases.json is the registry's fixture case list (else: npx tsx scripts/fixture-cases.ts)", () => {
  expect(readFileSync(file("test/fixtures/cases.json"), "utf8")).toBe(render());
});

it("registry ids and class names are unique", () => {
  expect(new Set(OPTIMIZERS.map((e) => e.id)).size).toBe(OPTIMIZERS.length);
  expect(new Set(OPTIMIZERS.map((e) => e.spec.name)).size).toBe(OPTIMIZERS.length);
});

it("the Wasm module exports exactly the registry's kernels (and their bf16/int8 twins), the aux kernels and the flags", () => {
  expect([...WASM_EXPORTS].sort()).toEqual([...Object.keys(kernels()), ...Object.keys(AUX_KERNELS), ...Object.keys(FLAGS)].sort());
});

// A rule's at<T, S> as scripts/build-wasm.mjs reads it: buffers a..d, then scalars s0..s13 (`_` = not the kernel's).
const at = (buffers: string, scalars: string) => `export class Foo {\n  @inline state(k: i32): i32 { return 0; }\n` +
  `  @inline at<T, S>(o: usize, param: usize, grad: usize, ${buffers}, ${scalars}, f: i32, sr: bool, mix: u32): void {\n  }\n}\n`;
const rest = (from: number) => Array.from({ length: 14 - from }, (_, i) => `_s${from + i}: T`).join(", ");

it("build-wasm writes a rule's kernels from its at signature: its buffers without _, its scalars up to gradScale", () => {
  const k = ruleKernels("foo", at("m: usize, _b: usize, v: usize, _d: usize", `lr: T, gradScale: T, ${rest(2)}`));
  expect(k.map((x) => x.name)).toEqual(["foo_f32", "foo_bf16", "foo_i8"]);
  expect(k[0]!.code).toBe("export function foo_f32(param: usize, m: usize, v: usize, grad: usize, n: i32, lr: f32, gradScale: f32, flags: i32): void {\n" +
    "  elementwise<Foo, f32>(param, grad, n, flags, m, 0, v, 0, lr, gradScale);\n}");
  expect(k[2]!.code).toContain("lowp<Foo, u8>(param, grad, n, flags, m, 0, v, 0, lr, gradScale);");
});

it.each([
  ["no gradScale", at("m: usize, _b: usize, _c: usize, _d: usize", `lr: T, ${rest(1)}`), "Foo.at: no scalar gradScale"],
  ["a scalar after gradScale without _", at("m: usize, _b: usize, _c: usize, _d: usize", `gradScale: T, lr: T, ${rest(2)}`),
    "scalars after gradScale are not the kernel's: prefix them with _ (lr)"],
  ["a parameter missing", at("m: usize, _b: usize, _c: usize", `gradScale: T, ${rest(1)}`), "Foo.at: 23 parameters, not 24"],
  ["two rules", at("m: usize, _b: usize, _c: usize, _d: usize", `gradScale: T, ${rest(1)}`).repeat(2).replace("class Foo", "class Bar"),
    "one exported rule class a file (Bar, Foo)"],
])("build-wasm refuses a rule with %s", (_, source, message) => {
  expect(() => ruleKernels("foo", source)).toThrow(message);
});

// The bench cases of every registry optimizer (what bench/cases-all.ts collects, loaded as vitest can).
const BENCH_CASES = (await Promise.all(OPTIMIZERS.map((e) => import(`../bench/optim/${e.id}.bench.ts`) as Promise<{ cases: BenchCase[] }>)))
  .flatMap((f) => f.cases);

it("every elementwise optimizer has a native C loop in its bench file (bench/native.ts compiles them) or says why not (noNative)", () => {
  for (const e of stepOptimizers().filter((x) => x.spec.kind !== "tensor")) {
    const cases = BENCH_CASES.filter((c) => c.id === e.id || c.id.startsWith(`${e.id}_`));
    expect(cases.some((c) => c.native || c.noNative), `${e.spec.name}: a native case in bench/optim/${e.id}.bench.ts (or its noNative reason)`).toBe(true);
  }
  for (const c of BENCH_CASES.filter((x) => x.noNative !== undefined)) expect([c.native, c.noNative!.length > 0], c.id).toEqual([undefined, true]);
  // bench/native.ts names each loop's C function after its case: the step must call that one.
  for (const c of BENCH_CASES.filter((x) => x.native)) expect(c.native!.step, c.id).toMatch(new RegExp(`\\b${c.id}\\(p, g, `));
});
