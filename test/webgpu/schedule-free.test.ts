// Schedule-free eval()/train() over GPU params (one dispatch per run, Backend.scheduleFreeSwap) against the
// reference backend's, bit for bit: for every f32 configuration of ScheduleFreeAdamW and ScheduleFreeSGD, the
// params in eval mode, back in train mode, the next steps, and the mode saved in the state dict.
import { describe, expect, it } from "vitest";
import { ParamStore, ScheduleFreeAdamW, ScheduleFreeSGD } from "../../src/index.js";
import { type GpuParam, GpuParamStore } from "../../src/webgpu/index.js";
import { firstBitDifference, randomArray, rng } from "../helpers.js";
import { REGISTRY } from "../registry.js";
import { gpuDevice } from "./device.js";

const { device } = await gpuDevice();
const gpu = await GpuParamStore.create({ device });
let run = 0;
const LENGTHS = [1, 7, 1000];

const CASES = REGISTRY.filter((e) => e.cls === ScheduleFreeAdamW || e.cls === ScheduleFreeSGD).flatMap((e) =>
  e.cases.configs.filter((c) => (c.options.stateDtype ?? "f32") === "f32").map((c) => ({ label: `${e.name} ${JSON.stringify(c.options)}`, cls: e.cls, options: c.options })));

async function expectSame(g: GpuParam[], h: ParamStore, where: string): Promise<void> {
  for (const [i, p] of h.params.entries()) {
    const got = await g[i]!.read(), d = firstBitDifference(got, p.value);
    expect(d, `${where}: param ${i} element ${d}: ${got[d]} vs ${p.value[d]}`).toBe(-1);
  }
}

describe("schedule-free eval()/train() on webgpu: bit for bit the reference", () => {
  it.each(CASES)("$label", async ({ cls, options }) => {
    const rand = rng(5), h = new ParamStore();
    const g = LENGTHS.map((n) => {
      const init = randomArray(n, rand, 1, 0), id = `sf.${run++}`;
      h.param(id, init);
      return gpu.param(id, init);
    });
    type SF = ScheduleFreeAdamW;
    const opt = new cls(g as never, options) as SF, ref = new cls(h.params, { ...options, backend: "js" }) as SF;
    opt.eval(); ref.eval(); // before any step: z holds nothing, x = y
    await expectSame(g, h, "eval() before a step");
    opt.train(); ref.train();
    const step = () => {
      g.forEach((p, i) => { const x = randomArray(p.length, rand, 1, 0.1); p.writeGrad(x); h.params[i]!.grad.set(x); });
      opt.step(); ref.step();
    };
    for (let t = 0; t < 3; t++) step();
    opt.eval(); ref.eval();
    expect(opt.training).toBe(false);
    await expectSame(g, h, "eval()");
    expect((await opt.stateDictAsync() as { training?: boolean }).training).toBe(false);
    expect(() => opt.step()).toThrow(/step\(\) in eval mode/);
    opt.train(); ref.train();
    await expectSame(g, h, "train()");
    step();
    await expectSame(g, h, "a step after train()");
    h.dispose();
  });
});
