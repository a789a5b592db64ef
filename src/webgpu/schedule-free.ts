// Schedule-free eval()/train() on the device (Backend.scheduleFreeSwap): the params of one run between y and
// x from the optimizer's z, one f32 operation at a time in ScheduleFreeOptimizer's order (src/optim/
// schedulefreeadamw.ts: x = f32(y − f32(c·z)) / β1, y = f32(β1·x) + f32(c·z), c = f32(1 − β1)). One dispatch per
// run, queued; made only at eval()/train(), so its uniform and bind group are made per call (and left to the GC).
import { COPY_DST, type GPUBuffer, UNIFORM, type GpuMemory } from "./gpu.js";
import { cachedKernel } from "./kernel.js";

const WG = 256;
const SWAP = /* wgsl */ `
struct Ask { param: u32, z: u32, n: u32, toEval: u32, beta1: f32, c: f32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<storage, read_write> param: array<f32>;
@group(0) @binding(1) var<storage, read> z: array<f32>;
@group(0) @binding(2) var<uniform> ask: Ask;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let e = gid.x + gid.y * nw.x * ${WG}u;
  if (e >= ask.n) { return; }
  let v = param[ask.param + e];
  let cz = ask.c * z[ask.z + e];
  if (ask.toEval != 0u) { param[ask.param + e] = (v - cz) / ask.beta1; } else { param[ask.param + e] = ask.beta1 * v + cz; }
}
`;

/** Queues one run's eval (toEval) or train transform; see the header. */
export function scheduleFreeSwap(store: GpuMemory, valuePtr: number, zPtr: number, n: number, toEval: boolean, beta1: number, c: number): void {
  if (n === 0) return;
  const device = store.device, k = cachedKernel(store.pipelines as Map<string, unknown>, device, "scheduleFree.swap", SWAP, ["storage", "read-only-storage", "uniform"]);
  const value = store.locate(valuePtr), z = store.locate(zPtr);
  const words = new Uint32Array([(valuePtr - value.base + value.offset) / 4, (zPtr - z.base + z.offset) / 4, n, toEval ? 1 : 0, 0, 0, 0, 0]);
  new Float32Array(words.buffer).set([beta1, c], 4);
  const ask: GPUBuffer = device.createBuffer({ size: 32, usage: UNIFORM | COPY_DST });
  device.queue.writeBuffer(ask, 0, words);
  const encoder = device.createCommandEncoder(), pass = encoder.beginComputePass();
  pass.setPipeline(k.pipeline);
  pass.setBindGroup(0, device.createBindGroup({ layout: k.layout, entries: [value.buffer, z.buffer, ask].map((buffer, binding) => ({ binding, resource: { buffer } })) }));
  const groups = Math.ceil(n / WG), x = Math.min(groups, device.limits.maxComputeWorkgroupsPerDimension);
  pass.dispatchWorkgroups(x, Math.ceil(groups / x));
  pass.end();
  device.queue.submit([encoder.finish()]);
}
