// A rank in another thread or process, driven by the test: it receives {id, method, bufs, arg} commands, runs
// them on its group and answers {id, bufs, error}, sending its buffers back in both cases (so a test can check
// that a failed collective left them unchanged).
import type { ProcessGroup } from "../../src/distributed/index.js";

export type Method = "allReduce" | "reduceScatter" | "allGather" | "broadcast" | "barrier" | "close";
export interface Command {
  id: number;
  method: Method;
  bufs: Float32Array[];
  arg?: unknown;
}
export interface Reply {
  id: number;
  bufs: Float32Array[];
  error?: { name: string; message: string; peer?: number };
  /** Milliseconds the command took inside the rank (the bench's figure: no transfer of the command itself). */
  ms?: number;
}

/** Runs one command on `group` (shared by the in-process, worker and child-process ranks). */
export async function runCommand(group: ProcessGroup, { method, bufs, arg }: Command): Promise<void> {
  const [a, b] = bufs as [Float32Array, Float32Array];
  if (method === "allReduce") await group.allReduce(a, arg as { op?: "sum" | "mean" });
  else if (method === "reduceScatter") await group.reduceScatter(a, b, arg as { op?: "sum" | "mean" });
  else if (method === "allGather") await group.allGather(a, b);
  else if (method === "broadcast") await group.broadcast(a, arg as number);
  else if (method === "barrier") await group.barrier();
  else await group.close();
}

export function serveCommands(group: ProcessGroup, on: (handler: (c: Command) => void) => void, reply: (r: Reply) => void): void {
  on((c) => {
    const t = performance.now();
    runCommand(group, c).then(
      () => reply({ id: c.id, bufs: c.bufs, ms: performance.now() - t }),
      (e: Error & { peer?: number }) => reply({ id: c.id, bufs: c.bufs, error: { name: e.name, message: e.message, peer: e.peer } }),
    );
  });
}
