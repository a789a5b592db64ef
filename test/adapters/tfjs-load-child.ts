// A fresh process for tfjs-registry.test.ts: loads each model saved in the folder argv[2] (its jobs.json lists
// them) with tf.loadLayersModel — gradstep/tfjs imported, no fromGradstep call, so the optimizer class must be
// registered by the import — trains one more epoch and writes every model's weight bits to results.json.
import * as tf from "@tensorflow/tfjs-core";
// Node's own resolution (no bundler here) gives tfjs's CommonJS builds; the @tensorflow/tfjs bundle registers the
// gradients and the cpu backend on that same tfjs-core.
import "@tensorflow/tfjs";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { init } from "../../src/adapters/tfjs/index.js";
import { fit, load, weightBits } from "./tfjs-model.js";

await init();
await tf.setBackend("cpu");
const dir = process.argv[2]!;
const jobs = JSON.parse(readFileSync(join(dir, "jobs.json"), "utf8")) as string[];
const results: Record<string, { bits?: number[]; error?: string }> = {};
for (const name of jobs) {
  try {
    const m = await load(dir, name);
    await fit(m, 1);
    results[name] = { bits: weightBits(m) };
    m.dispose();
  } catch (e) {
    results[name] = { error: String(e) };
  }
}
writeFileSync(join(dir, "results.json"), JSON.stringify(results));
