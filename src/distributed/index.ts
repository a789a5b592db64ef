// The `gradstep/distributed` entry: process groups (exact, deterministic collectives over Float32Arrays) and
// their transports. No runtime dependency; `ws` is an optional peer, loaded only by serveRendezvous and by
// webSocketGroup where the runtime has no WebSocket.
export { type ProcessGroup, type ReduceOp, type GroupOptions, ProcessGroupError, chunkRange, DEFAULT_TIMEOUT_MS, DEFAULT_MAX_MESSAGE_FLOATS } from "./group.js";
export { localGroups, type LocalGroupOptions } from "./local.js";
export { workerGroup, workerMesh, type WorkerGroupOptions, type WorkerRank, type MessagePortLike } from "./worker.js";
export { webSocketGroup, type WebSocketGroupOptions, type WebSocketLike } from "./websocket.js";
export { serveRendezvous, type RendezvousOptions, type Rendezvous } from "./rendezvous.js";
export { rtcGroup, rtcConnect, type RtcGroupOptions, type RtcConnectOptions, type DataChannelLike, type PeerConnectionLike, type OpenableChannel } from "./rtc.js";
// Training over a process group (data parallel, ZeRO-1, DiLoCo) and federated server optimizers (FedOpt).
export { DataParallel, type DataParallelOptions, type DataParallelState } from "./data-parallel.js";
export { ZeroRedundancyOptimizer, type ZeroOptions, SHARE_ALIGN } from "./zero.js";
export { saveZeroShard, saveZeroConsolidated, loadZeroCheckpoint, loadWorldCheckpoint, type ZeroShardInfo } from "./checkpoint.js";
export { powerSGD, type PowerSGD, type PowerSGDOptions, type Compression, Compressor, type CompressBucket, type CompressionState } from "./compression.js";
export type { Codec } from "./compression-codecs.js";
export { DiLoCo, type DiLoCoOptions, type DiLoCoState } from "./diloco.js";
export {
  FedAvg, FedAvgM, FedAdagrad, FedAdam, FedYogi, type ClientResult,
  type FedAvgOptions, type FedAvgMOptions, type FedAdagradOptions, type FedAdamOptions, type FedYogiOptions, type FedStateDict,
} from "./fedopt.js";
