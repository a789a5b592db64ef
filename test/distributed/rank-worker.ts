// A rank as a worker thread (started through rank-worker.mjs by test/distributed/transports.ts).
import { parentPort, workerData } from "node:worker_threads";
import { workerGroup } from "../../src/distributed/index.js";
import { type Command, serveCommands } from "./rank-driver.js";

const group = workerGroup(workerData);
serveCommands(group, (h) => parentPort!.on("message", (c: Command) => h(c)), (r) => parentPort!.postMessage(r));
parentPort!.postMessage({ id: -1, bufs: [] });
