// The test run's own console: tfjs's "install tfjs-node" banner is dropped (it printed once per worker), and
// nothing else is.
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { expect, it, vi } from "vitest";
import config, { TFJS_NODE_BANNER } from "../vitest.config.js";

it("drops tfjs's Node banner, exactly as tfjs prints it, and keeps every other log", async () => {
  const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
  await tf.setBackend("cpu");
  tf.add(tf.tensor1d([1, 2]), 1).dataSync(); // the CPU backend's first use prints the banner
  const banner = warn.mock.calls.map((c) => c.join(" ")).find((l) => l.includes("TensorFlow.js in Node.js"));
  warn.mockRestore();
  const onConsoleLog = config.test!.onConsoleLog!;
  expect(banner).toContain(TFJS_NODE_BANNER);
  expect(onConsoleLog(banner!, "stderr", undefined)).toBe(false);
  expect(onConsoleLog("gradstep: something else", "stderr", undefined)).toBeUndefined();
  expect(onConsoleLog(`\n===\n${TFJS_NODE_BANNER}, install our node backend\n===\n`, "stderr", undefined)).toBe(false);
});
