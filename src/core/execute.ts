// Phases 2 and 3 of a step (plan.ts): every run's launch completed with the step's scalars and executed by
// the backend, foreign params copied in before and out after. A spec with `global` (spec.ts GlobalSpec) runs
// its launches in passes, with reductions over every run and host math between them.
import { CLIP } from "../abi/index.js";
import { reduceBetween } from "./global.js";
import { roundingFlags } from "./lowp.js";
import type { StepContext } from "./plan.js";

/**
 * Phases 2 and 3: copy foreign params in, one launch per run (per pass), copy them out. Cannot fail. With
 * clipValue, the backend holds the clip's bounds and every launch of the step has CLIP in its flags (no
 * sentinel scale).
 */
export function runStep<O>(c: StepContext<O>, gradScale: number): void {
  const clip = c.transforms.clipValue;
  if (clip !== undefined) c.backend.setValueClip(clip);
  runLaunches(c, gradScale, clip === undefined ? 0 : CLIP);
}

/**
 * Every run's launch, completed with this step's scalars and flags (the spec's stepScalars, written in place
 * into the launch made at plan time), executed by the backend in run order; with `global`, once per pass,
 * each pass but the last followed by its reductions (the backend's, over each run's part of a buffer), their
 * fold in run order and the spec's host update of the global scalars.
 */
function runLaunches<O>(c: StepContext<O>, gradScale: number, clipFlag: number): void {
  const spec = c.spec, foreign = c.foreign, backend = c.backend, global = spec.global, gs = c.global;
  for (let i = 0; i < foreign.length; i++) {
    foreign[i]!.param.value.set(foreign[i]!.src.value);
    foreign[i]!.param.grad.set(foreign[i]!.src.grad);
  }
  const passes = global?.passes ?? 1, values = gs?.values ?? NONE;
  // Stochastic rounding's flags and seed (core/lowp), for every spec with the option: not the spec's to compute.
  const rounding = Object.hasOwn(spec.defaults as object, "stochasticRounding");
  for (let pass = 0; pass < passes; pass++) {
    for (let gi = 0; gi < c.planned.length; gi++) {
      const o = c.groups[gi]!;
      const runs = c.planned[gi]!.layout.runs;
      for (let ri = 0; ri < runs.length; ri++) {
        const l = runs[ri]!.launch;
        l.flags = spec.stepScalars(l.scalars, runs[ri]!, o, gradScale, pass, values) | clipFlag |
          (rounding ? roundingFlags(o as unknown as Parameters<typeof roundingFlags>[0], runs[ri]!.step) : 0);
        l.gradScale = gradScale;
        backend.execute(l);
      }
    }
    if (pass < passes - 1) reduceBetween(backend, c.planned, c.groups, global!, gs!, pass);
  }
  const nb = spec.buffers.length;
  for (let gi = 0; gi < c.planned.length; gi++) {
    const o = c.groups[gi]!;
    const runs = c.planned[gi]!.layout.runs;
    for (let ri = 0; ri < runs.length; ri++) {
      const r = runs[ri]!;
      r.step++;
      for (let i = 0; i < nb; i++) if (r.seg.buffers[i] && spec.buffers[i]!.needed(o)) r.ready[i] = true;
    }
  }
  backend.sync();
  for (let i = 0; i < foreign.length; i++) foreign[i]!.src.value.set(foreign[i]!.param.value);
}

const NONE = new Float64Array(0);
