// GradScaler against torch.amp.GradScaler("cpu") (torch 2.13, test/fixtures/toolkit.json): the same scale
// and growth tracker after every update() on a scripted pattern of inf/NaN gradients, the same steps taken
// and skipped, Adam's params within the conformance tolerance (1e-6 + 1e-5·|x|: fused unscaling multiplies
// by the same f32 1/scale torch writes into .grad, so the difference is Adam's own). Skips change nothing;
// state dicts round-trip; bad input throws and changes nothing.
import { afterAll, describe, expect, it } from "vitest";
import { Adam, clipGradNorm, GradScaler, ParamStore, SGD } from "../../src/index.js";
import { expectSameState, firstBitDifference, randomArray, rng } from "../helpers.js";
import { f32, FIXTURES, num, type ScalerCase, worstRatio } from "./fixture.js";

const BACKENDS = ["simd", "scalar", "js"] as const;
let worstParam = 0;
afterAll(() => console.log(`GradScaler + Adam vs torch: max param error ${worstParam.toFixed(3)} of 1e-6 + 1e-5·|x|`));

function run(c: ScalerCase, backend: (typeof BACKENDS)[number], skipNonFinite: boolean) {
  const store = new ParamStore();
  const params = c.init.map((x, i) => store.param(`p${i}`, f32(x)));
  const opt = new Adam(params, { lr: c.lr, backend, skipNonFinite });
  const scaler = new GradScaler(c.options);
  c.iterations.forEach((it, t) => {
    const at = `${backend} iteration ${t}`;
    expect(scaler.getScale(), at).toBe(it.scale);
    expect(Math.fround(scaler.scale(it.loss)), at).toBe(num(it.scaledLoss));
    params.forEach((p, i) => p.grad.set(f32(it.scaledGrads[i]!)));
    const before = params.map((p) => p.value.slice()), state = opt.stateDict();
    if (c.explicitUnscale) {
      scaler.unscale(opt);
      const norm = clipGradNorm(params, 1.0);
      const want = num(it.norm!);
      if (Number.isFinite(want)) expect(Math.abs(norm - want) / want, at).toBeLessThan(4 * 2 ** -23);
      else expect(Number.isFinite(norm), at).toBe(false);
    } else {
      params.forEach((p, i) => expect(firstBitDifference(p.grad, f32(it.scaledGrads[i]!)), "fused: grads stay scaled").toBe(-1));
    }
    const gradsBefore = params.map((p) => p.grad.slice());
    expect(scaler.step(opt), at).toBe(it.stepped);
    params.forEach((p, i) => expect(firstBitDifference(p.grad, gradsBefore[i]!), "step() never rewrites grads").toBe(-1));
    if (!it.stepped) {
      params.forEach((p, i) => expect(firstBitDifference(p.value, before[i]!), `${at}: a skipped step changes nothing`).toBe(-1));
      expectSameState(opt.stateDict(), state);
    }
    scaler.update();
    expect(scaler.getScale(), at).toBe(it.scaleAfter);
    expect(scaler.growthTracker, at).toBe(it.growthTracker);
    params.forEach((p, i) => {
      const r = worstRatio(p.value, f32(it.params[i]!), 1e-6, 1e-5);
      worstParam = Math.max(worstParam, r);
      expect(r, `${at} param ${i}`).toBeLessThanOrEqual(1);
    });
  });
  return { scaler, opt };
}

describe("vs torch.amp.GradScaler", () => {
  it.each(FIXTURES.scaler.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    for (const backend of BACKENDS) {
      for (const skipNonFinite of [false, true]) {
        const { scaler, opt } = run(c, backend, skipNonFinite);
        const sd = c.stateDict;
        expect(scaler.stateDict()).toEqual({
          scale: sd.scale, growthFactor: sd.growth_factor, backoffFactor: sd.backoff_factor,
          growthInterval: sd.growth_interval, growthTracker: sd._growth_tracker,
        });
        const skips = c.iterations.filter((it) => !it.stepped).length;
        expect(scaler.skippedSteps).toBe(skips);
        // With skipNonFinite the optimizer's pre-pass found them (the scaler does not read the grads itself).
        expect(opt.skippedSteps).toBe(skipNonFinite && !c.explicitUnscale ? skips : 0);
      }
    }
  });
});

describe("behaviour", () => {
  it("the fused step equals unscaling the grads by hand then stepping, bit for bit", () => {
    for (const backend of BACKENDS) {
      const rand = rng(3);
      const a = new ParamStore(), b = new ParamStore();
      const init = [randomArray(37, rand), randomArray(4, rand)];
      const pa = init.map((x, i) => a.param(`p${i}`, x)), pb = init.map((x, i) => b.param(`p${i}`, x));
      const fused = new Adam(pa, { lr: 0.01, backend }), plain = new Adam(pb, { lr: 0.01, backend });
      const scaler = new GradScaler({ initScale: 1024 });
      for (let t = 0; t < 5; t++) {
        const grads = [randomArray(37, rand), randomArray(4, rand)];
        pa.forEach((p, i) => p.grad.set(grads[i]!.map((g) => g * 1024)));
        pb.forEach((p, i) => p.grad.set(grads[i]!.map((g) => Math.fround(g * 1024) * Math.fround(1 / 1024))));
        scaler.step(fused);
        scaler.update();
        plain.step();
      }
      pa.forEach((p, i) => expect(firstBitDifference(p.value, pb[i]!.value)).toBe(-1));
    }
  });

  it("fused maxGradNorm clips the unscaled gradient: == unscale() + clipGradNorm + step, bit for bit", () => {
    for (const backend of BACKENDS) {
      const rand = rng(9);
      const a = new ParamStore(), b = new ParamStore();
      const init = [randomArray(37, rand), randomArray(5, rand)];
      const pa = init.map((x, i) => a.param(`p${i}`, x)), pb = init.map((x, i) => b.param(`p${i}`, x));
      const fused = new Adam(pa, { lr: 0.01, backend, maxGradNorm: 0.5, skipNonFinite: true });
      const plain = new Adam(pb, { lr: 0.01, backend });
      const sa = new GradScaler({ initScale: 2 ** 12, growthInterval: 2 }), sb = new GradScaler({ initScale: 2 ** 12, growthInterval: 2 });
      for (let t = 0; t < 6; t++) {
        const grads = [randomArray(37, rand, 3), randomArray(5, rand, 3)];
        if (t === 2) grads[1]![0] = Number.NaN;
        pa.forEach((p, i) => p.grad.set(grads[i]!.map((g) => g * sa.getScale())));
        pb.forEach((p, i) => p.grad.set(grads[i]!.map((g) => g * sb.getScale())));
        sa.step(fused);
        sb.unscale(plain);
        clipGradNorm(pb, 0.5);
        sb.step(plain);
        sa.update();
        sb.update();
        expect(sa.getScale()).toBe(sb.getScale());
      }
      pa.forEach((p, i) => expect(firstBitDifference(p.value, pb[i]!.value), `${backend} param ${i}`).toBe(-1));
      expectSameState(fused.stateDict(), plain.stateDict());
    }
  });

  it("several optimizers: one inf in either skips its step and backs the scale off once", () => {
    const store = new ParamStore();
    const w = store.param("w", 8), b = store.param("b", 3);
    const o1 = new SGD([w], { lr: 0.1 }), o2 = new SGD([b], { lr: 0.1 });
    const scaler = new GradScaler({ initScale: 8 });
    w.grad.fill(8);
    b.grad.fill(8);
    b.grad[1] = Infinity;
    expect(scaler.step(o1)).toBe(true);
    expect(scaler.step(o2)).toBe(false);
    expect([...b.value]).toEqual([0, 0, 0]);
    expect(w.value[0]).toBeCloseTo(-0.1, 7);
    scaler.update();
    expect(scaler.getScale()).toBe(4);
  });

  it("growth stops where the scale would overflow f32; update(newScale) sets it", () => {
    const store = new ParamStore();
    const p = store.param("w", 2);
    const opt = new SGD([p], { lr: 0 });
    const scaler = new GradScaler({ initScale: 2 ** 127, growthInterval: 1 });
    scaler.step(opt);
    scaler.update();
    expect(scaler.getScale()).toBe(2 ** 127);
    expect(scaler.growthTracker).toBe(0);
    scaler.update(0.1);
    expect(scaler.getScale()).toBe(Math.fround(0.1));
  });

  it("disabled: scale() is the loss, step() steps, update() and unscale() do nothing, stateDict() is {}", () => {
    const store = new ParamStore();
    const p = store.param("w", [1, 2]);
    const opt = new SGD([p], { lr: 0.5 });
    const scaler = new GradScaler({ enabled: false });
    expect(scaler.getScale()).toBe(1);
    expect(scaler.scale(3.5)).toBe(3.5);
    p.grad.set([2, 2]);
    scaler.unscale(opt);
    expect([...p.grad]).toEqual([2, 2]);
    expect(scaler.step(opt)).toBe(true);
    scaler.update();
    expect([...p.value]).toEqual([0, 1]);
    expect(scaler.stateDict()).toEqual({});
  });

  it.each([["structuredClone", (d: unknown) => structuredClone(d)], ["JSON", (d: unknown) => JSON.parse(JSON.stringify(d))]] as const)(
    "resume through stateDict (%s): the same scale sequence as an uninterrupted run", (_how, through) => {
      const c = FIXTURES.scaler[0]!;
      const store = new ParamStore();
      const params = c.init.map((x, i) => store.param(`p${i}`, x.length));
      const opt = new SGD(params, { lr: 0 });
      let scaler = new GradScaler(c.options);
      c.iterations.forEach((it, t) => {
        params.forEach((p, i) => p.grad.set(f32(it.scaledGrads[i]!)));
        scaler.step(opt);
        scaler.update();
        expect(scaler.getScale()).toBe(it.scaleAfter);
        if (t === 7) {
          const saved = through(scaler.stateDict());
          scaler = new GradScaler();
          scaler.loadStateDict(saved as never);
        }
      });
    });
});

describe("bad input: a clear error, nothing changed", () => {
  it.each([
    [{ initScale: 0 }, /invalid initScale 0/],
    [{ initScale: 1e39 }, /invalid initScale 1e\+39 \(expected a number > 0 that is finite in f32 and whose inverse is too/],
    [{ initScale: 2 ** -128 }, /invalid initScale 2.938735877055719e-39 \(expected a number > 0 that is finite in f32 and whose inverse is too/],
    [{ growthFactor: 1 }, /invalid growthFactor 1 \(expected a finite number > 1\)/],
    [{ backoffFactor: 1 }, /invalid backoffFactor 1 \(expected a number in \(0, 1\)\)/],
    [{ backoffFactor: 0 }, /invalid backoffFactor 0/],
    [{ growthInterval: 2.5 }, /invalid growthInterval 2.5 \(expected an integer >= 1\)/],
    [{ enabled: "yes" }, /invalid enabled yes/],
    [{ init_scale: 2 }, /unknown option "init_scale"/],
  ])("options %j", (options, message) => {
    expect(() => new GradScaler(options as never)).toThrow(message);
  });

  function setup() {
    const store = new ParamStore();
    const params = [store.param("w", [1, 2, 3]), store.param("b", [0.5])];
    const opt = new Adam(params, { lr: 0.1 });
    const scaler = new GradScaler({ initScale: 4, growthInterval: 3 });
    params[0]!.grad.set([4, 8, 12]);
    params[1]!.grad.set([-4]);
    const snap = () => ({ values: params.map((p) => p.value.slice()), grads: params.map((p) => p.grad.slice()), state: opt.stateDict(), scaler: scaler.stateDict() });
    const same = (a: ReturnType<typeof snap>) => {
      const b = snap();
      a.values.forEach((v, i) => expect(firstBitDifference(b.values[i]!, v)).toBe(-1));
      a.grads.forEach((v, i) => expect(firstBitDifference(b.grads[i]!, v)).toBe(-1));
      expectSameState(b.state, a.state);
      expect(b.scaler).toEqual(a.scaler);
    };
    return { store, params, opt, scaler, snap, same };
  }

  it("unscale twice, unscale after step, step twice, update before any step", () => {
    const { opt, scaler, snap, same, params } = setup();
    expect(() => scaler.update()).toThrow(/no inf checks were recorded prior to update\(\)/);
    scaler.unscale(opt);
    expect([...params[0]!.grad]).toEqual([1, 2, 3]);
    let s = snap();
    expect(() => scaler.unscale(opt)).toThrow(/unscale\(\) has already been called on this optimizer since the last update\(\)/);
    same(s);
    scaler.step(opt);
    s = snap();
    expect(() => scaler.unscale(opt)).toThrow(/unscale\(\) is being called after step\(\)/);
    expect(() => scaler.step(opt)).toThrow(/step\(\) has already been called since the last update\(\)/);
    same(s);
    scaler.update();
    expect(scaler.growthTracker).toBe(1);
  });

  it("a disposed optimizer, an optimizer whose step throws, a non-optimizer, a bad loss or newScale", () => {
    const { opt, scaler, snap, same, store } = setup();
    const s = snap();
    opt.paramGroups[0]!.lr = -1;
    expect(() => scaler.step(opt)).toThrow(/Invalid lr: -1/);
    opt.paramGroups[0]!.lr = 0.1;
    same(s);
    expect(() => scaler.update(), "the failed step recorded nothing").toThrow(/no inf checks/);
    expect(() => scaler.step({} as never)).toThrow(/expected a gradstep optimizer/);
    expect(() => scaler.scale("1" as never)).toThrow(/GradScaler.scale: expected a number, got string/);
    expect(() => scaler.update(-2)).toThrow(/invalid newScale -2/);
    expect(() => scaler.update(1e-39)).toThrow(/invalid newScale 1e-39 \(expected a number > 0 that is finite in f32 and whose inverse is too/);
    same(s);
    const other = new SGD([new ParamStore().param("x", 2)]);
    other.dispose();
    expect(() => scaler.step(other)).toThrow(/the optimizer has been disposed/);
    expect(() => scaler.unscale(other)).toThrow(/the optimizer has been disposed/);
    store.dispose();
  });

  const good = { scale: 1024, growthFactor: 2, backoffFactor: 0.5, growthInterval: 10, growthTracker: 3 };
  it.each([
    [null, /expected a state dict object/],
    [{}, /the state dict is empty, possibly because it was saved from a disabled GradScaler/],
    [{ ...good, _growth_tracker: 3 }, /unknown key "_growth_tracker"/],
    [(({ growthTracker: _g, ...r }) => r)(good), /missing key "growthTracker"/],
    [{ ...good, scale: 0.1 }, /invalid scale 0.1 \(expected an f32 > 0 whose inverse is finite in f32\)/],
    [{ ...good, scale: 2 ** -128 }, /invalid scale 2.938735877055719e-39 \(expected an f32 > 0 whose inverse is finite in f32\)/],
    [{ ...good, scale: -4 }, /invalid scale -4/],
    [{ ...good, growthFactor: 0.5 }, /invalid growthFactor 0.5/],
    [{ ...good, backoffFactor: 2 }, /invalid backoffFactor 2/],
    [{ ...good, growthInterval: 0 }, /invalid growthInterval 0/],
    [{ ...good, growthTracker: 10 }, /invalid growthTracker 10 \(expected an integer in \[0, growthInterval\)\)/],
  ])("loadStateDict(%j)", (dict, message) => {
    const { scaler, snap, same } = setup();
    const s = snap();
    expect(() => scaler.loadStateDict(dict as never)).toThrow(message);
    same(s);
    scaler.loadStateDict(good);
    expect(scaler.stateDict()).toEqual(good);
  });
});
