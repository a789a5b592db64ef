// The WGSL element rules generated from the AssemblyScript rules (scripts/wgsl-rules.mjs): the translation of
// each construct (a table of `at` bodies and the WGSL each gives), the constructs it refuses (the build fails
// with the file, line and construct), and the registry: every elementwise optimizer has a generated rule that
// reads the spec's scalars. That each generated rule steps bit for bit as the Wasm kernels is the webgpu parity
// suite's (test/webgpu/parity.test.ts).
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { elementwiseRules } from "../scripts/build-wasm.mjs";
import { translateRule, wgslRulesModule } from "../scripts/wgsl-rules.mjs";
import { FLAG_MAP } from "../src/abi/index.js";
import { WGSL_RULES } from "../src/generated/wgsl-rules.js";
import { wgslRule } from "../src/webgpu/driver.js";
import { REGISTRY } from "./registry.js";

/** A rule class around `body`: buffers expAvg, _b (unused), c, prev; scalars lr, beta, wd, then gradScale. */
const rule = (body: string, params = "lr: T, beta: T, wd: T, gradScale: T") => `export class R {
  @inline at<T, S>(o: usize, param: usize, grad: usize, expAvg: usize, _b: usize, c: usize, prev: usize,
      ${params}, ${Array.from({ length: 14 - params.split(",").length }, (_, k) => `s${k}: T`).join(", ")},
      f: i32, sr: bool, mix: u32): void {
${body}
  }
}`;
const wgsl = (body: string, params?: string) => translateRule(rule(body, params), "R", "r.ts");

describe("an AssemblyScript rule's WGSL", () => {
  it.each([
    ["loads and stores at the buffers by position; the operations' tree kept, in as few parentheses as WGSL needs",
      "st<T>(param, o, sub<T>(ld<T>(param, o), mul<T>(lr, add<T>(ld<T>(grad, o), ld<T>(prev, o)))));",
      "param[ip] = param[ip] - lr * (grad[ig] + d[id]);"],
    ["f32 operations do not associate: a right operand of the same rank keeps its parentheses",
      "st<T>(c, o, sub<T>(sub<T>(lr, beta), sub<T>(wd, div<T>(div<T>(lr, beta), mul<T>(wd, lr)))));",
      "c[ic] = lr - beta - (wd - lr / beta / (wd * lr));"],
    ["the low-precision loads and stores: the driver rounds",
      "sts<T, S>(expAvg, o, neg<T>(lds<T, S>(expAvg, o)), sr, mix);", "a[ia] = -a[ia];"],
    ["const is let, let is var; a declared type; an assignment",
      "const p = ld<T>(param, o);\nlet u: T;\nlet v = p;\nu = mul<T>(v, splat<T>(2));",
      "let p = param[ip];\nvar u: f32;\nvar v = p;\nu = v * 2.0;"],
    ["flag tests, if / else without braces, return",
      "const t = (f & TFJS) != 0;\nif ((f & (MOMENTUM | NESTEROV)) == 0) return;\nif (t && (f & AMSGRAD) != 0) st<T>(c, o, lr);\nelse { st<T>(c, o, beta); }",
      "let t = has(TFJS);\nif (!has(MOMENTUM | NESTEROV)) {\n  return;\n}\nif (t && has(AMSGRAD)) {\n  c[ic] = lr;\n} else {\n  c[ic] = beta;\n}"],
    ["the gradient prologue: gradIn; with a mask, gradInHas (the gradient scale, where it stands for an unread wd, is 0)",
      "const g = gradInFlags<T>(ld<T>(grad, o), lr, gradScale, wd, f);\nconst h = gradInFlags<T>(g, lr, gradScale, gradScale, f, GRAD_SCALE | CLIP);",
      "let g = gradIn(grad[ig], lr, wd);\nlet h = gradInHas(g, lr, 0.0, GRAD_SCALE | CLIP);"],
    ["a ternary and the lane selects are select()",
      "st<T>(c, o, (f & INIT_BUFFER) != 0 ? lr : selectGt<T>(lr, beta, wd, selectLt<T>(lr, beta, beta, lr)));",
      "c[ic] = select(select(select(lr, beta, lr < beta), wd, lr > beta), lr, has(INIT_BUFFER));"],
    ["the helpers of common.ts by their WGSL twins",
      "st<T>(param, o, add<T>(sign<T>(lr), maxv<T>(absv<T>(beta), sqrt<T>(lerp<T>(lr, beta, wd)))));",
      "param[ip] = sign1(lr) + max(abs(beta), sqrt(lerp(lr, beta, wd)));"],
    ["a local named as one of the driver's gets a _",
      "const a = ld<T>(expAvg, o);\nconst d = add<T>(a, lr);\nst<T>(expAvg, o, d);",
      "let a_ = a[ia];\nlet d_ = a_ + lr;\na[ia] = d_;"],
    ["x + (y - x) is kept from folding into y",
      "const y = ld<T>(param, o);\nst<T>(param, o, add<T>(y, sub<T>(lr, y)));",
      "let y = param[ip];\nparam[ip] = y + keep(lr - y);"],
  ])("%s", (_, body, want) => {
    expect(wgsl(body).body).toBe(`${want.split("\n").map((l) => `  ${l}`).join("\n")}\n`);
  });

  it("reads its scalars by name, those before the gradient scale; without gradInFlags, up to the last it reads", () => {
    expect(wgsl("st<T>(param, o, gradInFlags<T>(ld<T>(grad, o), lr, gradScale, lr, f));").scalars).toEqual(["lr", "beta", "wd"]);
    expect(wgsl("st<T>(param, o, beta);").scalars).toEqual(["lr", "beta"]);
  });

  it.each([
    ["a call without a WGSL twin", "st<T>(param, o, torchLerp<T>(lr, beta, wd, wd, true));", /^r\.ts:5: R\.at\(\): the call torchLerp\(\) has no WGSL translation/],
    ["a comparison", "if (lr < beta) return;", /^r\.ts:5: R\.at\(\): '\)' where '>' belongs has no WGSL translation/],
    ["a padding scalar", "st<T>(param, o, gradInFlags<T>(ld<T>(grad, o), lr, gradScale, s0, f));", /'s0' \(the scalar parameter\)/],
    ["a gradient scale that is a spec scalar", "st<T>(param, o, gradInFlags<T>(ld<T>(grad, o), lr, wd, lr, f));\nst<T>(c, o, gradInFlags<T>(lr, lr, gradScale, lr, f));", /gradient scale that is not the same scalar/],
    ["a store to grad", "st<T>(grad, o, lr);", /a store to grad/],
    ["a buffer read without ld", "st<T>(param, o, expAvg);", /'expAvg' \(the buffer parameter\)/],
    ["a load not at o", "st<T>(param, o, ld<T>(expAvg, o + 4));", /'\+' where ',' belongs/],
    ["a number outside splat", "st<T>(param, o, mul<T>(lr, 2));", /the number 2 outside splat/],
    ["unary minus on a lane value", "st<T>(param, o, -lr);", /unary minus/],
    ["an assignment to a parameter", "lr = beta;", /an assignment to 'lr', not a local/],
    ["a loop", "for (let k = 0; k < 4; k++) st<T>(param, o, lr);", /a statement that is not a declaration/],
  ])("refuses %s, naming the file, line and construct", (_, body, message) => {
    expect(() => wgsl(body)).toThrow(message);
  });

  it("refuses a rule whose at() is not the elementwise signature (by the type at each position)", () => {
    expect(() => translateRule(rule("return;").replace("f: i32", "f: f32"), "R", "r.ts")).toThrow(/^r\.ts:4: R\.at\(\): parameter 22 \(f: f32\) out of the elementwise signature/);
    expect(() => translateRule(rule("return;").replace("lr: T", "e: usize, lr: T"), "R", "r.ts")).toThrow(/parameter 8 \(e: usize\) out of the elementwise signature/);
    expect(() => translateRule("class Q {}", "Q", "q.ts")).toThrow(/^q\.ts: no class Q with an at<T, S>/);
  });

  it("the generated module: each kernel's rule by its name; an untranslatable rule fails it with its file", () => {
    const good = { kernel: "r_f32", rule: "R", source: rule("st<T>(param, o, lr);"), file: "r.ts" };
    expect(wgslRulesModule([good])).toContain('  r_f32: {\n    scalars: ["lr"],\n    body: /* wgsl */ `\n  param[ip] = lr;\n`,\n  },');
    expect(() => wgslRulesModule([good, { ...good, source: rule("st<T>(param, o, nope<T>(lr));"), file: "bad.ts" }])).toThrow(/^bad\.ts:5: .*nope\(\)/);
  });
});

/** Elementwise optimizers without a WGSL rule, and why. */
const NO_RULE: Record<string, string> = {
  Prodigy: "two passes around global reductions (its kernel is not one elementwise rule): refused on WebGPU",
};

describe("the generated rules of the registry", () => {
  const elementwise = REGISTRY.filter((e) => e.spec.kind !== "tensor");
  it("src/generated/wgsl-rules.ts is the translation of today's rules (a rule edited since the build: npm run build)", () => {
    expect(readFileSync(new URL("../src/generated/wgsl-rules.ts", import.meta.url), "utf8")).toBe(wgslRulesModule(elementwiseRules()));
  });
  it("every elementwise optimizer has one (or a stated exemption)", () => {
    expect(elementwise.filter((e) => WGSL_RULES[e.spec.kernel] === undefined).map((e) => e.name)).toEqual(Object.keys(NO_RULE));
    expect(Object.keys(WGSL_RULES).length).toBeGreaterThanOrEqual(17);
  });
  it.each(elementwise.filter((e) => !(e.name in NO_RULE)).map((e) => ({ name: e.name, spec: e.spec })))("$name: its rule reads the spec's scalars, by the same names and in order, and known flags", ({ spec }) => {
    const rule = WGSL_RULES[spec.kernel]!;
    expect(rule.scalars).toEqual(spec.scalars);
    expect(wgslRule(spec)).toBe(rule.body);
    const flags = [...rule.body.matchAll(/has\(([^)]*)\)|gradInHas\([^)]*, ([A-Z_ |]+)\)/g)].flatMap((m) => (m[1] ?? m[2])!.split(" | "));
    expect(flags.filter((f) => !(f in FLAG_MAP))).toEqual([]);
  });
  it("a spec whose scalars are not its kernel's is refused by name", () => {
    const spec = REGISTRY.find((e) => e.name === "Adam")!.spec;
    expect(() => wgslRule({ ...spec, scalars: [...spec.scalars].reverse() })).toThrow(/^Adam: the spec's scalars \(bc2, .*\) are not those of adam_f32 \(stepSize, /);
  });
});
