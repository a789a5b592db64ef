// EarlyStopping (src/tuning/early-stopping.ts) against Keras' EarlyStopping on metric sequences
// (test/fixtures/tuning.json): epochs run, stopped/best epoch, best, wait and the params after training, bit
// for bit, for foreign params and store params; a run checkpointed mid-patience resumes identically; errors.
import { describe, expect, it } from "vitest";
import {
  EarlyStopping, type EarlyStoppingOptions, type EarlyStoppingState, loadCheckpoint, type ParamLike, ParamStore, saveCheckpoint, SGD,
} from "../../src/index.js";
import { type EarlyStoppingCase, FIXTURE, num } from "./fixture.js";

/** The generator's per-epoch weights: kernel [[e + 0.25], [−0.5e]], bias [e/8]. */
const epochWeights = (e: number) => [new Float32Array([e + 0.25, -0.5 * e]), new Float32Array([e / 8])];
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.slice().buffer));

function paramsFor(kind: "foreign" | "store"): { params: ParamLike[]; store?: ParamStore } {
  if (kind === "foreign") return { params: [2, 1].map((n) => ({ value: new Float32Array(n), grad: new Float32Array(n) })) };
  const store = new ParamStore();
  return { store, params: [store.param("kernel", 2), store.param("bias", 1)] };
}

/** Keras' fit loop: set the epoch's weights, on_epoch_end, stop when told; on_train_end restores. */
function run(c: EarlyStoppingCase, kind: "foreign" | "store") {
  const { params, store } = paramsFor(kind);
  const es = new EarlyStopping({ ...(c.options as EarlyStoppingOptions), params: store ?? params });
  let epochs = 0;
  for (const [e, v] of c.values.entries()) {
    epochWeights(e).forEach((w, i) => params[i]!.value.set(w));
    epochs = e + 1;
    if (es.update(num(v))) break;
  }
  if (!es.stopped) es.restore();
  return { es, epochs, weights: params.map((p) => p.value.slice()), dispose: () => store?.dispose() };
}

describe(`EarlyStopping vs Keras ${FIXTURE.keras} EarlyStopping`, () => {
  const cases = FIXTURE.earlyStopping.flatMap((c) => (["foreign", "store"] as const).map((k) => [`${c.name} (${k} params)`, c, k] as const));
  it.each(cases)("%s", (_, c, kind) => {
    const r = run(c, kind);
    expect(r.epochs).toBe(c.epochsRun);
    expect(r.es.stoppedEpoch).toBe(c.stoppedEpoch);
    expect(r.es.stopped).toBe(c.stoppedEpoch > 0);
    expect(r.es.bestEpoch).toBe(c.bestEpoch);
    expect(r.es.best).toBe(c.best === null ? null : num(c.best)); // toBe: Object.is, so NaN equals NaN
    expect(r.es.wait).toBe(c.wait);
    r.weights.forEach((w, i) => expect(bits(w), `param ${i}`).toEqual(bits(Float32Array.from(c.weights[i]!))));
    r.dispose();
  });
});

describe("EarlyStopping: state dict and resuming mid-patience", () => {
  /** A small training run on a store: SGD on ½‖θ − t‖², a scripted held-out metric that plateaus. */
  const METRIC = [1, 0.8, 0.7, 0.72, 0.69, 0.71, 0.7, 0.73, 0.75, 0.74, 0.76, 0.77];
  function setup() {
    const store = new ParamStore();
    const w = store.param("w", new Float32Array([1, -2, 0.5]));
    const opt = new SGD(store.params, { lr: 0.1, momentum: 0.9 });
    const es = new EarlyStopping({ patience: 3, minDelta: 0.005, restoreBestWeights: true, params: store });
    const epoch = (e: number): boolean => {
      opt.zeroGrad();
      for (let i = 0; i < 3; i++) w.grad[i] = w.value[i]! - Math.sin(i + e);
      opt.step();
      return es.update(METRIC[e]!);
    };
    return { store, w, opt, es, epoch };
  }

  it("a run checkpointed mid-patience (saveCheckpoint, the stopper in its metadata) resumes identically", () => {
    const a = setup();
    let cut: Uint8Array | undefined, stopA = -1;
    for (let e = 0; e < METRIC.length; e++) {
      if (a.epoch(e)) { stopA = e; break; }
      if (e === 5) {
        expect(a.es.wait).toBeGreaterThan(0); // mid-patience
        cut = saveCheckpoint({ params: a.store, optimizer: a.opt }, { earlyStopping: JSON.stringify(a.es.stateDict()) });
      }
    }
    expect(stopA).toBeGreaterThan(5);
    const b = setup();
    const { metadata } = loadCheckpoint(cut!, { params: b.store, optimizer: b.opt });
    b.es.loadStateDict(JSON.parse(metadata.earlyStopping!) as EarlyStoppingState);
    let stopB = -1;
    for (let e = 6; e < METRIC.length; e++) if (b.epoch(e)) { stopB = e; break; }
    expect(stopB).toBe(stopA);
    expect(b.es.stateDict()).toEqual(a.es.stateDict());
    expect(bits(b.w.value)).toEqual(bits(a.w.value));
    a.store.dispose(); b.store.dispose();
  });

  it("a Stateful: it fills saveCheckpoint's scheduler part in a run without a scheduler", () => {
    const a = setup();
    for (let e = 0; e < 5; e++) a.epoch(e);
    const bytes = saveCheckpoint({ params: a.store, optimizer: a.opt, scheduler: a.es });
    const b = setup();
    loadCheckpoint(bytes, { params: b.store, optimizer: b.opt, scheduler: b.es });
    expect(b.es.stateDict()).toEqual(a.es.stateDict());
    for (let e = 5; e < METRIC.length; e++) expect(b.epoch(e)).toBe(a.epoch(e));
    expect(bits(b.w.value)).toEqual(bits(a.w.value));
    a.store.dispose(); b.store.dispose();
  });

  it("the best weights survive JSON bit for bit (NaN, -0 included)", () => {
    const p = { value: new Float32Array([NaN, -0, 1e-45, -Infinity]), grad: new Float32Array(4) };
    const es = new EarlyStopping({ restoreBestWeights: true, params: [p], patience: 1 });
    es.update(NaN);
    const dict = JSON.parse(JSON.stringify(es.stateDict())) as EarlyStoppingState;
    const saved = bits(p.value);
    p.value.fill(7);
    const other = new EarlyStopping({ restoreBestWeights: true, params: [p], patience: 1 });
    other.loadStateDict(dict);
    expect(other.best).toBe(NaN);
    expect(other.restore()).toBe(true);
    expect(bits(p.value)).toEqual(saved);
  });

  const BAD: Array<[string, (d: EarlyStoppingState) => unknown, RegExp]> = [
    ["not an object", () => null, /expected a state dict object/],
    ["an unknown key", (d) => ({ ...d, extra: 1 }), /unknown key "extra"/],
    ["a missing key", (d) => { const { wait: _, ...rest } = d; return rest; }, /missing key "wait"/],
    ["another format", (d) => ({ ...d, format: "x" }), /unsupported format "x"/],
    ["other options", (d) => ({ ...d, patience: 9 }), /the dict has patience 9, this EarlyStopping has 3/],
    ["a negative wait", (d) => ({ ...d, wait: -1 }), /invalid wait -1/],
    ["a bad best", (d) => ({ ...d, best: "NaN" }), /invalid best "NaN"/],
    ["weights of another length", (d) => ({ ...d, bestWeights: ["AAAAAA=="] }), /bestWeights\[0\] must be the base64 of 3 float32 values/],
    ["weights for other params", (d) => ({ ...d, bestWeights: [] }), /bestWeights must hold one array per param \(1\)/],
  ];
  it.each(BAD)("loadStateDict refuses %s and changes nothing", (_, edit, message) => {
    const { store, es, epoch } = setup();
    for (let e = 0; e < 4; e++) epoch(e);
    const before = es.stateDict();
    expect(() => es.loadStateDict(edit(structuredClone(before)) as EarlyStoppingState)).toThrow(message);
    expect(es.stateDict()).toEqual(before);
    store.dispose();
  });
});

describe("EarlyStopping: options", () => {
  const p = [{ value: new Float32Array(2), grad: new Float32Array(2) }];
  const ERRORS: Array<[string, EarlyStoppingOptions, RegExp]> = [
    ["mode", { mode: "up" as "min" }, /EarlyStopping: invalid mode: "up" \(expected one of "min", "max", "auto"\)/],
    ["mode auto on an unknown metric", { monitor: "val_f1" }, /mode "auto" cannot tell whether "val_f1" should fall or rise/],
    ["minDelta NaN", { minDelta: NaN }, /invalid minDelta: NaN \(expected a finite number\)/],
    ["patience -1", { patience: -1 }, /invalid patience: -1 \(expected an integer >= 0\)/],
    ["patience 1.5", { patience: 1.5 }, /invalid patience: 1.5/],
    ["baseline Infinity", { baseline: Infinity }, /invalid baseline: Infinity \(expected a finite number or null\)/],
    ["startFromEpoch -2", { startFromEpoch: -2 }, /invalid startFromEpoch: -2/],
    ["restoreBestWeights 1", { restoreBestWeights: 1 as unknown as boolean }, /invalid restoreBestWeights: 1 \(expected a boolean\)/],
    ["restoreBestWeights without params", { restoreBestWeights: true }, /restoreBestWeights needs params/],
    ["params not params", { params: [{ value: [1] }] as unknown as ParamLike[] }, /params\[0\] is not a param/],
    ["an unknown option", { min_delta: 0.1 } as EarlyStoppingOptions, /unknown option "min_delta"/],
  ];
  it.each(ERRORS)("%s: a clear error", (_, options, message) => {
    expect(() => new EarlyStopping(options)).toThrow(message);
  });

  it("mode auto: a loss falls, an accuracy rises", () => {
    expect(new EarlyStopping({ monitor: "val_accuracy" }).mode).toBe("max");
    expect(new EarlyStopping({ monitor: "loss" }).mode).toBe("min");
    expect(new EarlyStopping().mode).toBe("min");
  });

  it("update refuses a metric that is not a number", () => {
    const es = new EarlyStopping({ params: p });
    expect(() => es.update("0.5" as unknown as number)).toThrow(/EarlyStopping.update: expected the metric \(a number\), got string/);
    expect(es.epoch).toBe(0);
  });
});
