// Process groups: `npm run build && npx tsx examples/distributed.ts`.
// Part 1 runs two ranks in this process (localGroups); part 2 starts a rendezvous relay and two child processes
// that join it over WebSocket and average their "gradients" with allReduce; every rank prints the same bits.
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { localGroups, serveRendezvous, webSocketGroup } from "gradstep/distributed";

const [, , role, url, rankArg] = process.argv;
if (role === "rank") {
  // A child process: one rank of the WebSocket world.
  const rank = Number(rankArg);
  const group = await webSocketGroup({ url: url!, rank, worldSize: 2, timeoutMs: 10_000 });
  const grads = new Float32Array([0.1 * (rank + 1), -1, 2 ** -20 * rank]);
  await group.allReduce(grads, { op: "mean" });
  console.log(`websocket rank ${rank}:`, Array.from(grads));
  await group.close();
} else {
  const [g0, g1] = localGroups(2);
  const a = new Float32Array([1, 2, 3]);
  const b = new Float32Array([10, 20, 30]);
  await Promise.all([g0!.allReduce(a, { op: "mean" }), g1!.allReduce(b, { op: "mean" })]);
  console.log("local ranks:", Array.from(a), Array.from(b)); // both [5.5, 11, 16.5]

  const relay = await serveRendezvous(); // 127.0.0.1, a free port
  const self = fileURLToPath(import.meta.url);
  const children = [0, 1].map((rank) => fork(self, ["rank", `${relay.url}/example`, String(rank)], { execArgv: ["--import", "tsx"] }));
  await Promise.all(children.map((c) => new Promise((resolve) => c.on("exit", resolve))));
  await relay.close();
}
