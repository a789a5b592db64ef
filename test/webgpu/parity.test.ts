// The parity suite on the webgpu backend: every registry optimizer with a WGSL rule, every f32 configuration of
// its cases file, runs the parity suite's seeded trajectory (zero-gradient steps, steps with a gradient scale, a
// scheduler's lr edit) on GpuParamStore params and on the pure-TS reference (backend "js", which the parity
// suite ties to the Wasm builds bit for bit); params (at four steps) and the final state must agree bit for bit.
// Each length is its own group: its own dispatch.
import { describe, expect, it } from "vitest";
import { ParamStore } from "../../src/index.js";
import { type GpuParam, GpuParamStore } from "../../src/webgpu/index.js";
import { firstBitDifference, paramShape, randomArray, rng } from "../helpers.js";
import { REGISTRY } from "../registry.js";
import { gpuDevice } from "./device.js";

const LENGTHS = [0, 1, 3, 5, 33, 1000, 4097];
const STEPS = 21;
const CHECKED = new Set([1, 4, 11, 21]);
/** Every param's values, in one read-back when they share a buffer (they do unless a block ends among them). */
async function readAll(params: GpuParam[]): Promise<Float32Array[]> {
  const first = params[0]!, last = params[params.length - 1]!;
  if (params.some((p) => p.buffer !== first.buffer)) return Promise.all(params.map((p) => p.read()));
  const all = new Float32Array(await gpu.readBytes(first.buffer, first.offset, last.offset + 4 * last.length - first.offset));
  return params.map((p) => all.slice((p.offset - first.offset) / 4, (p.offset - first.offset) / 4 + p.length));
}

const { device } = await gpuDevice();
const gpu = await GpuParamStore.create({ device }); // one store: each kernel's pipeline is built once
let run = 0;

type Cls = (typeof REGISTRY)[number]["cls"];

/** The trajectory of `options` on `make`'s params; `read` gives a param's values. */
async function trajectory<P>(cls: Cls, options: Record<string, unknown>, make: (name: string, init: Float32Array, n: number) => P,
    grad: (p: P, g: Float32Array) => void, read: (ps: P[]) => Promise<Float32Array[]> | Float32Array[]) {
  const rand = rng(1234), id = run++;
  make(`pad${id}`, new Float32Array(1), 1); // the following params start 4 bytes into their buffer
  const params = LENGTHS.map((n, i) => make(`p${id}.${i}`, randomArray(n, rand, 1, 0), n));
  const opt = new cls(params.map((p) => ({ params: [p] })) as never, options);
  const history = new Map<number, Float32Array[]>();
  for (let t = 1; t <= STEPS; t++) {
    params.forEach((p, i) => grad(p, t === 6 || t === 14 ? new Float32Array(LENGTHS[i]!) : randomArray(LENGTHS[i]!, rand, 2, 0.15)));
    if (t === 11) for (const g of opt.paramGroups) (g as { lr: number }).lr *= 0.5;
    if (t === 4 || t === 5 || t === 17) opt.step({ gradScale: 0.3 });
    else opt.step();
    if (CHECKED.has(t)) history.set(t, await read(params));
  }
  return { history, state: await opt.stateDictAsync() };
}

const SUPPORTED = REGISTRY.filter((e) => e.spec.wgsl !== undefined);

describe.each(SUPPORTED.map((e) => ({ name: e.name, cls: e.cls, configs: e.cases.configs.filter((c) => c.options.stateDtype !== "int8") })))(
  "$name on webgpu == the reference", ({ cls, configs }) => {
    it.each(configs)("$desc", async ({ options }) => {
      const host = new ParamStore();
      const want = await trajectory(cls, { ...options, backend: "js" }, (name, init, n) => host.param(name, init, paramShape(cls, n)),
        (p, g) => p.grad.set(g), (ps) => ps.map((p) => Float32Array.from(p.value)));
      const got = await trajectory(cls, options, (name, init, n) => gpu.param(name, init, paramShape(cls, n)), (p, g) => p.writeGrad(g), readAll);
      host.dispose();
      for (const t of CHECKED) {
        LENGTHS.forEach((n, i) => {
          const d = firstBitDifference(got.history.get(t)![i]!, want.history.get(t)![i]!);
          expect(d, `step ${t}, length ${n}, element ${d}: ${got.history.get(t)![i]![d]} vs ${want.history.get(t)![i]![d]}`).toBe(-1);
        });
      }
      expect(Object.keys(got.state.state)).toEqual(Object.keys(want.state.state));
      for (const [id, entry] of Object.entries(want.state.state)) {
        const mine = got.state.state[Number(id)]!;
        expect(Object.keys(mine).sort()).toEqual(Object.keys(entry).sort());
        for (const [k, v] of Object.entries(entry)) {
          if (typeof v === "number") expect(mine[k]).toBe(v);
          else expect(firstBitDifference(mine[k] as Float32Array, v), `${k} of param ${id}`).toBe(-1);
        }
      }
      // The trajectory moved: parity over frozen params would prove nothing.
      expect(firstBitDifference(want.history.get(21)![5]!, want.history.get(1)![5]!)).not.toBe(-1);
    });
  });
