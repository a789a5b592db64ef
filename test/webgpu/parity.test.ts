// The parity suite on the webgpu backend: every registry optimizer with a WGSL rule (an elementwise one's generated
// from its Wasm rule by scripts/wgsl-rules.mjs, a per-tensor one's in its spec), every f32 and bf16 configuration of
// its cases file, runs the parity suite's seeded trajectory (zero-gradient steps, steps with a gradient scale, a
// scheduler's lr edit) on GpuParamStore params and on the pure-TS reference (backend "js", which the parity
// suite ties to the Wasm builds bit for bit); params (at four steps) and the final state must agree bit for bit.
// Each length is its own group: its own dispatch. Each configuration runs twice: on packed params, and on params
// of which every other one is external (store.external: values 8 bytes into a buffer of the test's own, grads in
// two buffers of its own that the param is rebound to in turn, at offsets 4 or 0, before every step; one with
// its grads in the store's buffer).
import { describe, expect, it } from "vitest";
import { ParamStore } from "../../src/index.js";
import { type GpuParam, GpuParamStore, type GPUBuffer } from "../../src/webgpu/index.js";
import { COPY_DST, COPY_SRC, STORAGE } from "../../src/webgpu/gpu.js";
import { wgslRule } from "../../src/webgpu/driver.js";
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
async function trajectory<P>(cls: Cls, options: Record<string, unknown>, make: (name: string, init: Float32Array, n: number, i: number) => P,
    grad: (p: P, g: Float32Array) => void, read: (ps: P[]) => Promise<Float32Array[]> | Float32Array[]) {
  const rand = rng(1234), id = run++;
  make(`pad${id}`, new Float32Array(1), 1, -1); // the following params start 4 bytes into their buffer
  const params = LENGTHS.map((n, i) => make(`p${id}.${i}`, randomArray(n, rand, 1, 0), n, i));
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

const SUPPORTED = REGISTRY.filter((e) => wgslRule(e.spec) !== undefined);

const USAGE = STORAGE | COPY_SRC | COPY_DST;
/** Per external param: its two grad buffers and the steps it has had a grad for. */
const turns = new Map<GpuParam, { grads: GPUBuffer[]; t: number }>();
/** Every other param (odd `i`) external, the rest packed; i = 3 with its grads in the store's buffer. */
function mixed(cls: Cls) {
  return (name: string, init: Float32Array, n: number, i: number): GpuParam => {
    if (i < 0 || i % 2 === 0) return gpu.param(name, init, paramShape(cls, n));
    const buffer = device.createBuffer({ size: 4 * n + 12, usage: USAGE });
    const grads = [device.createBuffer({ size: 4 * n + 4, usage: USAGE }), device.createBuffer({ size: 4 * n + 4, usage: USAGE })];
    const p = gpu.external(name, { buffer, offset: 8, length: n, ...paramShape(cls, n), ...(i === 3 ? {} : { gradBuffer: grads[1]! }) });
    p.write(init);
    if (i !== 3) turns.set(p, { grads, t: 0 });
    return p;
  };
}
function writeGrad(p: GpuParam, g: Float32Array): void {
  const turn = turns.get(p);
  if (turn) {
    // (buffer 0, offset 4), (1, 4), (1, 0): the buffer changes alone, then the offset alone, then both.
    const k = turn.t++ % 3;
    p.bind({ gradBuffer: turn.grads[k === 0 ? 0 : 1]!, gradOffset: k === 2 ? 0 : 4 });
  }
  p.writeGrad(g);
}

describe.each(SUPPORTED.map((e) => ({ name: e.name, cls: e.cls, configs: e.cases.configs.filter((c) => c.options.stateDtype !== "int8") })))(
  "$name on webgpu == the reference", ({ cls, configs }) => {
    it.each(configs.flatMap((c) => [{ ...c, external: false }, { ...c, desc: `${c.desc} (external buffers)`, external: true }]))("$desc", async ({ options, external }) => {
      const host = new ParamStore();
      const want = await trajectory(cls, { ...options, backend: "js" }, (name, init, n) => host.param(name, init, paramShape(cls, n)),
        (p, g) => p.grad.set(g), (ps) => ps.map((p) => Float32Array.from(p.value)));
      const got = external
        ? await trajectory(cls, options, mixed(cls), writeGrad, readAll)
        : await trajectory(cls, options, (name, init, n) => gpu.param(name, init, paramShape(cls, n)), (p, g) => p.writeGrad(g), readAll);
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
