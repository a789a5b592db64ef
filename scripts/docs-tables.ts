// Writes the README's per-optimizer lists from the registry (src/optim/index.ts): the optimizer table between
// <!-- optimizers:start --> and <!-- optimizers:end --> (names, kinds, defaults, state buffers, state dtypes,
// kernels, and the fixture references of the cases files), and the list of optimizers with low-precision state
// between <!-- lowp:start --> and <!-- lowp:end -->. test/docs.test.ts fails when the committed README differs.
// Run: npm run docs:tables
import { readFileSync, writeFileSync } from "node:fs";
import { OPTIMIZERS, type OptimizerEntry } from "../src/optim/index.js";
import { fixtureCaseList } from "../test/registry.js";

export const START = "<!-- optimizers:start -->", END = "<!-- optimizers:end -->";
const LOWP_START = "<!-- lowp:start -->", LOWP_END = "<!-- lowp:end -->";
const README = new URL("../README.md", import.meta.url);

/** A default as the README writes it: 1e-3 and 1e6 for small and large numbers, arrays bracketed, strings quoted. */
function value(v: unknown): string {
  if (typeof v === "number") return v !== 0 && (Math.abs(v) < 1e-2 || Math.abs(v) >= 1e5) ? v.toExponential().replace("+", "") : String(v);
  if (Array.isArray(v)) return `[${v.map(value).join(", ")}]`;
  return JSON.stringify(v);
}

const KINDS = { elementwise: "elementwise", tensor: "per-tensor", closure: "closure" } as const;

function row(e: OptimizerEntry, references: string[]): string {
  const spec = e.spec;
  const kind = KINDS[e.kind ?? (spec as { kind?: "tensor" }).kind ?? "elementwise"] +
    (e.kind !== "closure" && e.spec.global ? `, ${e.spec.global.passes} passes with global reductions` : "");
  const defaults = Object.entries(spec.defaults as object).map(([k, v]) => `\`${k}\` ${value(v)}`).join(", ");
  const buffers = e.kind === "closure" ? "its own (see below)" : e.spec.buffers.filter((b) => !b.transient).map((b) => `\`${b.name}\``).join(", ");
  const dtypes = e.kind !== "closure" && e.spec.lowp ? "f32, bf16, int8" : "f32";
  const kernels = (e.kind === "closure" ? e.spec.kernels : [e.spec.kernel]).map((k) => `\`${k}\``).join(", ");
  return `| \`${spec.name}\` | ${references.join(", ")} | ${kind} | ${defaults} | ${buffers} | ${dtypes} | ${kernels} |`;
}

/** The table, one row per registry entry, in registry order. */
export function table(): string {
  const cases = fixtureCaseList();
  return [
    "| optimizer | fixtures from | kind | options (defaults) | state buffers | state dtypes | kernels |",
    "|---|---|---|---|---|---|---|",
    ...OPTIMIZERS.map((e) => row(e, [...new Set(cases.filter((c) => c.optimizer === e.spec.name).map((c) => c.reference))])),
  ].join("\n");
}

/** The optimizers with low-precision state (spec.lowp), as a sentence's list. */
export function lowpList(): string {
  const names = OPTIMIZERS.filter((e) => e.kind !== "closure" && e.spec.lowp).map((e) => `\`${e.spec.name}\``);
  return `${names.slice(0, -1).join(", ")} and ${names.at(-1)!}`;
}

function between(text: string, start: string, end: string, content: string): string {
  const a = text.indexOf(start), b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`README.md: no ${start} ... ${end} markers`);
  return text.slice(0, a + start.length) + content + text.slice(b);
}

/** The README with what is between the markers generated. */
export function render(readme = readFileSync(README, "utf8")): string {
  return between(between(readme, START, END, `\n${table()}\n`), LOWP_START, LOWP_END, lowpList());
}

if (process.argv[1]?.endsWith("docs-tables.ts")) {
  writeFileSync(README, render());
  console.log("wrote the optimizer table of README.md");
}
