// The kernel ABI is derived once from the registry's specs (kernels() in src/optim/index.ts: param, state
// buffers, grad, n, scalars, gradScale, flags); both Wasm builds and every reference must implement it.
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { AUX_KERNELS, FLAG_MAP, FLAGS } from "../src/abi/index.js";
import { WASM_BASE64 } from "../src/generated/wasm.js";
import { kernels, references, signatureOf, stepOptimizers } from "../src/optim/index.js";

const names = Object.keys(kernels());
const arity = (name: string) => kernels()[name]!.pointers.length + 1 + kernels()[name]!.scalars.length;

it("optimizers that share a kernel agree on its signature", () => {
  for (const e of stepOptimizers()) expect(signatureOf(e.spec), e.spec.name).toEqual(kernels()[e.spec.kernel]);
});

// Every `const NAME: i32 = <expr>` of assembly/ (export and @inline or not), with its expression.
const asFiles = (dir: string): string[] => readdirSync(dir, { withFileTypes: true })
  .flatMap((d) => (d.isDirectory() ? asFiles(join(dir, d.name)) : d.name.endsWith(".ts") ? [join(dir, d.name)] : []));
const AS_CONSTS = asFiles("assembly").flatMap((file) => [...readFileSync(file, "utf8")
  .matchAll(/^(?:@inline\s+)?(?:export\s+)?const\s+([A-Z][A-Z0-9_]*)\s*:\s*[iu]32\s*=\s*([^;]+);/gm)]
  .map((m) => ({ file, name: m[1]!, expr: m[2]! })));
/** An AS constant expression (numbers, << & | ~ and other flag constants) evaluated as i32. */
function evalAs(expr: string, seen: string[] = []): number {
  const js = expr.replace(/\b[A-Z][A-Z0-9_]*\b/g, (id) => {
    const def = AS_CONSTS.filter((c) => c.name === id);
    if (def.length !== 1 || seen.includes(id)) throw new Error(`${expr}: ${id} is defined ${def.length} times in assembly/`);
    return `(${evalAs(def[0]!.expr, [...seen, id])})`;
  });
  if (!/^[\s\d()xXa-fA-F<>&|~^+*-]+$/.test(js)) throw new Error(`not a constant expression: ${expr}`);
  return (new Function(`return (${js}) | 0`) as () => number)();
}

describe("the flag map (src/abi) and its AssemblyScript mirror", () => {
  it.each(Object.entries(FLAG_MAP))("%s is defined once in assembly/ with the same bits", (name, bits) => {
    const defs = AS_CONSTS.filter((c) => c.name === name);
    expect(defs.map((d) => d.file), name).toHaveLength(1);
    expect(evalAs(defs[0]!.expr) >>> 0, `${name} in ${defs[0]!.file}`).toBe(bits >>> 0);
  });
  it("a kernel's own flag bits (constants of assembly/optim/) are in the map", () => {
    const own = AS_CONSTS.filter((c) => c.file.startsWith(join("assembly", "optim")));
    for (const c of own) expect(Object.keys(FLAG_MAP), `${c.name} (${c.file}): add it to FLAG_MAP in src/abi`).toContain(c.name);
  });
  it("no two single-bit flags share a bit, except kernel-own bits of different kernels", () => {
    const single = Object.entries(FLAG_MAP).filter(([, b]) => b !== 0 && (b & (b - 1)) === 0);
    const shared = single.filter(([n]) => !AS_CONSTS.some((c) => c.name === n && c.file.startsWith(join("assembly", "optim"))));
    expect(shared.map(([n]) => n)).toContain("CLIP");
    expect(new Set(shared.map(([, b]) => b)).size).toBe(shared.length);
  });
});

describe.each(Object.keys(WASM_BASE64) as (keyof typeof WASM_BASE64)[])("%s build", (build) => {
  const bytes = Buffer.from(WASM_BASE64[build], "base64");
  const module = new WebAssembly.Module(bytes);

  it("exports exactly the declared kernels with the declared arity", async () => {
    const shared = build.endsWith("Shared");
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared });
    const { exports } = await WebAssembly.instantiate(module, { env: { memory, abort: () => {} } });
    const funcs = WebAssembly.Module.exports(module).filter((e) => e.kind === "function").map((e) => e.name);
    expect(funcs.sort()).toEqual([...names, ...Object.keys(AUX_KERNELS)].sort());
    for (const [name, n] of Object.entries(AUX_KERNELS)) expect((exports[name] as (...a: unknown[]) => void).length, name).toBe(n);
    for (const name of names) expect((exports[name] as (...a: unknown[]) => void).length, name).toBe(arity(name));
  });

  it("exports the same flag bits as src/abi", async () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: build.endsWith("Shared") });
    const { exports } = await WebAssembly.instantiate(module, { env: { memory, abort: () => {} } });
    for (const [flag, bit] of Object.entries(FLAGS)) expect((exports[flag] as WebAssembly.Global).value, flag).toBe(bit);
  });

  it("has no data segments and no start function (kernels are pure; the store owns all memory)", () => {
    // Section ids: 8 = start, 11 = data. Walk the sections of the binary.
    const ids: number[] = [];
    let i = 8;
    while (i < bytes.length) {
      const id = bytes[i++]!;
      let size = 0, shift = 0, b: number;
      do { b = bytes[i++]!; size |= (b & 0x7f) << shift; shift += 7; } while (b & 0x80);
      ids.push(id);
      i += size;
    }
    expect(ids).not.toContain(8);
    expect(ids).not.toContain(11);
  });
});

it("the reference implements every kernel with the declared arity", () => {
  expect(Object.keys(references()).sort()).toEqual([...names].sort());
  for (const name of names) expect(references()[name]!.length, name).toBe(arity(name));
});

it("the SIMD build uses SIMD instructions and the scalar build does not", () => {
  expect(WebAssembly.validate(Buffer.from(WASM_BASE64.scalar, "base64"))).toBe(true);
  // The SIMD binary is larger because its f32x4 loops exist; a scalar build mislabelled as SIMD would not be.
  expect(WASM_BASE64.simd.length).toBeGreaterThan(WASM_BASE64.scalar.length * 2);
  expect(Buffer.from(WASM_BASE64.simd, "base64").includes(0xfd)).toBe(true); // 0xfd = SIMD opcode prefix
});
