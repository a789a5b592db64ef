// Node: `npx tsx examples/webgpu-mnist/node.ts [ci]` (after `npm run build`). WebGPU from the npm `webgpu`
// package (Dawn); without a GPU, on the SwiftShader Vulkan driver of Debian's chromium package:
// VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json.
import { create, globals } from "webgpu";
import { loadMnist } from "../mnist-data.js";
import { subset } from "./data.js";
import { adapterName, CI, FULL, describe, trainMnist } from "./train.js";

Object.assign(globalThis, globals);
const ci = process.argv[2] === "ci";
const all = loadMnist();
const data = ci ? subset(all, 1200, 300) : subset(all, all.train.length, all.test.length);
// Kept in a module binding: Dawn's instance must outlive the device (collected, it takes the device with it).
const gpu = create([]);
const adapter = await gpu.requestAdapter();
if (!adapter) throw new Error("no WebGPU adapter (without a GPU: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json)");
const r = await trainMnist(await adapter.requestDevice(), data, ci ? CI : FULL);
console.log(describe(r, `Node ${process.version}, ${adapterName(adapter.info)}`));
process.exit(0); // Dawn keeps the process alive otherwise
