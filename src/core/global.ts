// The optimizer-wide scalars of a spec with `global` (spec.ts GlobalSpec: Prodigy's d) and the reductions
// between a step's passes that update them. The reductions are the backend's (reduceRange, the fixed order of
// src/core/reduce.ts) over each run's part of a buffer, folded in group and run order: the same bits on every
// backend and thread count.
import type { Backend } from "./backend.js";
import type { GroupLayout } from "./layout.js";
import type { GlobalSpec } from "./spec.js";

/**
 * An optimizer's global scalars (GlobalSpec.state) and the numbers a step works in, allocated with the
 * optimizer: a step allocates nothing.
 */
export class GlobalState {
  readonly values: Float64Array;
  readonly acc: Float64Array;
  readonly out: Float64Array;
  /** out[3j..3j+3) for reduction j: where the backend writes it. */
  readonly parts: readonly Float64Array[];
  constructor(spec: Pick<GlobalSpec<unknown>, "state" | "totals" | "reduce">) {
    const most = Math.max(0, ...spec.reduce.map((r) => r.length));
    this.values = new Float64Array(spec.state.length);
    this.acc = new Float64Array(spec.totals);
    this.out = new Float64Array(3 * most);
    this.parts = Array.from({ length: most }, (_, j) => this.out.subarray(3 * j, 3 * j + 3));
  }
}

/**
 * After pass `pass`: the reductions of reduce[pass] over each run (f32 state: a run's part of a buffer is the
 * floats at its offset), folded in group and run order, then the spec's update of the global scalars. The
 * backend answers synchronously (src/core/backend.ts), after the queued launches.
 */
export function reduceBetween<O>(backend: Backend, planned: readonly { readonly layout: GroupLayout }[],
    groups: readonly O[], global: GlobalSpec<O>, gs: GlobalState, pass: number): void {
  const what = global.reduce[pass]!, out = gs.out;
  gs.acc.fill(0);
  backend.sync();
  for (let gi = 0; gi < planned.length; gi++) {
    const o = groups[gi]!;
    const runs = planned[gi]!.layout.runs;
    for (let ri = 0; ri < runs.length; ri++) {
      const r = runs[ri]!, l = r.launch;
      for (let j = 0; j < what.length; j++) {
        // offsets[0] is the param; state buffer i is offsets[i + 1].
        backend.reduceRange(l.offsets[what[j]![0] + 1]!, r.n, gs.parts[j]!, what[j]![1]);
      }
      global.fold(gs.acc, pass, out, r, o, gs.values);
    }
  }
  global.update(gs.values, gs.acc, pass, groups[0]!);
}
