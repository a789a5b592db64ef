// A rank of the kill-and-restart test as a child process over WebSocket: argv url rank worldSize timeoutMs
// options-json. It reports each step over IPC ({ step }); the rank `ackRank` waits for the parent's ack after each
// step (so the test decides exactly where it dies). It ends with { done } or { error }.
import { init } from "../../src/index.js";
import { webSocketGroup } from "../../src/distributed/index.js";
import { type TrainOptions, train } from "./restart-train.js";

const [url, rank, worldSize, timeoutMs, json] = process.argv.slice(2);
const options = JSON.parse(json!) as TrainOptions & { ackRank?: number };
await init();
const group = await webSocketGroup({ url: url!, rank: Number(rank), worldSize: Number(worldSize), timeoutMs: Number(timeoutMs) });
const ack = () => new Promise<void>((resolve) => process.once("message", () => resolve()));
try {
  const result = await train(group, { ...options, onStep: async (step) => { process.send!({ step }); if (options.ackRank === Number(rank)) await ack(); } });
  process.send!({ done: result });
  await group.close();
} catch (e) {
  const err = e as Error & { peer?: number };
  process.send!({ error: { name: err.name, message: err.message, peer: err.peer } });
}
process.disconnect();
