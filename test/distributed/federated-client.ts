// A federated client in its own process (for federated-tfjs.test.ts): for each model the server shipped
// (argv[2]/model-<j>.json + .bin, model.save's artifacts with the optimizer, j < argv[4]) loads it with
// tf.loadLayersModel, gradstep/tfjs imported but no optimizer constructed here, trains its shard (argv[3]) for
// one round and writes its weights and what the optimizer became (class, config) to argv[2]/client-<j>.json.
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { init } from "../../src/adapters/tfjs/index.js";
import { loadShipped, trainRound } from "./federated-shared.js";

await init();
await tf.setBackend("cpu");
const [dir, shard, count] = process.argv.slice(2) as [string, string, string];
for (let j = 0; j < Number(count); j++) {
  const m = await loadShipped(JSON.parse(readFileSync(join(dir, `model-${j}.json`), "utf8")), readFileSync(join(dir, `model-${j}.bin`)));
  const weights = await trainRound(m, Number(shard));
  writeFileSync(join(dir, `client-${j}.json`), JSON.stringify({
    className: m.optimizer.getClassName(), config: m.optimizer.getConfig(), isGradstep: "gradstepOptions" in m.optimizer,
    weights: weights.map((w) => Array.from(new Uint32Array(w.buffer))),
  }));
}
