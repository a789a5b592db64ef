// A rank as a child process over WebSocket (started by test/distributed/transports.ts): argv url rank worldSize
// timeoutMs maxMessageFloats; commands arrive over the IPC channel.
import { webSocketGroup } from "../../src/distributed/index.js";
import { type Command, serveCommands } from "./rank-driver.js";

const [url, rank, worldSize, timeoutMs, maxMessageFloats] = process.argv.slice(2);
const group = await webSocketGroup({ url: url!, rank: Number(rank), worldSize: Number(worldSize), timeoutMs: Number(timeoutMs), maxMessageFloats: Number(maxMessageFloats) });
serveCommands(group, (h) => process.on("message", (c: Command) => h(c)), (r) => process.send!(r));
process.send!({ id: -1, bufs: [] });
