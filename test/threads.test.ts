// Threads over shared memory: results bit-identical for any thread count, visible fallback to one
// thread, a step that completes exactly (or a clear error, never a hang) when a worker dies, and dispose()
// ends the workers.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { availableParallelism } from "node:os";
import { Adam, ParamStore, RMSprop, SGD } from "../src/index.js";
import { CONFIGS, expectLockstepRunsAgree, expectSameState, firstBitDifference, paramShape, randomArray, rng } from "./helpers.js";
import { DEFAULT_THREAD_MIN_SIZE, FAIL_MODES, setHostCoresForTests, STALL_TIMEOUT_MS } from "../src/runtime/threads.js";

const N = 100_003; // not a multiple of 16: chunks end in a scalar tail

function train(threads: number, cls: (typeof CONFIGS)[number]["cls"], options: Record<string, unknown>, backend: "simd" | "scalar") {
  const store = new ParamStore({ threads, threadMinSize: 1024 });
  const rand = rng(21);
  // Each param gets the shape the optimizer's cases ask for (Muon: 2-D), if any.
  const params = [["a", N], ["b", 3000], ["c", 77]].map(([name, n]) => store.param(name as string, randomArray(n as number, rand), paramShape(cls, n as number)));
  return { store, params, opt: new cls(params, { ...options, backend }), rand };
}

describe("bit-identical for any thread count", () => {
  // Threads are capped at the host's cores; pretend there are 4 so that 3 threads split calls three ways.
  beforeAll(() => setHostCoresForTests(4));
  afterAll(() => setHostCoresForTests(undefined));
  const cases = CONFIGS.flatMap(({ name, cls, configs }) => [configs[0]!, configs.at(-1)!].map((c) => ({ label: `${name} ${c.desc}`, cls, options: c.options })));
  it.each(cases)("$label", async ({ cls, options }) => {
    const runs = [1, 2, 3].map((threads) => train(threads, cls, options, "simd"));
    await Promise.all(runs.map((r) => r.store.ready()));
    expect(runs.map((r) => r.store.threads)).toEqual([1, 2, 3]);
    expectLockstepRunsAgree(runs, 6);
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
    expect(store.threads).toBe(availableParallelism());
    await store.ready();
    store.dispose();
  });

  it("more threads than cores are capped at the host's cores, and threadInfo says so", async () => {
    const cores = availableParallelism();
    const store = new ParamStore({ threads: 64 });
    expect(store.threadInfo).toEqual({ requested: 64, threads: cores, reason: expect.stringMatching(new RegExp(`capped at the host's ${cores} core`)) });
    expect(store.workers.length).toBe(cores - 1);
    store.dispose();
    setHostCoresForTests(1);
    try {
      expect(new ParamStore({ threads: 2 }).threadInfo).toEqual({ requested: 2, threads: 1, reason: "one core (capped at the host's 1 core)" });
    } finally {
      setHostCoresForTests(undefined);
    }
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
    expect(() => opt.step()).toThrow(/thread pool is down: worker 1 was terminated/);
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
    expect(() => opt.step()).toThrow(/thread pool is down: worker 1 was terminated.*Dispose this ParamStore/);
    expect(firstBitDifference(w.value, before)).toBe(-1);
    expectSameState(opt.stateDict(), state); // the state can still be saved to resume elsewhere
    store.dispose();
  });

  it("terminate() right before a step (the worker may still be spinning for work): the step throws and changes nothing", async () => {
    const store = new ParamStore({ threads: 2, threadMinSize: 1024 });
    const w = store.param("w", randomArray(300_000, rng(8)));
    const opt = new Adam([w], { lr: 0.01, amsgrad: true });
    await store.ready();
    w.grad.fill(0.25);
    opt.step(); // the worker has just finished a task and spins for the next one
    const before = Float32Array.from(w.value), state = opt.stateDict();
    void store.workers[0]!.terminate(); // no await: the thread is still alive when the step starts
    expect(() => opt.step()).toThrow(/thread pool is down: worker 1 was terminated/);
    expect(firstBitDifference(w.value, before)).toBe(-1);
    expectSameState(opt.stateDict(), state);
    store.dispose();
  });

  it("runs under the thread gate call the Wasm export directly; larger runs go through the pool", () => {
    const store = new ParamStore({ threads: 2, threadMinSize: 1024 });
    const direct = store.kernels("simd").adam_f32;
    expect(store.kernel("simd", "adam_f32", 1023, 5, 0)).toBe(direct);
    expect(store.kernel("simd", "adam_f32", 1024, 5, 0)).not.toBe(direct);
    expect(store.kernel("simd", "adam_f32", 1 << 20, 5, 0)).toBe(store.kernel("simd", "adam_f32", 1024, 5, 0)); // one wrapper, cached
    const single = new ParamStore({ threads: 1 });
    expect(single.kernel("simd", "adam_f32", 1 << 20, 5, 0)).toBe(single.kernels("simd").adam_f32);
    const byDefault = new ParamStore({ threads: 2 }), sgd = byDefault.kernels("simd").sgd_f32;
    expect(byDefault.kernel("simd", "sgd_f32", DEFAULT_THREAD_MIN_SIZE - 1, 3, 0)).toBe(sgd);
    expect(byDefault.kernel("simd", "sgd_f32", DEFAULT_THREAD_MIN_SIZE, 3, 0)).not.toBe(sgd);
    expect(byDefault.threadInfo.reason).toContain(`>= ${DEFAULT_THREAD_MIN_SIZE} floats`);
    for (const s of [store, single, byDefault]) s.dispose();
  });

  it("the pool needs no kernel table: a kernel the registry does not describe splits by the module's exports and the call's np", async () => {
    const store = new ParamStore({ threads: 2, threadMinSize: 1024 });
    await store.ready();
    const x = store.param("x", randomArray(300_000, rng(3)));
    const expected = Float32Array.from(x.value, (v) => Math.fround(v * Math.fround(0.3)));
    const scale = store.kernel("simd", "scale_f32", x.length, 1, 0);
    expect(scale).not.toBe(store.kernels("simd").scale_f32);
    scale(x.valuePtr, x.length, 0.3);
    expect(firstBitDifference(x.value, expected)).toBe(-1);
    expect(store.pool!.down).toBeUndefined();
    store.dispose();
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

describe("a worker that dies during a step", () => {
  // Large enough that the worker's chunk has 4 sub-blocks: it dies at the third.
  const SUB = 262144, N = 8 * SUB + 37;
  const make = async (threads: number, hp: Record<string, unknown> = {}) => {
    const store = new ParamStore({ threads, threadMinSize: 1024 });
    const rand = rng(5);
    const a = store.param("a", randomArray(N, rand)), b = store.param("b", randomArray(N, rand));
    // Two groups: two threaded kernel calls per step.
    const opt = new Adam([{ params: [a] }, { params: [b], lr: 0.02 }], { lr: 0.01, amsgrad: true, weightDecay: 0.1, ...hp });
    await store.ready();
    const grads = [randomArray(N, rand), randomArray(N, rand)];
    const step = () => { a.grad.set(grads[0]!); b.grad.set(grads[1]!); opt.step(); };
    return { store, a, b, opt, step };
  };
  const expectSame = (x: Awaited<ReturnType<typeof make>>, y: Awaited<ReturnType<typeof make>>) => {
    expect(firstBitDifference(x.a.value, y.a.value)).toBe(-1);
    expect(firstBitDifference(x.b.value, y.b.value)).toBe(-1);
    expectSameState(x.opt.stateDict(), y.opt.stateDict());
  };

  it.each(["exit", "throw", "hang"] as const)("it dies between sub-blocks (%s) in the first of two threaded calls: both complete exactly, then the pool refuses the next step", async (mode) => {
    const [one, two] = [await make(1), await make(2)];
    expect(two.store.pool!.subBlock).toBe(SUB);
    one.step(); two.step(); // a healthy threaded step first
    two.store.pool!.failAt(0, 2, mode);
    one.step(); two.step(); // worker 1 dies after 2 of its 4 sub-blocks of param a's call
    expectSame(one, two);
    expect(two.store.pool!.down).toMatch(mode === "hang" ? /worker 1 made no progress for 2000 ms/ : mode === "throw" ? /worker 1 failed/ : /worker 1 (exited|stopped|made no progress)/);
    const state = two.opt.stateDict(), a = Float32Array.from(two.a.value);
    expect(() => two.step()).toThrow(/thread pool is down/);
    expect(firstBitDifference(two.a.value, a)).toBe(-1);
    expectSameState(two.opt.stateDict(), state);
    two.store.dispose();
  }, 30_000);

  it("it dies before picking its task up: the call completes exactly on the calling thread", async () => {
    const [one, two] = [await make(1), await make(2)];
    two.store.pool!.failAt(0, 0, "exit");
    one.step(); two.step();
    expectSame(one, two);
    two.store.dispose();
  }, 30_000);

  it("it is killed inside a sub-block: no hang, an error naming the floats that may be half-updated, everything else exact", async () => {
    const [one, two] = [await make(1), await make(2)];
    two.store.pool!.failAt(0, 1, "exitInside"); // claims its second sub-block, updates half of it, exits
    one.step();
    const chunk = 4 * SUB + 16 * Math.ceil(37 / 2 / 16); // the worker's chunk starts here
    const lo = chunk + SUB, hi = chunk + 2 * SUB;
    expect(() => two.step()).toThrow(new RegExp(`worker 1 .* inside floats \\[${lo}, ${hi}\\) of a kernel call over ${N} floats: they may be half-updated`));
    // Param a: all but the named range exact; b (the second call, after the failure) was not stepped.
    for (const [from, to] of [[0, lo], [hi, N]]) {
      expect(firstBitDifference(two.a.value.subarray(from, to), one.a.value.subarray(from, to))).toBe(-1);
    }
    two.store.dispose();
  }, 30_000);
});
