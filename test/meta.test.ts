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
import { kernelFiles } from "../scripts/build-wasm.mjs";

const root = new URL("../", import.meta.url);
const file = (path: string) => new URL(path, root);
const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
// The Wasm module's exports: assembly/index.ts's own, and the optimizers' kernels that scripts/build-wasm.mjs
// finds in assembly/optim/<stem>.ts (their exports, and the low-precision twins it writes for them).
const KERNEL_FILES = kernelFiles();
const kernelsOf = (stem: string) => KERNEL_FILES.filter((k) => k.stem === stem).flatMap((k) => [...k.exports, ...k.twins.map((t) => t.name)]);
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
  const source = readFileSync(file(`assembly/optim/${e.kernelOf ?? e.id}.ts`), "utf8");
  const m = new RegExp(`export function ${e.spec.kernel}\\(([^)]*)\\)`, "s").exec(source);
  expect(m, `export function ${e.spec.kernel}(...) in assembly`).not.toBeNull();
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
