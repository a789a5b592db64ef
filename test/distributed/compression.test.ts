// Gradient compression with error feedback (DataParallel's and DiLoCo's `compression`): the Wasm codecs equal
// their pure-TS reference bit for bit on both builds; every mode over 2..4 local ranks gives bit-identical
// ranks and the rank-order mean of the decoded payloads (decoded here from the codecs' definitions); the error
// feedback keeps exactly what was not sent; PowerSGD follows torch's powerSGD_hook run on a gloo group
// (test/fixtures/compression.json, scripts/gen-compression-fixtures.py); bytes on the wire are counted on a
// transport; bad options and failing collectives change nothing.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ParamStore, SGD } from "../../src/index.js";
import { DataParallel, DiLoCo, localGroups, powerSGD, type Compression, type ProcessGroup } from "../../src/distributed/index.js";
import { ADD, BLOCK, type Codec, DIV, encodeRef, payloadFloats, unpackRef } from "../../src/distributed/compression-codecs.js";
import { KERNEL } from "../../src/distributed/compression.js";
import { bf16Decode, bf16Encode } from "../../src/core/lowp.js";
import { expectSameState, firstBitDifference, randomArray, rng } from "../helpers.js";
import { countingGroups } from "./transports.js";
import { buildRank, failingGroup, rankOrderMean, shapedRank, snapshotRank } from "./world.js";

const CODECS: Codec[] = ["bf16", "int8", "sign"];
const BACKENDS = ["simd", "scalar"] as const;

/** Values that exercise every rule: zeros of both signs, NaN, ±Infinity, subnormals, huge, ties. */
function nasty(n: number, seed: number): Float32Array {
  const x = randomArray(n, rng(seed), 3, 0.05);
  const special = [0, -0, NaN, Infinity, -Infinity, 1e-40, -3e-39, 3e38, -3e38, 0.5, 1.5, 2 ** -130];
  const r = rng(seed + 1);
  // Specials only in some blocks: the others stay finite, where the error is not reset to 0.
  for (let i = 0; i < n; i++) if (Math.floor(i / BLOCK) % 3 === 1 && r() < 0.05) x[i] = special[Math.floor(r() * special.length)]!;
  return x;
}

describe("codec kernels equal their pure-TS reference bit for bit", () => {
  const SIZES = [0, 1, 3, 4, 5, 17, 31, 32, 33, 255, 256, 257, 1000, 4099];
  it.each(CODECS.flatMap((c) => BACKENDS.map((b) => [c, b] as const)))("%s on %s", (codec, backend) => {
    const store = new ParamStore();
    const k = store.kernels(backend);
    for (const n of SIZES) {
      const L = payloadFloats(codec, n);
      const grad = nasty(n, n + 1), err = randomArray(n, rng(n + 7), 0.01, 0.2);
      // Every buffer 4 bytes past a 16-byte boundary (unaligned for SIMD).
      const at = (floats: number) => store.alloc(floats + 1) + 4;
      const pg = at(n), pe = at(n), pn = at(n), pp = at(L), po = at(n);
      store.view(pg, n).set(grad);
      store.view(pe, n).set(err);
      store.view(pp, L).fill(NaN); // every payload word is written
      k[KERNEL[codec][0]]!(pg, pe, pn, pp, n);
      const refPayload = new Float32Array(L), refErr = new Float32Array(n);
      encodeRef(codec, grad, err, refErr, refPayload, n);
      // The scales as floats (a NaN scale may carry another NaN payload), the codes byte by byte.
      const got = store.view(pp, L).slice(), scales = codec === "bf16" ? 0 : Math.ceil(n / BLOCK);
      expect(firstBitDifference(got.subarray(0, scales), refPayload.subarray(0, scales)), `${codec} n=${n}: scales`).toBe(-1);
      expect(firstBitDifference(new Uint8Array(got.buffer, 4 * scales), new Uint8Array(refPayload.buffer, 4 * scales)), `${codec} n=${n}: codes`).toBe(-1);
      expect(firstBitDifference(store.view(pn, n).slice(), refErr), `${codec} n=${n}: error`).toBe(-1);
      for (const [flags, w] of [[0, 1], [ADD, 1], [ADD | DIV, 3], [DIV, 2]] as const) {
        const start = randomArray(n, rng(n + 9));
        store.view(po, n).set(start);
        k[KERNEL[codec][1]]!(po, pp, n, flags, w);
        const ref = Float32Array.from(start);
        unpackRef(codec, ref, refPayload, n, flags, w);
        expect(firstBitDifference(store.view(po, n).slice(), ref), `${codec} n=${n} flags=${flags}: unpack`).toBe(-1);
      }
    }
    store.dispose();
  });
});

/** decode(encode(x)) from the codecs' definitions (docs/distributed.md), written here without the reference. */
function definitionDecode(codec: Codec, x: Float32Array): Float32Array {
  if (codec === "bf16") return x.map((v) => bf16Decode(bf16Encode(v)));
  const out = new Float32Array(x.length);
  for (let from = 0; from < x.length; from += BLOCK) {
    const blk = x.subarray(from, from + BLOCK);
    if (codec === "int8") {
      const a = Math.max(...Array.from(blk, Math.abs));
      if (!Number.isFinite(a)) { // a NaN or an Infinity in the block: the whole block decodes as NaN
        out.fill(NaN, from, from + blk.length);
        continue;
      }
      let s = 2 ** Math.ceil(Math.log2(Math.max(a, 2 ** -120) / 127));
      while (127 * (s / 2) >= a && s / 2 >= 2 ** -126) s /= 2; // the smallest power of two with 127·s >= a
      while (127 * s < a) s *= 2;
      // The codes are integers: a code rounded to −0 is 0, and decodes as +0.
      blk.forEach((v, i) => (out[from + i] = a === 0 ? 0 : Math.fround((roundHalfEven(v / s) || 0) * s)));
    } else {
      const lanes = [0, 0, 0, 0];
      blk.forEach((v, i) => (lanes[i & 3] = Math.fround(lanes[i & 3]! + Math.abs(v))));
      const s = Math.fround(Math.fround(Math.fround(lanes[0]! + lanes[1]!) + Math.fround(lanes[2]! + lanes[3]!)) / blk.length);
      blk.forEach((v, i) => (out[from + i] = v < 0 || Object.is(v, -0) ? -s : s));
    }
  }
  return out;
}
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const MODES: [string, Compression][] = [
  ["bf16", "bf16"], ["int8", "int8"], ["sign", "sign"],
  ["powerSGD rank 1", powerSGD({ startIter: 2 })], ["powerSGD rank 2, cold start", powerSGD({ rank: 2, startIter: 2, warmStart: false })],
];

describe("every mode over 2..4 local ranks", () => {
  it.each(MODES.flatMap(([name, c]) => [2, 3, 4].map((w) => [name, w, c] as const)))("%s, W = %i: ranks bit-identical (several buckets, a foreign param)", async (name, world, compression) => {
    const groups = localGroups(world);
    const ranks = groups.map(() => shapedRank());
    const ddps = ranks.map((r, k) => new DataParallel(r.opt, groups[k]!, { compression, bucketBytes: 2048, firstBucketBytes: 512 }));
    expect(ddps[0]!.buckets.length).toBeGreaterThan(2);
    for (let t = 0; t < 4; t++) {
      ranks.forEach((r, k) => r.params.forEach((p, i) => p.grad.set(randomArray(p.value.length, rng(100 * t + 10 * k + i + 1)))));
      await Promise.all(ddps.map((d) => d.step()));
      for (const r of ranks.slice(1)) {
        r.params.forEach((p, i) => {
          expect(firstBitDifference(p.value, ranks[0]!.params[i]!.value), `${name} step ${t}: param ${i} value`).toBe(-1);
          expect(firstBitDifference(p.grad, ranks[0]!.params[i]!.grad), `${name} step ${t}: param ${i} reduced gradient`).toBe(-1);
        });
      }
    }
    await Promise.all(groups.map((g) => g.close()));
  });

  it.each(CODECS.flatMap((c) => [2, 3, 4].map((w) => [c, w] as const)))("%s, W = %i: the reduced gradient is the rank-order mean of decode(gradient + error); the error is the rest", async (codec, world) => {
    const groups = localGroups(world);
    const ranks = groups.map(() => plainRank());
    const ddps = ranks.map((r, k) => new DataParallel(r.opt, groups[k]!, { compression: codec }));
    expect(ddps[0]!.buckets.length).toBe(1);
    for (let t = 0; t < 4; t++) {
      const grads = ranks.map((r, k) => nasty(r.n, 1000 * t + k));
      const errs = ddps.map((d) => d.compressor!.errors().get(0) ?? new Float32Array(ranks[0]!.n));
      const xs = grads.map((g, k) => g.map((v, i) => v + errs[k]![i]!));
      const decoded = xs.map((x) => definitionDecode(codec, x));
      ranks.forEach((r, k) => r.setGrad(grads[k]!));
      await Promise.all(ddps.map((d) => d.step()));
      const mean = rankOrderMean(decoded);
      ranks.forEach((r, k) => {
        expect(firstBitDifference(r.grad(), mean), `step ${t} rank ${k}: reduced gradient`).toBe(-1);
        const rest = xs[k]!.map((x, i) => (Number.isFinite(x - decoded[k]![i]!) ? x - decoded[k]![i]! : 0));
        expect(firstBitDifference(ddps[k]!.compressor!.errors().get(0)!, rest), `step ${t} rank ${k}: error`).toBe(-1);
      });
    }
    await Promise.all(groups.map((g) => g.close()));
  });
});

/** One store run of params (one bucket): its flat gradient view and a setter. */
function plainRank() {
  const store = new ParamStore();
  const rand = rng(5);
  const params = [700, 3, 300].map((n, i) => store.param(`p${i}`, randomArray(n, rand)));
  const n = 1003;
  const opt = new SGD(params, { lr: 0.1 });
  const grad = () => store.view(params[0]!.gradPtr, n);
  return { store, params, opt, n, grad, setGrad: (g: Float32Array) => grad().set(g) };
}

describe("error feedback: what the optimizer received plus what is left is what was given", () => {
  // Σ_t W·mean_t + Σ_r e_r,T = Σ_r Σ_t g_r,t, exactly (in f64), for gradients on a grid (multiples of 2^-12
  // below 1/4) over W = 2 and 4, where x = g + e, the rank-order sum and / W are exact: bf16 and int8's
  // errors x − decode(x) are exact (see compression-codecs.ts). sign's and PowerSGD's error x − d rounds, so
  // for them the identity holds up to one rounding of each error per step (checked against that bound).
  it.each([...CODECS.map((c) => [c, c] as [string, Compression]), ["powerSGD", powerSGD({ startIter: 2, minCompressionRate: 1 })] as [string, Compression]]
    .flatMap(([name, c]) => [2, 4].map((w) => [name, w, c] as const)))("%s, W = %i", async (name, world, compression) => {
    const T = 8;
    const groups = localGroups(world);
    const ranks = groups.map(() => shapedRank());
    const ddps = ranks.map((r, k) => new DataParallel(r.opt, groups[k]!, { compression }));
    const n = ranks[0]!.params.reduce((a, p) => a + p.value.length, 0);
    const given = new Float64Array(n), received = new Float64Array(n);
    let big = 1; // the largest magnitude seen: each rounding per step and rank is at most big · 2^-24
    for (let t = 0; t < T; t++) {
      const rand = rng(77 + t);
      ranks.forEach((r, k) => r.params.forEach((p) => {
        const g = p.grad;
        for (let i = 0; i < g.length; i++) g[i] = Math.round((rand() * 2 - 1) * 1023) * 2 ** -12 * (k + 1) / 4;
      }));
      ranks.forEach((r) => flat(r.params.map((p) => p.grad)).forEach((v, i) => (given[i] = given[i]! + v)));
      await Promise.all(ddps.map((d) => d.step()));
      flat(ranks[0]!.params.map((p) => p.grad)).forEach((v, i) => (received[i] = received[i]! + world * v));
      for (const d of ddps) for (const e of d.compressor!.errors().values()) for (const v of e) big = Math.max(big, Math.abs(v));
      for (const p of ranks[0]!.params) for (const v of p.grad) big = Math.max(big, Math.abs(v));
    }
    // The errors, by bucket (one bucket per flat run; here all params are in one run but the foreign one).
    const left = new Float64Array(n);
    for (const d of ddps) {
      const errs = [...d.compressor!.errors().values()];
      // Buckets come in reverse registration order: the foreign param's run first.
      flat(errs.reverse()).forEach((v, i) => (left[i] = left[i]! + v));
    }
    const exact = name === "bf16" || name === "int8";
    for (let i = 0; i < n; i++) {
      const diff = Math.abs(received[i]! + left[i]! - given[i]!);
      if (exact) expect(diff, `${name}: element ${i}`).toBe(0);
      // x = g + e, e = x − d and the rank-order sum of d: three roundings per step and rank.
      else expect(diff, `${name}: element ${i}`).toBeLessThanOrEqual(3 * T * world * big * 2 ** -24);
    }
    await Promise.all(groups.map((g) => g.close()));
  });
});

function flat(xs: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(xs.reduce((a, x) => a + x.length, 0));
  let at = 0;
  for (const x of xs) out.set(x, (at += x.length) - x.length);
  return out;
}


interface FixtureRank { order: string[]; input: number[]; output: number[]; error: number[] | null; qDraws: number[] }
interface FixtureCase {
  name: string; rank: number; startIter: number; minCompressionRate: number; warmStart: boolean; worldSize: number;
  shapes: [string, number[]][]; steps: { order: string[]; ranks: FixtureRank[] }[];
}
const FIXTURE = JSON.parse(readFileSync(new URL("../fixtures/compression.json", import.meta.url), "utf8")) as { cases: FixtureCase[] };

/** Floats of `names` (in that order) sliced out of a flat bucket laid out in `order`. */
function byName(flatBucket: readonly number[], order: readonly string[], shapes: Map<string, number>): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  let at = 0;
  for (const name of order) {
    const n = shapes.get(name)!;
    out.set(name, Float32Array.from(flatBucket.slice(at, at + n)));
    at += n;
  }
  return out;
}

describe("PowerSGD equals torch's powerSGD_hook (2 ranks on a gloo group, test/fixtures/compression.json)", () => {
  // Tolerance: gradstep and torch multiply in different orders (gemm_f32 sums each dot product in order,
  // torch's bmm in blocks) and sum norms differently (f64 here); each of P = MQ, QᵀP, PQᵀ and the
  // normalisation rounds differently at ~2^-24 relative, amplified by Gram-Schmidt when columns are nearly
  // dependent, and carried forward by the error buffer and the warm-started Q. The worst over the fixtures is
  // about 1e-6 relative to the largest element; 2e-5 leaves a margin and still fails on any wrong step
  // (a missing error, a wrong P/Q order or a Q not orthogonalized are off by 1e-1 or more).
  const RTOL = 2e-5;
  it.each(FIXTURE.cases.map((c) => [c.name, c] as const))("%s", async (_, c) => {
    const shapes = new Map(c.shapes.map(([name, s]) => [name, s.reduce((a, b) => a * b, 1)]));
    // Register the params in torch's bucket order after its rebuild (the order of every compressed step), so
    // that gradstep's single bucket has torch's layout.
    const order = c.steps[c.steps.length - 1]!.order;
    const draws = c.steps.map((s) => s.ranks[0]!.qDraws).filter((d) => d.length > 0);
    const groups = localGroups(c.worldSize);
    const ranks = groups.map((g) => {
      const store = new ParamStore();
      const shape = new Map(c.shapes);
      const params = order.map((name) => store.param(name, new Float32Array(shapes.get(name)!), shape.get(name)!.length > 1 ? { shape: shape.get(name)! } : {}));
      const opt = new SGD(params, { lr: 0.5 });
      const ddp = new DataParallel(opt, g, {
        compression: powerSGD({ rank: c.rank, startIter: c.startIter, minCompressionRate: c.minCompressionRate, warmStart: c.warmStart, initQ: (floats, draw) => {
          expect(draws[draw]!.length).toBe(floats);
          return draws[draw]!;
        } }),
      });
      return { store, params, ddp };
    });
    let worst = 0;
    for (const [t, step] of c.steps.entries()) {
      step.ranks.forEach((fr, k) => {
        const inputs = byName(fr.input, fr.order, shapes);
        for (const p of ranks[k]!.params) p.grad.set(inputs.get(p.name)!);
      });
      expect(step.ranks[1]!.qDraws).toEqual(step.ranks[0]!.qDraws); // torch's draws agree across ranks too
      await Promise.all(ranks.map((r) => r.ddp.step()));
      step.ranks.forEach((fr, k) => {
        const outputs = byName(fr.output, fr.order, shapes);
        const scale = Math.max(...fr.output.map(Math.abs));
        for (const p of ranks[k]!.params) {
          const want = outputs.get(p.name)!;
          if (t < c.startIter) {
            // Plain all-reduce: torch divides by 2 then sums, gradstep sums then divides: both exact for W = 2.
            expect(firstBitDifference(p.grad, want), `step ${t} rank ${k} ${p.name}`).toBe(-1);
            continue;
          }
          p.grad.forEach((v, i) => {
            const d = Math.abs(v - want[i]!) / scale;
            worst = Math.max(worst, d);
            if (!(d <= RTOL)) throw new Error(`step ${t} rank ${k} ${p.name}[${i}]: ${v} vs torch ${want[i]} (scale ${scale})`);
          });
        }
        if (fr.error) {
          const err = ranks[k]!.ddp.compressor!.errors().get(0)!;
          const errScale = Math.max(...fr.error.map(Math.abs));
          err.forEach((v, i) => {
            if (!(Math.abs(v - fr.error![i]!) <= RTOL * Math.max(errScale, scale))) throw new Error(`step ${t} rank ${k}: error[${i}] ${v} vs torch ${fr.error![i]}`);
          });
        }
      });
      // Bit-identical across ranks, whatever torch's rounding.
      ranks[1]!.params.forEach((p, i) => expect(firstBitDifference(p.grad, ranks[0]!.params[i]!.grad)).toBe(-1));
    }
    console.log(`${c.name}: worst relative difference from torch ${worst.toExponential(2)}`);
    await Promise.all(groups.map((g) => g.close()));
  });
});

describe("bytes on the wire: DataParallel.bytesSent equals what the transport carried", () => {
  const NONE: [string, Compression | undefined] = ["none", undefined];
  it.each([NONE, ...MODES].flatMap(([name, c]) => [2, 3].map((w) => [name, w, c] as const)))("%s, W = %i", async (name, world, compression) => {
    const { groups, sent } = countingGroups(world);
    const ranks = groups.map(() => shapedRank());
    const ddps = ranks.map((r, k) => new DataParallel(r.opt, groups[k]!, compression ? { compression } : {}));
    const perStep: number[] = [];
    for (let t = 0; t < 3; t++) {
      ranks.forEach((r, k) => r.params.forEach((p, i) => p.grad.set(randomArray(p.value.length, rng(10 * t + k + i)))));
      const before = [...sent];
      await Promise.all(ddps.map((d) => d.step()));
      ddps.forEach((d, k) => expect(d.bytesSent, `${name} step ${t} rank ${k}`).toBe(sent[k]! - before[k]!));
      perStep.push(ddps[0]!.bytesSent);
    }
    const floats = ranks[0]!.params.reduce((a, p) => a + p.value.length, 0);
    console.log(`bytes per step, ${name}, W = ${world}, ${floats} floats: ${perStep.join(", ")} (rank 0)`);
    await Promise.all(groups.map((g) => g.close()));
  });

  it.each([NONE, ...MODES].flatMap(([name, c]) => [2, 3].map((w) => [name, w, c] as const)))("DiLoCo, %s, W = %i: a sync sends DiLoCo.bytesSent, the steps between nothing", async (name, world, compression) => {
    const { groups, sent } = countingGroups(world);
    const ranks = groups.map(() => shapedRank());
    const dilocos = ranks.map((r, k) => new DiLoCo(r.opt, groups[k]!, { syncEvery: 2, ...(compression && { compression }) }));
    for (let t = 0; t < 8; t++) {
      ranks.forEach((r, k) => r.params.forEach((p, i) => p.grad.set(randomArray(p.value.length, rng(10 * t + k + i)))));
      const before = [...sent];
      await Promise.all(dilocos.map((d) => d.step()));
      dilocos.forEach((d, k) => expect(sent[k]! - before[k]!, `${name} step ${t} rank ${k}`).toBe(t % 2 === 1 ? d.bytesSent : 0));
    }
    expect(dilocos[0]!.bytesSent).toBeGreaterThan(0);
    await Promise.all(groups.map((g) => g.close()));
  });
});

describe("bad options: a clear error, nothing changed", () => {
  const BAD: [string, () => unknown, RegExp][] = [
    ["unknown codec", () => "fp16", /DataParallel: invalid compression "fp16" \(expected "bf16", "int8", "sign" or powerSGD/],
    ["a number", () => 8, /DataParallel: invalid compression 8/],
    ["a hand-made PowerSGD object", () => ({ kind: "powerSGD", rank: 1 }), /DataParallel: invalid compression/],
    ["rank 0", () => powerSGD({ rank: 0 }), /powerSGD: invalid rank 0 \(expected an integer >= 1\)/],
    ["rank 1.5", () => powerSGD({ rank: 1.5 }), /powerSGD: invalid rank 1.5/],
    ["startIter -1", () => powerSGD({ startIter: -1 }), /powerSGD: invalid startIter -1/],
    ["startIter 1 with error feedback", () => powerSGD({ startIter: 1 }), /powerSGD: startIter must be > 1 with useErrorFeedback or warmStart \(got 1\)/],
    ["minCompressionRate NaN", () => powerSGD({ minCompressionRate: NaN }), /powerSGD: invalid minCompressionRate NaN/],
    ["orthogonalizationEpsilon -1", () => powerSGD({ orthogonalizationEpsilon: -1 }), /powerSGD: invalid orthogonalizationEpsilon -1/],
    ["warmStart a string", () => powerSGD({ warmStart: "yes" as unknown as boolean }), /powerSGD: invalid warmStart yes \(expected a boolean\)/],
    ["an unknown option", () => powerSGD({ ranks: 2 } as object), /powerSGD: unknown option "ranks"/],
    ["initQ not a function", () => powerSGD({ initQ: 3 as unknown as () => number[] }), /powerSGD: initQ must be a function/],
  ];
  it.each(BAD)("%s", (_, make, error) => {
    const [g] = localGroups(1);
    const r = buildRank(SGD, { lr: 0.1 });
    const before = snapshotRank(r);
    expect(() => new DataParallel(r.opt, g!, { compression: make() as Compression })).toThrow(error);
    const after = snapshotRank(r);
    after.values.forEach((v, i) => expect(firstBitDifference(v, before.values[i]!)).toBe(-1));
    expectSameState(after.state, before.state);
  });

  it("initQ returning the wrong count: step() throws before any collective, nothing changed (a retry works)", async () => {
    const groups = localGroups(2);
    let broken = true;
    const ranks = groups.map(() => shapedRank({ lr: 0.1, momentum: 0.9 }));
    const ddps = ranks.map((r, k) => new DataParallel(r.opt, groups[k]!, {
      compression: powerSGD({ startIter: 2, initQ: (floats) => new Float32Array(broken ? floats - 1 : floats).fill(1) }),
    }));
    for (let t = 0; t < 2; t++) {
      ranks.forEach((r, k) => r.params.forEach((p, i) => p.grad.set(randomArray(p.value.length, rng(t + k + i)))));
      await Promise.all(ddps.map((d) => d.step()));
    }
    const before = ranks.map((r, k) => ({ ...snapshotRank(r), grads: r.params.map((p) => p.grad.slice()), errors: ddps[k]!.compressor!.errors(), iter: ddps[k]!.compressor!.iter }));
    const results = await Promise.allSettled(ddps.map((d) => d.step()));
    results.forEach((res) => expect(res.status === "rejected" && String(res.reason)).toMatch(/powerSGD: initQ\(\d+, 0\) returned \d+ numbers, expected \d+/));
    expectUnchanged(ranks, ddps, before);
    broken = false;
    await Promise.all(ddps.map((d) => d.step()));
    expect(ddps[0]!.compressor!.iter).toBe(3);
    await Promise.all(groups.map((g) => g.close()));
  });
});

type Before = { values: Float32Array[]; state: ReturnType<typeof snapshotRank>["state"]; grads: Float32Array[]; errors: Map<number, Float32Array>; iter: number };
function expectUnchanged(ranks: ReturnType<typeof shapedRank>[], ddps: DataParallel[], before: Before[]): void {
  ranks.forEach((r, k) => {
    const after = snapshotRank(r);
    after.values.forEach((v, i) => expect(firstBitDifference(v, before[k]!.values[i]!), `rank ${k} param ${i}`).toBe(-1));
    expectSameState(after.state, before[k]!.state);
    r.params.forEach((p, i) => expect(firstBitDifference(p.grad, before[k]!.grads[i]!), `rank ${k} grad ${i}`).toBe(-1));
    const errs = ddps[k]!.compressor!.errors();
    expect([...errs.keys()]).toEqual([...before[k]!.errors.keys()]);
    for (const [b, e] of errs) expect(firstBitDifference(e, before[k]!.errors.get(b)!), `rank ${k} error ${b}`).toBe(-1);
    expect(ddps[k]!.compressor!.iter).toBe(before[k]!.iter);
  });
}

describe("faults: a collective failing mid-step changes no param, state, gradient or error buffer", () => {
  // The failure comes at the last collective of the step (PowerSGD: after the uncompressed all-reduce and P's),
  // on every rank; the step is then retried and must equal a run that never failed.
  it.each(MODES.flatMap(([name, c]) => [2, 3].map((w) => [name, w, c] as const)))("%s, W = %i", async (name, world, compression) => {
    const runs = [true, false].map((fail) => {
      const real = localGroups(world);
      const ranks = real.map(() => shapedRank({ lr: 0.1, momentum: 0.9 }));
      const method = typeof compression === "string" ? "allGather" : "allReduce";
      // Buckets: the foreign param's and the store run's; PowerSGD compressed steps make 3 all-reduces per store bucket.
      const at = typeof compression === "string" ? 2 : 4;
      const armed = { on: false };
      const groups = real.map((g) => (fail ? armedGroup(failingGroup(g, method, at), g, armed) : g));
      const ddps = ranks.map((r, k) => new DataParallel(r.opt, groups[k]!, { compression }));
      return { real, ranks, ddps, armed, fail };
    });
    for (let t = 0; t < 4; t++) {
      for (const run of runs) {
        run.ranks.forEach((r, k) => r.params.forEach((p, i) => p.grad.set(randomArray(p.value.length, rng(50 * t + 7 * k + i)))));
        if (run.fail && t === 3) {
          run.armed.on = true;
          const before = run.ranks.map((r, k) => ({ ...snapshotRank(r), grads: r.params.map((p) => p.grad.slice()), errors: run.ddps[k]!.compressor!.errors(), iter: run.ddps[k]!.compressor!.iter }));
          const results = await Promise.allSettled(run.ddps.map((d) => d.step()));
          for (const res of results) expect(res.status === "rejected" && String(res.reason), name).toMatch(/link lost/);
          expectUnchanged(run.ranks, run.ddps, before);
          run.armed.on = false;
        }
        await Promise.all(run.ddps.map((d) => d.step()));
      }
    }
    runs[0]!.ranks.forEach((r, k) => r.params.forEach((p, i) => expect(firstBitDifference(p.value, runs[1]!.ranks[k]!.params[i]!.value), `rank ${k} param ${i}`).toBe(-1)));
    for (const run of runs) await Promise.all(run.real.map((g) => g.close()));
  });
});

/** `failing` while armed.on (its call count restarting at each arming), else the real group. */
function armedGroup(failing: ProcessGroup, real: ProcessGroup, armed: { on: boolean }): ProcessGroup {
  let fresh = failing;
  const make = () => fresh;
  return new Proxy(real, {
    get(target, key) {
      const src = armed.on ? make() : target;
      const v = (src as unknown as Record<string | symbol, unknown>)[key];
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(src) : v;
    },
  });
}

describe("DiLoCo: the pseudo-gradient compressed", () => {
  it.each(MODES.map(([name, c]) => [name, c] as const))("%s: every rank adopts the same anchor", async (_, compression) => {
    const groups = localGroups(3);
    const ranks = groups.map(() => shapedRank({ lr: 0.05 }));
    const dilocos = ranks.map((r, k) => new DiLoCo(r.opt, groups[k]!, { syncEvery: 2, compression }));
    for (let t = 0; t < 8; t++) {
      ranks.forEach((r, k) => r.params.forEach((p, i) => p.grad.set(randomArray(p.value.length, rng(9 * t + 3 * k + i)))));
      await Promise.all(dilocos.map((d) => d.step()));
    }
    for (const r of ranks.slice(1)) r.params.forEach((p, i) => expect(firstBitDifference(p.value, ranks[0]!.params[i]!.value)).toBe(-1));
    expect(dilocos[0]!.compressor!.iter).toBe(4);
    await Promise.all(groups.map((g) => g.close()));
  });

  it("bf16 on pseudo-gradients that bf16 holds exactly equals the uncompressed DiLoCo", async () => {
    const run = async (compression?: Compression) => {
      const groups = localGroups(2);
      const ranks = groups.map(() => {
        const store = new ParamStore();
        const p = store.param("w", new Float32Array(64));
        return { p, opt: new SGD([p], { lr: 1 }) };
      });
      // Outer lr 1 without momentum keeps the anchors on a coarse grid, so anchor − params stays the gradient.
      const d = ranks.map((r, k) => new DiLoCo(r.opt, groups[k]!, { syncEvery: 1, outerLr: 1, momentum: 0, nesterov: false, compression }));
      for (let t = 0; t < 3; t++) {
        // Gradients of 8 significant bits: the pseudo-gradient (anchor − params, lr 1) then fits bf16.
        ranks.forEach((r, k) => r.p.grad.set(Float32Array.from({ length: 64 }, (_, i) => ((i * 7 + t * 3 + k) % 17 - 8) / 16)));
        await Promise.all(d.map((x) => x.step()));
      }
      await Promise.all(groups.map((g) => g.close()));
      return ranks[0]!.p.value.slice();
    };
    expect(firstBitDifference(await run("bf16"), await run())).toBe(-1);
  });
});

describe("ownership", () => {
  it("the state lives in the optimizer's store; dispose() drops it and step() then throws", async () => {
    const [g] = localGroups(1);
    const r = shapedRank();
    const used = r.store.bytesUsed;
    const ddp = new DataParallel(r.opt, g!, { compression: "int8" });
    await ddp.step();
    expect(r.store.bytesUsed - used).toBeGreaterThanOrEqual(ddp.compressor!.stateBytes);
    expect(ddp.compressor!.stateBytes).toBeGreaterThan(0);
    ddp.dispose();
    expect(ddp.compressor!.errors().size).toBe(0);
    await expect(ddp.step()).rejects.toThrow(/DataParallel.step: this DataParallel has been disposed/);
  });
});
