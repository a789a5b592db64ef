/// <reference types="@webgpu/types" />
// A GPUDevice in Node for the apps' tests: the npm `webgpu` package (Dawn) on the SwiftShader Vulkan driver that
// Debian's chromium package ships (Dawn rejects Debian 12's lavapipe), unless VK_ICD_FILENAMES names another.
import { existsSync } from "node:fs";
import { create, globals } from "webgpu";

const SWIFTSHADER = "/usr/lib/chromium/vk_swiftshader_icd.json";

let gpu: GPU | undefined;

/** A fresh device on the process's one adapter (created on first use). */
export async function nodeDevice(): Promise<GPUDevice> {
  if (!gpu) {
    if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER)) process.env.VK_ICD_FILENAMES = SWIFTSHADER;
    process.env.XDG_RUNTIME_DIR ??= "/tmp";
    Object.assign(globalThis, globals);
    gpu = create([]);
  }
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error(`no WebGPU adapter (VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES ?? ""})`);
  return adapter.requestDevice();
}

