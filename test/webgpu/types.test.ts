// The published declarations, as a TypeScript consumer of `gradstep/webgpu` uses them with the DOM's WebGPU
// types (@webgpu/types, what browsers' lib and Deno declare): a real GPUDevice goes into GpuParamStore.create,
// real GPUBuffers into store.external and param.bind, and a GPU param store's params into the optimizer classes.
// Compiled against dist/, strict, no skipLibCheck.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";

const root = process.cwd();
const app = mkdtempSync(join(tmpdir(), "gradstep-webgpu-types-"));
afterAll(() => rmSync(app, { recursive: true, force: true }));

it("a DOM GPUDevice and a GPU store's params type-check against the published declarations", () => {
  mkdirSync(join(app, "node_modules", "@webgpu"), { recursive: true });
  symlinkSync(root, join(app, "node_modules", "gradstep"));
  symlinkSync(join(root, "node_modules", "@webgpu", "types"), join(app, "node_modules", "@webgpu", "types"));
  writeFileSync(join(app, "package.json"), JSON.stringify({ type: "module" }));
  writeFileSync(join(app, "tsconfig.json"), JSON.stringify({
    compilerOptions: { target: "es2022", module: "nodenext", moduleResolution: "nodenext", strict: true, noEmit: true, types: ["@webgpu/types"], lib: ["es2022", "dom"] },
    files: ["main.ts"],
  }));
  writeFileSync(join(app, "main.ts"), `
import { Adam, StepLR } from "gradstep";
import { GpuParamStore } from "gradstep/webgpu";
declare const device: GPUDevice; // the DOM's
const store = await GpuParamStore.create({ device });
const w = store.param("w", 4, { shape: [2, 2] });
const opt = new Adam(store.params, { lr: 1e-3 }), one = new Adam([w]);
const sched = new StepLR(opt, { stepSize: 10 });
w.writeGrad(new Float32Array(4));
opt.step(); one.step(); sched.step();
const values: Float32Array = await w.read();
const bound: GPUBuffer = w.buffer as GPUBuffer;
declare const mine: GPUBuffer, grads: GPUBuffer; // the DOM's
const e = store.external("e", { buffer: mine, shape: [4], gradBuffer: grads });
e.bind({ gradBuffer: grads, gradOffset: 0 });
new Adam([e]).step();
export { values, bound };
`);
  const r = spawnSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", app], { encoding: "utf8" });
  expect(r.stdout + r.stderr).toBe("");
  expect(r.status).toBe(0);
});
