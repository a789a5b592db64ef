// AveragedParams: the EMA / SWA kernel bit for bit on every backend (the pure-TS reference is the oracle),
// the numbers of torch.optim.swa_utils.AveragedModel, swap / copyTo, state dicts, and bad input.
import { describe, expect, it } from "vitest";
import { AveragedParams, ParamStore, type ParamLike } from "../../src/index.js";
import { firstBitDifference, randomArray, rng } from "../helpers.js";
import { f32, FIXTURES, worstRatio } from "./fixture.js";

const BACKENDS = ["simd", "scalar", "js"] as const;
const LENGTHS = [0, 1, 3, 4, 5, 7, 8, 33, 1000, 4097];
const KINDS = [{ decay: 0.999 }, { decay: 0.9 }, { decay: 0.25 }, { decay: 0 }, { decay: 1 }, {}] as const;

/** Store params of LENGTHS (back to back, so most start unaligned) plus one foreign param; seeded values. */
function model(seed: number) {
  const rand = rng(seed);
  const store = new ParamStore();
  const params: ParamLike[] = LENGTHS.map((n, i) => store.param(`p${i}`, randomArray(n, rand, 2, 0.05)));
  params.push({ value: randomArray(9, rand, 2, 0), grad: new Float32Array(9) });
  return { store, params, rand };
}

/** Moves every param a little, as a step would (seeded). */
function perturb(params: ParamLike[], rand: () => number) {
  for (const p of params) for (let i = 0; i < p.value.length; i++) p.value[i] = p.value[i]! + (rand() * 2 - 1) * 0.1;
}

describe("the average_f32 kernel", () => {
  it.each(KINDS.map((k) => [JSON.stringify(k), k] as const))("%s: simd, scalar and js agree bit for bit over 12 updates", (_d, kind) => {
    const runs = BACKENDS.map((backend) => {
      const m = model(7);
      const avg = new AveragedParams(m.params, { ...kind, backend });
      for (let t = 0; t < 12; t++) {
        perturb(m.params, m.rand);
        avg.update();
      }
      return avg;
    });
    const [simd, scalar, js] = runs.map((a) => a.averages);
    js!.forEach((want, i) => {
      expect(firstBitDifference(simd![i]!, want), `simd param ${i}`).toBe(-1);
      expect(firstBitDifference(scalar![i]!, want), `scalar param ${i}`).toBe(-1);
    });
    expect(runs.map((a) => a.nAveraged)).toEqual([12, 12, 12]);
  });

  it("the first update copies the params; decay 1 then keeps them, decay 0 follows the params", () => {
    for (const backend of BACKENDS) {
      const m = model(3);
      const keep = new AveragedParams(m.params, { decay: 1, backend }), follow = new AveragedParams(m.params, { decay: 0, backend });
      const first = m.params.map((p) => p.value.slice());
      keep.update();
      follow.update();
      perturb(m.params, m.rand);
      keep.update();
      follow.update();
      keep.averages.forEach((a, i) => expect(firstBitDifference(a, first[i]!)).toBe(-1));
      follow.averages.forEach((a, i) => expect(firstBitDifference(a, m.params[i]!.value)).toBe(-1));
    }
  });

  it("the SWA average of k snapshots is their mean (within f32 rounding)", () => {
    const m = model(4);
    const swa = new AveragedParams(m.params);
    const sums = m.params.map((p) => new Float64Array(p.value.length));
    for (let t = 0; t < 20; t++) {
      perturb(m.params, m.rand);
      swa.update();
      m.params.forEach((p, i) => p.value.forEach((x, j) => { sums[i]![j]! += x; }));
    }
    swa.averages.forEach((a, i) => {
      expect(worstRatio(a, Float32Array.from(sums[i]!, (s) => s / 20), 1e-6, 1e-5)).toBeLessThanOrEqual(1);
    });
  });
});

// torch: AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay)) and AveragedModel(model), updated
// after each of 30 SGD steps (the test copies torch's params in, so only the averaging is compared).
// SWA is sub, div, add in f32 in both: bit for bit. EMA: torch's CPU lerp is a fused multiply-add, gradstep
// rounds the product first, so each update may differ by an ulp: tolerance 1e-6 + 1e-5·|x| after 30 updates
// (measured: at most 0.013 of it, for decay 0.9; decay 0.25, the lerp form from the param, came out equal).
describe("vs torch.optim.swa_utils.AveragedModel", () => {
  it.each(FIXTURES.averaged.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    for (const backend of BACKENDS) {
      const store = new ParamStore();
      const params = c.init.map((x, i) => store.param(`p${i}`, f32(x)));
      const avg = new AveragedParams(params, { ...(c.decay === null ? {} : { decay: c.decay }), backend });
      let worst = 0;
      c.updates.forEach((u, t) => {
        params.forEach((p, i) => p.value.set(f32(u.params[i]!)));
        avg.update();
        avg.averages.forEach((a, i) => {
          const want = f32(u.averages[i]!);
          if (c.decay === null) expect(firstBitDifference(a, want), `${backend} update ${t} param ${i}`).toBe(-1);
          const r = worstRatio(a, want, 1e-6, 1e-5);
          worst = Math.max(worst, r);
          expect(r, `${backend} update ${t} param ${i}`).toBeLessThanOrEqual(1);
        });
      });
      expect(worst, "measured error against torch stays far below the tolerance").toBeLessThan(0.06);
      expect(avg.nAveraged).toBe(c.numAveraged);
    }
  });
});

describe("swap, copyTo, state dicts", () => {
  it("swap() exchanges params and averages in place; twice is the identity", () => {
    const m = model(5);
    const ema = new AveragedParams(m.params, { decay: 0.9 });
    for (let t = 0; t < 3; t++) { perturb(m.params, m.rand); ema.update(); }
    const values = m.params.map((p) => p.value.slice()), avgs = ema.averages.map((a) => a.slice());
    ema.swap();
    expect(ema.swapped).toBe(true);
    m.params.forEach((p, i) => expect(firstBitDifference(p.value, avgs[i]!)).toBe(-1));
    ema.averages.forEach((a, i) => expect(firstBitDifference(a, values[i]!)).toBe(-1));
    expect(() => ema.update()).toThrow(/\(swapped\): call swap\(\) again/);
    expect(firstBitDifference(ema.stateDict().averages[3]!, avgs[3]!), "stateDict saves the averages while swapped").toBe(-1);
    ema.swap();
    m.params.forEach((p, i) => expect(firstBitDifference(p.value, values[i]!)).toBe(-1));
    ema.averages.forEach((a, i) => expect(firstBitDifference(a, avgs[i]!)).toBe(-1));
  });

  it("copyTo() writes the averages into the params, or into another model of the same shapes", () => {
    const m = model(6), other = model(60);
    const swa = new AveragedParams(m.params);
    for (let t = 0; t < 3; t++) { perturb(m.params, m.rand); swa.update(); }
    swa.copyTo(other.params);
    other.params.forEach((p, i) => expect(firstBitDifference(p.value, swa.averages[i]!)).toBe(-1));
    swa.copyTo();
    m.params.forEach((p, i) => expect(firstBitDifference(p.value, swa.averages[i]!)).toBe(-1));
  });

  it.each([["structuredClone", (d: unknown) => structuredClone(d)], ["JSON", (d: unknown) => JSON.parse(JSON.stringify(d))]] as const)(
    "N updates == k updates + save (%s) + load into a fresh AveragedParams + N − k updates, bit for bit", (_how, through) => {
      for (const kind of [{ decay: 0.99 }, {}]) {
        const a = model(8), b = model(8);
        const full = new AveragedParams(a.params, kind);
        let part = new AveragedParams(b.params, kind);
        for (let t = 0; t < 10; t++) {
          perturb(a.params, a.rand);
          perturb(b.params, b.rand);
          full.update();
          part.update();
          if (t === 4) {
            const saved = through(part.stateDict());
            part = new AveragedParams(b.params, kind);
            part.loadStateDict(saved as never);
          }
        }
        expect(part.nAveraged).toBe(10);
        part.averages.forEach((x, i) => expect(firstBitDifference(x, full.averages[i]!)).toBe(-1));
      }
    });

  it("store averages live in the params' store, one allocation; foreign ones in plain arrays", () => {
    const store = new ParamStore();
    const w = store.param("w", 100), b = store.param("b", 3);
    const foreign = { value: new Float32Array(4), grad: new Float32Array(4) };
    const ema = new AveragedParams([w, b, foreign], { decay: 0.5 });
    const [aw, ab, af] = ema.averages;
    expect(aw!.buffer).toBe(store.buffer);
    expect(ab!.byteOffset).toBe(aw!.byteOffset + 400);
    expect(af!.buffer).not.toBe(store.buffer);
  });

  it("params from two stores: each store holds its params' averages; simd == js bit for bit", () => {
    const runs = (["simd", "js"] as const).map((backend) => {
      const rand = rng(12);
      const s1 = new ParamStore(), s2 = new ParamStore();
      const params = [s1.param("a", randomArray(33, rand)), s2.param("b", randomArray(7, rand)), s1.param("c", randomArray(5, rand))];
      const ema = new AveragedParams(params, { decay: 0.9, backend });
      for (let t = 0; t < 4; t++) { perturb(params, rand); ema.update(); }
      [s1, s2, s1].forEach((s, i) => expect(ema.averages[i]!.buffer).toBe(s.buffer));
      return ema.averages;
    });
    runs[0]!.forEach((a, i) => expect(firstBitDifference(a, runs[1]![i]!)).toBe(-1));
  });
});

it("non-shared memory: averages stay right after the store's memory grows (views are rebuilt)", () => {
  for (const backend of BACKENDS) {
    const store = new ParamStore({ shared: false });
    const w = store.param("w", randomArray(50, rng(1)));
    const ema = new AveragedParams([w], { decay: 0.5, backend });
    ema.update();
    const held = ema.averages[0]!;
    store.param("big", 1 << 22);                     // grows the memory: old views detach
    expect(held.length, "a held view detaches, as documented for params").toBe(0);
    w.value.fill(1);
    ema.update();
    const want = randomArray(50, rng(1)).map((x) => Math.fround(1 + Math.fround(-0.5 * Math.fround(1 - x)))); // w = 0.5: torch's form from the param
    expect(firstBitDifference(ema.averages[0]!, want)).toBe(-1);
  }
});

describe("bad input: a clear error, nothing changed", () => {
  it.each([
    [{ decay: 1.5 }, /invalid decay 1.5 \(expected a number in \[0, 1\]\)/],
    [{ decay: -0.1 }, /invalid decay -0.1/],
    [{ decay: Number.NaN }, /invalid decay NaN/],
    [{ decay: "0.9" }, /invalid decay 0.9/],
    [{ decy: 0.9 }, /unknown option "decy"/],
    [{ backend: "gpu" }, /invalid backend "gpu"/],
  ])("options %j", (options, message) => {
    const store = new ParamStore();
    const p = store.param("w", 5);
    const used = store.bytesUsed;
    expect(() => new AveragedParams([p], options as never)).toThrow(message);
    expect(store.bytesUsed, "nothing allocated").toBe(used);
  });

  it.each([
    [() => new AveragedParams([]), /empty parameter list/],
    [() => new AveragedParams([42 as never]), /params\[0\] is not a param/],
    [() => { const p = new ParamStore().param("w", 2); return new AveragedParams([p, p]); }, /params\[1\] appears more than once/],
    [() => new AveragedParams([{ value: new Float32Array(3), grad: new Float32Array(2) }]), /params\[0\]\.value must be a Float32Array as long as its grad/],
  ])("params %#", (act, message) => {
    expect(act).toThrow(message);
  });

  it("copyTo / swap before the first update, copyTo to params of other lengths, a disposed store", () => {
    const m = model(9);
    const ema = new AveragedParams(m.params, { decay: 0.9 });
    expect(() => ema.copyTo()).toThrow(/no average yet/);
    expect(() => ema.swap()).toThrow(/no average yet/);
    ema.update();
    perturb(m.params, m.rand);
    const values = m.params.map((p) => p.value.slice()), avgs = ema.averages.map((a) => a.slice());
    const other = model(10).params;
    const targets = other.map((p) => p.value.slice());
    expect(() => ema.copyTo(other.slice(1))).toThrow(/got 10 params, the averages are of 11/);
    expect(() => ema.copyTo([...other.slice(0, 10), { value: new Float32Array(8), grad: new Float32Array(8) }])).toThrow(/params\[10\] has length 8, its average has 9/);
    other.forEach((p, i) => expect(firstBitDifference(p.value, targets[i]!)).toBe(-1));
    m.params.forEach((p, i) => expect(firstBitDifference(p.value, values[i]!)).toBe(-1));
    ema.averages.forEach((a, i) => expect(firstBitDifference(a, avgs[i]!)).toBe(-1));
    m.store.dispose();
    expect(() => ema.update()).toThrow(/belongs to a disposed ParamStore/);
  });

  it("a foreign param whose value was replaced by one of another length", () => {
    const f = { value: new Float32Array(4), grad: new Float32Array(4) };
    const ema = new AveragedParams([f], { decay: 0.9 });
    ema.update();
    f.value = new Float32Array(5);
    expect(() => ema.update()).toThrow(/params\[0\]\.value is no longer a Float32Array of length 4/);
    expect(ema.nAveraged).toBe(1);
  });

  const good = () => {
    const m = model(11);
    const ema = new AveragedParams(m.params, { decay: 0.9 });
    for (let t = 0; t < 3; t++) { perturb(m.params, m.rand); ema.update(); }
    return { m, ema, dict: ema.stateDict() };
  };
  it.each([
    ["not an object", () => null, /expected a state dict object/],
    ["an unknown key", (d: Record<string, unknown>) => ({ ...d, extra: 1 }), /unknown key "extra"/],
    ["a missing key", (d: Record<string, unknown>) => { const { nAveraged: _n, ...rest } = d; return rest; }, /missing key "nAveraged"/],
    ["another format", (d: Record<string, unknown>) => ({ ...d, format: 99 }), /unsupported format 99/],
    ["another decay", (d: Record<string, unknown>) => ({ ...d, decay: 0.99 }), /an EMA with decay 0.99, this is an EMA with decay 0.9/],
    ["an SWA dict", (d: Record<string, unknown>) => ({ ...d, kind: "swa", decay: null }), /kind "swa", this is an EMA with decay 0.9/],
    ["a bad count", (d: Record<string, unknown>) => ({ ...d, nAveraged: -1 }), /invalid nAveraged -1/],
    ["too few averages", (d: Record<string, unknown>) => ({ ...d, averages: (d.averages as unknown[]).slice(1) }), /expected 11 averages, got 10/],
    ["a short average", (d: Record<string, unknown>) => ({ ...d, averages: (d.averages as Float32Array[]).map((a, i) => (i === 8 ? a.slice(1) : a)) }), /averages\[8\] has 999 values, the param has 1000/],
    ["a NaN through JSON", (d: Record<string, unknown>) => { const a = (d.averages as Float32Array[]).map((x) => Array.from(x) as unknown[]); a[2]![1] = null; return { ...d, averages: a }; }, /averages\[2\]\[1\] is null \(NaN and ±Infinity do not survive JSON: save a checkpoint instead\), expected a number/],
    ["a string", (d: Record<string, unknown>) => ({ ...d, averages: (d.averages as Float32Array[]).map((a, i) => (i === 3 ? "x" : a)) }), /averages\[3\] is not an array of numbers/],
  ])("loadStateDict with %s", (_what, edit, message) => {
    const { m, ema, dict } = good();
    perturb(m.params, m.rand);
    ema.update();
    const values = m.params.map((p) => p.value.slice()), avgs = ema.averages.map((a) => a.slice());
    expect(() => ema.loadStateDict(edit(dict as never) as never)).toThrow(message);
    expect(ema.nAveraged).toBe(4);
    m.params.forEach((p, i) => expect(firstBitDifference(p.value, values[i]!)).toBe(-1));
    ema.averages.forEach((a, i) => expect(firstBitDifference(a, avgs[i]!)).toBe(-1));
  });
});
