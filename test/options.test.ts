// One validation module (src/core/options.ts) for every option in the library: optimizers, LBFGS, Lookahead,
// schedulers, schedule functions, transforms and the tuning tools word an invalid option alike (`where: Invalid key: value
// (expected ...)`, TypeError for a wrong type, RangeError out of range) and suggest the name an unknown option
// was probably meant as.
import { describe, expect, it } from "vitest";
import { SHARED_RULES, defineSpec } from "../src/core/define-spec.js";
import { bool, num } from "../src/core/options.js";
import { Adam, AveragedParams, clipGradValue, EarlyStopping, exponentialDecay, GradScaler, LBFGS, Lookahead, ParamStore, SGD, StepLR } from "../src/index.js";

const w = () => new ParamStore().param("w", 3);

const invalid: Array<[string, () => unknown, ErrorConstructor, RegExp]> = [
  ["an optimizer", () => new Adam([w()], { lr: -1 }), RangeError, /^Adam: Invalid lr: -1 \(expected lr >= 0\)$/],
  ["LBFGS", () => new LBFGS([w()], { historySize: 0 }), RangeError, /^LBFGS: Invalid historySize: 0 \(expected an integer >= 1\)$/],
  ["LBFGS, a wrong type", () => new LBFGS([w()], { lineSearchFn: "wolfe" as never }), TypeError, /^LBFGS: Invalid lineSearchFn: "wolfe" \(expected null or "strong_wolfe"\)$/],
  ["Lookahead", () => new Lookahead(new SGD([w()]), { syncPeriod: 0 }), RangeError, /^Lookahead: Invalid syncPeriod: 0 \(expected an integer >= 1\)$/],
  ["a scheduler", () => new StepLR(new SGD([w()]), { stepSize: 0 }), RangeError, /^StepLR: Invalid stepSize: 0 \(expected an integer >= 1\)$/],
  ["a scheduler, a wrong type", () => new StepLR(new SGD([w()]), { stepSize: "7" as never }), TypeError, /^StepLR: Invalid stepSize: "7" \(expected an integer >= 1\)$/],
  ["a schedule function", () => exponentialDecay({ initValue: NaN, transitionSteps: 1, decayRate: 0.5 }), RangeError, /^exponentialDecay: Invalid initValue: NaN \(expected a finite number\)$/],
  ["a tuning tool", () => new EarlyStopping({ patience: -1 }), RangeError, /^EarlyStopping: Invalid patience: -1 \(expected an integer >= 0\)$/],
  ["a transform", () => clipGradValue([w()], -1), RangeError, /^clipGradValue: Invalid clipValue: -1 \(expected a number >= 0\)$/],
  ["a transform, a wrong type", () => new GradScaler({ enabled: "yes" as never }), TypeError, /^GradScaler: Invalid enabled: "yes" \(expected a boolean\)$/],
  ["an optimizer's whole options", () => new Adam([w()], { maxGradNorm: "inf" as never }), TypeError, /^Adam: Invalid maxGradNorm: "inf" \(expected a number >= 0\)$/],
  ["a backend", () => new AveragedParams([w()], { backend: "gpu" as never }), TypeError, /^AveragedParams: Invalid backend: "gpu" \(expected auto, simd, scalar or js\)$/],
];

describe("an invalid option reads alike everywhere", () => {
  it.each(invalid)("%s", (_what, make, type, message) => {
    let thrown: unknown;
    try { make(); } catch (e) { thrown = e; }
    expect((thrown as Error).constructor).toBe(type);
    expect((thrown as Error).message).toMatch(message);
  });
});

it("an unknown scheduler, transform or tuning option gets the same suggestion as an optimizer's", () => {
  expect(() => new StepLR(new SGD([w()]), { step_size: 3 } as never)).toThrow(/^StepLR: unknown option "step_size", did you mean "stepSize"\? \(expected one of /);
  expect(() => new EarlyStopping({ Patience: 3 } as never)).toThrow(/^EarlyStopping: unknown option "Patience", did you mean "patience"\? \(expected one of /);
  expect(() => new GradScaler({ init_scale: 2 } as never)).toThrow(/^GradScaler: unknown option "init_scale", did you mean "initScale"\? \(expected one of /);
  expect(() => new Adam([w()], { learning_rate: 0.1 } as never)).toThrow(/^Adam: unknown option "learning_rate", did you mean "lr"\? \(expected one of /);
});

// What a spec's option names imply (src/core/define-spec.ts): every optimizer's rules come from its own table
// and the shared one, in the order of its defaults (the order messages list them in).
describe("defineSpec", () => {
  const spec = { name: "Foo", scalars: [], buffers: [], reference: () => {}, stepScalars: () => 0 };
  it("fills the shared rules, bool for booleans, lowp and the kernel's name; the spec's own rules win", () => {
    const own = num((x) => x > 0, "{} > 0");
    const s = defineSpec({ ...spec, defaults: { lr: 1, tau: 2, betas: [0.9, 0.99], nesterov: false, eps: 1, stateDtype: "f32" }, rules: { tau: own, eps: own } });
    expect(Object.keys(s.rules)).toEqual(["lr", "tau", "betas", "nesterov", "eps", "stateDtype"]);
    expect([s.rules.lr, s.rules.betas, s.rules.nesterov, s.rules.tau, s.rules.eps]).toEqual([SHARED_RULES.lr, SHARED_RULES.betas, bool, own, own]);
    expect([s.lowp, s.kernel, s.hasStep]).toEqual([true, "foo_f32", true]);
    expect(defineSpec({ ...spec, defaults: { lr: 1 }, kernel: "bar_f32", hasStep: false })).toMatchObject({ lowp: false, kernel: "bar_f32", hasStep: false });
  });
  it("refuses an option with no rule, and a rule for no option", () => {
    expect(() => defineSpec({ ...spec, defaults: { lr: 1, tau: 2 } })).toThrow("Foo: option tau has no rule (give it one in the spec's rules)");
    expect(() => defineSpec({ ...spec, defaults: { lr: 1 }, rules: { tau: bool } as never })).toThrow("Foo: a rule for tau, which has no default");
  });
});
