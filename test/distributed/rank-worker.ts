// A rank as a worker thread (started through rank-worker.mjs by test/distributed/transports.ts). It initializes
// gradstep first, as a training worker does (the shared-memory path then reduces with the Wasm kernel), unless
// workerData.wasm is false (the JS reduction, for the bench's comparison). workerData.waitAsync false hides
// Atomics.waitAsync from the group, as in runtimes without it (its shared-memory path then rings doorbells).
import { parentPort, workerData } from "node:worker_threads";
import { init } from "../../src/index.js";
import { workerGroup } from "../../src/distributed/index.js";
import { type Command, serveCommands } from "./rank-driver.js";

const { wasm, waitAsync, ...options } = workerData as Parameters<typeof workerGroup>[0] & { wasm?: boolean; waitAsync?: boolean };
if (wasm !== false) await init();
if (waitAsync === false) delete (Atomics as { waitAsync?: unknown }).waitAsync;
const group = workerGroup(options);
serveCommands(group, (h) => parentPort!.on("message", (c: Command) => h(c)), (r) => parentPort!.postMessage(r));
parentPort!.postMessage({ id: -1, bufs: [] });
