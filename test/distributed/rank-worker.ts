// A rank as a worker thread (started through rank-worker.mjs by test/distributed/transports.ts). It initializes
// gradstep first, as a training worker does (the shared-memory path then reduces with the Wasm kernel), unless
// workerData.wasm is false (the JS reduction, for the bench's comparison).
import { parentPort, workerData } from "node:worker_threads";
import { init } from "../../src/index.js";
import { workerGroup } from "../../src/distributed/index.js";
import { type Command, serveCommands } from "./rank-driver.js";

const { wasm, ...options } = workerData as Parameters<typeof workerGroup>[0] & { wasm?: boolean };
if (wasm !== false) await init();
const group = workerGroup(options);
serveCommands(group, (h) => parentPort!.on("message", (c: Command) => h(c)), (r) => parentPort!.postMessage(r));
parentPort!.postMessage({ id: -1, bufs: [] });
