// Loading in bad environments: a missing or corrupt .wasm, a host that forbids compiling bytes, modules
// supplied precompiled (init({ module })), and the feature report. Each case loads a fresh copy of the
// loader (vi.resetModules), since init() caches for the whole process.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { WASM_BASE64 } from "../src/generated/wasm.js";

type Loader = typeof import("../src/runtime/loader.js");
const { fsSource } = await import("../src/runtime/sources/fs.js");
const { fetchSource } = await import("../src/runtime/sources/fetch.js");
/** The .wasm URLs an entry module at `base` uses (the entries write the same four literals). */
const urlsAt = (base: string) => () => ({
  simd: new URL("./wasm/gradstep-simd.wasm", base), scalar: new URL("./wasm/gradstep-scalar.wasm", base),
  simdShared: new URL("./wasm/gradstep-simd-shared.wasm", base), scalarShared: new URL("./wasm/gradstep-scalar-shared.wasm", base),
});
const fresh = async () => {
  vi.resetModules();
  return {
    loader: (await import("../src/runtime/loader.js")) as Loader,
    fs: (base: string) => fsSource(readFile, urlsAt(base)),
    fetch: (base: string) => fetchSource(urlsAt(base)),
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
    // It names the file, and says what a bundle that left the files behind needs (esbuild, bun build --compile).
    await expect(loader.initWith(fs(packageDir({})))).rejects.toThrow(/gradstep: cannot read \/.*\/wasm\/gradstep-[a-z-]+\.wasm \(ENOENT.*wasm\/ next to the module.*esbuild, bun build.*copied to wasm\/ next to its output, or import "gradstep\/embedded".*reinstall/);
    expect(() => loader.backendInfo()).toThrow(/not initialized/);
  });

  it("a corrupt .wasm: a clear error, and nothing initialized", async () => {
    const { loader, fs } = await fresh();
    const garbage = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 99, 99, 99]);
    const files = { "gradstep-simd.wasm": garbage, "gradstep-scalar.wasm": garbage, "gradstep-simd-shared.wasm": garbage, "gradstep-scalar-shared.wasm": garbage };
    await expect(loader.initWith(fs(packageDir(files)))).rejects.toThrow(/is not a valid WebAssembly module \(corrupt or truncated file\?\)/);
    expect(() => loader.backendInfo()).toThrow(/not initialized/);
  });

  it("an HTML page saved where a .wasm belongs: named as HTML, not as a corrupt module", async () => {
    const { loader, fs } = await fresh();
    const page = "<!doctype html><html><body>app</body></html>";
    const files = { "gradstep-simd.wasm": page, "gradstep-scalar.wasm": page, "gradstep-simd-shared.wasm": page, "gradstep-scalar-shared.wasm": page };
    const err = await loader.initWith(fs(packageDir(files))).catch((e: Error) => e);
    expect(String(err)).toMatch(/gradstep: \/.*\/gradstep-[a-z-]+\.wasm is an HTML page, not WebAssembly \(44 bytes\)/);
    expect(String(err)).not.toMatch(/corrupt/);
    const text = { "gradstep-simd.wasm": "hello", "gradstep-scalar.wasm": "hello", "gradstep-simd-shared.wasm": "hello", "gradstep-scalar-shared.wasm": "hello" };
    await expect(fresh().then(({ loader: l, fs: f }) => l.initWith(f(packageDir(text))))).rejects.toThrow(/is not a WebAssembly file \(5 bytes; it starts with 68 65 6c 6c, expected 00 61 73 6d\)/);
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

describe("fetch (browsers, Deno)", () => {
  /** A local server standing in for a dev server or CDN: `handler` answers every path. */
  async function serve(handler: (path: string) => { status: number; type: string; body: Uint8Array | string }): Promise<{ base: string; server: Server }> {
    const server = createServer((req, res) => {
      const r = handler(req.url ?? "/");
      res.writeHead(r.status, { "content-type": r.type }).end(r.body);
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    const { port } = server.address() as { port: number };
    return { base: `http://127.0.0.1:${port}/assets/entry.js`, server };
  }
  const file = (path: string) => ({ simd: "simd", scalar: "scalar", "simd-shared": "simdShared", "scalar-shared": "scalarShared" } as const)[/gradstep-([a-z-]+)\.wasm/.exec(path)![1]!]!;

  it("a single-page-app fallback (index.html served for the .wasm URL): reported as an HTML page", async () => {
    const html = "<!DOCTYPE html><html><head><script type=module src=/assets/index.js></script></head></html>";
    for (const type of ["text/html; charset=utf-8", "application/wasm"]) { // a server may even label the page as wasm
      const { base, server } = await serve(() => ({ status: 200, type, body: html }));
      try {
        const { loader, fetch } = await fresh();
        const err = String(await loader.initWith(fetch(base)).catch((e: Error) => e));
        expect(err).toMatch(/gradstep: http:\/\/127\.0\.0\.1:\d+\/assets\/wasm\/gradstep-[a-z-]+\.wasm is an HTML page, not WebAssembly/);
        expect(err).toContain(`content-type ${type}`);
        expect(err).toMatch(/import "gradstep\/embedded"/);
        expect(err).not.toMatch(/corrupt/);
      } finally {
        server.close();
      }
    }
  });

  it("a 404: names the URL and what to copy where", async () => {
    const { base, server } = await serve(() => ({ status: 404, type: "text/plain", body: "not found" }));
    try {
      const { loader, fetch } = await fresh();
      await expect(loader.initWith(fetch(base))).rejects.toThrow(/cannot fetch http:\/\/.*\/assets\/wasm\/gradstep-[a-z-]+\.wasm \(HTTP 404\); .*node_modules\/gradstep\/dist\/wasm\/ copied to wasm\//);
    } finally {
      server.close();
    }
  });

  it("served .wasm files load, with or without the application/wasm type", async () => {
    for (const type of ["application/wasm", "application/octet-stream"]) {
      const { base, server } = await serve((path) => ({ status: 200, type, body: bytes(file(path)) }));
      try {
        const { loader, fetch } = await fresh();
        expect(await loader.initWith(fetch(base))).toMatchObject({ backend: "simd", sharedMemory: true, loadedVia: "fetch" });
      } finally {
        server.close();
      }
    }
  });
  it("init() downloads only the build it uses; the others on request, and a store that needs one says so", async () => {
    const fetched: string[] = [];
    const { base, server } = await serve((path) => { fetched.push(path); return { status: 200, type: "application/wasm", body: bytes(file(path)) }; });
    try {
      const { loader, fetch, api } = await fresh();
      expect(await loader.initWith(fetch(base))).toMatchObject({ backend: "simd", sharedMemory: true });
      expect(fetched).toEqual(["/assets/wasm/gradstep-simd-shared.wasm"]);
      const w = new api.ParamStore().param("w", [1, 2]);
      w.grad.set([1, 1]);
      new api.SGD([w], { lr: 0.5 }).step();
      expect(Array.from(w.value)).toEqual([0.5, 1.5]);
      const plain = new api.ParamStore({ shared: false }).param("u", [1]);
      plain.grad.set([1]);
      expect(() => new api.SGD([plain]).step()).toThrow(/the simd build for non-shared memory was not downloaded: .*init\(\{ variants: "all" \}\)/);
      expect(Array.from(plain.value)).toEqual([1]);
      const other = new api.ParamStore().param("v", [1]);
      other.grad.set([1]);
      expect(() => new api.SGD([other], { backend: "scalar" }).step()).toThrow(/the scalar build for shared memory was not downloaded/);
      expect(Array.from(other.value)).toEqual([1]);
      expect(fetched.length).toBe(1);

      fetched.length = 0;
      const again = await fresh();
      await again.loader.initWith(again.fetch(base), { variants: "all" });
      expect(fetched.sort()).toEqual(["simd", "scalar", "simd-shared", "scalar-shared"].map((v) => `/assets/wasm/gradstep-${v}.wasm`).sort());
      const u = new again.api.ParamStore({ shared: false }).param("u", [1]);
      u.grad.set([1]);
      new again.api.SGD([u], { backend: "scalar", lr: 0.5 }).step();
      expect(Array.from(u.value)).toEqual([0.5]);
      await expect(again.loader.initWith(again.fetch(base))).rejects.toThrow(/already called with .*"variants":"all"/);
      await expect((await fresh()).loader.initWith(again.fetch(base), { variants: "some" as never })).rejects.toThrow(/invalid variants "some" \(expected "used" or "all"\)/);
    } finally {
      server.close();
    }
  });
});

describe("two entries in one process (\"gradstep\" and \"gradstep/embedded\", as two routes of one server)", () => {
  // The built entries share one loader, so the kernels are compiled once per process; whichever entry
  // initializes first, the other's init() gets the same result and their stores and optimizers mix.
  const entries = async () => {
    vi.resetModules();
    return { node: await import("../dist/node.js"), embedded: await import("../dist/index.js") };
  };
  const adamStep = (g: typeof import("../dist/index.js"), h: typeof import("../dist/index.js")) => {
    const store = new g.ParamStore(), w = store.param("w", [0]);
    w.grad.set([0.1]);
    new h.Adam([w], { lr: 1e-3 }).step();
    return w.value[0];
  };

  it("embedded first, then the fs entry", async () => {
    const { node, embedded } = await entries();
    const a = await embedded.init();
    expect(a.loadedVia).toBe("embedded");
    expect(await node.init()).toEqual(a);
    expect(adamStep(node, embedded)).toBe(Math.fround(-0.001 * 0.1 / (0.1 + 1e-8)));
    expect(adamStep(embedded, node)).toBe(Math.fround(-0.001 * 0.1 / (0.1 + 1e-8)));
  });

  it("the fs entry first, then embedded", async () => {
    const { node, embedded } = await entries();
    const a = await node.init();
    expect(a.loadedVia).toBe("fs");
    expect(await embedded.init()).toEqual(a);
    expect(adamStep(embedded, node)).toBe(Math.fround(-0.001 * 0.1 / (0.1 + 1e-8)));
  });

  it("an entry whose files are missing fails alone: the other still initializes, and then both work", async () => {
    const { loader, fs, api } = await fresh();
    await expect(loader.initWith(fs(packageDir({})))).rejects.toThrow(/cannot read/);
    expect((await api.init()).loadedVia).toBe("embedded");
    expect((await loader.initWith(fs(packageDir({})))).loadedVia).toBe("embedded"); // already initialized: nothing read
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
