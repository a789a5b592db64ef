// Threads over shared memory: results bit-identical for any thread count, visible fallback to one
// thread, a clear error (not a hang) when a worker dies, and dispose() ends the workers.
import { describe, expect, it } from "vitest";
import { Adam, ParamStore, RMSprop, SGD } from "../src/index.js";
import { CONFIGS, expectSameState, firstBitDifference, randomArray, rng } from "./helpers.js";
import { DEFAULT_THREAD_MIN_SIZE } from "../src/runtime/threads.js";

const N = 100_003; // not a multiple of 16: chunks end in a scalar tail

function train(threads: number, cls: (typeof CONFIGS)[number]["cls"], options: Record<string, unknown>, backend: "simd" | "scalar") {
  const store = new ParamStore({ threads, threadMinSize: 1024 });
  const rand = rng(21);
  const params = [store.param("a", randomArray(N, rand)), store.param("b", randomArray(3000, rand)), store.param("c", randomArray(77, rand))];
  return { store, params, opt: new cls(params, { ...options, backend }), rand };
}

describe("bit-identical for any thread count", () => {
  const cases = CONFIGS.flatMap(({ name, cls, configs }) => [configs[0]!, configs.at(-1)!].map((c) => ({ label: `${name} ${c.desc}`, cls, options: c.options })));
  it.each(cases)("$label", async ({ cls, options }) => {
    const runs = [1, 2, 3].map((threads) => train(threads, cls, options, "simd"));
    await Promise.all(runs.map((r) => r.store.ready()));
    expect(runs.map((r) => r.store.threads)).toEqual([1, 2, 3]);
    for (let t = 0; t < 6; t++) {
      const grads = runs[0]!.params.map((p) => randomArray(p.length, runs[0]!.rand));
      for (const r of runs) {
        r.params.forEach((p, i) => p.grad.set(grads[i]!));
        r.opt.step();
      }
    }
    for (const r of runs.slice(1)) {
      r.params.forEach((p, i) => expect(firstBitDifference(p.value, runs[0]!.params[i]!.value)).toBe(-1));
      expectSameState(r.opt.stateDict(), runs[0]!.opt.stateDict());
    }
    for (const r of runs) r.store.dispose();
  });

  it("the scalar build splits the same way", async () => {
    const [one, two] = [1, 2].map((threads) => train(threads, Adam, { lr: 0.01, amsgrad: true }, "scalar"));
    await two!.store.ready();
    for (let t = 0; t < 3; t++) {
      for (const r of [one!, two!]) { r.params.forEach((p) => p.grad.fill(0.1 * (t + 1))); r.opt.step(); }
    }
    one!.params.forEach((p, i) => expect(firstBitDifference(two!.params[i]!.value, p.value)).toBe(-1));
    two!.store.dispose();
  });
});

describe("fallback and lifecycle", () => {
  it("falls back to one thread, visibly, without shared memory", () => {
    const store = new ParamStore({ shared: false, threads: 4 });
    expect(store.threadInfo).toEqual({ requested: 4, threads: 1, reason: expect.stringMatching(/no shared memory/) });
  });

  it("threads: auto uses the host's cores", async () => {
    const store = new ParamStore({ threads: "auto" });
    expect(store.threads).toBe((await import("node:os")).availableParallelism());
    await store.ready();
    store.dispose();
  });

  it("a terminated worker is reported clearly, even by steps too small to use it", async () => {
    const store = new ParamStore({ threads: 2 });
    await store.ready();
    const w = store.param("w", 1000);
    const opt = new SGD([w], { lr: 1 });
    w.grad.fill(1);
    store.workers[0]!.terminate(); // a worker that is gone is not needed below threadMinSize...
    await new Promise((r) => setTimeout(r, 50));
    // ...but the pool is down, and the store says so clearly instead of hanging.
    expect(() => opt.step()).toThrow(/thread pool is down: worker 1 exited/);
    expect(Array.from(w.value.subarray(0, 3))).toEqual([0, 0, 0]);
    store.dispose();
  });

  it("a worker killed while idle: the next step throws a clear error and changes nothing", async () => {
    const store = new ParamStore({ threads: 2, threadMinSize: 1024 });
    await store.ready();
    const w = store.param("w", randomArray(50_000, rng(1)));
    const opt = new RMSprop([w], { centered: true });
    w.grad.fill(0.5);
    opt.step();
    const before = Float32Array.from(w.value), state = opt.stateDict();
    await store.workers[0]!.terminate();
    expect(() => opt.step()).toThrow(/thread pool is down: worker 1 exited .*Dispose this ParamStore/);
    expect(firstBitDifference(w.value, before)).toBe(-1);
    expectSameState(opt.stateDict(), state); // the state can still be saved to resume elsewhere
    store.dispose();
  });

  it("a worker that dies unnoticed mid-training: the step completes on the main thread (no hang), exact", async () => {
    const make = (threads: number) => {
      const store = new ParamStore({ threads, threadMinSize: 1024 });
      const w = store.param("w", randomArray(20_000, rng(8)));
      return { store, w, opt: new Adam([w], { lr: 0.01 }) };
    };
    const [one, two] = [make(1), make(2)];
    await two.store.ready();
    void two.store.workers[0]!.terminate(); // no await: the exit event is not seen before the step
    for (const r of [one, two]) { r.w.grad.fill(0.25); r.opt.step(); }
    expect(firstBitDifference(two.w.value, one.w.value)).toBe(-1);
    await new Promise((r) => setTimeout(r, 50));
    expect(() => two.opt.step()).toThrow(/thread pool is down/);
    two.store.dispose();
  });

  it("runs under the thread gate call the Wasm export directly; larger runs go through the pool", () => {
    const store = new ParamStore({ threads: 2, threadMinSize: 1024 });
    const direct = store.kernels("simd").adam_f32;
    expect(store.kernel("simd", "adam_f32", 1023)).toBe(direct);
    expect(store.kernel("simd", "adam_f32", 1024)).not.toBe(direct);
    expect(store.kernel("simd", "adam_f32", 1 << 20)).toBe(store.kernel("simd", "adam_f32", 1024)); // one wrapper, cached
    const single = new ParamStore({ threads: 1 });
    expect(single.kernel("simd", "adam_f32", 1 << 20)).toBe(single.kernels("simd").adam_f32);
    const byDefault = new ParamStore({ threads: 2 }), sgd = byDefault.kernels("simd").sgd_f32;
    expect(byDefault.kernel("simd", "sgd_f32", DEFAULT_THREAD_MIN_SIZE - 1)).toBe(sgd);
    expect(byDefault.kernel("simd", "sgd_f32", DEFAULT_THREAD_MIN_SIZE)).not.toBe(sgd);
    expect(byDefault.threadInfo.reason).toContain(`>= ${DEFAULT_THREAD_MIN_SIZE} floats`);
    for (const s of [store, single, byDefault]) s.dispose();
  });

  it("dispose() ends the workers", async () => {
    const store = new ParamStore({ threads: 3 });
    await store.ready();
    const exits = store.workers.map((w) => new Promise<void>((r) => (w as unknown as { once(e: string, f: () => void): void }).once("exit", r)));
    store.dispose();
    await Promise.all(exits);
    expect(() => new Adam([store.param("x", 1)])).toThrow(/disposed/);
  });

  it("rejects bad thread options", () => {
    expect(() => new ParamStore({ threads: 0 })).toThrow(/invalid threads 0/);
    expect(() => new ParamStore({ threads: "many" as never })).toThrow(/invalid threads "?many"?/);
    expect(() => new ParamStore({ threads: 2, threadMinSize: 3 })).toThrow(/invalid threadMinSize 3/);
  });
});
