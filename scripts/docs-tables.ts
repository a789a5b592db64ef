// Writes the documentation's per-optimizer parts from the registry (src/optim/index.ts), between markers:
// - README.md, <!-- optimizers:start --> ... <!-- optimizers:end -->: the optimizer table (names, kinds,
//   defaults, state buffers, state dtypes, kernels, and the fixture references of the cases files);
// - docs/optimizers.md, <!-- classes:start --> ... <!-- classes:end -->: one section per class (the update rule
//   from its source file's header comment, every option with its default and meaning, its state, kernel,
//   reference and tolerance from the hand-written table above the markers);
// - docs/low-precision.md, <!-- lowp:start --> ... <!-- lowp:end -->: the optimizers with bf16/int8 state.
// test/docs.test.ts fails when a committed file differs from what this writes. Run: npm run docs:tables
import { readFileSync, writeFileSync } from "node:fs";
import ts from "typescript";
import { OPTIMIZERS, type OptimizerEntry } from "../src/optim/index.js";
import { fixtureCaseList } from "../test/registry.js";

export const START = "<!-- optimizers:start -->", END = "<!-- optimizers:end -->";
export const CLASSES_START = "<!-- classes:start -->", CLASSES_END = "<!-- classes:end -->";
const LOWP_START = "<!-- lowp:start -->", LOWP_END = "<!-- lowp:end -->";
const ROOT = new URL("../", import.meta.url);
/** The files this script writes, relative to the repository root. */
export const TARGETS = ["README.md", "docs/optimizers.md", "docs/low-precision.md"] as const;
export type Target = (typeof TARGETS)[number];

/**
 * What an option means, where its interface (`<Name>Options` in src/optim/<id>.ts) has no doc comment on it.
 * `Class.option` overrides the shared meaning for one class.
 */
export const MEANINGS: Record<string, string> = {
  lr: "learning rate γ",
  betas: "decay rates of the moving averages (β1, β2[, β3])",
  eps: "term added to the denominator for numerical stability",
  epsRoot: "term added inside the square root (Optax's `eps_root`)",
  weightDecay: "weight decay λ (L2 penalty added to the gradient unless the class says decoupled)",
  decoupledWeightDecay: "decoupled weight decay θ ← θ(1 − γλ) instead of the L2 term (AdamW's)",
  amsgrad: "use the maximum of past second moments (AMSGrad)",
  maximize: "maximize the objective (step along the gradient)",
  momentum: "momentum factor (0: none)",
  dampening: "dampening for momentum",
  nesterov: "Nesterov momentum",
  lrDecay: "learning-rate decay: γ / (1 + (t − 1)·lrDecay)",
  initialAccumulatorValue: "initial value of the sum of squared gradients",
  alpha: "smoothing constant",
  "AdEMAMix.alpha": "weight of the slow moving average in the update",
  "ASGD.alpha": "power for the eta update",
  centered: "normalize by an estimate of the gradient's variance",
  rho: "decay rate of the squared-gradient and squared-update averages",
  momentumDecay: "momentum decay ψ of NAdam's μ_t = β1(1 − ½·0.96^(tψ))",
  lambd: "decay term",
  t0: "step at which averaging starts",
  etas: "multiplicative decrease and increase factors (η−, η+)",
  stepSizes: "minimal and maximal step sizes",
  warmupSteps: "linear warm-up steps of the learning rate",
  weightLrPower: "power of the max learning rate in the averaging weight",
  trustCoefficient: "trust coefficient η of the layer-wise trust ratio",
  nsCoefficients: "coefficients (a, b, c) of the Newton–Schulz iteration",
  nsSteps: "Newton–Schulz iterations",
  adjustLrFn: "learning-rate adjustment for the matrix shape: null, \"original\" or \"match_rms_adamw\"",
  beta2Decay: "exponent of the second-moment decay rate 1 − t^beta2Decay",
  "Adafactor.eps": "[eps1, eps2]: eps1 regularizes the second moment (null: f32's machine ε), eps2 the param's RMS",
  d: "clipping threshold of the update's RMS",
  clipping: "clip the normalized gradient to (t − 1)^¼ (Optax's `use_clipping`)",
  flavor: "\"torch\" (default) or \"tfjs\": TensorFlow.js's formulas and order (see TensorFlow.js)",
  stateDtype: "how state buffers are stored: \"f32\", \"bf16\" or \"int8\" (see Low-precision state)",
  stochasticRounding: "bf16 state: false (round to nearest even) or an integer seed for reproducible stochastic rounding",
  maxIter: "maximal iterations per step",
  maxEval: "maximal closure evaluations per step (null: ⌊maxIter·5/4⌋)",
  toleranceGrad: "stop when max|g| ≤ this",
  toleranceChange: "stop when the step or the change of loss is below this",
  historySize: "update history kept (pairs of vectors)",
  lineSearchFn: "null (fixed step) or \"strong_wolfe\"",
};

/** A default as the docs write it: 1e-3 and 1e6 for small and large numbers, arrays bracketed, strings quoted. */
function value(v: unknown): string {
  if (typeof v === "number") return v !== 0 && (Math.abs(v) < 1e-2 || Math.abs(v) >= 1e5) ? v.toExponential().replace("+", "") : String(v);
  if (Array.isArray(v)) return `[${v.map(value).join(", ")}]`;
  return JSON.stringify(v);
}

const KINDS = { elementwise: "elementwise", tensor: "per-tensor", closure: "closure" } as const;
const kindOf = (e: OptimizerEntry) => KINDS[e.kind ?? (e.spec as { kind?: "tensor" }).kind ?? "elementwise"] +
  (e.kind !== "closure" && e.spec.global ? `, ${e.spec.global.passes} passes with global reductions` : "");
const kernelsOf = (e: OptimizerEntry) => (e.kind === "closure" ? e.spec.kernels : [e.spec.kernel]).map((k) => `\`${k}\``).join(", ");
const dtypesOf = (e: OptimizerEntry) => (e.kind !== "closure" && e.spec.lowp ? "f32, bf16, int8" : "f32");

function references(e: OptimizerEntry): string[] {
  return [...new Set(fixtureCaseList().filter((c) => c.optimizer === e.spec.name).map((c) => c.reference))];
}

function row(e: OptimizerEntry): string {
  const spec = e.spec;
  const defaults = Object.entries(spec.defaults as object).map(([k, v]) => `\`${k}\` ${value(v)}`).join(", ");
  const buffers = e.kind === "closure" ? "its own (see docs/optimizers.md)" : e.spec.buffers.filter((b) => !b.transient).map((b) => `\`${b.name}\``).join(", ");
  return `| \`${spec.name}\` | ${references(e).join(", ")} | ${kindOf(e)} | ${defaults} | ${buffers} | ${dtypesOf(e)} | ${kernelsOf(e)} |`;
}

/** The table, one row per registry entry, in registry order. */
export function table(): string {
  return [
    "| optimizer | fixtures from | kind | options (defaults) | state buffers | state dtypes | kernels |",
    "|---|---|---|---|---|---|---|",
    ...OPTIMIZERS.map(row),
  ].join("\n");
}

/** The optimizers with low-precision state (spec.lowp), as a sentence's list. */
export function lowpList(): string {
  const names = OPTIMIZERS.filter((e) => e.kind !== "closure" && e.spec.lowp).map((e) => `\`${e.spec.name}\``);
  return `${names.slice(0, -1).join(", ")} and ${names.at(-1)!}`;
}

/** The source file of a registry entry and its text. */
const sourceOf = (e: OptimizerEntry) => readFileSync(new URL(`src/optim/${e.id}.ts`, ROOT), "utf8");

/**
 * The doc comment of class `name` in an optimizer's source (its equations, defaults and reference), or the
 * source's header comment when it opens with one, as Markdown: prose lines as text, indented lines (the
 * equations) as a fenced block; the `@example` is left out (the class's own).
 */
export function updateRule(source: string, name?: string): string {
  const above = name === undefined ? -1 : source.search(new RegExp(`\\*/\\nexport class ${name}\\b`));
  const comment = source.startsWith("/**") || above < 0 ? source : source.slice(source.lastIndexOf("\n/**", above) + 1);
  const m = /^\/\*\*\n([^]*?)\n \*\//.exec(comment);
  if (!m) throw new Error(`no ${name === undefined ? "header" : `${name} class`} comment`);
  const lines = m[1]!.split("\n").map((l) => l.replace(/^ \*( |$)/, ""));
  const end = lines.findIndex((l) => l.startsWith("@example"));
  const out: string[] = [];
  let fenced = false;
  for (const l of end < 0 ? lines : lines.slice(0, end)) {
    const indented = /^\s{2,}\S/.test(l);
    if (indented !== fenced) { out.push(indented ? "```text" : "```"); fenced = indented; }
    out.push(l);
  }
  if (fenced) out.push("```");
  return out.join("\n").replace(/\n+$/, "");
}

/** The doc comments on the properties of the `<Name>Options` interface in the source, by property name. */
export function optionDocs(source: string, name: string): Map<string, string> {
  const file = ts.createSourceFile("x.ts", source, ts.ScriptTarget.Latest, true);
  const docs = new Map<string, string>();
  file.forEachChild((node) => {
    if (!ts.isInterfaceDeclaration(node) || node.name.text !== `${name}Options`) return;
    for (const m of node.members) {
      const text = ts.getJSDocCommentsAndTags(m).map((d) => (ts.isJSDoc(d) ? ts.getTextOfJSDocComment(d.comment) ?? "" : "")).join(" ");
      if (m.name && ts.isIdentifier(m.name) && text.trim()) docs.set(m.name.text, text.replace(/\s+/g, " ").trim());
    }
  });
  return docs;
}

/** The doc comments of the options many optimizers share (SharedOptions in src/core/spec.ts), by name. */
const sharedDocs = () => optionDocs(readFileSync(new URL("src/core/spec.ts", ROOT), "utf8"), "Shared");

/** Every option of an entry with its meaning: the interface's doc comment, SharedOptions's, else MEANINGS; throws on none. */
export function options(e: OptimizerEntry): { name: string; value: string; meaning: string }[] {
  const docs = new Map([...sharedDocs(), ...optionDocs(sourceOf(e), e.spec.name)]);
  return Object.entries(e.spec.defaults as object).map(([name, v]) => {
    const meaning = docs.get(name) ?? MEANINGS[`${e.spec.name}.${name}`] ?? MEANINGS[name];
    if (!meaning) throw new Error(`${e.spec.name}: option ${name} has no meaning: add a doc comment on ${e.spec.name}Options.${name} or a MEANINGS entry in scripts/docs-tables.ts`);
    return { name, value: value(v), meaning: meaning.replace(/\|/g, "\\|") };
  });
}

/** The hand-written reference table of docs/optimizers.md (above the generated part), by optimizer name. */
export function notes(doc: string): Map<string, { reference: string; state: string; tolerance: string }> {
  const at = doc.indexOf("| optimizer | reference |");
  if (at < 0) throw new Error("docs/optimizers.md: no reference table (| optimizer | reference | ...)");
  const rows = doc.slice(at).split("\n").slice(2);
  const out = new Map<string, { reference: string; state: string; tolerance: string }>();
  for (const r of rows.slice(0, rows.findIndex((l) => !l.startsWith("|")))) {
    const cells = r.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
    out.set(cells[0]!.replace(/`/g, ""), { reference: cells[1]!, state: cells[3]!, tolerance: cells[5]! });
  }
  return out;
}

/** Lookahead's section: not a registry entry (it wraps one), but its source opens with its rule the same way. */
function wrapper(n: { reference: string; tolerance: string } | undefined): string {
  if (!n) throw new Error("docs/optimizers.md: the reference table has no row for Lookahead");
  return [
    "### Lookahead", "",
    "`new Lookahead(inner, options?)` · wrapper around any optimizer above · source [`src/optim/lookahead.ts`](../src/optim/lookahead.ts)", "",
    updateRule(readFileSync(new URL("src/optim/lookahead.ts", ROOT), "utf8")), "",
    `- **Reference**: ${n.reference}.`,
    `- **Tolerance** against it: ${n.tolerance}.`,
  ].join("\n");
}

/** One section per registry optimizer, in registry order, then Lookahead. */
export function classes(doc: string): string {
  const ref = notes(doc);
  const index = [...OPTIMIZERS.map((e) => e.spec.name), "Lookahead"].map((name) => `[${name}](#${name.toLowerCase()})`).join(" · ");
  return [index, ...OPTIMIZERS.map((e) => {
    const name = e.spec.name, n = ref.get(name);
    if (!n) throw new Error(`docs/optimizers.md: the reference table has no row for ${name}`);
    const state = e.kind === "closure" ? n.state : ["`step`", ...e.spec.buffers.map((b) => `\`${b.name}\``)].join(", ");
    return [
      `### ${name}`, "",
      `\`new ${name}(params, options?)\` · ${kindOf(e)} · source [\`src/optim/${e.id}.ts\`](../src/optim/${e.id}.ts)`, "",
      updateRule(sourceOf(e), e.spec.name), "",
      "| option | default | meaning |", "|---|---|---|",
      ...options(e).map((o) => `| \`${o.name}\` | ${o.value} | ${o.meaning} |`), "",
      `- **State** (PyTorch's names): ${state}; stored as ${dtypesOf(e)}.`,
      `- **Kernel${e.kind === "closure" ? "s" : ""}**: ${kernelsOf(e)}.`,
      `- **Reference**: ${n.reference}; fixtures from ${references(e).join(", ") || "none"}.`,
      `- **Tolerance** against it: ${n.tolerance}.`,
    ].join("\n");
  }), wrapper(ref.get("Lookahead"))].join("\n\n");
}

function between(text: string, start: string, end: string, content: string, file: string): string {
  const a = text.indexOf(start), b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`${file}: no ${start} ... ${end} markers`);
  return text.slice(0, a + start.length) + content + text.slice(b);
}

export const read = (file: Target) => readFileSync(new URL(file, ROOT), "utf8");

/** The file's text with what is between its markers generated. */
export function render(file: Target, text = read(file)): string {
  if (file === "README.md") return between(text, START, END, `\n${table()}\n`, file);
  if (file === "docs/optimizers.md") return between(text, CLASSES_START, CLASSES_END, `\n${classes(text)}\n`, file);
  return between(text, LOWP_START, LOWP_END, lowpList(), file);
}

if (process.argv[1]?.endsWith("docs-tables.ts")) {
  for (const f of TARGETS) writeFileSync(new URL(f, ROOT), render(f));
  console.log(`wrote the generated parts of ${TARGETS.join(", ")}`);
}
