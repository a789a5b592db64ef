// Loads the kernels once per process: decides the backend, compiles the Wasm modules asynchronously and
// caches them. Stores instantiate the cached modules over their own memory (src/store.ts).
//
// Selection policy ("auto"), written once here:
//   1. `simd`   if WebAssembly exists and validates the SIMD binary (f32x4);
//   2. `scalar` if WebAssembly exists (same ABI, no SIMD instructions);
//   3. `js`     the pure-TS reference, when the host has no WebAssembly at all.
// A shared-memory variant of each binary is compiled too when the host can create a shared
// WebAssembly.Memory; stores then use shared memory, so views never detach when memory grows.
// `init({ backend })` overrides the choice (tests force each path); so can each optimizer's `backend`.
import { WASM_BASE64 } from "./generated/wasm.js";
import { preloadNodeWorkers } from "./threads.js";

export type BackendName = "simd" | "scalar" | "js";
export type WasmKind = "simd" | "scalar";

export interface InitOptions {
  /** Which backend optimizers use by default. "auto" (default) picks the fastest the host supports. */
  backend?: "auto" | BackendName;
  /** Re-run every step on the pure-TS reference over copies and throw on the first bit difference. */
  verify?: boolean;
}

export interface BackendInfo {
  /** The default backend optimizers use. */
  backend: BackendName;
  /** Whether the host validated the SIMD binary. */
  simd: boolean;
  /** Whether stores get a shared WebAssembly.Memory (views survive memory growth without refresh). */
  sharedMemory: boolean;
  verify: boolean;
  /** Why this backend was chosen. */
  reason: string;
}

interface Loaded {
  key: string;
  info: BackendInfo;
  modules: Partial<Record<`${WasmKind}:${"shared" | "plain"}`, WebAssembly.Module>>;
}

let loaded: Loaded | undefined;
let pending: { key: string; promise: Promise<BackendInfo> } | undefined;

const BACKENDS = ["auto", "simd", "scalar", "js"] as const;

function optionsKey(options: InitOptions): string {
  if (options === null || typeof options !== "object") throw new TypeError("init(options): options must be an object");
  for (const k of Object.keys(options)) {
    if (k !== "backend" && k !== "verify") throw new TypeError(`init(): unknown option "${k}"`);
  }
  const backend = options.backend ?? "auto";
  if (!(BACKENDS as readonly string[]).includes(backend)) {
    throw new TypeError(`init(): invalid backend ${JSON.stringify(backend)} (expected one of ${BACKENDS.join(", ")})`);
  }
  if (options.verify !== undefined && typeof options.verify !== "boolean") {
    throw new TypeError(`init(): invalid verify ${String(options.verify)} (expected a boolean)`);
  }
  return JSON.stringify({ backend, verify: options.verify ?? false });
}

/**
 * Compiles and caches the kernels, and chooses the default backend. Call once before creating optimizers;
 * calling again with the same options returns the same result, with different options throws.
 *
 * @example
 * const info = await init();            // { backend: "simd", simd: true, sharedMemory: true, ... }
 * await init({ backend: "scalar" });    // throws if init() already ran with other options
 */
export function init(options: InitOptions = {}): Promise<BackendInfo> {
  let key: string;
  try {
    key = optionsKey(options);
  } catch (e) {
    return Promise.reject(e);
  }
  const current = loaded?.key ?? pending?.key;
  if (current !== undefined && current !== key) {
    return Promise.reject(new Error(`init() was already called with ${current}; it cannot be called again with ${key}`));
  }
  if (loaded) return Promise.resolve(loaded.info);
  if (pending) return pending.promise;
  const promise = load(key, options).then(
    (l) => { loaded = l; pending = undefined; return l.info; },
    (e) => { pending = undefined; throw e; },
  );
  pending = { key, promise };
  return promise;
}

function decode(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Whether this host can create a shared WebAssembly.Memory (it can even without SharedArrayBuffer exposed). */
export function canShareMemory(): boolean {
  if (typeof WebAssembly !== "object") return false;
  try {
    new WebAssembly.Memory({ initial: 0, maximum: 1, shared: true });
    return true;
  } catch {
    return false;
  }
}

async function load(key: string, options: InitOptions): Promise<Loaded> {
  const requested = options.backend ?? "auto";
  const verify = options.verify ?? false;
  const hasWasm = typeof WebAssembly === "object";
  const bytes = {
    simd: decode(WASM_BASE64.simd), scalar: decode(WASM_BASE64.scalar),
    simdShared: decode(WASM_BASE64.simdShared), scalarShared: decode(WASM_BASE64.scalarShared),
  };
  const simd = hasWasm && WebAssembly.validate(bytes.simd);
  const shared = canShareMemory();
  let backend: BackendName;
  let reason: string;
  if (requested === "auto") {
    if (simd) [backend, reason] = ["simd", "auto: WebAssembly SIMD validated"];
    else if (hasWasm) [backend, reason] = ["scalar", "auto: WebAssembly without SIMD; scalar build"];
    else [backend, reason] = ["js", "auto: no WebAssembly; pure-TS reference"];
  } else {
    if (requested === "simd" && !simd) throw new Error("init(): backend \"simd\" requested but this host does not support WebAssembly SIMD");
    if (requested === "scalar" && !hasWasm) throw new Error("init(): backend \"scalar\" requested but this host has no WebAssembly");
    [backend, reason] = [requested, `requested: ${requested}`];
  }
  const modules: Loaded["modules"] = {};
  if (hasWasm) {
    const jobs: Promise<void>[] = [];
    const add = (name: keyof Loaded["modules"], b: Uint8Array<ArrayBuffer>) =>
      jobs.push(WebAssembly.compile(b).then((m) => { modules[name] = m; }));
    add("scalar:plain", bytes.scalar);
    if (shared) add("scalar:shared", bytes.scalarShared);
    if (simd) {
      add("simd:plain", bytes.simd);
      if (shared) add("simd:shared", bytes.simdShared);
    }
    jobs.push(preloadNodeWorkers());
    await Promise.all(jobs);
  }
  return { key, info: { backend, simd, sharedMemory: shared, verify, reason }, modules };
}

/** What init() chose; throws if init() has not completed. */
export function backendInfo(): BackendInfo {
  if (!loaded) throw new Error("gradstep is not initialized: call `await init()` first");
  return { ...loaded.info };
}

/** The compiled module for a kind and memory sharing; throws a clear error when unavailable. */
export function wasmModule(kind: WasmKind, shared: boolean): WebAssembly.Module {
  if (!loaded) throw new Error("gradstep is not initialized: call `await init()` before using a Wasm backend");
  const m = loaded.modules[`${kind}:${shared ? "shared" : "plain"}`];
  if (!m) throw new Error(`the ${kind} backend is not available on this host (${loaded.info.reason})`);
  return m;
}

/** The compiled shared-memory modules for worker pools (undefined where a kind is unavailable). */
export function sharedModules(): Record<WasmKind, WebAssembly.Module | undefined> {
  if (!loaded) throw new Error("gradstep is not initialized: call `await init()` before creating a store with threads");
  return { simd: loaded.modules["simd:shared"], scalar: loaded.modules["scalar:shared"] };
}

/** The default backend and verify flag for new optimizers; throws before init(). */
export function defaults(): { backend: BackendName; verify: boolean } {
  if (!loaded) throw new Error("gradstep is not initialized: call `await init()` first (or pass backend: \"js\")");
  return { backend: loaded.info.backend, verify: loaded.info.verify };
}
