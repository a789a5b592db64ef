// Checkpoint files (safetensors): bit-exact resume; interop with Python's safetensors (a file Python wrote
// loads here, and the file gradstep writes is the one scripts/fixtures/checkpoint.py read with Python);
// corrupt or mismatched files get a clear error and change nothing.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Adam, loadCheckpoint, ParamStore, saveCheckpoint, SGD, StepLR } from "../src/index.js";
import { buildJsCheckpoint } from "../scripts/fixtures/checkpoint-js.js";
import { expectSameState, firstBitDifference, randomArray, rng } from "./helpers.js";

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));

function trainer(seed = 1) {
  const store = new ParamStore();
  const w = store.param("w", randomArray(12, rng(seed)), { shape: [3, 4] });
  const b = store.param("b", randomArray(4, rng(seed + 1)));
  const opt = new Adam(store, { lr: 0.01, amsgrad: true });
  const sched = new StepLR(opt, { stepSize: 3, gamma: 0.5 });
  const step = (t: number) => {
    w.grad.set(randomArray(12, rng(100 + t)));
    b.grad.set(randomArray(4, rng(200 + t)));
    opt.step();
    sched.step();
  };
  return { store, params: [w, b], opt, sched, step };
}

it("save after k steps, load into a fresh trainer, continue: bit-exact with the uninterrupted run", () => {
  const a = trainer(), b = trainer(7);
  for (let t = 0; t < 5; t++) a.step(t);
  const bytes = saveCheckpoint({ params: a.store, optimizer: a.opt, scheduler: a.sched }, { epoch: "5" });
  expect(loadCheckpoint(bytes, { params: b.store, optimizer: b.opt, scheduler: b.sched }).metadata).toEqual({ epoch: "5" });
  for (let t = 5; t < 9; t++) {
    a.step(t);
    b.step(t);
  }
  a.params.forEach((p, i) => expect(firstBitDifference(p.value, b.params[i]!.value)).toBe(-1));
  expectSameState(a.opt.stateDict(), b.opt.stateDict());
  expect(b.sched.getLastLr()).toEqual(a.sched.getLastLr());
});

it("gradstep writes the file Python's safetensors read (test/fixtures/checkpoint-js.safetensors, byte for byte)", () => {
  expect(Buffer.from(buildJsCheckpoint().bytes).equals(Buffer.from(fixture("checkpoint-js.safetensors")))).toBe(true);
});

it("a checkpoint written by Python (safetensors + torch Adam state) loads bit-exactly", () => {
  const want = JSON.parse(readFileSync(new URL("./fixtures/checkpoint-python.json", import.meta.url), "utf8")) as Record<string, number[]>;
  const store = new ParamStore();
  const w = store.param("w", 15, { shape: [3, 5] }), b = store.param("b", 5);
  const opt = new Adam(store, { lr: 0.01 });
  expect(loadCheckpoint(fixture("checkpoint-python.safetensors"), { params: store, optimizer: opt }).metadata).toEqual({ from: "python" });
  expect([...w.value]).toEqual(want["param.w"]!.map(Math.fround));
  expect([...b.value]).toEqual(want["param.b"]!.map(Math.fround));
  const st = opt.stateDict().state;
  expect([...(st[0]!.exp_avg as Float32Array)]).toEqual(want["optimizer.state.0.exp_avg"]!.map(Math.fround));
  expect([...(st[1]!.exp_avg_sq as Float32Array)]).toEqual(want["optimizer.state.1.exp_avg_sq"]!.map(Math.fround));
  expect(st[0]!.step).toBe(3);
});

describe("a corrupt or mismatched checkpoint: clear error, nothing changed", () => {
  const good = () => {
    const t = trainer(3);
    for (let s = 0; s < 2; s++) t.step(s);
    return saveCheckpoint({ params: t.store, optimizer: t.opt, scheduler: t.sched });
  };
  const header = (bytes: Uint8Array) => {
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    return { n, json: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, any> };
  };
  const withHeader = (bytes: Uint8Array, edit: (h: Record<string, any>) => void) => {
    const { n, json } = header(bytes);
    edit(json);
    const text = new TextEncoder().encode(JSON.stringify(json));
    const out = new Uint8Array(8 + text.length + bytes.length - 8 - n);
    new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
    out.set(text, 8);
    out.set(bytes.subarray(8 + n), 8 + text.length);
    return out;
  };
  const withOptimizer = (bytes: Uint8Array, edit: (o: Record<string, any>) => void) => withHeader(bytes, (h) => {
    const o = JSON.parse(h.__metadata__.optimizer);
    edit(o);
    h.__metadata__.optimizer = JSON.stringify(o);
  });
  const CASES: Array<[string, (b: Uint8Array) => Uint8Array, RegExp]> = [
    ["empty", () => new Uint8Array(0), /shorter than the 8-byte header length/],
    ["truncated", (b) => b.subarray(0, b.length - 5), /outside the \d+ data bytes|bytes after the last tensor/],
    ["header length past the end", (b) => { const c = b.slice(); new DataView(c.buffer).setBigUint64(0, 1n << 40n, true); return c; }, /header length \d+ does not fit/],
    ["header not JSON", (b) => { const c = b.slice(); c[9] = 0x7b; c[10] = 0x7b; return c; }, /the header is not JSON/],
    ["a tensor of another dtype", (b) => withHeader(b, (h) => { h["param.w"].dtype = "F16"; }), /dtype "F16" \(gradstep reads F32, and BF16 and U8 for low-precision optimizer state\)/],
    ["offsets out of range", (b) => withHeader(b, (h) => { h["param.b"].data_offsets = [0, 1 << 20]; }), /data offsets/],
    ["overlapping tensors", (b) => withHeader(b, (h) => { h["param.w"].data_offsets = h["param.b"].data_offsets.map((x: number) => x); h["param.w"].shape = h["param.b"].shape; }), /overlaps|gap/],
    ["a shape that is not the param's", (b) => withHeader(b, (h) => { h["param.w"].shape = [4, 3]; }), /"param.w" has shape \[4, 3\], the param has \[3, 4\]/],
    ["a missing param", (b) => withHeader(b, (h) => { h["param.x"] = h["param.w"]; delete h["param.w"]; }), /missing tensor "param.w"/],
    ["not a gradstep checkpoint", (b) => withHeader(b, (h) => { h.__metadata__.format = "other"; }), /not a gradstep checkpoint/],
    ["optimizer metadata not JSON", (b) => withHeader(b, (h) => { h.__metadata__.optimizer = "{"; }), /optimizer metadata is not JSON/],
    ["state of another optimizer", (b) => withHeader(b, (h) => { const o = JSON.parse(h.__metadata__.optimizer); o.optimizer = "SGD"; h.__metadata__.optimizer = JSON.stringify(o); }), /the state dict is from SGD, not Adam/],
    ["user metadata not JSON (checked before anything is restored)", (b) => withHeader(b, (h) => { h.__metadata__.user = "{"; }), /its user metadata is not JSON/],
    ["user metadata not strings", (b) => withHeader(b, (h) => { h.__metadata__.user = JSON.stringify({ epoch: 5 }); }), /its user metadata is not an object of strings/],
    ["a state id with a leading zero", (b) => withOptimizer(b, (o) => { o.state["00"] = o.state["0"]; delete o.state["0"]; }), /invalid param id "00"/],
    ["a state id \"00\" beside \"0\"", (b) => withOptimizer(b, (o) => { o.state["00"] = { step: 2 }; }), /invalid param id "00"/],
    ["a state id \"1.0\"", (b) => withOptimizer(b, (o) => { o.state["1.0"] = o.state["1"]; delete o.state["1"]; }), /invalid param id "1.0"/],
    ["a state id \" 1\"", (b) => withOptimizer(b, (o) => { o.state[" 1"] = o.state["1"]; delete o.state["1"]; }), /invalid param id " 1"/],
    ["a __proto__ key in a state entry", (b) => withHeader(b, (h) => { h.__metadata__.optimizer = h.__metadata__.optimizer.replace('"exp_avg":', '"__proto__":{"step":1},"exp_avg":'); }), /state of param 0 has an unknown key "__proto__"/],
    ["a state tensor nothing refers to", (b) => withOptimizer(b, (o) => { delete o.state["0"].max_exp_avg_sq; }), /tensor "optimizer.state.0.max_exp_avg_sq" is neither a param nor part of a saved state/],
    ["a tensor referred to twice", (b) => withOptimizer(b, (o) => { o.state["1"].exp_avg = o.state["0"].exp_avg; }), /tensor "optimizer.state.0.exp_avg" is referred to twice/],
    ["a number that is not a non-finite one", (b) => withOptimizer(b, (o) => { o.state["0"].step = { number: "1e400" }; }), /\{ "number": "1e400" \} is not NaN, Infinity or -Infinity/],
    ["a bad scheduler state (after the optimizer loaded: undone)", (b) => withHeader(b, (h) => { h.__metadata__.scheduler = JSON.stringify({ lastEpoch: "x" }); }), /./],
  ];
  it.each(CASES)("%s", (_name, corrupt, message) => {
    const bytes = corrupt(good());
    const t = trainer(9);
    for (let s = 0; s < 3; s++) t.step(s);
    const values = t.params.map((p) => Float32Array.from(p.value)), state = t.opt.stateDict(), sched = JSON.stringify(t.sched.stateDict());
    expect(() => loadCheckpoint(bytes, { params: t.store, optimizer: t.opt, scheduler: t.sched })).toThrow(message);
    t.params.forEach((p, i) => expect(firstBitDifference(p.value, values[i]!)).toBe(-1));
    expectSameState(t.opt.stateDict(), state);
    expect(JSON.stringify(t.sched.stateDict())).toBe(sched);
  });

  it("a checkpoint of another model (param count) is rejected", () => {
    const store = new ParamStore();
    store.param("w", 12, { shape: [3, 4] });
    expect(() => loadCheckpoint(good(), { params: store })).toThrow(/the file has 2 params, 1 were given/);
    expect(() => loadCheckpoint(good(), { optimizer: new SGD(store) }, { ignoreScheduler: true })).toThrow(/from Adam, not SGD/);
  });
});

describe("a scheduler is the optimizer's, and a file's schedule is not silently dropped", () => {
  const saved = () => {
    const t = trainer(3);
    for (let s = 0; s < 4; s++) t.step(s);
    return saveCheckpoint({ params: t.store, optimizer: t.opt, scheduler: t.sched });
  };
  const expectUnchangedAfter = (t: ReturnType<typeof trainer>, load: () => unknown, message: RegExp) => {
    const values = t.params.map((p) => Float32Array.from(p.value)), state = t.opt.stateDict(), sched = JSON.stringify(t.sched.stateDict());
    expect(load).toThrow(message);
    t.params.forEach((p, i) => expect(firstBitDifference(p.value, values[i]!)).toBe(-1));
    expectSameState(t.opt.stateDict(), state);
    expect(JSON.stringify(t.sched.stateDict())).toBe(sched);
  };

  it("loading a file with scheduler state without a scheduler throws, unless ignoreScheduler", () => {
    const t = trainer(9);
    t.step(0);
    expectUnchangedAfter(t, () => loadCheckpoint(saved(), { params: t.store, optimizer: t.opt }),
      /^loadCheckpoint: the file has scheduler state: pass the optimizer's scheduler to restore it \(or \{ ignoreScheduler: true \} to keep the given schedule\)$/);
    const sched = JSON.stringify(t.sched.stateDict());
    loadCheckpoint(saved(), { params: t.store, optimizer: t.opt }, { ignoreScheduler: true });
    expect(JSON.stringify(t.sched.stateDict())).toBe(sched);
    expect(t.opt.stateDict().state[0]!.step).toBe(4);
  });

  it("params alone (weights for inference) load without the scheduler", () => {
    const t = trainer(9);
    loadCheckpoint(saved(), { params: t.store });
    const ref = trainer(3);
    for (let s = 0; s < 4; s++) ref.step(s);
    t.params.forEach((p, i) => expect(firstBitDifference(p.value, ref.params[i]!.value)).toBe(-1));
  });

  it("a scheduler of another optimizer: saveCheckpoint and loadCheckpoint throw (nothing changed)", () => {
    const t = trainer(9), other = trainer(5);
    t.step(0);
    expect(() => saveCheckpoint({ params: t.store, optimizer: t.opt, scheduler: other.sched }))
      .toThrow(/^saveCheckpoint: the scheduler is another optimizer's \(its optimizer is not the one given\)$/);
    expectUnchangedAfter(t, () => loadCheckpoint(saved(), { params: t.store, optimizer: t.opt, scheduler: other.sched }),
      /^loadCheckpoint: the scheduler is another optimizer's/);
  });

  it.each([
    [{ ignoreSchedule: true }, /^TypeError: loadCheckpoint: unknown option "ignoreSchedule"/],
    [{ ignoreScheduler: 1 }, /^TypeError: loadCheckpoint: invalid ignoreScheduler 1 \(expected a boolean\)$/],
    [null, /^TypeError: loadCheckpoint: options must be an object$/],
  ])("loadCheckpoint options %o: a clear error, nothing changed", (options, message) => {
    const t = trainer(9);
    t.step(0);
    expectUnchangedAfter(t, () => {
      try {
        loadCheckpoint(saved(), { params: t.store, optimizer: t.opt, scheduler: t.sched }, options as never);
      } catch (e) {
        throw new Error(String(e));
      }
    }, message);
  });
});
