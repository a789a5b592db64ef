// Low-precision optimizer state (stateDtype "bf16" | "int8"): the codecs against their definitions, the int8
// edge cases on every backend, threads, conversions between dtypes (load, group edits), memory accounting and
// the error for optimizers without it. Backend parity and state-dict round trips of the bf16/int8 configs run
// in the registry suites (test/optim/<id>.cases.ts lists them).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Adam, Adagrad, Adan, loadCheckpoint, ParamStore, RAdam, RMSprop, SGD, saveCheckpoint } from "../src/index.js";
import {
  bf16Decode, bf16Encode, bf16EncodeStochastic, decodeState, encodeState, Q8_BLOCK_BYTES, Q8_BUCKETS, Q8_SIGNED, Q8_UNSIGNED, q8Code,
  roundingFlags, stateBytes,
} from "../src/core/lowp.js";
import type { StateDtype } from "../src/core/spec.js";
import { setHostCoresForTests } from "../src/runtime/threads.js";
import { REGISTRY } from "./registry.js";
import { expectLockstepRunsAgree, expectSameState, firstBitDifference, paramShape, randomArray, rng } from "./helpers.js";

const f = Math.fround;
const bits = (x: number) => new Uint32Array(new Float32Array([x]).buffer)[0]!;
const fromBits = (b: number) => new Float32Array(new Uint32Array([b]).buffer)[0]!;
const BACKENDS = ["js", "scalar", "simd"] as const;

describe("bf16 codec", () => {
  it("rounds to nearest, ties to even, and keeps what bf16 can hold exactly", () => {
    expect(bf16Encode(1)).toBe(0x3f80);
    expect(bf16Encode(fromBits(0x3f808000))).toBe(0x3f80); // tie, even below
    expect(bf16Encode(fromBits(0x3f818000))).toBe(0x3f82); // tie, even above
    expect(bf16Encode(fromBits(0x3f808001))).toBe(0x3f81); // just above the tie
    expect(bf16Encode(fromBits(0x3f807fff))).toBe(0x3f80);
    expect(bf16Encode(-0)).toBe(0x8000);
    expect(bf16Encode(fromBits(0x00000001))).toBe(0x0000); // smallest subnormal rounds to 0
    for (const h of [0x0000, 0x8000, 0x3f80, 0x0001, 0x7f7f, 0xff7f, 0x4049, 0x7f80, 0xff80]) expect(bf16Encode(bf16Decode(h))).toBe(h);
  });
  it("Infinity stays, overflow rounds to Infinity, every NaN becomes 0xFFFF", () => {
    expect(bf16Encode(Infinity)).toBe(0x7f80);
    expect(bf16Encode(-Infinity)).toBe(0xff80);
    expect(bf16Encode(fromBits(0x7f7fffff))).toBe(0x7f80); // f32 max rounds past bf16 max
    expect(bf16Encode(fromBits(0xff7fffff))).toBe(0xff80);
    for (const b of [0x7fc00000, 0xffc00000, 0x7f800001, 0xffffffff, 0x7fffffff]) expect(bf16Encode(fromBits(b))).toBe(0xffff);
    expect(bf16Decode(0xffff)).toBeNaN();
  });
  it("the error is at most half a bf16 ulp (2^-8 relative)", () => {
    const rand = rng(7);
    for (let i = 0; i < 2000; i++) {
      const x = f((rand() - 0.5) * 10 ** Math.floor(rand() * 20 - 10));
      const y = bf16Decode(bf16Encode(x));
      expect(Math.abs(y - x)).toBeLessThanOrEqual(Math.abs(x) * 2 ** -8);
      expect(bits(y) & 0xffff).toBe(0);
    }
  });
});

describe("int8 dynamic map", () => {
  /** bitsandbytes functional.py create_dynamic_map(signed, max_exponent_bits=7, total_bits=8), in f64. */
  function bnbMap(signed: boolean): number[] {
    const data: number[] = [];
    for (let i = 0; i < 7; i++) {
      const items = signed ? 2 ** i + 1 : 2 ** (i + 1) + 1;
      const b = Array.from({ length: items }, (_, k) => 0.1 + (0.9 * k) / (items - 1));
      const means = b.slice(1).map((x, k) => (b[k]! + x) / 2);
      data.push(...means.map((m) => 10 ** (i - 6) * m));
      if (signed) data.push(...means.map((m) => -(10 ** (i - 6)) * m));
    }
    data.push(0, 1);
    return data.sort((a, b) => a - b);
  }
  it.each([["signed", true], ["unsigned", false]] as const)("%s: bitsandbytes' 256 values (within f32 rounding), ascending", (_, signed) => {
    const table = signed ? Q8_SIGNED : Q8_UNSIGNED;
    const want = bnbMap(signed);
    expect(want.length).toBe(256);
    for (let c = 0; c < 256; c++) {
      expect(Math.abs(table[c]! - want[c]!), `code ${c}`).toBeLessThanOrEqual(Math.abs(want[c]!) * 2 ** -22);
      if (c > 0) expect(table[c]!).toBeGreaterThan(table[c - 1]!);
    }
    expect(table[signed ? 127 : 0]).toBe(0);
    expect(table[255]).toBe(1);
  });
  it.each([["signed", true], ["unsigned", false]] as const)("%s: no encoder bucket holds two decision thresholds", (_, signed) => {
    const table = signed ? Q8_SIGNED : Q8_UNSIGNED, { rank, thr } = signed ? Q8_BUCKETS.signed : Q8_BUCKETS.unsigned;
    const base = signed ? 127 : 0, top = signed ? 128 : 255;
    const t = (r: number) => f(f(table[base + r]! + table[base + r + 1]!) * 0.5);
    for (let b = 0; b + 1 < rank.length; b++) {
      const hi = fromBits(((103 * 128 + b + 1) << 16) >>> 0); // the next bucket's start
      const r = rank[b]!;
      if (r < top) expect(thr[b]).toBe(t(r));
      if (r + 1 < top) expect(t(r + 1), `bucket ${b}`).toBeGreaterThanOrEqual(hi);
    }
  });
  it.each([["signed", true], ["unsigned", false]] as const)("%s: the encoder picks the nearest code", (_, signed) => {
    const table = signed ? Q8_SIGNED : Q8_UNSIGNED;
    const rand = rng(11);
    const values: number[] = [...table, 0, 1, -1, 1e-9, 2.7e-7, 2.8e-7, 0.0999, 0.1, 0.10001, 0.9965, 0.9966];
    for (let i = 0; i < 20000; i++) values.push(f((signed ? 2 * rand() - 1 : rand()) * 10 ** -Math.floor(rand() * 8)));
    // Midpoints between neighbours, and values 1 ulp either side of them.
    for (let c = 1; c < 256; c++) {
      const m = f((table[c - 1]! + table[c]!) / 2);
      values.push(m, fromBits(bits(m) + 1), fromBits(bits(m) - 1));
    }
    for (const y of values.filter((v) => Math.abs(v) <= 1 && (signed || v >= 0))) {
      const c = q8Code(y, signed);
      const best = Math.min(...Array.from(table, (t) => Math.abs(t - y)));
      // Nearest, up to the f32 rounding of the midpoint between two codes (the decision threshold).
      expect(Math.abs(table[c]! - y) - best, `y = ${y}: code ${c} (${table[c]})`).toBeLessThanOrEqual(Math.abs(y) * 2 ** -22);
    }
  });
});

/** One Adam int8 step over a param of 3 blocks + 50 elements whose gradients are `grad`; returns params and state. */
function int8Step(backend: (typeof BACKENDS)[number], grad: Float32Array, steps = 2) {
  const store = new ParamStore();
  const p = store.param("w", Float32Array.from({ length: grad.length }, (_, i) => Math.sin(i)));
  const opt = new Adam([p], { lr: 0.01, stateDtype: "int8", backend });
  for (let t = 0; t < steps; t++) {
    p.grad.set(grad);
    opt.step();
  }
  const out = { value: Float32Array.from(p.value), state: opt.stateDict().state[0]! };
  store.dispose();
  return out;
}

describe.each(BACKENDS)("int8 edge cases (%s)", (backend) => {
  const n = 3 * 256 + 50;
  const base = Float32Array.from({ length: n }, (_, i) => Math.cos(i * 0.3) * 0.01);

  it("an all-zero block: absmax 0, zero codes, decodes to 0; the param does not move there", () => {
    const g = base.slice();
    g.fill(0, 256, 512);
    const r = int8Step(backend, g);
    const absmax = r.state.exp_avg_absmax as Float32Array, codes = r.state.exp_avg as Uint8Array;
    expect(absmax[1]).toBe(0);
    expect(codes.subarray(256, 512).every((c) => c === 127)).toBe(true);
    expect((r.state.exp_avg_sq as Uint8Array).subarray(256, 512).every((c) => c === 0)).toBe(true);
    for (let i = 256; i < 512; i++) expect(r.value[i]).toBe(f(Math.sin(i)));
    expect(absmax[0]).toBeGreaterThan(0);
  });

  it("a block with one huge value: the others in it round toward 0, other blocks are untouched", () => {
    const g = base.slice();
    g[300] = 1e30;
    const r = int8Step(backend, g), clean = int8Step(backend, base);
    const absmax = r.state.exp_avg_absmax as Float32Array;
    // The block's absmax is that element's first moment after two steps (decoded exactly: it is code 1.0).
    const b1c = f(1 - 0.9), m1 = f(b1c * f(1e30)), m2 = f(m1 + f(b1c * f(f(1e30) - m1)));
    expect(absmax[1]).toBe(m2);
    for (const b of [0, 2, 3]) expect(absmax[b]).toBe((clean.state.exp_avg_absmax as Float32Array)[b]);
    for (let i = 0; i < n; i++) if (i < 256 || i >= 512) expect(r.value[i]).toBe(clean.value[i]);
    const codes = r.state.exp_avg as Uint8Array;
    expect(codes[300]).toBe(255);
    // Every other moment in that block is below the map's smallest step (1e-7 of absmax): stored as 0.
    expect(Array.from(codes.subarray(256, 512)).filter((c, i) => i !== 44 && c !== 127)).toEqual([]);
  });

  it.each([["NaN", Number.NaN], ["Infinity", Infinity]])("a %s gradient poisons its own block only (absmax NaN)", (_, bad) => {
    const g = base.slice();
    g[600] = bad;
    const r = int8Step(backend, g, 3), clean = int8Step(backend, base, 3);
    for (const key of ["exp_avg_absmax", "exp_avg_sq_absmax"]) {
      const a = r.state[key] as Float32Array, c = clean.state[key] as Float32Array;
      expect(a[2], key).toBeNaN();
      for (const b of [0, 1, 3]) expect(bits(a[b]!), `${key} block ${b}`).toBe(bits(c[b]!));
    }
    for (const key of ["exp_avg", "exp_avg_sq"]) {
      const a = r.state[key] as Uint8Array, c = clean.state[key] as Uint8Array;
      expect(firstBitDifference(a.subarray(0, 512), c.subarray(0, 512)), key).toBe(-1);
      expect(firstBitDifference(a.subarray(768), c.subarray(768)), key).toBe(-1);
    }
    for (let i = 0; i < n; i++) {
      if (i >= 512 && i < 768) continue;
      expect(bits(r.value[i]!), `param ${i}`).toBe(bits(clean.value[i]!));
    }
    // The poisoned block decodes to NaN everywhere (documented): its params become NaN from the next step on.
    expect(Number.isNaN(r.value[700])).toBe(true);
  });
});

describe("int8 and bf16 across threads", () => {
  beforeAll(() => setHostCoresForTests(4));
  afterAll(() => setHostCoresForTests(undefined));
  const cases = [
    { name: "Adam int8 amsgrad", cls: Adam, options: { lr: 0.01, amsgrad: true, stateDtype: "int8" } },
    { name: "RMSprop int8 centered momentum", cls: RMSprop, options: { lr: 0.01, centered: true, momentum: 0.5, stateDtype: "int8" } },
    { name: "SGD bf16 nesterov", cls: SGD, options: { lr: 0.1, momentum: 0.9, nesterov: true, stateDtype: "bf16" } },
    { name: "Adan int8 (four state buffers)", cls: Adan, options: { lr: 0.01, weightDecay: 0.1, stateDtype: "int8" } },
    { name: "RAdam bf16 stochastic rounding (RECTIFY beside the seed)", cls: RAdam, options: { lr: 0.01, stateDtype: "bf16", stochasticRounding: 8 } },
  ] as const;
  it.each(cases)("$name: 1, 2, 3 threads bit-identical (simd and scalar)", async ({ cls, options }) => {
    for (const backend of ["simd", "scalar"] as const) {
      const runs = [1, 2, 3].map((threads) => {
        const store = new ParamStore({ threads, threadMinSize: 1024 });
        const rand = rng(5);
        const params = [100_003, 3000, 77].map((n, i) => store.param(`p${i}`, randomArray(n, rand)));
        return { store, params, opt: new (cls as typeof Adam)(params, { ...options, backend } as never), rand };
      });
      await Promise.all(runs.map((r) => r.store.ready()));
      expectLockstepRunsAgree(runs, 4);
    }
  });
});

/** `steps` Adam steps over two params in one store; returns the optimizer (not disposed). */
function trained(dtype: StateDtype, steps: number, options: Record<string, unknown> = {}) {
  const store = new ParamStore();
  const rand = rng(99);
  const params = [700, 33].map((n, i) => store.param(`p${i}`, randomArray(n, rand)));
  const opt = new Adam(params, { lr: 0.01, stateDtype: dtype, ...options });
  const grads = Array.from({ length: 12 }, () => params.map((p) => randomArray(p.length, rand)));
  const run = (k: number, from = 0) => {
    for (let t = from; t < from + k; t++) {
      params.forEach((p, i) => p.grad.set(grads[t % grads.length]![i]!));
      opt.step();
    }
  };
  run(steps);
  return { store, params, opt, run };
}

/** c, loaded with a dict saved after step 3, takes steps 4 and 5: a's trajectory (5 steps), bit for bit. */
function expectResumesAs(c: ReturnType<typeof trained>, a: ReturnType<typeof trained>): void {
  c.run(2, 3);
  expectSameState(c.opt.stateDict(), a.opt.stateDict());
  c.params.forEach((p, i) => expect(firstBitDifference(p.value, a.params[i]!.value)).toBe(-1));
}

describe("conversions between dtypes", () => {
  const DTYPES: StateDtype[] = ["f32", "bf16", "int8"];
  const pairs = DTYPES.flatMap((a) => DTYPES.map((b) => [a, b] as const));
  it.each(pairs)("loadStateDict(%s dict, { stateDtype: %s }) stores the converted values", (from, to) => {
    const src = trained(from, 3);
    const dict = src.opt.stateDict();
    const dst = trained(to === "f32" ? "bf16" : "f32", 0);
    dst.opt.loadStateDict(dict, { stateDtype: to });
    expect(dst.opt.paramGroups[0]!.stateDtype).toBe(to);
    const got = dst.opt.stateDict();
    expect(got.paramGroups[0]!.stateDtype).toBe(to);
    for (const id of [0, 1]) {
      for (const name of ["exp_avg", "exp_avg_sq"]) {
        const n = id === 0 ? 700 : 33, signed = name === "exp_avg";
        // What converting the saved stored form gives, through the codecs.
        const bytes = (d: StateDtype, e: Record<string, unknown>) => {
          const out = new Uint8Array(stateBytes(d, n));
          if (d === "f32") out.set(new Uint8Array((e[name] as Float32Array).slice().buffer));
          else if (d === "bf16") out.set(new Uint8Array((e[name] as Uint16Array).slice().buffer));
          else {
            const codes = e[name] as Uint8Array, absmax = e[`${name}_absmax`] as Float32Array, view = new DataView(out.buffer);
            for (let b = 0; b < absmax.length; b++) {
              view.setFloat32(b * Q8_BLOCK_BYTES, absmax[b]!, true);
              out.set(codes.subarray(b * 256, Math.min(n, b * 256 + 256)), b * Q8_BLOCK_BYTES + 4);
            }
          }
          return out;
        };
        // The same dtype is copied as stored (re-quantizing int8 is not idempotent, below).
        const want = new Uint8Array(stateBytes(to, n));
        if (from === to) want.set(bytes(from, dict.state[id]!));
        else encodeState(to, decodeState(from, bytes(from, dict.state[id]!), n, signed), n, want, signed);
        expect(firstBitDifference(bytes(to, got.state[id]!), want), `${name} of param ${id}`).toBe(-1);
      }
      expect(got.state[id]!.step).toBe(3);
    }
    // bf16 → f32 and f32 → f32 are exact; int8 round trips through f32 keep the codes.
    if (to === "f32" && from !== "int8") {
      expect(firstBitDifference(got.state[0]!.exp_avg as Float32Array, Float32Array.from(
        from === "f32" ? dict.state[0]!.exp_avg as Float32Array : Array.from(dict.state[0]!.exp_avg as Uint16Array, bf16Decode)))).toBe(-1);
    }
    src.store.dispose();
    dst.store.dispose();
  });

  // Re-quantizing decoded int8 state gives the same codes when the block's absmax comes back exactly: always
  // for the unsigned map (its largest code is 1.0), and for signed blocks whose largest magnitude is positive.
  // The signed map has no -1.0 (bitsandbytes'), so a block led by a negative value shrinks its absmax by
  // 0.7 % and its codes may move one step: within the quantization error.
  it("int8 → f32 → int8: the same codes where the absmax survives, one code step at most elsewhere", () => {
    const a = trained("int8", 4);
    const b = trained("f32", 0), c = trained("int8", 0);
    b.opt.loadStateDict(a.opt.stateDict(), { stateDtype: "f32" });
    c.opt.loadStateDict(b.opt.stateDict(), { stateDtype: "int8" });
    const sa = a.opt.stateDict().state, sc = c.opt.stateDict().state;
    for (const id of [0, 1]) {
      expect(firstBitDifference(sc[id]!.exp_avg_sq as Uint8Array, sa[id]!.exp_avg_sq as Uint8Array)).toBe(-1);
      expect(firstBitDifference(sc[id]!.exp_avg_sq_absmax as Float32Array, sa[id]!.exp_avg_sq_absmax as Float32Array)).toBe(-1);
      const ca = sa[id]!.exp_avg as Uint8Array, cc = sc[id]!.exp_avg as Uint8Array;
      const ma = sa[id]!.exp_avg_absmax as Float32Array, mc = sc[id]!.exp_avg_absmax as Float32Array;
      for (let blk = 0; blk < ma.length; blk++) {
        const codes = Array.from(ca.subarray(blk * 256, blk * 256 + 256));
        const led = Math.max(...codes) === 255;
        if (led) expect(mc[blk]).toBe(ma[blk]);
        codes.forEach((code, i) => {
          const k = blk * 256 + i;
          if (led) expect(cc[k], `element ${k}`).toBe(code);
          else expect(Math.abs(Q8_SIGNED[cc[k]!]! * mc[blk]! - Q8_SIGNED[code]! * ma[blk]!)).toBeLessThanOrEqual(0.02 * ma[blk]!);
        });
      }
    }
    for (const x of [a, b, c]) x.store.dispose();
  });

  it("editing a group's stateDtype converts its state at the next step, on every backend alike", () => {
    const results = BACKENDS.map((backend) => {
      const t = trained("f32", 3, { backend });
      const before = t.opt.stateDict();
      t.opt.paramGroups[0]!.stateDtype = "bf16";
      t.run(1);
      const after = t.opt.stateDict();
      expect(after.paramGroups[0]!.stateDtype).toBe("bf16");
      expect(after.state[0]!.exp_avg).toBeInstanceOf(Uint16Array);
      t.opt.paramGroups[0]!.stateDtype = "int8";
      t.run(2);
      const q = t.opt.stateDict();
      expect(q.state[0]!.exp_avg).toBeInstanceOf(Uint8Array);
      expect(q.state[0]!.step).toBe(6);
      // The conversion at the edit: bf16 state = the f32 state rounded, before the step that follows.
      expect(before.state[0]!.exp_avg).toBeInstanceOf(Float32Array);
      const values = t.params.map((p) => Float32Array.from(p.value));
      t.store.dispose();
      return { before, after, q, values };
    });
    for (const r of results.slice(1)) {
      expectSameState(r.q, results[0]!.q);
      r.values.forEach((v, i) => expect(firstBitDifference(v, results[0]!.values[i]!)).toBe(-1));
    }
  });

  it("a dict of the wrong stored form is rejected and changes nothing", () => {
    const t = trained("bf16", 2);
    const dict = t.opt.stateDict();
    const before = t.opt.stateDict();
    const bad = structuredClone(dict);
    bad.state[0]!.exp_avg = new Float32Array(700);
    expect(() => t.opt.loadStateDict(bad)).toThrow(/state of param 0: "exp_avg" must be a Uint16Array \(state saved with stateDtype "bf16"\)/);
    const q = trained("int8", 2).opt.stateDict();
    delete q.state[1]!.exp_avg_sq_absmax;
    expect(() => t.opt.loadStateDict(q)).toThrow(/"exp_avg_sq_absmax" must be a Float32Array of 1 block maxima/);
    expect(() => t.opt.loadStateDict(dict, { stateDtype: "fp8" as never })).toThrow(/invalid stateDtype "fp8"/);
    expectSameState(t.opt.stateDict(), before);
    t.store.dispose();
  });

  it("JSON round trip of bf16 and int8 dicts resumes bit-exactly", () => {
    for (const dtype of ["bf16", "int8"] as const) {
      const a = trained(dtype, 5), b = trained(dtype, 3);
      const c = trained(dtype, 0);
      c.params.forEach((p, i) => p.value.set(b.params[i]!.value));
      c.opt.loadStateDict(JSON.parse(JSON.stringify(b.opt.stateDict())));
      expectResumesAs(c, a);
      for (const x of [a, b, c]) x.store.dispose();
    }
  });
});

describe("memory", () => {
  it("stateBytes and store.bytesUsed: bf16 halves Adam's state, int8 takes 260 bytes per 256 elements", () => {
    const n = 1 << 16;
    const used: Record<string, number> = {};
    for (const dtype of ["f32", "bf16", "int8"] as const) {
      const store = new ParamStore();
      const p = store.param("w", n);
      const opt = new Adam([p], { stateDtype: dtype, backend: "js" });
      const base = store.bytesUsed;
      p.grad.fill(0.1);
      opt.step();
      expect(opt.stateBytes).toBe(2 * stateBytes(dtype, n));
      used[dtype] = store.bytesUsed - base;
      expect(used[dtype]).toBeGreaterThanOrEqual(opt.stateBytes);
      // Besides the state: allocation alignment (4 KiB) and skews (< 4 KiB) per buffer, and the Wasm
      // instance's low-precision scratch (8 KiB with alignment).
      expect(used[dtype]).toBeLessThan(opt.stateBytes + 3 * 8192);
      store.dispose();
    }
    expect(stateBytes("f32", n)).toBe(4 * n);
    expect(stateBytes("bf16", n)).toBe(2 * n);
    expect(stateBytes("int8", n)).toBe((n / 256) * 260);
  });
  it("AMSGrad's third buffer and RMSprop's optional ones count once allocated", () => {
    const store = new ParamStore();
    const p = store.param("w", 1000);
    const opt = new RMSprop([p], { centered: true, momentum: 0.9, stateDtype: "bf16" });
    p.grad.fill(1);
    opt.step();
    expect(opt.stateBytes).toBe(3 * 2000);
    store.dispose();
  });
});

const LOWP = REGISTRY.filter((e) => e.spec.lowp);

describe("which optimizers have low-precision state", () => {
  it("every elementwise optimizer whose state is statistics of the gradients; the others say why not", () => {
    for (const { name, spec } of LOWP) expect([spec.kind === "tensor", spec.f32Only], name).toEqual([false, undefined]);
    for (const { cls } of LOWP) expect(new cls([new ParamStore().param("w", 4)]).defaults).toMatchObject({ stateDtype: "f32" });
    const elementwise = REGISTRY.filter((e) => !e.spec.lowp && e.spec.kind !== "tensor");
    for (const e of elementwise) expect(e.spec.f32Only, e.name).toMatch(/ is .*, not a statistic of the gradients$/);
  });
  it.each(LOWP)("$name: its cases run bf16 (nearest, and stochastic when it has the option) and int8 configs", ({ spec, cases }) => {
    const options = cases.configs.map((c) => c.options);
    expect(options.some((o) => o.stateDtype === "bf16" && o.stochasticRounding === undefined)).toBe(true);
    expect(options.some((o) => o.stateDtype === "int8")).toBe(true);
    if ("stochasticRounding" in spec.defaults) expect(options.some((o) => o.stateDtype === "bf16" && typeof o.stochasticRounding === "number")).toBe(true);
  });
});

// The step (core/execute.ts) adds stochastic rounding's flags to every launch of a spec with the option: a
// seeded bf16 run must differ from round-to-nearest's, and the same seed must repeat it bit for bit.
describe.each(LOWP.filter((e) => Object.hasOwn(e.spec.defaults, "stochasticRounding")))("$name stochasticRounding", ({ cls, cases }) => {
  it("rounds stochastically, reproducibly", () => {
    const run = (stochasticRounding: false | number) => {
      const store = new ParamStore();
      const w = store.param("w", randomArray(64, rng(1)), paramShape(cls, 64));
      const opt = new cls([w], { ...cases.configs[0]!.options, stateDtype: "bf16", stochasticRounding });
      const rand = rng(2);
      for (let t = 0; t < 4; t++) { w.grad.set(randomArray(64, rand)); opt.step(); }
      const state = opt.stateDict().state;
      store.dispose();
      return state;
    };
    const seeded = run(5);
    expect(seeded).not.toEqual(run(false));
    expect(seeded).toEqual(run(5));
  });
});

describe("stateDtype on an optimizer without low-precision state", () => {
  const without = REGISTRY.filter((e) => !e.spec.lowp);
  it("there are such optimizers", () => expect(without.length).toBeGreaterThan(5));
  it.each(without)("$name: a clear error, at construction, per group and on load", ({ name, cls, spec }) => {
    const store = new ParamStore();
    const w = store.param("w", 4, paramShape(cls, 4));
    const used = store.bytesUsed;
    const why = spec.kind === "tensor" ? ": a per-tensor kernel, and the low-precision block driver is elementwise"
      : `: ${spec.f32Only!.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`;
    const msg = new RegExp(`^${name} does not support stateDtype \\(its state is f32 only${why}; the optimizers with bf16 and int8 state: the "state dtypes" column of the README's optimizer table\\)$`);
    expect(() => new cls([w], { stateDtype: "bf16" } as never)).toThrow(msg);
    expect(() => new cls([{ params: [w], stateDtype: "f32" }] as never)).toThrow(TypeError);
    expect(store.bytesUsed).toBe(used);
    const opt = new cls([w]);
    expect(() => opt.loadStateDict(opt.stateDict(), { stateDtype: "int8" })).toThrow(`${name} does not support stateDtype (its state is f32 only`);
    store.dispose();
  });
});

// An independent check of every low-precision kernel against the f32 kernel (not against lowpReference, which is
// built from the same decode / f32 step / encode and would share a dropped flag): each step, an f32 optimizer
// loads the low-precision state converted to f32 (exact: bf16 and int8 decode to f32 values) and takes the same
// step; the params must agree bit for bit, and (rounding to nearest) the f32 state converted back must be the
// low-precision optimizer's new state. Eight steps: RAdam rectifies from step 6, Adan reads prev_grad from step 2.
// State that starts at a fill value (Yogi's 1e-6, Rprop's lr) starts rounded in bf16, where a fresh f32 optimizer
// would start from the exact value: those take their first step before the comparison starts.
describe.each(LOWP)("$name: each low-precision step is the f32 step on the decoded state", ({ cls, spec, cases }) => {
  const configs = cases.configs.filter((c) => c.options.stateDtype === "bf16" || c.options.stateDtype === "int8");
  it.each(configs)("$desc", ({ options }) => {
    for (const backend of ["js", "simd"] as const) {
      const rand = rng(3);
      const store = new ParamStore(), shadow = new ParamStore();
      const params = [300, 5].map((n, i) => store.param(`p${i}`, randomArray(n, rand)));
      const copies = params.map((p, i) => shadow.param(`p${i}`, p.length));
      const opt = new cls(params, { ...options, backend });
      const f32 = new cls(copies, { ...options, stateDtype: "f32", backend });
      const check = new cls(copies, { ...options, backend });
      if (spec.buffers.some((b) => b.fill)) {
        for (const p of params) p.grad.set(randomArray(p.length, rand, 1, 0.1));
        opt.step();
      }
      for (let t = 0; t < 8; t++) {
        copies.forEach((c, i) => c.value.set(params[i]!.value));
        f32.loadStateDict(opt.stateDict(), { stateDtype: "f32" });
        for (const [i, p] of params.entries()) {
          p.grad.set(randomArray(p.length, rand, 1, 0.1));
          copies[i]!.grad.set(p.grad);
        }
        opt.step();
        f32.step();
        params.forEach((p, i) => expect(firstBitDifference(copies[i]!.value, p.value), `${backend}, step ${t + 1}, param ${i}`).toBe(-1));
        if (options.stochasticRounding === undefined) {
          check.loadStateDict(f32.stateDict(), { stateDtype: options.stateDtype as StateDtype });
          expectSameState(check.stateDict(), opt.stateDict());
        }
      }
      store.dispose();
      shadow.dispose();
    }
  });
});

describe("verify mode checks the low-precision kernels byte for byte", () => {
  it.each(["bf16", "int8"] as const)("%s: Adam and Adagrad under verify", (dtype) => {
    for (const cls of [Adam, Adagrad]) {
      const store = new ParamStore();
      const p = store.param("w", randomArray(999, rng(1)));
      const opt = new (cls as typeof Adam)([p], { stateDtype: dtype, verify: true, backend: "simd" });
      for (let t = 0; t < 3; t++) { p.grad.set(randomArray(999, rng(t))); opt.step(); }
      store.dispose();
    }
  });
});

describe("checkpoint files", () => {
  it.each(["bf16", "int8"] as const)("%s state is saved in its stored form (BF16 / U8 tensors) and resumes bit-exactly", (dtype) => {
    const a = trained(dtype, 5), b = trained(dtype, 3), c = trained(dtype, 0);
    const file = saveCheckpoint({ params: b.params, optimizer: b.opt });
    const header = JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + Number(new DataView(file.buffer).getBigUint64(0, true))))) as Record<string, { dtype: string; shape: number[] }>;
    expect(header["optimizer.state.0.exp_avg"]).toMatchObject({ dtype: dtype === "bf16" ? "BF16" : "U8", shape: [700] });
    if (dtype === "int8") expect(header["optimizer.state.0.exp_avg_absmax"]).toMatchObject({ dtype: "F32", shape: [3] });
    loadCheckpoint(file, { params: c.params, optimizer: c.opt });
    expectResumesAs(c, a);
    for (const x of [a, b, c]) x.store.dispose();
  });
});

describe("bf16 stochastic rounding", () => {
  it("rounds up with probability equal to the fraction of the bf16 step (unbiased), NaN/Infinity as nearest", () => {
    // x = 1 + 0.3 ulp(bf16): over many steps' seeds, about 30 % of the stores round up.
    const x = fromBits(0x3f80_0000 + Math.round(0.3 * 0x10000));
    let up = 0;
    const N = 4000;
    for (let step = 0; step < N; step++) {
      const h = bf16EncodeStochastic(x, roundingFlags({ stateDtype: "bf16", stochasticRounding: 42 }, step));
      expect(h === 0x3f80 || h === 0x3f81).toBe(true);
      if (h === 0x3f81) up++;
    }
    expect(Math.abs(up / N - 0.3)).toBeLessThan(0.03); // 4000 draws: σ ≈ 0.007
    for (const flags of [roundingFlags({ stateDtype: "bf16", stochasticRounding: 1 }, 5)]) {
      expect(bf16EncodeStochastic(Infinity, flags)).toBe(0x7f80);
      expect(bf16EncodeStochastic(-Infinity, flags)).toBe(0xff80);
      expect(bf16EncodeStochastic(Number.NaN, flags)).toBe(0xffff);
      expect(bf16EncodeStochastic(1, flags)).toBe(0x3f80); // exact values stay exact
    }
    expect(roundingFlags({ stateDtype: "int8", stochasticRounding: 1 }, 0)).toBe(0);
    expect(roundingFlags({ stateDtype: "bf16", stochasticRounding: false }, 0)).toBe(0);
  });

  it("keeps small second-moment updates that round-to-nearest loses (v stalls at 0.999 v + 0.001 g²)", () => {
    // v grows from 0 toward g² = 2; from 0.5 on each step's increment 0.001 (2 - v) <= 0.0015 is below half a bf16
    // ulp (bf16 keeps 7 mantissa bits: the ulp in [0.5, 1) is 2^-8, half of it 0.00195): round-to-nearest keeps v
    // at 0.5, stochastic rounding follows the exact value on average.
    const run = (stochasticRounding: false | number) => {
      const store = new ParamStore();
      const p = store.param("w", 1024);
      const opt = new Adam([p], { lr: 0, stateDtype: "bf16", stochasticRounding, backend: "simd" });
      p.grad.fill(Math.SQRT2);
      for (let t = 0; t < 1500; t++) opt.step();
      const v = Array.from(opt.stateDict().state[0]!.exp_avg_sq as Uint16Array, bf16Decode);
      store.dispose();
      return v.reduce((a, b) => a + b, 0) / v.length;
    };
    const exact = 2 * (1 - 0.999 ** 1500); // v after 1500 steps from 0 (1.55)
    const nearest = run(false), stochastic = run(1);
    expect(Math.abs(stochastic - exact) / exact).toBeLessThan(0.02);
    expect(nearest).toBe(0.5);
  });

  it("is reproducible: the same seed gives the same run, another seed another one", () => {
    const state = (seed: number, backend: (typeof BACKENDS)[number]) => {
      const t = trained("bf16", 4, { stochasticRounding: seed, backend });
      const s = t.opt.stateDict();
      t.store.dispose();
      return s;
    };
    const a = state(5, "simd");
    expectSameState(state(5, "js"), a);
    expectSameState(state(5, "scalar"), a);
    expect(firstBitDifference(state(6, "simd").state[0]!.exp_avg_sq as Uint16Array, a.state[0]!.exp_avg_sq as Uint16Array)).not.toBe(-1);
  });
});
