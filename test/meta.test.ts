// The registry is complete: every optimizer in src/optim/index.ts has its kernel, reference, cases file and
// bench file; its spec's buffers and scalars are its kernel's parameters, in order; the fixture generator's
// case list is up to date. A new optimizer that forgets one of these fails here, by name.
import { existsSync, readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { AUX_KERNELS } from "../src/abi/index.js";
import { CLOSURE_OPTIMIZERS, KERNELS, OPTIMIZERS, STEP_OPTIMIZERS } from "../src/optim/index.js";
import { render } from "../scripts/fixture-cases.js";
import { MISSING_CASES } from "./registry.js";

const root = new URL("../", import.meta.url);
const file = (path: string) => new URL(path, root);
const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

it("every registry optimizer has a cases file test/optim/<id>.cases.ts", () => {
  expect(MISSING_CASES).toEqual([]);
});

it.each(OPTIMIZERS.map((e) => ({ ...e, name: e.spec.name })))("$name has its files: class, reference, kernel, bench", (e) => {
  const kernelId = e.kernelOf ?? e.id;
  for (const path of [`src/optim/${e.id}.ts`, `src/optim/${kernelId}.reference.ts`, `assembly/optim/${kernelId}.ts`, `bench/optim/${e.id}.bench.ts`]) {
    expect(existsSync(file(path)), `${e.spec.name}: ${path}`).toBe(true);
  }
  const index = readFileSync(file("assembly/index.ts"), "utf8");
  if (e.kind === "closure") {
    for (const k of e.spec.kernels) expect(index, `assembly/index.ts exports ${k}`).toMatch(new RegExp(`export \\{[^}]*\\b${k}\\b[^}]*\\} from "./optim/${e.id}"`));
  } else {
    expect(index, "assembly/index.ts exports the kernel").toContain(`export { ${e.spec.kernel} }`);
  }
});

it.each(CLOSURE_OPTIMIZERS.map((e) => ({ ...e, name: e.spec.name })))("$name (closure kind): its kernels are declared with their arity and have references of that arity", (e) => {
  const source = readFileSync(file(`assembly/optim/${e.id}.ts`), "utf8");
  for (const k of e.spec.kernels) {
    const m = new RegExp(`export function ${k}\\(([^)]*)\\)`, "s").exec(source);
    expect(m, `export function ${k}(...) in assembly/optim/${e.id}.ts`).not.toBeNull();
    const arity = m![1]!.split(",").filter((x) => x.trim()).length;
    expect(AUX_KERNELS[k], `AUX_KERNELS.${k}`).toBe(arity);
    expect(e.spec.reference[k]?.length, `reference ${k}`).toBe(arity);
  }
});

it.each(STEP_OPTIMIZERS.map((e) => ({ ...e, name: e.spec.name })))("$name: spec buffers and scalars are the kernel's parameters, in order", (e) => {
  const source = readFileSync(file(`assembly/optim/${e.kernelOf ?? e.id}.ts`), "utf8");
  const m = new RegExp(`export function ${e.spec.kernel}\\(([^)]*)\\)`, "s").exec(source);
  expect(m, `export function ${e.spec.kernel}(...) in assembly`).not.toBeNull();
  const params = m![1]!.split(",").map((p) => p.trim().split(":")[0]!.trim()).filter(Boolean);
  const expected = [...KERNELS[e.spec.kernel]!.pointers.map(camel), "n", ...e.spec.scalars, "gradScale", "flags"];
  expect(params).toEqual(expected);
});

it("test/fixtures/cases.json is the registry's fixture case list (else: npx tsx scripts/fixture-cases.ts)", () => {
  expect(readFileSync(file("test/fixtures/cases.json"), "utf8")).toBe(render());
});

it("registry ids and class names are unique", () => {
  expect(new Set(OPTIMIZERS.map((e) => e.id)).size).toBe(OPTIMIZERS.length);
  expect(new Set(OPTIMIZERS.map((e) => e.spec.name)).size).toBe(OPTIMIZERS.length);
});
