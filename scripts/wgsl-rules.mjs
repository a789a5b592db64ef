// The WGSL element rule of every elementwise optimizer, translated at build time from its one AssemblyScript
// rule (the `at<T, S>` method of the class its `<id>_f32` kernel instantiates, assembly/optim/<id>.ts): the
// webgpu backend's driver (src/webgpu/driver.ts kernelSource) composes it with its loop. scripts/build-wasm.mjs
// writes the result to src/generated/wgsl-rules.ts.
//
// `at` is lane-generic code in a small dialect (assembly/lib/common.ts): the translator parses it and writes
// the same operations in the same order, so each f32 rounds as in the Wasm kernels. The parameters map by
// position: param, grad, the four state buffers (a..d in WGSL, indexed by the driver's ia..id), the scalars (by
// their own names: the driver declares the spec's `scalars` as lets; the registry test checks the two lists
// agree) up to the gradient scale (the argument of gradInFlags: the driver's), then padding, the flags, the
// rounding mode and seed (bf16 stores round in the driver). A construct not listed here fails the build.

/** The helpers of assembly/lib/common.ts with a WGSL twin (a builtin, or driver.ts HELPERS) that rounds alike. */
const HELPERS = {
  sqrt: "sqrt", absv: "abs", clampp: "clampp", lerp: "lerp", ema2: "ema2", subScaledDiv: "subScaledDiv",
  tfjsMoment: "tfjsMoment", tfjsEma2: "tfjsEma2", optaxMoment: "optaxMoment", optaxMoment2: "optaxMoment2",
  // NaN-propagating in Wasm; WGSL leaves a NaN operand's result to the implementation (as the hand-written rules
  // had it: the parity suite checks the bits with finite operands).
  maxv: "max", maxp: "max", minv: "min",
  // -1, 0 keeping the sign of zero, or 1 (torch.sign); Rprop's -1, +0 or 1.
  sign: "sign1", torchSign: "torchSign", cbrt: "cbrt3",
};
const INFIX = { add: "+", sub: "-", mul: "*", div: "/" };
const SELECT = { selectGt: ">", selectLt: "<" };
/** Names of the driver (src/webgpu/driver.ts) a local of the rule must not shadow: such a local gets a `_`. */
const DRIVER_NAMES = new Set(["a", "b", "c", "d", "ia", "ib", "ic", "id", "ip", "ig", "e", "half_", "param", "grad",
  "args", "pre", "word", "scalar", "has", "keep", "gradIn", "gradInHas", "select", ...Object.values(HELPERS)]);
const TYPES = { T: "f32", bool: "bool" };
/** The kinds of an elementwise rule's parameters, by type: usize o, param, grad, then the state buffers (a..d). */
const KINDS = { T: "scalar", i32: "f", bool: "sr", u32: "mix" };

function tokenize(text, line0) {
  const tokens = [], re = /\s+|\/\/[^\n]*|\/\*[^]*?\*\/|([A-Za-z_]\w*)|(\d+(?:\.\d+)?)|(==|!=|&&|\|\||[^\s])/g;
  let line = line0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[1] ?? m[2] ?? m[3]) tokens.push({ t: m[1] ? "id" : m[2] ? "num" : "op", v: m[0], line });
    line += m[0].split("\n").length - 1;
  }
  return tokens;
}

/**
 * The WGSL of rule class `rule`'s `at` in AssemblyScript `source` (`file`: for messages): `{ scalars, body }`,
 * the scalars it reads by name (the kernel's, in order, before the gradient scale) and its statements.
 */
export function translateRule(source, rule, file = "assembly") {
  const cls = source.search(new RegExp(`class ${rule}\\b`)), start = cls < 0 ? -1 : source.indexOf("at<T, S>(", cls);
  if (start < 0) throw new Error(`${file}: no class ${rule} with an at<T, S>(...) method`);
  const toks = tokenize(source.slice(start), source.slice(0, start).split("\n").length);
  let i = 0;
  const fail = (what, tok = toks[i]) => {
    throw new Error(`${file}:${tok?.line ?? "end"}: ${rule}.at(): ${what} has no WGSL translation (scripts/wgsl-rules.mjs)`);
  };
  const peek = (v) => toks[i]?.v === v;
  const eat = (v) => (peek(v) ? toks[i++] : fail(`'${toks[i]?.v}' where '${v}' belongs`));
  const name = () => (toks[i]?.t === "id" ? toks[i++].v : fail(`'${toks[i]?.v}' where a name belongs`));

  // The signature: each parameter's kind by its position and type (o, param, grad, buffers, scalars, f, sr, mix).
  ["at", "<", "T", ",", "S", ">", "("].forEach(eat);
  const params = new Map(), scalarNames = [], kinds = [];
  while (!peek(")")) {
    if (kinds.length) eat(",");
    const n = name();
    eat(":");
    const type = name(), kind = type === "usize" ? ["o", "param", "grad"][kinds.length] ?? "buffer" : KINDS[type];
    const wgsl = kind === "buffer" ? "abcd"[kinds.length - 3] : kind, index = { param: "ip", grad: "ig", buffer: `i${wgsl}` }[kind];
    kinds.push(kind);
    if (!kinds.join(" ").match(/^o( param( grad( buffer){0,4}( scalar)*( f( sr( mix)?)?)?)?)?$/)) {
      fail(`parameter ${kinds.length} (${n}: ${type}) out of the elementwise signature (o, param, grad, a..d, scalars: T, f, sr, mix)`, toks[i - 1]);
    }
    params.set(n, { kind, wgsl, index, scalar: kind === "scalar" ? scalarNames.push(n) - 1 : undefined });
  }
  if (kinds.at(-1) !== "mix") fail("an at() signature that does not end with f: i32, sr: bool, mix: u32");
  [")", ":", "void", "{"].forEach(eat);

  // Expressions: ?:, ||, &&, == !=, |, &, unary ! -, calls (with type arguments), names, numbers, parentheses.
  const binary = (next, ops) => () => {
    let l = next();
    while (ops.includes(toks[i]?.v)) { const op = toks[i++].v; l = { k: "bin", op, l, r: next(), tok: toks[i - 1] }; }
    return l;
  };
  const primary = () => {
    const tok = toks[i];
    if (peek("(")) { eat("("); const e = ternary(); eat(")"); return e; }
    if (peek("!") || peek("-")) { i++; return { k: "un", op: tok.v, e: primary(), tok }; }
    if (tok?.t === "num") { i++; return { k: "num", v: tok.v, tok }; }
    const n = name();
    if (peek("<")) { eat("<"); name(); while (peek(",")) { eat(","); name(); } eat(">"); }
    if (!peek("(")) return { k: "id", n, tok };
    eat("(");
    const args = [];
    while (!peek(")")) { if (args.length) eat(","); args.push(ternary()); }
    eat(")");
    return { k: "call", n, args, tok };
  };
  const bitand = binary(primary, ["&"]), bitor = binary(bitand, ["|"]), eq = binary(bitor, ["==", "!="]);
  const and = binary(eq, ["&&"]), or = binary(and, ["||"]);
  const ternary = () => {
    const c = or();
    if (!peek("?")) return c;
    eat("?");
    const a = ternary();
    eat(":");
    return { k: "cond", c, a, b: ternary() };
  };

  const scopes = [];
  const local = (n) => scopes.findLast((s) => s.has(n))?.get(n);

  // WGSL of an expression, with its precedence (+ - 1, * / 2, unary 3, atoms 4; others 0: always in parentheses).
  const atom = (s) => ({ s, p: 4 });
  const wrap = (x, p) => (x.p < p ? `(${x.s})` : x.s);
  const flags = (e) => (e.k === "id" && /^[A-Z][A-Z0-9_]*$/.test(e.n) ? e.n
    : e.k === "bin" && e.op === "|" ? `${flags(e.l)} | ${flags(e.r)}` : fail("a flag mask that is not FLAG | FLAG ...", e.tok));
  const isParam = (e, kind) => e.k === "id" && params.get(e.n)?.kind === kind && !local(e.n);
  const buffer = (e, offset) => {
    const b = e.k === "id" && !local(e.n) && params.get(e.n);
    if (!b?.index || !isParam(offset, "o")) fail("a load or store not at (buffer, o)", e.tok);
    return b;
  };
  const expr = (e, dead = false) => {
    switch (e.k) {
      case "id": {
        const l = local(e.n), p = params.get(e.n);
        if (l) return atom(l);
        if (p?.scalar === gradScale && dead) return atom("0.0"); // an argument gradInFlags does not read
        if (p?.scalar !== undefined && p.scalar < gradScale) return atom(e.n);
        return fail(`'${e.n}' (${p ? `the ${p.kind} parameter` : "not a local"})`, e.tok);
      }
      case "un":
        if (e.op === "!") return { s: `!${wrap(expr(e.e), 4)}`, p: 3 };
        return fail("unary minus on a lane value (neg<T>)", e.tok);
      case "cond": return atom(`select(${expr(e.b).s}, ${expr(e.a).s}, ${expr(e.c).s})`);
      case "bin": {
        const flag = e.l.k === "bin" && e.l.op === "&" && isParam(e.l.l, "f") && e.r.k === "num" && +e.r.v === 0;
        if (flag && e.op === "!=") return atom(`has(${flags(e.l.r)})`);
        if (flag && e.op === "==") return { s: `!has(${flags(e.l.r)})`, p: 3 };
        if (e.op === "&&" || e.op === "||") return { s: `${wrap(expr(e.l), 3)} ${e.op} ${wrap(expr(e.r), 3)}`, p: 0 };
        return fail(`'${e.op}' outside a flag test (f & FLAG) != 0`, e.tok);
      }
      case "num": return fail(`the number ${e.v} outside splat<T>()`, e.tok);
    }
    const a = e.args;
    if (e.n in INFIX) {
      const op = INFIX[e.n], p = op === "+" || op === "-" ? 1 : 2, l = expr(a[0]), r = expr(a[1]);
      // x + (y - x): a shader compiler may fold it to y (SwiftShader does), one rounding less: keep() stops it.
      const folds = op === "+" && a[1].k === "call" && a[1].n === "sub" && expr(a[1].args[1]).s === l.s;
      return { s: `${wrap(l, p)} ${op} ${folds ? `keep(${r.s})` : wrap(r, p + 1)}`, p };
    }
    if (e.n === "ld" || e.n === "lds") { const b = buffer(a[0], a[1]); return atom(`${b.wgsl}[${b.index}]`); }
    if (e.n === "neg") return { s: `-${wrap(expr(a[0]), 3)}`, p: 3 };
    if (e.n === "splat") {
      return a[0].k === "num" ? atom(a[0].v.includes(".") ? a[0].v : `${a[0].v}.0`) : fail("splat<T>() of a non-literal", e.tok);
    }
    if (e.n in SELECT) {
      return atom(`select(${expr(a[3]).s}, ${expr(a[2]).s}, ${wrap(expr(a[0]), 3)} ${SELECT[e.n]} ${wrap(expr(a[1]), 3)})`);
    }
    if (e.n === "gradInFlags") {
      if (!isParam(a[4], "f")) fail("gradInFlags without the flags parameter f", e.tok);
      // Without WEIGHT_DECAY in the mask, p and wd are not read.
      const dead = a[5] !== undefined && !flags(a[5]).split(" | ").includes("WEIGHT_DECAY");
      const g = [expr(a[0]).s, expr(a[1], dead).s, expr(a[3], dead).s];
      return atom(a[5] === undefined ? `gradIn(${g.join(", ")})` : `gradInHas(${g.join(", ")}, ${flags(a[5])})`);
    }
    if (e.n in HELPERS) return atom(`${HELPERS[e.n]}(${a.map((x) => expr(x).s).join(", ")})`);
    return fail(`the call ${e.n}()`, e.tok);
  };

  // Statements: declarations, assignments, stores, if/else, return.
  const block = () => {
    if (!peek("{")) return [statement()];
    eat("{");
    const list = [];
    while (!peek("}")) list.push(statement());
    eat("}");
    return list;
  };
  const statement = () => {
    const tok = toks[i];
    let s;
    if (peek("const") || peek("let")) {
      s = { k: "decl", decl: name() === "const" ? "let" : "var", items: [] };
      do {
        if (peek(",")) eat(",");
        const n = name(), type = peek(":") ? (eat(":"), toks[i++]) : undefined;
        s.items.push({ n, type, init: peek("=") ? (eat("="), ternary()) : undefined });
      } while (peek(","));
    } else if (peek("if")) {
      eat("if"); eat("(");
      const c = ternary();
      eat(")");
      const then = block();
      return { k: "if", c, then, else: peek("else") ? (eat("else"), block()) : undefined };
    } else if (peek("return")) {
      eat("return");
      s = { k: "return" };
    } else if (toks[i + 1]?.v === "=") {
      s = { k: "assign", n: name(), tok };
      eat("=");
      s.e = ternary();
    } else if (peek("st") || peek("sts")) {
      s = { k: "store", e: ternary(), tok };
    } else fail("a statement that is not a declaration, assignment, store (st, sts), if or return", tok);
    eat(";");
    return s;
  };
  const body = [];
  while (!peek("}")) body.push(statement());

  // The gradient scale: the scalar gradInFlags scales by (the driver's, never a spec scalar). Without gradInFlags
  // (Lookahead's rule, of no optimizer), the scalars end at the last one read.
  const scales = [];
  let last = -1;
  const walk = (x) => {
    if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === "object") {
      if (x.k === "call" && x.n === "gradInFlags") scales.push({ s: params.get(x.args[2]?.n)?.scalar, tok: x.tok });
      if (x.k === "id") last = Math.max(last, params.get(x.n)?.scalar ?? -1);
      Object.values(x).forEach(walk);
    }
  };
  walk(body);
  const gradScale = scales[0]?.s ?? last + 1;
  for (const { s, tok } of scales) if (s === undefined || s !== gradScale) fail("a gradient scale that is not the same scalar parameter in every gradInFlags", tok);

  const out = [];
  const emit = (list, depth) => {
    const pad = "  ".repeat(depth);
    scopes.push(new Map());
    for (const s of list) {
      if (s.k === "decl") {
        for (const { n, type, init } of s.items) {
          const w = DRIVER_NAMES.has(n) ? `${n}_` : n, t = type && (TYPES[type.v] ?? fail(`the type ${type.v}`, type));
          out.push(`${pad}${s.decl} ${w}${t ? `: ${t}` : ""}${init ? ` = ${expr(init).s}` : ""};`);
          scopes.at(-1).set(n, w);
        }
      } else if (s.k === "if") {
        out.push(`${pad}if (${expr(s.c).s}) {`);
        emit(s.then, depth + 1);
        if (s.else) { out.push(`${pad}} else {`); emit(s.else, depth + 1); }
        out.push(`${pad}}`);
      } else if (s.k === "return") out.push(`${pad}return;`);
      else if (s.k === "assign") {
        out.push(`${pad}${local(s.n) ?? fail(`an assignment to '${s.n}', not a local`, s.tok)} = ${expr(s.e).s};`);
      }
      else {
        const [at, o, v] = s.e.args, b = buffer(at, o);
        if (b.kind === "grad") fail("a store to grad", s.tok);
        out.push(`${pad}${b.wgsl}[${b.index}] = ${expr(v).s};`);
      }
    }
    scopes.pop();
  };
  emit(body, 1);
  return { scalars: scalarNames.slice(0, gradScale), body: `${out.join("\n")}\n` };
}

/**
 * src/generated/wgsl-rules.ts: the WGSL rule of each of `rules` ({ kernel: `<id>_f32`, rule: its class, source:
 * its file's text, file }), by kernel name.
 */
export function wgslRulesModule(rules) {
  const entries = rules.map(({ kernel, rule, source, file }) => {
    const { scalars, body } = translateRule(source, rule, file);
    return `  ${kernel}: {\n    scalars: ${JSON.stringify(scalars)},\n    body: /* wgsl */ \`\n${body}\`,\n  },`;
  });
  return [
    "// Generated by scripts/wgsl-rules.mjs from assembly/optim/*.ts (each elementwise rule's at<T, S>); do not edit.",
    "/** The WGSL element rule of each elementwise kernel (by its f32 kernel's name), and the scalars it reads by name. */",
    "export const WGSL_RULES: Readonly<Record<string, { readonly scalars: readonly string[]; readonly body: string }>> = {",
    ...entries,
    "};",
    "",
  ].join("\n");
}
