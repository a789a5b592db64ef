// Running averages (EMA, SWA) of GPU params, the averages in GPU buffers of the params' store: the same element
// rule as AveragedParams (src/transforms/averaged-params.ts: averageRef, one f32 operation at a time in its order),
// one dispatch per contiguous run of params. The update count (torch's n_averaged) lives on the device too, in
// a 16-byte buffer: following an optimizer built with skipNonFinite, an update whose step the device pre-pass
// skipped reads the skip from the step's decision buffer and changes nothing (as AveragedParams, whose update
// does not run after a skipped step), and only the device knows how many updates were made. So the SWA
// divisor f32(n + 1) and the first update's copy are decided on the device; the EMA coefficient, constant
// after the first update, is the host's (averageCoefficient).
import { Optimizer } from "../core/optimizer.js";
import { AVG_DIVIDE, AVG_FROM_PARAM, type AveragedParamsState, AVERAGED_STATE_FORMAT, averageCoefficient, checkAveragedState, checkDecay } from "../transforms/averaged-params.js";
import { WebGpuBackend } from "./backend.js";
import { COPY_DST, type GPUBindGroup, type GPUBuffer, STORAGE, UNIFORM } from "./gpu.js";
import { cachedKernel, type Kernel } from "./kernel.js";
import { GpuParam, type GpuParamStore } from "./store.js";

const WG = 256;
const UPDATE = 0, SWAP = 1;
const AVERAGE = /* wgsl */ `
struct Run { avg: u32, param: u32, n: u32, pad: u32 }
// mode: UPDATE or SWAP; skip: the followed optimizer's decision[1] (its step was skipped) makes UPDATE a no-op.
struct Call { mode: u32, flags: u32, c: f32, skip: u32 }
@group(0) @binding(0) var<storage, read_write> avg: array<f32>;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read_write> count: array<u32>;
@group(0) @binding(3) var<storage, read> decision: array<u32>;
@group(0) @binding(4) var<uniform> run: Run;
@group(0) @binding(5) var<uniform> call: Call;
fn skipped() -> bool { return call.skip != 0u && decision[1] != 0u; }
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let e = gid.x + gid.y * nw.x * ${WG}u;
  if (e >= run.n) { return; }
  let n = count[0];
  let ia = run.avg + e;
  let ip = run.param + e;
  if (call.mode == ${UPDATE}u) {
    if (skipped()) { return; }
    let p = param[ip];
    if (n == 0u) { avg[ia] = p; return; }
    let a = avg[ia];
    let d = p - a;
    if ((call.flags & ${AVG_DIVIDE}u) != 0u) { avg[ia] = a + d / f32(n + 1u); }
    else if ((call.flags & ${AVG_FROM_PARAM}u) != 0u) { avg[ia] = p + call.c * d; }
    else { avg[ia] = a + call.c * d; }
  } else if (n != 0u) {
    let a = avg[ia];
    avg[ia] = param[ip];
    param[ip] = a;
  }
}
// After an UPDATE's runs: one more update made, unless the followed step was skipped.
@compute @workgroup_size(1)
fn bump() { if (call.mode == ${UPDATE}u && !skipped()) { count[0] = count[0] + 1u; } }
`;

/** A contiguous stretch of params and their averages: one dispatch. */
interface Run { valuePtr: number; avgPtr: number; n: number; group: GPUBindGroup }

/** The options of {@link GpuAveragedParams}. */
export interface GpuAveragedParamsOptions {
  /** EMA decay in [0, 1] (0.999 is usual). Leave it out for the SWA equal average. */
  decay?: number;
  /**
   * Update after every step of this optimizer (over GPU params of the same store), as if update() were called
   * after each; with skipNonFinite, a step the device skipped updates nothing. detach() stops it.
   */
  optimizer?: Optimizer<object>;
}

/**
 * AveragedParams for GPU params: an exponential moving average (`{ decay }`) or the SWA equal average of params
 * of a GpuParamStore, the averages in GPU buffers of that store, updated by one dispatch per contiguous run of
 * params (queued: nothing waits). The same numbers as AveragedParams, bit for bit, and the same state dict.
 *
 * @example
 * const ema = new GpuAveragedParams(store.params, { decay: 0.999, optimizer: opt }); // updates after each step
 * for (const batch of data) { backward(batch); opt.step(); }
 * ema.swap(); evaluate(); ema.swap();               // evaluate with the averages, then go back to training
 * const saved = await ema.stateDictAsync();         // loadable by AveragedParams, and back
 */
export class GpuAveragedParams {
  /** The averaged params, in order. */
  readonly params: readonly GpuParam[];
  /** The EMA decay, or undefined for the SWA average. */
  readonly decay: number | undefined;
  /** The store of the params (and of the averages). */
  readonly store: GpuParamStore;
  readonly #avgPtrs: number[];
  readonly #runs: Run[] = [];
  readonly #countPtr: number;
  readonly #call: GPUBuffer;
  readonly #kernels: { main: Kernel; bump: Kernel };
  /** Updates queued (the device's count may be lower: skipped steps). */
  #queued = 0;
  #swapped = false;
  #detach: (() => void) | undefined;
  /** copyTo()'s staging (made on first use). */
  #scratchPtr: number | undefined;

  constructor(params: Iterable<GpuParam> | GpuParamStore | GpuParam, options: GpuAveragedParamsOptions = {}) {
    const where = "GpuAveragedParams";
    if (options === null || typeof options !== "object" || Array.isArray(options)) throw new TypeError(`${where}: options must be an object`);
    for (const k of Object.keys(options)) if (k !== "decay" && k !== "optimizer") throw new TypeError(`${where}: unknown option "${k}" (expected decay, optimizer)`);
    const { decay, optimizer } = options;
    checkDecay(where, decay);
    const list: unknown[] = params instanceof GpuParam ? [params]
      : (params as { deviceKind?: unknown })?.deviceKind === "webgpu" ? (params as GpuParamStore).params
        : params !== null && typeof params === "object" && Symbol.iterator in params ? [...params as Iterable<GpuParam>] : [params];
    if (list.length === 0) throw new Error(`${where}: got an empty parameter list`);
    list.forEach((p, i) => {
      if (!(p instanceof GpuParam)) throw new TypeError(`${where}: params[${i}] is not a GPU param (a GpuParamStore's; for Wasm params use AveragedParams)`);
      if (p.store !== (list[0] as GpuParam).store) throw new Error(`${where}: params[${i}] is in another GpuParamStore than params[0]`);
      if (p.store.disposed) throw new Error(`${where}: param "${p.name}" belongs to a disposed GpuParamStore`);
      if (list.indexOf(p) !== i) throw new Error(`${where}: params[${i}] appears more than once`);
      // Its runs are bound once, here; an external param's buffers may be rebound between steps.
      if (p.external) throw new TypeError(`${where}: param "${p.name}" is external (store.external): not supported yet`);
    });
    const store = (list[0] as GpuParam).store;
    let decision: GPUBuffer | undefined;
    if (optimizer !== undefined) {
      if (!(optimizer instanceof Optimizer)) throw new TypeError(`${where}: optimizer must be a gradstep optimizer`);
      if (optimizer.disposed) throw new Error(`${where}: the optimizer has been disposed`);
      const stepped = new Set(optimizer.paramGroups.flatMap((g) => g.params) as unknown[]);
      const i = list.findIndex((p) => !stepped.has(p));
      if (i >= 0) throw new Error(`${where}: params[${i}] is not a param of the optimizer it follows`);
      const backend = optimizer._backend();
      if (!(backend instanceof WebGpuBackend)) throw new Error(`${where}: the optimizer does not step on the webgpu backend`);
      if (optimizer.transforms.skipNonFinite) decision = backend.decision;
    }
    this.params = Object.freeze(list as GpuParam[]);
    this.decay = decay;
    this.store = store;
    const device = store.device;
    const main = cachedKernel(store.pipelines, device, "averaged.main", AVERAGE, LAYOUT);
    this.#kernels = { main, bump: cachedKernel(store.pipelines, device, "averaged.bump", AVERAGE, main.layout, "bump") };
    // The averages of each block of params in one allocation, in param order (a run never crosses a block).
    const blocks = new Map<GPUBuffer, number>();
    for (const p of this.params) blocks.set(p.buffer, (blocks.get(p.buffer) ?? 0) + p.length);
    const bases = new Map<GPUBuffer, number>();
    for (const [b, n] of blocks) bases.set(b, store.alloc(n));
    this.#avgPtrs = this.params.map((p) => { const at = bases.get(p.buffer)!; bases.set(p.buffer, at + 4 * p.length); return at; });
    this.#countPtr = store.alloc(4);
    this.#call = device.createBuffer({ size: 16, usage: UNIFORM | COPY_DST });
    const noSkip = decision ?? device.createBuffer({ size: 16, usage: STORAGE });
    const spans: { valuePtr: number; avgPtr: number; n: number; buffer: GPUBuffer }[] = [];
    this.params.forEach((p, i) => {
      const last = spans.at(-1), avgPtr = this.#avgPtrs[i]!;
      if (last && last.buffer === p.buffer && last.valuePtr + 4 * last.n === p.valuePtr && last.avgPtr + 4 * last.n === avgPtr) last.n += p.length;
      else spans.push({ valuePtr: p.valuePtr, avgPtr, n: p.length, buffer: p.buffer });
    });
    const count = store.locate(this.#countPtr);
    for (const s of spans) {
      const avg = store.locate(s.avgPtr), value = store.locate(s.valuePtr);
      const run = device.createBuffer({ size: 16, usage: UNIFORM | COPY_DST });
      device.queue.writeBuffer(run, 0, new Uint32Array([(s.avgPtr - avg.base) / 4, (s.valuePtr - value.base) / 4, s.n, 0]));
      const group = device.createBindGroup({
        layout: this.#kernels.main.layout,
        entries: [avg.buffer, value.buffer, count.buffer, noSkip, run, this.#call].map((buffer, binding) => ({ binding, resource: { buffer } })),
      });
      this.#runs.push({ valuePtr: s.valuePtr, avgPtr: s.avgPtr, n: s.n, group });
    }
    if (optimizer !== undefined) {
      this.#detach = optimizer._addEpilogue({ check: () => this.#checkUpdate(), run: () => this.#update(decision !== undefined) });
    }
  }

  /** Whether an optimizer's steps update the averages (the `optimizer` option, until detach()). */
  get following(): boolean {
    return this.#detach !== undefined;
  }

  /** Stops updating after the optimizer's steps; update() still works. */
  detach(): void {
    this.#detach?.();
    this.#detach = undefined;
  }

  /** Whether swap() has put the averages into the params (until the next swap()). */
  get swapped(): boolean {
    return this.#swapped;
  }

  /** Updates so far (torch's n_averaged), read back after everything queued (steps the device skipped not counted). */
  async nAveragedAsync(): Promise<number> {
    this.#assertUsable("nAveragedAsync");
    const a = this.store.locate(this.#countPtr);
    return new Uint32Array(await this.store.readBytes(a.buffer, this.#countPtr - a.base, 4))[0]!;
  }

  #assertUsable(where: string): void {
    if (this.store.disposed) throw new Error(`GpuAveragedParams.${where}: its GpuParamStore has been disposed`);
  }

  #checkUpdate(): void {
    this.#assertUsable("update");
    if (this.#swapped) throw new Error("GpuAveragedParams.update: the params hold the averages (swapped): call swap() again before training and updating");
  }

  /** Queues folding the params' current values into the averages (after a step); the first update copies them. */
  update(): void {
    this.#checkUpdate();
    this.#update(false);
  }

  /** Queues one UPDATE or SWAP over every run (and for UPDATE, the count's bump). */
  #update(skippable: boolean): void {
    // The EMA's coefficient for every update after the first (the first copies, on the device).
    const { c, flags } = averageCoefficient(this.decay, 1);
    this.#dispatch(UPDATE, flags, this.decay === undefined ? 0 : c, skippable);
    this.#queued++;
  }

  #dispatch(mode: number, flags: number, c: number, skip: boolean): void {
    const device = this.store.device, call = new Uint32Array([mode, flags, 0, skip ? 1 : 0]);
    new Float32Array(call.buffer)[2] = c;
    device.queue.writeBuffer(this.#call, 0, call);
    const encoder = device.createCommandEncoder(), pass = encoder.beginComputePass();
    pass.setPipeline(this.#kernels.main.pipeline);
    for (const r of this.#runs) {
      const groups = Math.ceil(r.n / WG), x = Math.min(groups, device.limits.maxComputeWorkgroupsPerDimension);
      pass.setBindGroup(0, r.group);
      pass.dispatchWorkgroups(x, Math.ceil(groups / x));
    }
    if (mode === UPDATE) {
      pass.setPipeline(this.#kernels.bump.pipeline);
      pass.setBindGroup(0, this.#runs[0]!.group);
      pass.dispatchWorkgroups(1);
    }
    pass.end();
    device.queue.submit([encoder.finish()]);
  }

  #assertAveraged(where: string): void {
    this.#assertUsable(where);
    if (this.#queued === 0) throw new Error(`GpuAveragedParams.${where}: no average yet (call update() after a step first)`);
  }

  /**
   * Queues exchanging the params' values and the averages in place: before evaluating with the averages, and
   * again after, to go back to training (update() refuses while swapped). Where every update so far followed a
   * step the device skipped, there is no average yet and the exchange leaves both as they are.
   */
  swap(): void {
    this.#assertAveraged("swap");
    this.#dispatch(SWAP, 0, 0, false);
    this.#swapped = !this.#swapped;
  }

  /** Queues copying the averages into the values of `params` (default: the averaged params; or GPU params of the same lengths). */
  copyTo(params: Iterable<GpuParam> | GpuParam = this.params): void {
    this.#assertAveraged("copyTo");
    const list = params instanceof GpuParam ? [params] : [...params];
    if (list.length !== this.params.length) throw new RangeError(`GpuAveragedParams.copyTo: got ${list.length} params, the averages are of ${this.params.length}`);
    list.forEach((p, i) => {
      if (!(p instanceof GpuParam) || p.store.device !== this.store.device) throw new TypeError(`GpuAveragedParams.copyTo: params[${i}] is not a GPU param on this store's device`);
      if (p.length !== this.params[i]!.length) throw new RangeError(`GpuAveragedParams.copyTo: params[${i}] has length ${p.length}, its average has ${this.params[i]!.length}`);
    });
    // Through a scratch buffer: WebGPU copies between two buffers only, and a target may share the source's block.
    this.#scratchPtr ??= this.store.alloc(Math.max(...this.params.map((p) => p.length)));
    const scratch = this.store.locate(this.#scratchPtr).buffer, encoder = this.store.device.createCommandEncoder();
    list.forEach((p, i) => {
      // While swapped, the averages are in the params.
      const src = this.#swapped ? this.params[i]!.valuePtr : this.#avgPtrs[i]!, a = this.store.locate(src);
      if (p.length === 0 || (this.#swapped && p === this.params[i])) return;
      encoder.copyBufferToBuffer(a.buffer, src - a.base, scratch, 0, 4 * p.length);
      encoder.copyBufferToBuffer(scratch, 0, p.buffer, p.offset, 4 * p.length);
    });
    this.store.device.queue.submit([encoder.finish()]);
  }

  /** AveragedParams' state dict, read back after everything queued: loadable by AveragedParams and back. */
  async stateDictAsync(): Promise<AveragedParamsState> {
    this.#assertUsable("stateDictAsync");
    const averages = await Promise.all(this.params.map(async (p, i) => {
      const ptr = this.#swapped ? p.valuePtr : this.#avgPtrs[i]!, a = this.store.locate(ptr);
      return new Float32Array(await this.store.readBytes(a.buffer, ptr - a.base, 4 * p.length));
    }));
    return { format: AVERAGED_STATE_FORMAT, kind: this.decay === undefined ? "swa" : "ema", decay: this.decay ?? null, nAveraged: await this.nAveragedAsync(), averages };
  }

  /**
   * Restores a state dict of an AveragedParams or GpuAveragedParams of the same kind and decay over params of
   * the same lengths (queued). Everything is checked first: a dict that does not fit throws and changes nothing.
   */
  loadStateDict(dict: AveragedParamsState): void {
    const where = "GpuAveragedParams.loadStateDict";
    this.#assertUsable("loadStateDict");
    if (this.#swapped) throw new Error(`${where}: the params hold the averages (swapped): call swap() first`);
    const { n, values } = checkAveragedState(dict, this.decay, this.params.map((p) => p.length), where);
    if (n >= 2 ** 32) throw new RangeError(`${where}: nAveraged ${n} does not fit the device's u32`);
    const queue = this.store.device.queue;
    values.forEach((v, i) => {
      const a = this.store.locate(this.#avgPtrs[i]!);
      if (v.length > 0) queue.writeBuffer(a.buffer, this.#avgPtrs[i]! - a.base, v.buffer instanceof ArrayBuffer ? v : v.slice());
    });
    const c = this.store.locate(this.#countPtr);
    queue.writeBuffer(c.buffer, this.#countPtr - c.base, new Uint32Array([n]));
    this.#queued = n;
  }
}

const LAYOUT = ["storage", "storage", "storage", "read-only-storage", "uniform", "uniform"];
