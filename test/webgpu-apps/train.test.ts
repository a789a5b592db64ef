// The WebGPU MNIST example end to end on Dawn + SwiftShader (the runtime matrix runs the same in Deno, Bun and
// Chromium): its CI run learns, and its first Adam step on the GPU equals the Wasm Adam's on the same grads.
import { expect, it } from "vitest";
import { loadMnist } from "../../examples/mnist-data.js";
import { subset } from "../../examples/webgpu-mnist/data.js";
import { CI, trainMnist } from "../../examples/webgpu-mnist/train.js";
import { nodeDevice } from "./device.js";

it("the CI variant halves its training loss, beats 70 % held out, and steps bit-exactly like the Wasm Adam", async () => {
  const device = await nodeDevice();
  const r = await trainMnist(device, subset(loadMnist(), 1200, 300), CI);
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  expect(r.losses).toHaveLength(CI.steps);
  expect(mean(r.losses.slice(-5))).toBeLessThan(mean(r.losses.slice(0, 5)) / 2);
  expect(r.heldOutAccuracy).toBeGreaterThan(0.7);
  expect(r.firstStep).toEqual({ differing: 0, compared: 784 * CI.hidden + CI.hidden + CI.hidden * 10 + 10 });
  device.destroy();
});
