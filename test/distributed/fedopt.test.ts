// FedOpt server optimizers against fixtures from Flower's strategy code (scripts/gen-distributed-fixtures.py),
// bit for bit over several rounds; option and result errors change nothing.
import { describe, expect, it } from "vitest";
import { ParamStore } from "../../src/index.js";
import { FedAdagrad, FedAdam, FedAvg, FedAvgM, FedYogi } from "../../src/distributed/index.js";
import { firstBitDifference } from "../helpers.js";
import fixtures from "../fixtures/distributed.json" with { type: "json" };

type Dict = ReturnType<InstanceType<typeof FedAdam>["stateDict"]>;
const CLASSES = { FedAvg, FedAvgM, FedAdagrad, FedAdam, FedYogi } as const;
type Name = keyof typeof CLASSES;
const make = (name: Name, params: unknown, options: object = {}) =>
  new (CLASSES[name] as new (p: unknown, o: object) => InstanceType<typeof FedAdam>)(params, options);

describe("FedOpt against Flower's formulas", () => {
  it.each(fixtures.fedopt.map((c) => [`${c.name} ${JSON.stringify(c.options)}`, c] as const))("%s", (_, c) => {
    const store = new ParamStore();
    const params = c.init.map((x, i) => store.param(`p${i}`, new Float32Array(x)));
    const server = make(c.name as Name, params, c.options);
    c.rounds.forEach((r, t) => {
      server.aggregate(r.results.map((k) => ({ params: k.params.map((x) => new Float32Array(x)), numExamples: k.numExamples })));
      params.forEach((p, i) => expect(firstBitDifference(p.value, new Float32Array(r.expected[i]!)), `round ${t + 1} param ${i}`).toBe(-1));
    });
    expect(server.round).toBe(c.rounds.length);
    store.dispose();
  });

  it("FedAdam over { value, grad } params and param groups with their own options", () => {
    const c = fixtures.fedopt.find((x) => x.name === "FedAdam" && Object.keys(x.options).length > 0)!;
    const values = c.init.map((x) => new Float32Array(x));
    const server = new FedAdam([{ params: [{ value: values[0]!, grad: new Float32Array(values[0]!.length) }], ...c.options },
      { params: [{ value: values[1]!, grad: new Float32Array(values[1]!.length) }], ...c.options }]);
    for (const r of c.rounds) server.aggregate(r.results.map((k) => ({ params: k.params.map((x) => new Float32Array(x)), numExamples: k.numExamples })));
    values.forEach((v, i) => expect(firstBitDifference(v, new Float32Array(c.rounds.at(-1)!.expected[i]!))).toBe(-1));
  });
});

describe("FedOpt state", () => {
  // The servers with state (moments; FedAvg and FedAvgM without momentum have none).
  const stateful = fixtures.fedopt.filter((c) => c.name !== "FedAvg" && (c.name !== "FedAvgM" || "serverMomentum" in c.options));
  it.each(stateful.map((c) => [`${c.name} ${JSON.stringify(c.options)}`, c] as const))("%s resumes bit for bit from a state dict through JSON", (_, c) => {
    const run = (from?: ReturnType<InstanceType<typeof FedAdam>["stateDict"]>) => {
      const store = new ParamStore();
      const params = c.init.map((x, i) => store.param(`p${i}`, new Float32Array(x)));
      const server = make(c.name as Name, params, c.options);
      const results = (t: number) => c.rounds[t]!.results.map((k) => ({ params: k.params.map((x) => new Float32Array(x)), numExamples: k.numExamples }));
      if (from) {
        server.loadStateDict(JSON.parse(JSON.stringify(from)));
        params.forEach((p, i) => p.value.set(c.rounds[1]!.expected[i]!));
      } else {
        server.aggregate(results(0));
        server.aggregate(results(1));
      }
      const saved = server.stateDict();
      server.aggregate(results(2));
      return { saved, values: params.map((p) => p.value) };
    };
    const a = run(), b = run(a.saved);
    a.values.forEach((v, i) => expect(firstBitDifference(b.values[i]!, v)).toBe(-1));
    expect(b.values[0]!.join()).toBe(new Float32Array(c.rounds[2]!.expected[0]!).join());
  });

  it.each([
    [(d: Dict) => ({ ...d, optimizer: "FedYogi" }), /^FedAdam.loadStateDict: the state is "FedYogi"'s, not FedAdam's$/],
    [(d: Dict) => ({ ...d, round: -1 }), /invalid round -1/],
    [(d: Dict) => ({ ...d, state: d.state.slice(1) }), /state must hold one entry per server param \(2\)/],
    [(d: Dict) => ({ ...d, state: [{ m: new Float32Array(2) }, d.state[1]!] }), /state\[0\]\.m must be 3 floats/],
  ])("a bad state dict throws and changes nothing: %#", (edit, message) => {
    const store = new ParamStore();
    const params = [store.param("a", new Float32Array([1, 2, 3])), store.param("b", new Float32Array([4, 5]))];
    const server = new FedAdam(params);
    server.aggregate([{ params: [new Float32Array([1.5, 2, 3]), new Float32Array([4, 6])], numExamples: 3 }]);
    const before = server.stateDict();
    expect(() => server.loadStateDict(edit(before))).toThrow(message);
    expect(server.stateDict()).toEqual(before);
  });
});

describe("FedOpt errors", () => {
  const store = new ParamStore();
  const params = [store.param("a", new Float32Array([1, 2, 3])), store.param("b", new Float32Array([4, 5]))];
  const good = () => [{ params: [new Float32Array([1.5, 2, 3]), new Float32Array([4, 6])], numExamples: 3 }];

  it.each([
    ["FedAdam", { eta: 0 }, /^FedAdam: invalid eta 0 \(expected a finite number > 0\)$/],
    ["FedAdam", { beta1: 1 }, /^FedAdam: invalid beta1 1 \(expected a number in \[0, 1\)\)$/],
    ["FedYogi", { tau: -1 }, /^FedYogi: invalid tau -1 \(expected a finite number >= 0\)$/],
    ["FedAdagrad", { beta1: 0.9 }, /^FedAdagrad: unknown option "beta1"/],
    ["FedAvgM", { serverMomentum: 1 }, /^FedAvgM: invalid serverMomentum 1/],
    ["FedAvgM", { lr: 1 }, /^FedAvgM: unknown option "lr"/],
    ["FedAvg", { eta: 1 }, /^FedAvg: unknown option "eta"/],
  ] as const)("%s %j", (name, options, message) => {
    expect(() => make(name, params, options)).toThrow(message);
  });

  it("a param group's bad option names the group", () => {
    expect(() => new FedYogi([{ params: [params[0]!], eta: -1 }])).toThrow(/^FedYogi: param group 0: invalid eta -1/);
  });

  it.each([
    ["no results", [], /expected a non-empty array/],
    ["a zero count", [{ ...good()[0]!, numExamples: 0 }], /results\[0\]\.numExamples is 0 \(expected an integer > 0\)/],
    ["a fractional count", [{ ...good()[0]!, numExamples: 1.5 }], /numExamples is 1\.5/],
    ["a missing param", [{ params: [new Float32Array(3)], numExamples: 1 }], /results\[0\]\.params must be an array of 2 Float32Arrays/],
    ["a wrong length", [...good(), { params: [new Float32Array(3), new Float32Array(3)], numExamples: 1 }], /results\[1\]\.params\[1\] must be a Float32Array of length 2/],
    ["a Float64Array", [{ params: [new Float64Array(3), new Float32Array(2)], numExamples: 1 }], /params\[0\] must be a Float32Array of length 3/],
  ])("%s: throws, nothing changed", (_, results, message) => {
    for (const name of Object.keys(CLASSES) as Name[]) {
      const server = make(name, params);
      server.aggregate(good());
      const before = { values: params.map((p) => p.value.slice()), state: server.stateDict() };
      expect(() => server.aggregate(results as never)).toThrow(message);
      params.forEach((p, i) => expect(firstBitDifference(p.value, before.values[i]!)).toBe(-1));
      expect(server.stateDict()).toEqual(before.state);
    }
  });
});
