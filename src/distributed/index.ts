// The `gradstep/distributed` entry: process groups (exact, deterministic collectives over Float32Arrays) and
// their transports. No runtime dependency; `ws` is an optional peer used only where a runtime lacks WebSocket.
export { type ProcessGroup, type ReduceOp, type GroupOptions, ProcessGroupError, chunkRange, DEFAULT_TIMEOUT_MS, DEFAULT_MAX_MESSAGE_FLOATS } from "./group.js";
export { localGroups, type LocalGroupOptions } from "./local.js";
