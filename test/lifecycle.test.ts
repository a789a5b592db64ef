// The lifecycle every optimizer class shares (src/core/optimizer-base.ts), whatever its step: a registry
// optimizer (Adam), the closure-kind LBFGS and the Lookahead wrapper refuse a foreign state dict with the same
// messages and change nothing, round-trip their configs through getConfig/fromConfig, reject another class's
// config, and end alike on dispose.
import { describe, expect, it } from "vitest";
import { Adam, LBFGS, Lookahead, ParamStore } from "../src/index.js";
import { OptimizerBase } from "../src/core/optimizer-base.js";

interface Made { opt: OptimizerBase; params: Float32Array[]; step(): void; again(config: object): OptimizerBase }

function make(name: "Adam" | "LBFGS" | "Lookahead"): Made {
  const store = new ParamStore();
  const w = store.param("w", new Float32Array([0.5, -1, 2]));
  const grad = () => { for (let i = 0; i < 3; i++) w.grad[i] = 2 * w.value[i]!; };
  if (name === "LBFGS") {
    const opt = new LBFGS([w], { lr: 0.5, historySize: 4 });
    const closure = () => { grad(); return w.value.reduce((s, x) => s + x * x, 0); };
    return { opt, params: [w.value], step: () => opt.step(closure), again: (c) => LBFGS.fromConfig([w], c as never) };
  }
  const adam = new Adam([w], { lr: 0.01 });
  if (name === "Adam") return { opt: adam, params: [w.value], step: () => { grad(); adam.step(); }, again: (c) => Adam.fromConfig([w], c as never) };
  const opt = new Lookahead(adam, { syncPeriod: 2, slowStepSize: 0.25 });
  return { opt, params: [w.value], step: () => { grad(); opt.step(); }, again: (c) => Lookahead.fromConfig(adam, c as never) };
}

const NAMES = ["Adam", "LBFGS", "Lookahead"] as const;

describe.each(NAMES)("%s: the shared lifecycle", (name) => {
  it("is an OptimizerBase", () => {
    expect(make(name).opt).toBeInstanceOf(OptimizerBase);
  });

  const envelope: Array<[string, (d: Record<string, unknown>) => unknown, ErrorConstructor, RegExp]> = [
    ["not an object", () => null, TypeError, new RegExp(`^${name}.loadStateDict: expected a state dict object$`)],
    ["another format", (d) => ({ ...d, format: 99 }), Error, new RegExp(`^${name}.loadStateDict: unsupported format 99 \\(expected 1\\)$`)],
    ["another optimizer", (d) => ({ ...d, optimizer: "SGD" }), Error, new RegExp(`^${name}.loadStateDict: the state dict is from SGD, not ${name}$`)],
  ];
  it.each(envelope)("loadStateDict of %s throws the shared message and changes nothing", (_what, edit, type, message) => {
    const m = make(name);
    for (let t = 0; t < 3; t++) m.step();
    const before = m.opt.stateDict(), values = m.params.map((p) => p.slice());
    let thrown: unknown;
    try { m.opt.loadStateDict(edit(structuredClone(before) as unknown as Record<string, unknown>) as never); } catch (e) { thrown = e; }
    expect((thrown as Error).constructor).toBe(type);
    expect((thrown as Error).message).toMatch(message);
    expect(m.opt.stateDict()).toEqual(before);
    m.params.forEach((p, i) => expect(Array.from(p)).toEqual(Array.from(values[i]!)));
  });

  it("getConfig/fromConfig round-trips, and another class's config is rejected", () => {
    const m = make(name);
    const config = m.opt.getConfig();
    expect(config.className).toBe(name);
    expect(m.again(JSON.parse(JSON.stringify(config)) as object).getConfig()).toEqual(config);
    expect(() => m.again({ ...config, className: "Other" })).toThrow(new RegExp(`^${name}: the config is from "Other", not ${name} \\(use Other.fromConfig\\)$`));
  });

  it("dispose ends it: disposed, and every call after says so", () => {
    const m = make(name);
    m.opt.dispose();
    expect(m.opt.disposed).toBe(true);
    expect(() => m.step()).toThrow(new RegExp(`^${name} has been disposed$`));
    expect(() => m.opt.stateDict()).toThrow(new RegExp(`^${name} has been disposed$`));
  });
});
