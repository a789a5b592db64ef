// Loads the kernels once per process: decides the backend, compiles the Wasm modules asynchronously and
// caches them. Stores instantiate the cached modules over their own memory (src/store.ts). How the binaries
// are found is the entry point's business (a WasmSource: fs in Node/Bun, fetch in browsers/Deno, module
// imports in Workers/Vercel Edge, base64 in the default entry); `init({ module })` overrides it anywhere.
//
// Selection policy ("auto"), written once here:
//   1. `simd`   if WebAssembly exists and validates a SIMD instruction (and the SIMD binary loads);
//   2. `scalar` if WebAssembly exists (same ABI, no SIMD instructions);
//   3. `js`     the pure-TS reference, when the host has no WebAssembly at all.
// A shared-memory variant of each binary is loaded too when the host can create a shared
// WebAssembly.Memory; stores then use shared memory, so views never detach when memory grows.
// Where each binary is a download (fetch: browsers, Deno), init() loads only the one the default store
// uses (the chosen backend's shared build where memory can be shared, else its plain one): a page should
// not pay for four files to use one. `init({ variants: "all" })` loads every build there too, for stores
// with `shared: false` or optimizers with another `backend`.
// `init({ backend })` overrides the choice (tests force each path); so can each optimizer's `backend`.
import { preloadNodeWorkers, workersAvailable } from "./threads.js";

import type { BackendName, Variant, WasmKind } from "./types.js";

export type { BackendName, Variant, WasmKind };
export const VARIANTS: readonly Variant[] = ["simd", "scalar", "simdShared", "scalarShared"];

/** Where an entry point gets the binaries from. */
export interface WasmSource {
  /** Shown in backendInfo().loadedVia. */
  readonly via: string;
  /** Whether each variant costs a download (fetch): init() then loads only the variant it uses. */
  readonly downloads?: boolean;
  /** A compiled module, or the bytes of one, for a variant; throws a clear error if it cannot. */
  // Plain `Uint8Array` (not TS 5.7's `Uint8Array<ArrayBuffer>`): the published types must read in TypeScript 5.0+.
  get(variant: Variant): Promise<WebAssembly.Module | Uint8Array>;
}

/** Options of `init()`: the default backend, verification, and how the Wasm builds are loaded. */
export interface InitOptions {
  /** Which backend optimizers use by default. "auto" (default) picks the fastest the host supports. */
  backend?: "auto" | BackendName;
  /** Re-run every step on the pure-TS reference over copies and throw on the first bit difference. */
  verify?: boolean;
  /**
   * Precompiled modules, for hosts that forbid compiling bytes (Cloudflare Workers, Vercel Edge): one
   * `WebAssembly.Module` of any gradstep build, or several by variant (`{ simd, scalar, simdShared,
   * scalarShared }`). Compile them from `gradstep/wasm/gradstep-<variant>.wasm` the way the host allows.
   */
  module?: WebAssembly.Module | Partial<Record<Variant, WebAssembly.Module>>;
  /**
   * Which builds to load where each is a download (browsers, Deno): "used" (default) only the one the default
   * store uses; "all" every build the host supports, so that a store with `shared: false` or an optimizer with
   * another `backend` works too. Elsewhere every build is loaded either way.
   */
  variants?: "used" | "all";
}

/** What `backendInfo()` reports about the backend init() chose. */
export interface BackendInfo {
  /** The default backend optimizers use. */
  backend: BackendName;
  /** Whether the host validated the SIMD binary. */
  simd: boolean;
  /** Whether stores get a shared WebAssembly.Memory (views survive memory growth without refresh). */
  sharedMemory: boolean;
  /** Whether optimizers check every step against the pure-TS reference by default (InitOptions.verify). */
  verify: boolean;
  /** Why this backend was chosen. */
  reason: string;
  /** How the Wasm binaries were loaded ("fs", "fetch", "embedded", "module import", "init({ module })"). */
  loadedVia: string;
  /** Whether stores can use worker threads here (Workers and shareable memory both present). */
  threads: boolean;
}

interface Loaded {
  key: string;
  info: BackendInfo;
  modules: Partial<Record<`${WasmKind}:${"shared" | "plain"}`, WebAssembly.Module>>;
  /** Builds left unloaded because each is a download (see the top of this file). */
  skipped: Variant[];
}

let loaded: Loaded | undefined;
let pending: { key: string; promise: Promise<BackendInfo> } | undefined;

const BACKENDS = ["auto", "simd", "scalar", "js"] as const;

function optionsKey(options: InitOptions): string {
  if (options === null || typeof options !== "object") throw new TypeError("init(options): options must be an object");
  for (const k of Object.keys(options)) {
    if (k !== "backend" && k !== "verify" && k !== "module" && k !== "variants") throw new TypeError(`init(): unknown option "${k}"`);
  }
  const backend = options.backend ?? "auto";
  if (!(BACKENDS as readonly string[]).includes(backend)) {
    throw new TypeError(`init(): invalid backend ${JSON.stringify(backend)} (expected one of ${BACKENDS.join(", ")})`);
  }
  if (options.verify !== undefined && typeof options.verify !== "boolean") {
    throw new TypeError(`init(): invalid verify ${String(options.verify)} (expected a boolean)`);
  }
  if (options.variants !== undefined && options.variants !== "used" && options.variants !== "all") {
    throw new TypeError(`init(): invalid variants ${JSON.stringify(options.variants)} (expected "used" or "all")`);
  }
  const m = options.module;
  if (m !== undefined && !isModule(m)) {
    if (m === null || typeof m !== "object") throw new TypeError("init(): module must be a WebAssembly.Module or { simd, scalar, ... } of them");
    for (const [k, v] of Object.entries(m)) {
      if (!(VARIANTS as readonly string[]).includes(k)) throw new TypeError(`init(): unknown module variant "${k}" (expected ${VARIANTS.join(", ")})`);
      if (!isModule(v)) throw new TypeError(`init(): module.${k} is not a WebAssembly.Module`);
    }
  }
  return JSON.stringify({ backend, verify: options.verify ?? false, module: m !== undefined, variants: options.variants ?? "used" });
}

/**
 * Compiles and caches the kernels, and chooses the default backend. Call once before creating optimizers;
 * calling again with the same options returns the same result, with different options throws.
 *
 * @example
 * const info = await init();            // { backend: "simd", simd: true, sharedMemory: true, ... }
 * await init({ backend: "scalar" });    // throws if init() already ran with other options
 */
export function initWith(source: WasmSource, options: InitOptions = {}): Promise<BackendInfo> {
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
  const promise = load(key, options, source).then(
    (l) => { loaded = l; pending = undefined; return l.info; },
    (e) => { pending = undefined; throw e; },
  );
  pending = { key, promise };
  return promise;
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

// The smallest module using a SIMD instruction (v128.const, drop): validating it tells whether the host has SIMD.
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 23, 1, 21, 0, 253, 12,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 26, 11]);

/** A WebAssembly.Module, also one made in another realm (a host precompiling for a sandbox, as Vercel Edge does). */
function isModule(x: unknown): x is WebAssembly.Module {
  return Object.prototype.toString.call(x) === "[object WebAssembly.Module]";
}

/** The variant a module says it is (a custom section "gradstep" added by the build). */
export function variantOf(m: WebAssembly.Module): string | undefined {
  const [section] = WebAssembly.Module.customSections(m, "gradstep");
  return section ? new TextDecoder().decode(section) : undefined;
}

/** The start of the error init() throws where the host forbids compiling Wasm bytes (pass InitOptions.module there). */
export const FORBIDDEN = "this host forbids compiling WebAssembly from bytes (Cloudflare Workers and Vercel Edge do): " +
  "import gradstep through its \"workerd\" / \"edge-light\" export (bundlers pick it), or pass precompiled modules: " +
  "init({ module })";

async function compile(v: Variant, got: WebAssembly.Module | Uint8Array): Promise<WebAssembly.Module> {
  let m: WebAssembly.Module;
  if (isModule(got)) {
    m = got;
  } else {
    try {
      m = await WebAssembly.compile(got as BufferSource);
    } catch (e) {
      const msg = (e as Error).message;
      if (/disallowed|code generation|not allowed/i.test(msg)) throw new Error(`gradstep: ${FORBIDDEN} (${msg})`);
      throw new Error(`gradstep: the ${v} binary is not a valid WebAssembly module (corrupt or truncated file?): ${msg}`);
    }
  }
  const seen = variantOf(m);
  if (seen !== v) throw new Error(`gradstep: expected the ${v} build but got ${seen === undefined ? "a module that is not a gradstep build" : `the ${seen} build`}`);
  return m;
}

/** Modules passed to init({ module }), keyed by variant (a single module is keyed by its custom section). */
function precompiled(m: NonNullable<InitOptions["module"]>): Partial<Record<Variant, WebAssembly.Module>> {
  if (!isModule(m)) return m as Partial<Record<Variant, WebAssembly.Module>>;
  const v = variantOf(m);
  if (!v || !(VARIANTS as readonly string[]).includes(v)) throw new Error("init({ module }): the module is not a gradstep build");
  return { [v]: m };
}

async function load(key: string, options: InitOptions, source: WasmSource): Promise<Loaded> {
  const requested = options.backend ?? "auto";
  const verify = options.verify ?? false;
  const hasWasm = typeof WebAssembly === "object";
  const shareable = canShareMemory();
  const given = options.module ? precompiled(options.module) : undefined;
  const loadedVia = given ? "init({ module })" : requested === "js" ? "none (js backend)" : source.via;
  const simdHost = hasWasm && (given ? Boolean(given.simd ?? given.simdShared) : WebAssembly.validate(SIMD_PROBE));
  const modules: Loaded["modules"] = {};
  const skipped: Variant[] = [];
  const jobs: Promise<void>[] = [preloadNodeWorkers()];
  if (hasWasm && requested !== "js") {
    const all: Variant[] = [
      ...(simdHost && requested !== "scalar" ? ["simd", ...(shareable ? ["simdShared"] : [])] as Variant[] : []),
      ...(requested !== "simd" ? ["scalar", ...(shareable ? ["scalarShared"] : [])] as Variant[] : []),
    ];
    // The one build the default store uses: the first kind in `all` (simd before scalar), shared if possible.
    const used = all.filter((v) => v.startsWith(all[0]?.slice(0, 4) ?? "-") && v.endsWith("Shared") === shareable);
    const want = source.downloads && !given && options.variants !== "all" ? used : all;
    skipped.push(...all.filter((v) => !want.includes(v)));
    for (const v of want) {
      if (given && !given[v]) continue;
      jobs.push((given ? Promise.resolve(given[v]!) : source.get(v)).then((got) => compile(v, got)).then((m) => {
        const kind: WasmKind = v.startsWith("simd") ? "simd" : "scalar";
        modules[`${kind}:${v.endsWith("Shared") ? "shared" : "plain"}`] = m;
      }));
    }
  }
  await Promise.all(jobs);
  const simd = Boolean(modules["simd:plain"] ?? modules["simd:shared"]);
  const scalar = Boolean(modules["scalar:plain"] ?? modules["scalar:shared"]);
  let backend: BackendName;
  let reason: string;
  if (requested === "auto") {
    if (simd) [backend, reason] = ["simd", "auto: WebAssembly SIMD validated"];
    else if (scalar) [backend, reason] = ["scalar", hasWasm && !simdHost ? "auto: WebAssembly without SIMD; scalar build" : "auto: scalar build (no SIMD build supplied)"];
    else if (!hasWasm) [backend, reason] = ["js", "auto: no WebAssembly; pure-TS reference"];
    else throw new Error("init({ module }): no usable gradstep module was supplied");
  } else {
    if (requested === "simd" && !simd) throw new Error("init(): backend \"simd\" requested but this host does not support WebAssembly SIMD");
    if (requested === "scalar" && !scalar) throw new Error("init(): backend \"scalar\" requested but this host has no WebAssembly");
    [backend, reason] = [requested, `requested: ${requested}`];
  }
  const sharedMemory = shareable && Boolean(modules[`${backend === "js" ? "scalar" : backend}:shared` as const] ?? (backend === "js"));
  const threads = backend !== "js" && sharedMemory && workersAvailable() && typeof SharedArrayBuffer === "function" &&
    (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false;
  return { key, info: { backend, simd, sharedMemory, verify, reason, loadedVia, threads }, modules, skipped };
}

/** What init() chose; throws if init() has not completed. */
export function backendInfo(): BackendInfo {
  if (!loaded) throw new Error("gradstep is not initialized: call `await init()` first");
  return { ...loaded.info };
}

/** Whether stores should use shared memory by default (the host can, and the shared builds are loaded). */
export function defaultShared(): boolean {
  return loaded ? loaded.info.sharedMemory : canShareMemory();
}

/** The compiled module for a kind and memory sharing; throws a clear error when unavailable. */
export function wasmModule(kind: WasmKind, shared: boolean): WebAssembly.Module {
  if (!loaded) throw new Error("gradstep is not initialized: call `await init()` before using a Wasm backend");
  const m = loaded.modules[`${kind}:${shared ? "shared" : "plain"}`];
  const variant: Variant = `${kind}${shared ? "Shared" : ""}` as Variant;
  if (!m && loaded.skipped.includes(variant)) {
    throw new Error(`gradstep: the ${kind} build for ${shared ? "shared" : "non-shared"} memory was not downloaded: here init() fetches ` +
      `only the build the default store uses; call init({ variants: "all" }) instead to fetch every build`);
  }
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
