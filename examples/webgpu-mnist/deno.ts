// Deno: `deno run -A --unstable-sloppy-imports examples/webgpu-mnist/deno.ts [ci]` (after `npm run build`):
// Deno's own WebGPU (wgpu); without a GPU, Mesa's lavapipe Vulkan driver (mesa-vulkan-drivers).
import { loadMnist } from "../mnist-data.js";
import { subset } from "./data.js";
import { adapterName, CI, FULL, describe, trainMnist } from "./train.js";

declare const Deno: { args: string[]; version: { deno: string } };
const ci = Deno.args[0] === "ci";
const all = loadMnist();
const data = ci ? subset(all, 1200, 300) : subset(all, all.train.length, all.test.length);
const adapter = await navigator.gpu.requestAdapter();
if (!adapter) throw new Error("no WebGPU adapter (without a GPU: apt-get install mesa-vulkan-drivers)");
const r = await trainMnist(await adapter.requestDevice(), data, ci ? CI : FULL);
console.log(describe(r, `Deno ${Deno.version.deno}, ${adapterName(adapter.info)}`));
