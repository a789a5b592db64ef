// Writes the README's registry table (between <!-- optimizers:start --> and <!-- optimizers:end -->) from the
// registry (src/optim/index.ts: names, kinds, defaults, state buffers, state dtypes, kernels) and the fixture
// references of the cases files. test/docs.test.ts fails when the committed README differs.
// Run: npm run docs:tables
import { readFileSync, writeFileSync } from "node:fs";
import { OPTIMIZERS, type OptimizerEntry } from "../src/optim/index.js";
import { fixtureCaseList } from "../test/registry.js";

export const START = "<!-- optimizers:start -->", END = "<!-- optimizers:end -->";
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
  const kind = KINDS[e.kind ?? (spec as { kind?: "tensor" }).kind ?? "elementwise"];
  const defaults = Object.entries(spec.defaults as object).map(([k, v]) => `\`${k}\` ${value(v)}`).join(", ");
  const buffers = e.kind === "closure" ? "its own (see below)" : e.spec.buffers.map((b) => `\`${b.name}\``).join(", ");
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

/** The README with the table between the markers replaced by `table()`. */
export function render(readme = readFileSync(README, "utf8")): string {
  const a = readme.indexOf(START), b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README.md: no ${START} ... ${END} markers`);
  return `${readme.slice(0, a + START.length)}\n${table()}\n${readme.slice(b)}`;
}

if (process.argv[1]?.endsWith("docs-tables.ts")) {
  writeFileSync(README, render());
  console.log("wrote the optimizer table of README.md");
}
