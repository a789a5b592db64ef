// The step plan. A step is: (1) check edited options (scalar edits: a range check; structural edits: also
// re-plan, i.e. allocate the state buffers the new options need), foreign arrays and step counts — everything
// that can fail, before anything changes — and decide the gradient scale (prepass.ts: 1 unless a transform
// sets it); (2) each run's launch gets its step scalars, in f64, from its spec's stepScalars; (3) the backend
// executes the launches, one fused kernel pass per run (execute.ts). Per-step code uses indexed loops and no
// closures: a step allocates nothing.
import type { Backend } from "./backend.js";
import { ensureBuffers, type GroupLayout, type Memory, type Slot } from "./layout.js";
import { located } from "./options.js";
import { type OptionTable, STRUCTURAL } from "./option-table.js";
import { decideStep, needsPrePass, type StepDecision, type Transforms } from "./prepass.js";
import type { OptimizerSpec, ParamGroup } from "./spec.js";
import { isFloat32Array } from "./state-dict.js";

/**
 * Per group: its layout, the options last validated for it, what the current step found changed, and whether
 * its state buffers still have to be planned (a new group allocates its state at its first step, as PyTorch).
 */
export interface PlannedGroup<O> {
  layout: GroupLayout; validated: O; change: number; unplanned: boolean;
  /** Rebuilds the group's runs (same steps and ready flags) after its state dtype changed. */
  rebuild(): void;
}

export interface StepContext<O> {
  readonly spec: OptimizerSpec<O>;
  readonly options: OptionTable<O>;
  readonly store: Memory;
  readonly backend: Backend;
  readonly groups: readonly ParamGroup<O>[];
  readonly planned: readonly PlannedGroup<O>[];
  readonly foreign: readonly Slot[];
  readonly transforms: Transforms;
  readonly decision: StepDecision;
}

/**
 * Phase 1: everything that can fail. Throws with nothing changed. Returns the step's decision (prepass.ts):
 * skip it, or run it with that gradient scale.
 */
export function prepareStep<O>(c: StepContext<O>, gradScale: number): StepDecision {
  const name = c.spec.name;
  for (let gi = 0; gi < c.planned.length; gi++) {
    const g = c.groups[gi]!, p = c.planned[gi]!;
    if (g.params !== p.layout.params) {
      throw new Error(`${name}: param group ${gi} changed its params after construction (use addParamGroup)`);
    }
    // A structural edit is committed to the snapshot at once: the group stays marked for a re-plan until its
    // buffers exist, even if this step throws later.
    try {
      p.change = c.options.revalidate(g, p.validated);
    } catch (e) {
      throw located(`${name}: param group ${gi}`, e);
    }
    if (p.change === STRUCTURAL) p.unplanned = true;
    const runs = p.layout.runs;
    for (let ri = 0; ri < runs.length; ri++) {
      if (runs[ri]!.step >= Number.MAX_SAFE_INTEGER) {
        throw new RangeError(`${name}: param group ${gi} has taken ${runs[ri]!.step} steps, the most a step count can hold`);
      }
    }
  }
  const foreign = c.foreign;
  for (let i = 0; i < foreign.length; i++) {
    const s = foreign[i]!;
    const { value, grad } = s.src;
    if (!isFloat32Array(value) || !isFloat32Array(grad)) {
      throw new TypeError(`${name}: a foreign param's value and grad must stay Float32Arrays`);
    }
    if (value.length !== s.param.length || grad.length !== s.param.length) {
      throw new RangeError(`${name}: a foreign param changed length (value ${value.length}, grad ${grad.length}, expected ${s.param.length})`);
    }
  }
  // The pre-pass reads gradients in the store: foreign ones are copied in first (a copy changes nothing the
  // user can see; runStep copies them again).
  const t = c.transforms, d = c.decision;
  if (needsPrePass(t)) for (let i = 0; i < foreign.length; i++) foreign[i]!.param.grad.set(foreign[i]!.src.grad);
  decideStep(c.backend, c.planned, t, gradScale, d);
  if (d.skip) return d;
  // Re-plans may allocate (and fail with out of memory); they change no value.
  for (let gi = 0; gi < c.planned.length; gi++) {
    const p = c.planned[gi]!;
    if (p.unplanned) {
      if (ensureBuffers(c.store, c.spec, p.layout, c.groups[gi]!)) p.rebuild();
      p.unplanned = false;
    }
  }
  return d;
}

