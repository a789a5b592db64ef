// A rank as a child process over WebRTC (node-datachannel), signalling through the rendezvous (started by
// processRanks in test/distributed/transports.ts): argv url rank worldSize timeoutMs maxMessageFloats; commands
// arrive over the IPC channel.
import { RTCPeerConnection } from "node-datachannel/polyfill";
import { rtcConnect } from "../../src/distributed/index.js";
import { type Command, serveCommands } from "./rank-driver.js";

const [url, rank, worldSize, timeoutMs, maxMessageFloats] = process.argv.slice(2);
const group = await rtcConnect({ url: url!, rank: Number(rank), worldSize: Number(worldSize), timeoutMs: Number(timeoutMs), maxMessageFloats: Number(maxMessageFloats), RTCPeerConnection });
serveCommands(group, (h) => process.on("message", (c: Command) => h(c)), (r) => process.send!(r));
process.send!({ id: -1, bufs: [] });
