// The backends whose memory is a ParamStore's (Wasm linear memory): "simd" and "scalar" run the Wasm exports
// (on the calling thread, or split across the store's worker pool for runs over its gate), "js" runs the
// pure-TS references over views of the same memory. Either checks every launch against the reference with
// `verify`. The interface they implement: src/core/backend.ts.
import { CLIP_AT, type KernelFn } from "../abi/index.js";
import { type Backend, invoke, type Launch } from "./backend.js";
import { pointerStride } from "./lowp.js";
import { reduceRange, reduceSegments } from "./reduce.js";
import { valueClip } from "./reference-ops.js";
import type { ParamStore } from "../runtime/store.js";
import type { BackendName } from "../runtime/types.js";

const EMPTY = new Float32Array(0);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Reference = (...args: any[]) => void;

/** The backend `name` over `store`'s memory; with `verify`, every launch is checked against its reference. */
export function storeBackend(store: ParamStore, name: BackendName, verify: boolean): Backend {
  return name === "js" ? new JsBackend(store, verify) : new WasmBackend(store, name, verify);
}

abstract class StoreBackend implements Backend {
  constructor(readonly store: ParamStore, readonly name: BackendName, readonly verify: boolean) {}

  /** The function that runs launch `l` here (plan time). */
  protected abstract kernel(l: Launch, reference: Reference): KernelFn;

  bind(l: Launch, reference: Reference, bufferNames: readonly string[]): void {
    const fast = this.kernel(l, reference);
    l.handle = this.verify ? verified(this.store, this.name, l, fast, reference, bufferNames) : fast;
  }

  execute(l: Launch): void {
    invoke(l.handle as KernelFn, l.args);
  }

  reduceSegments(offset: number, lengths: readonly number[], out: Float64Array, mode: number): void {
    reduceSegments(this.store, this.name, offset, lengths, out, mode);
  }

  reduceRange(offset: number, n: number, out: Float64Array, mode: number): void {
    const r = reduceRange(this.store, this.name, offset, n, mode);
    out[0] = r.sumSq;
    out[1] = r.sumAbs;
    out[2] = r.maxAbs;
  }

  /**
   * The value clip's bounds [-f32(v), f32(v)]: the CLIP_AT words of the store's memory, which the kernels on
   * every thread read when a call's flags have CLIP, and the references' copy (the "js" backend and verify).
   * Nothing to disarm: a launch without CLIP never reads them.
   */
  setValueClip(v: number | undefined): void {
    if (v === undefined) return;
    const hi = Math.fround(v), at = CLIP_AT / 4;
    this.store.f32[at] = valueClip.lo = -hi;
    this.store.f32[at + 1] = valueClip.hi = hi;
  }

  sync(): void {}
}

/** The Wasm exports: the plain export (no wrapper on the hot path), or its worker-pool split for large runs. */
class WasmBackend extends StoreBackend {
  protected kernel(l: Launch): KernelFn {
    const name = this.name as "simd" | "scalar";
    if (l.perTensor) return this.store.kernels(name)[l.kernel] as KernelFn;
    // The pointer count and the state stride tell the worker pool how to split the call (WorkerPool.wrap).
    return this.store.kernel(name, l.kernel, l.n, l.offsets.length, l.dtype === "f32" ? 0 : pointerStride(l.dtype));
  }
}

/** The pure-TS references, over views of the store's memory (made per call: this backend is for checking, not speed). */
class JsBackend extends StoreBackend {
  constructor(store: ParamStore, verify: boolean) {
    super(store, "js", verify);
  }

  protected kernel(l: Launch, reference: Reference): KernelFn {
    const np = l.offsets.length;
    return (...args) => {
      const a: unknown[] = args.slice();
      for (let i = 0; i < np; i++) a[i] = args[i] ? view(this.store, l, i, args[i]!) : EMPTY;
      reference(...a);
    };
  }
}

/** Low-precision state: offset i holds stored bytes, not floats. */
const isState = (l: Launch, i: number) => l.dtype !== "f32" && i > 0 && i < l.offsets.length - 1;

/** What offset i of `l` covers at byte offset p: floats, or the stored bytes of low-precision state. */
function view(store: ParamStore, l: Launch, i: number, p: number): Float32Array | Uint8Array {
  return isState(l, i) ? new Uint8Array(store.buffer, p, l.bytes[i]!) : store.f32.subarray(p / 4, p / 4 + l.bytes[i]! / 4);
}

/**
 * `fast` checked against the reference after every call: the reference runs on a copy of the inputs, and on
 * the first difference (NaN equals NaN) the launch's buffers are restored and the call throws.
 */
function verified(store: ParamStore, backend: BackendName, l: Launch, fast: KernelFn, reference: Reference,
    bufferNames: readonly string[]): KernelFn {
  const np = l.offsets.length;
  const pointerNames = ["param", ...bufferNames, ...(np > bufferNames.length + 2 ? ["scratch"] : []), "grad"];
  const bytes = (i: number, p: number) => (isState(l, i) ? view(store, l, i, p) as Uint8Array : new Uint8Array(store.buffer, p, l.bytes[i]!));
  const name = l.kernel;
  return (...args) => {
    const before = args.slice(0, np).map((p, i) => (p ? bytes(i, p).slice() : new Uint8Array(0)));
    fast(...args);
    const expected = before.map((b) => b.slice());
    const views = expected.map((b, i) => (isState(l, i) || b.length === 0 ? b : new Float32Array(b.buffer)));
    reference(...views.map((v, i) => (args[i] ? v : EMPTY)), ...args.slice(np));
    for (let i = 0; i < np - 1; i++) {
      const p = args[i]!;
      if (!p) continue;
      const state = isState(l, i);
      const got = bytes(i, p), want = expected[i]!;
      const w = state ? 1 : 4;
      for (let j = 0; j < got.length; j += w) {
        let same = true;
        for (let k = 0; k < w; k++) same &&= got[j + k] === want[j + k];
        if (same) continue;
        if (!state) {
          const a = store.f32[p / 4 + j / 4]!, b = new Float32Array(want.buffer)[j / 4]!;
          if (Number.isNaN(a) && Number.isNaN(b)) continue;
        }
        before.forEach((b, k) => { if (args[k] && k < np - 1) new Uint8Array(store.buffer, args[k]!, b.length).set(b); });
        const at = state ? `byte ${j}` : `${j / 4}`;
        throw new Error(`verify: ${backend} ${name} differs from the reference at ${pointerNames[i]}[${at}]` +
          (state ? "" : `: ${store.f32[p / 4 + j / 4]} vs ${new Float32Array(want.buffer)[j / 4]}`) + "; the step was undone");
      }
    }
  };
}
