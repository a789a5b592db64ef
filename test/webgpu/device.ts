// The WebGPU device of the webgpu suites: Node + the npm `webgpu` package (Dawn). Without a GPU, Dawn runs on
// SwiftShader's Vulkan ICD, which Debian's chromium package ships: VK_ICD_FILENAMES points the Vulkan loader at
// it (set here when the file exists and the variable is not). No adapter is a failure, never a skip.
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import type { GPUAdapter, GPUDevice } from "../../src/webgpu/index.js";

const SWIFTSHADER = "/usr/lib/chromium/vk_swiftshader_icd.json";
if (process.env.VK_ICD_FILENAMES === undefined && existsSync(SWIFTSHADER)) process.env.VK_ICD_FILENAMES = SWIFTSHADER;
process.env.XDG_RUNTIME_DIR ??= tmpdir(); // the Vulkan loader warns without one

let device: Promise<{ device: GPUDevice; adapter: GPUAdapter }> | undefined;
// Dawn's instance must outlive its devices: a collected instance takes its threads down with the process.
let instance: unknown;

/** The suites' device (one per test file), from the first adapter Dawn finds. */
export function gpuDevice(): Promise<{ device: GPUDevice; adapter: GPUAdapter }> {
  return (device ??= (async () => {
    const { create } = await import("webgpu");
    const gpu = create([]);
    instance = gpu;
    const adapter = await gpu.requestAdapter() as unknown as GPUAdapter | null;
    if (!adapter) {
      throw new Error(`no WebGPU adapter (Node + npm webgpu/Dawn): install libvulkan1 and chromium (its SwiftShader ICD, ${SWIFTSHADER}), ` +
        `or point VK_ICD_FILENAMES at a Vulkan driver's ICD file (now ${process.env.VK_ICD_FILENAMES ?? "unset"})`);
    }
    return { device: await adapter.requestDevice(), adapter };
  })());
}
