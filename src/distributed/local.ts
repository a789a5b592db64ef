// All ranks in one process: for tests, simulations and single-process runs of distributed code.
import { type GroupOptions, type Header, MessageGroup, type ProcessGroup, type Transport, checkWorld } from "./group.js";

/** Options of `localGroups`. */
export interface LocalGroupOptions extends GroupOptions {
  /**
   * Simulated latency: milliseconds before a message from `from` to `to` is delivered (default: none, delivered
   * on the next microtask). Messages between one pair of ranks still arrive in order, as on a real link.
   */
  delayMs?: (from: number, to: number) => number;
}

/**
 * `worldSize` connected process groups in this process, element r being rank r. Messages are copies, as
 * between processes, so the groups behave like separate ranks.
 * @example
 * import { localGroups } from "gradstep/distributed";
 * const groups = localGroups(2);
 * const bufs = [new Float32Array([1, 2]), new Float32Array([3, 4])];
 * await Promise.all(groups.map((g, r) => g.allReduce(bufs[r]!, { op: "mean" }))); // both [2, 3]
 */
export function localGroups(worldSize: number, options: LocalGroupOptions = {}): ProcessGroup[] {
  checkWorld(0, worldSize);
  const { delayMs, ...groupOptions } = options;
  const transports: Transport[] = [];
  const closed = new Array<boolean>(worldSize).fill(false);
  // Per link, when its last message is due: a later message never overtakes it.
  const due = new Float64Array(worldSize * worldSize);
  for (let rank = 0; rank < worldSize; rank++) {
    transports.push({
      send(to: number, header: Header, payload: Float32Array) {
        const copy = payload.slice();
        const deliver = () => {
          if (!closed[to]) transports[to]!.onMessage?.(rank, { ...header }, copy);
        };
        if (!delayMs) return queueMicrotask(deliver);
        const link = rank * worldSize + to;
        const at = Math.max(due[link]!, performance.now() + delayMs(rank, to));
        due[link] = at;
        setTimeout(deliver, at - performance.now());
      },
      close() {
        closed[rank] = true;
      },
    });
  }
  return transports.map((t, rank) => new MessageGroup(rank, worldSize, t, groupOptions));
}
