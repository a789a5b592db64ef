// Loading in bad environments: a missing or corrupt .wasm, a host that forbids compiling bytes, modules
// supplied precompiled (init({ module })), and the feature report. Each case loads a fresh copy of the
// loader (vi.resetModules), since init() caches for the whole process.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { WASM_BASE64 } from "../src/generated/wasm.js";

type Loader = typeof import("../src/runtime/loader.js");
const fresh = async () => {
  vi.resetModules();
  return {
    loader: (await import("../src/runtime/loader.js")) as Loader,
    fs: (await import("../src/runtime/sources/fs.js")).fsSource,
    embedded: (await import("../src/runtime/sources/embedded.js")).embeddedSource,
    api: await import("../src/index.js"),
  };
};
const bytes = (v: keyof typeof WASM_BASE64) => new Uint8Array(Buffer.from(WASM_BASE64[v], "base64"));

/** A fake package folder: base URL of an entry module whose wasm/ holds `files`. */
function packageDir(files: Record<string, Uint8Array | string>): string {
  const dir = mkdtempSync(join(tmpdir(), "gradstep-loader-"));
  mkdirSync(join(dir, "wasm"));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, "wasm", name), content);
  return pathToFileURL(join(dir, "entry.js")).href;
}

afterEach(() => vi.restoreAllMocks());

describe("file-based entries", () => {
  it("a missing .wasm: a clear error naming the file", async () => {
    const { loader, fs } = await fresh();
    await expect(loader.initWith(fs(packageDir({})))).rejects.toThrow(/gradstep: cannot read .*wasm\/gradstep-[a-z-]+\.wasm .*ENOENT.*reinstall the package, or import "gradstep\/embedded"/);
    expect(() => loader.backendInfo()).toThrow(/not initialized/);
  });

  it("a corrupt .wasm: a clear error, and nothing initialized", async () => {
    const { loader, fs } = await fresh();
    const garbage = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 99, 99, 99]);
    const files = { "gradstep-simd.wasm": garbage, "gradstep-scalar.wasm": garbage, "gradstep-simd-shared.wasm": garbage, "gradstep-scalar-shared.wasm": garbage };
    await expect(loader.initWith(fs(packageDir(files)))).rejects.toThrow(/is not a valid WebAssembly module \(corrupt or truncated file\?\)/);
    expect(() => loader.backendInfo()).toThrow(/not initialized/);
  });

  it("a valid .wasm of the wrong build: rejected", async () => {
    const { loader, fs } = await fresh();
    const files = { "gradstep-simd.wasm": bytes("scalar"), "gradstep-scalar.wasm": bytes("scalar"), "gradstep-simd-shared.wasm": bytes("simdShared"), "gradstep-scalar-shared.wasm": bytes("scalarShared") };
    await expect(loader.initWith(fs(packageDir(files)))).rejects.toThrow(/expected the simd build but got the scalar build/);
  });

  it("good files load, and backendInfo says how", async () => {
    const { loader, fs } = await fresh();
    const files = { "gradstep-simd.wasm": bytes("simd"), "gradstep-scalar.wasm": bytes("scalar"), "gradstep-simd-shared.wasm": bytes("simdShared"), "gradstep-scalar-shared.wasm": bytes("scalarShared") };
    const info = await loader.initWith(fs(packageDir(files)));
    expect(info).toMatchObject({ backend: "simd", simd: true, sharedMemory: true, loadedVia: "fs", threads: true });
  });
});

describe("hosts that forbid compiling bytes", () => {
  it("init() without modules explains what to do", async () => {
    const { api } = await fresh();
    vi.spyOn(WebAssembly, "compile").mockRejectedValue(new WebAssembly.CompileError("WebAssembly.compile(): Wasm code generation disallowed by embedder"));
    await expect(api.init()).rejects.toThrow(/forbids compiling WebAssembly from bytes .*"workerd" \/ "edge-light" export.*init\(\{ module \}\)/);
  });

  it("init({ module }) with precompiled modules works without compiling anything", async () => {
    const modules = { simd: new WebAssembly.Module(bytes("simd")), scalar: new WebAssembly.Module(bytes("scalar")),
      simdShared: new WebAssembly.Module(bytes("simdShared")), scalarShared: new WebAssembly.Module(bytes("scalarShared")) };
    const { api } = await fresh();
    const compile = vi.spyOn(WebAssembly, "compile").mockRejectedValue(new WebAssembly.CompileError("Wasm code generation disallowed by embedder"));
    const info = await api.init({ module: modules });
    expect(info).toMatchObject({ backend: "simd", loadedVia: "init({ module })", sharedMemory: true });
    expect(compile).not.toHaveBeenCalled();
    const store = new api.ParamStore();
    const w = store.param("w", [1, 2]);
    w.grad.set([1, 1]);
    new api.SGD([w], { lr: 1 }).step();
    expect(Array.from(w.value)).toEqual([0, 1]);
  });

  it("init({ module }) with one module of any build: identified by its custom section", async () => {
    const { api } = await fresh();
    const info = await api.init({ module: new WebAssembly.Module(bytes("scalar")) });
    expect(info).toMatchObject({ backend: "scalar", simd: false, sharedMemory: false });
    const store = new api.ParamStore();
    expect(store.shared).toBe(false); // only the non-shared build was supplied
  });

  it("init({ module }) rejects modules that are not gradstep builds, or mislabelled ones", async () => {
    const empty = new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
    let { api } = await fresh();
    await expect(api.init({ module: empty })).rejects.toThrow(/the module is not a gradstep build/);
    ({ api } = await fresh());
    await expect(api.init({ module: { simd: new WebAssembly.Module(bytes("scalar")) } })).rejects.toThrow(/expected the simd build but got the scalar build/);
    ({ api } = await fresh());
    await expect(api.init({ module: { simd: 42 as never } })).rejects.toThrow(/module\.simd is not a WebAssembly\.Module/);
    await expect(api.init({ module: { avx: empty } as never })).rejects.toThrow(/unknown module variant "avx"/);
  });
});

describe("forced paths", () => {
  it("backend js loads no Wasm at all", async () => {
    const { api } = await fresh();
    const compile = vi.spyOn(WebAssembly, "compile");
    const info = await api.init({ backend: "js" });
    expect(info).toMatchObject({ backend: "js", loadedVia: "none (js backend)" });
    expect(compile).not.toHaveBeenCalled();
    const store = new api.ParamStore();
    const w = store.param("w", [1]);
    w.grad.set([1]);
    new api.Adam([w], { lr: 0.1 }).step();
    expect(w.value[0]).toBe(Math.fround(0.9000000002)); // PyTorch's first Adam step, lr 0.1
    expect(() => new api.Adam([w], { backend: "simd" })).toThrow(/the simd backend is not available/);
  });

  it("backend scalar loads only the scalar builds", async () => {
    const { api } = await fresh();
    const info = await api.init({ backend: "scalar" });
    expect(info).toMatchObject({ backend: "scalar" });
  });

  it("a host without SIMD falls back to the scalar build (auto)", async () => {
    const { api } = await fresh();
    const validate = WebAssembly.validate;
    vi.spyOn(WebAssembly, "validate").mockImplementation((b) => (validate(b) && !(b as Uint8Array).includes(253)));
    const info = await api.init();
    expect(info).toMatchObject({ backend: "scalar", simd: false, reason: "auto: WebAssembly without SIMD; scalar build" });
  });
});
