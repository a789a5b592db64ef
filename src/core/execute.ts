// Phases 2 and 3 of a step (plan.ts): every run's launch completed with the step's scalars and executed by
// the backend, foreign params copied in before and out after.
import { CLIP } from "../abi/index.js";
import type { StepContext } from "./plan.js";

/**
 * Phases 2 and 3: copy foreign params in, one launch per run, copy them out. Cannot fail. With clipValue, the
 * backend holds the clip's bounds and every launch of the step has CLIP in its flags (no sentinel scale).
 */
export function runStep<O>(c: StepContext<O>, gradScale: number): void {
  const clip = c.transforms.clipValue;
  if (clip !== undefined) c.backend.setValueClip(clip);
  runLaunches(c, gradScale, clip === undefined ? 0 : CLIP);
}

/**
 * Every run's launch, completed with this step's scalars and flags (the spec's stepScalars, written in place
 * into the launch made at plan time), executed by the backend in run order.
 */
function runLaunches<O>(c: StepContext<O>, gradScale: number, clipFlag: number): void {
  const spec = c.spec, foreign = c.foreign, backend = c.backend;
  for (let i = 0; i < foreign.length; i++) {
    foreign[i]!.param.value.set(foreign[i]!.src.value);
    foreign[i]!.param.grad.set(foreign[i]!.src.grad);
  }
  const nb = spec.buffers.length;
  for (let gi = 0; gi < c.planned.length; gi++) {
    const o = c.groups[gi]!;
    const runs = c.planned[gi]!.layout.runs;
    for (let ri = 0; ri < runs.length; ri++) {
      const r = runs[ri]!, l = r.launch;
      l.flags = spec.stepScalars(l.scalars, r, o, gradScale) | clipFlag;
      l.gradScale = gradScale;
      backend.execute(l);
      r.step++;
      for (let i = 0; i < nb; i++) if (r.seg.buffers[i] && spec.buffers[i]!.needed(o)) r.ready[i] = true;
    }
  }
  backend.sync();
  for (let i = 0; i < foreign.length; i++) foreign[i]!.src.value.set(foreign[i]!.param.value);
}
